"""Every registered model kind on every backbone, put through the same life, so a new kind is
tested by registering it (in the spirit of scikit-learn's check_estimator): the training command
trains it one epoch on 500 images and writes its bundle; the bundle is inspected without running
anything, loaded, saved again and reloaded with every tensor, code and figure equal; its encoder
and decoder are exported to ONNX and imported back, agreeing with the library; and the browser's
decoder (decoder.js, in Chromium) decodes its maps within 2/255 of the library.

Fails if a kind cannot be trained by the command with its declared hyperparameters, if its bundle
loses or changes anything on the way through disk, if its ONNX files or the browser's decoder
compute something else than the library, or if it claims an offer (a posterior) it cannot keep.
One model per kind and backbone is trained for the whole module (a few seconds each)."""

import contextlib
import functools

import numpy as np
import pytest
import torch

from explorer import data, maps, models
from explorer.bundles import bundle, webexport
from explorer.models import train
from explorer.onnx import exporter, importer

from . import browser
from .test_webexport import TOLERANCE, browser_decodes, chromium, random_points, serve_model  # noqa: F401

CASES = [(k, b) for k in sorted(models.KINDS) for b in models.built_on(models.KINDS[k])]
SHAPES = {"mlp": (2, "32,16"), "conv": (3, "8,16"), "gru": (3, "16")}  # latent size, hidden: 2-D codes and wider ones


@pytest.fixture(scope="module")
def trained(tmp_path_factory, images_dir):
    """(kind, backbone) -> the folder of its bundle, trained on first use."""
    root = tmp_path_factory.mktemp("kinds")

    @functools.cache
    def make(kind: str, backbone: str):
        k, hidden = SHAPES[backbone]
        k *= models.KINDS[kind].latent_unit
        out = root / f"{kind}-{backbone}"
        hyper = [arg for h in models.KINDS[kind].hyperparameters for arg in (h.flag, str(h.default))]
        rc = train.main(["--out", str(out), "--kind", kind, "--backbone", backbone, "--latent-dim", str(k),
                         "--hidden", hidden, "--digits", "0,1,2", "--epochs", "1", "--train-limit", "500",
                         "--skip-tsne", "--replay", "0", "--quiet", "--threads", "2", "--data-dir", images_dir,
                         "--iw-samples", "20",
                         *hyper])
        assert rc == 0, f"the training command failed for {kind} on {backbone}"
        return out

    return make


def opened(folder):
    """The bundle, loaded; a kind that takes labels given one (its classes' last), so that what
    holds for every model is checked on it as on any other."""
    m = bundle.load(folder)
    return m.given(m.classes[-1]) if "labels" in m.kind_info.offers else m


@pytest.mark.parametrize("kind,backbone", CASES)
def test_a_kind_trains_and_its_bundle_says_what_it_is(trained, images_dir, kind, backbone):
    folder = trained(kind, backbone)
    config = bundle.inspect(folder)  # headers only: nothing is run
    assert (config["model"]["kind"], config["model"]["backbone"]) == (kind, backbone)
    for h in models.KINDS[kind].hyperparameters:
        assert config["training"][h.name] == h.default, f"{h.name} is not among the bundle's training settings"
    m = bundle.load(folder)
    assert m.kind == kind and type(m.net) is models.KINDS[kind]
    assert m.latent_dim == SHAPES[backbone][0] * models.KINDS[kind].latent_unit
    x = data.load("mnist", "test", images_dir).images[:8]
    if "labels" in m.kind_info.offers:  # an offer is kept: labels in, required, and only the model's classes
        with pytest.raises(ValueError, match="labels"):
            m.decode(m.latents.codes[:2])
        with pytest.raises(ValueError, match=r"classes \[0, 1, 2\]"):
            m.given(7)
        np.testing.assert_allclose(m.encode(x, labels=2), m.given(2).encode(x), atol=1e-6)
        np.testing.assert_allclose(m.decode(m.latents.codes[:3], labels=[0, 1, 2])[1],
                                   m.given(1).decode(m.latents.codes[1])[0], atol=1e-6)
        m = m.given(2)
    else:
        with pytest.raises(TypeError, match="no labels"):
            m.given(1)
    assert 0 < m.metrics["test_mse"] < 1  # measured and stored (one epoch on 500 images learns little)
    own = models.KINDS[kind].figures  # the kind's own figures, measured by the command and stored
    assert set(own) <= set(m.metrics) and all(np.isfinite(m.metrics[key]) for key in own), (set(own) - set(m.metrics))
    assert m.encode(x).shape == (8, m.latent_dim) and m.decode(m.encode(x)).shape == (8, 28, 28)
    if m.kind_info.has_posterior:  # an offer is kept: a posterior per image
        mean, log_var = m.posterior(x)
        np.testing.assert_allclose(mean, m.encode(x), atol=1e-6)
        assert log_var.shape == mean.shape
    else:
        with pytest.raises(TypeError):
            m.posterior(x)
    if "prior" in m.kind_info.offers:  # an offer is kept: codes drawn from its prior, the same for a seed
        z = m.prior_sample(5, seed=3)
        assert z.shape == (5, m.latent_dim) and np.isfinite(z).all() and np.array_equal(z, m.prior_sample(5, seed=3))
    else:
        with pytest.raises(TypeError, match="no prior"):
            m.prior_sample(5)


@pytest.mark.parametrize("kind,backbone", CASES)
def test_a_kinds_bundle_round_trips_every_tensor(trained, tmp_path, kind, backbone):
    first = opened(trained(kind, backbone))
    bundle.save(first, tmp_path / "again", first.config, first.latents, weights_dtype=first.config["weights_dtype"])
    second = bundle.load(tmp_path / "again")
    a, b = first.net.state_dict(), opened(tmp_path / "again").net.state_dict()
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    for name, array in first.latents.arrays().items():
        np.testing.assert_array_equal(getattr(second.latents, name), array)
    assert second.config == first.config


@pytest.mark.parametrize("kind,backbone", CASES)
def test_a_kind_goes_to_onnx_and_comes_back(trained, kind, backbone):
    m = opened(trained(kind, backbone))
    files = exporter.export(m)
    assert exporter.largest_difference(m, files) <= exporter.TOLERANCE
    images = np.round(m.decode(m.latents.codes[:64]) * 255).astype(np.uint8)
    back = importer.build_net(files["encoder.onnx"], files["decoder.onnx"], data.Split(images, m.latents.labels[:64]))
    assert back.has_posterior == m.kind_info.has_posterior and back.config.latent_dim == m.latent_dim
    x = images.astype(np.float32) / 255  # the network's own input; Model.encode converts uint8 for it
    if "codebook" in m.kind_info.offers:  # a cell all but halfway between two entries may round either way
        same = np.isclose(back.encode(x), m.encode(x), atol=1e-4).reshape(len(x), -1, m.net.cells).all(1)
        assert same.mean() >= 0.99, f"{kind}: ONNX chose another codebook entry in {1 - same.mean():.1%} of the cells"
    else:
        np.testing.assert_allclose(back.encode(x), m.encode(x), atol=1e-4)
    codes = m.latents.codes[:16]
    np.testing.assert_allclose(back.decode(codes), m.decode(codes), atol=1e-4)


@pytest.mark.skipif(browser.missing() is not None, reason=str(browser.missing()))
@pytest.mark.parametrize("kind,backbone", CASES)
def test_the_browser_decodes_a_kind_as_the_library_does(trained, tmp_path, kind, backbone, chromium):
    m = opened(trained(kind, backbone))
    at_once = [method for method in maps.available(m.latent_dim) if m.has_map(method)]  # t-SNE is not stored here
    folder = webexport.write(m, tmp_path / "web", maps=at_once)
    with contextlib.closing(chromium.new_page()) as page:
        serve_model(page, folder)
        for method in at_once:
            mp = m.map(method)
            points = random_points(mp, 60)
            expected = m.decode(mp.to_latent(points))
            got = browser_decodes(page, method, points).reshape(expected.shape)
            worst = np.abs(got - expected).max()
            assert worst <= TOLERANCE, f"{kind} on {backbone}, {method} map: a pixel differs by {worst * 255:.2f}/255"
