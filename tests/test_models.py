import numpy as np
import pytest
import torch

from explorer.models import ModelConfig, VariationalAutoencoder, build, to_float_images


@pytest.mark.parametrize("kind", ["ae", "vae"])
@pytest.mark.parametrize("backbone,hidden", [("mlp", [64, 32]), ("conv", [8, 16]), ("conv", [8, 16, 32])])
def test_shapes_and_ranges(kind, backbone, hidden):
    torch.manual_seed(0)
    net = build(ModelConfig(kind=kind, backbone=backbone, latent_dim=3, hidden=hidden))
    x = torch.rand(5, 28, 28)
    z = net.encode(x)
    assert z.shape == (5, 3)
    out = net.decode(z)
    assert out.shape == (5, 28, 28) and out.min() >= 0 and out.max() <= 1
    parts = net.loss(x)
    assert parts["loss"].ndim == 0 and torch.isfinite(parts["loss"])
    if kind == "vae":
        mean, log_var = net.posterior(x)
        assert mean.shape == log_var.shape == (5, 3)
        # the map's code is the cloud's middle, the same on every call; training decodes a random
        # draw from the cloud, so the loss changes with the draw while its KL term does not
        assert torch.equal(net.encode(x), net.encode(x))
        other = net.loss(x, generator=torch.Generator().manual_seed(1))
        assert other["recon"] != parts["recon"] and torch.equal(other["kl"], parts["kl"])
        assert parts["kl"] >= 0


def test_a_draw_from_the_cloud_has_its_mean_and_spread():
    """z = mean + exp(log_var / 2) * eps, eps ~ N(0, I) (Kingma & Welling 2014, section 2.4):
    draws centre on the mean with standard deviation exp(log_var / 2)."""
    n = 20_000
    mean = torch.tensor([[0.0, 3.0]]).expand(n, 2)
    log_var = torch.log(torch.tensor([[4.0, 0.25]])).expand(n, 2)
    z = VariationalAutoencoder.reparameterize(mean, log_var, torch.Generator().manual_seed(0))
    torch.testing.assert_close(z.std(0), torch.tensor([2.0, 0.5]), rtol=0.03, atol=0)
    torch.testing.assert_close(z.mean(0), torch.tensor([0.0, 3.0]), atol=0.05, rtol=0)


def test_kl_matches_closed_form():
    mean = torch.tensor([[0.0, 0.0], [1.0, -2.0]])
    log_var = torch.tensor([[0.0, 0.0], [float(np.log(4.0)), 0.0]])
    kl = VariationalAutoencoder.kl_divergence(mean, log_var)
    # KL(N(m, s^2) || N(0, 1)) = (m^2 + s^2 - 1 - log s^2) / 2 per dimension
    expected = 0.5 * torch.tensor([0.0, (1 + 4 - 1 - np.log(4.0)) + (4 + 1 - 1 - 0)])
    torch.testing.assert_close(kl, expected.float())


def test_config_validation_names_the_field():
    with pytest.raises(ValueError, match="kind"):
        ModelConfig(kind="gan")
    with pytest.raises(ValueError, match="latent_dim"):
        ModelConfig(latent_dim=0)
    with pytest.raises(ValueError, match="hidden"):
        ModelConfig(backbone="conv", hidden=[8, 16, 32, 64])
    with pytest.raises(ValueError, match="unknown fields"):
        ModelConfig.from_dict({"kind": "ae", "colour": "red"})


def test_image_conversion():
    u8 = np.full((2, 28, 28), 255, np.uint8)
    assert to_float_images(u8).max().item() == 1.0
    assert to_float_images(np.zeros((28, 28), np.float32)).shape == (1, 28, 28)
    with pytest.raises(ValueError, match="28, 28"):
        to_float_images(np.zeros((2, 32, 32)))
