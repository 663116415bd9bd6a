"""The training options behind the course (noise, beta, replay), PCA as the linear
reference, and what the shipped course models must show, measured now on the test set."""

import json

import numpy as np
import pytest
import torch

import explorer
from explorer import data
from explorer.bundles import evaluate
from explorer.data import noise
from explorer.baselines import pca
from explorer.models import train
from explorer.models import ModelConfig, build


# -- noise ------------------------------------------------------------------------------------

def test_noise_specs_parse_and_refuse_with_the_reason():
    assert noise.parse("gaussian:0.5") == noise.Noise("gaussian", 0.5)
    assert str(noise.parse(" MASK:0.25 ")) == "mask:0.25"
    for bad, words in [("gaussian", "write it as"), ("gauss:1", "use gaussian"), ("mask:x", "not a number"),
                       ("mask:1.5", "between 0 and 1"), ("gaussian:-1", "standard deviation"),
                       ("gaussian:nan", "standard deviation")]:
        with pytest.raises(ValueError, match=words):
            noise.parse(bad)


def test_gaussian_noise_is_clipped_and_masking_zeroes_the_share_asked():
    x = torch.full((200, 28, 28), 0.5)
    g = noise.parse("gaussian:0.1").apply(x, torch.Generator().manual_seed(1))
    assert g.min() >= 0 and g.max() <= 1 and (g - x).std().item() == pytest.approx(0.1, rel=0.02)
    m = noise.parse("mask:0.3").apply(x, torch.Generator().manual_seed(1))
    assert set(torch.unique(m).tolist()) == {0.0, 0.5} and (m == 0).float().mean().item() == pytest.approx(0.3, abs=0.01)
    assert torch.equal(noise.parse("mask:0").apply(x), x)
    first, again = noise.corrupt(np.ones((2, 28, 28), np.uint8) * 255, "mask:0.5", seed=3), \
        noise.corrupt(np.ones((2, 28, 28), np.uint8) * 255, "mask:0.5", seed=3)
    assert torch.equal(first, again)  # seeded


def test_beta_weighs_only_the_kl_term():
    torch.manual_seed(0)
    net = build(ModelConfig(kind="vae", latent_dim=2, hidden=[32]))
    x = torch.rand(16, 28, 28)
    one = net.loss(x, generator=torch.Generator().manual_seed(0))
    four = net.loss(x, generator=torch.Generator().manual_seed(0), beta=4.0)
    assert torch.allclose(four["loss"], one["recon"] + 4 * one["kl"])
    clean, noisy = x, noise.parse("mask:0.5").apply(x)
    ae = build(ModelConfig(kind="ae", latent_dim=2, hidden=[32]))
    assert not torch.allclose(ae.loss(noisy, target=clean)["loss"], ae.loss(noisy)["loss"])


# -- training options, end to end on a small run -----------------------------------------------

def test_a_beta_vae_keeps_its_replay(tmp_path, images_dir):
    out = tmp_path / "beta"
    assert train.main(["--data-dir", images_dir, "--kind", "vae", "--beta", "2", "--hidden", "64,32", "--epochs", "2", "--iw-samples", "0",
                       "--train-limit", "2000", "--replay", "300", "--out", str(out), "--quiet", "--skip-tsne"]) == 0
    m = explorer.load_model(out)
    assert m.config["training"]["beta"] == 2.0 and m.config["training"]["noise"] is None
    assert m.metrics["beta"] == 2.0
    frames, indices = m.replay()
    assert [f[0] for f in frames] == [0, 1, 2] and len(indices) == 300
    assert all(c.dtype == np.float32 and c.shape == (300, 2) for _, _, c in frames)
    assert frames[1][1] == pytest.approx(m.config["training"]["history"][0]["test_loss"])
    assert np.all(np.diff(indices) > 0) and indices.max() < 10000
    stored = m.latents.codes[m.latents.rows_of(indices)]
    np.testing.assert_allclose(frames[-1][2], stored, rtol=1e-3, atol=1e-3)  # float16 of the shipped codes
    assert not np.allclose(frames[0][2], frames[-1][2])  # the untrained network's codes differ


def test_a_denoising_autoencoder_records_its_noise(tmp_path, images_dir):
    out = tmp_path / "dae"
    assert train.main(["--data-dir", images_dir, "--kind", "ae", "--noise", "mask:0.3", "--latent-dim", "4",
                       "--hidden", "64", "--epochs", "1", "--train-limit", "2000", "--out", str(out),
                       "--quiet", "--skip-tsne"]) == 0
    m = explorer.load_model(out)
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["training"]["noise"] == "mask:0.3" and "--noise mask:0.3" in cfg["training"]["command"]
    assert set(m.metrics["denoising_mse"]) == {*evaluate.NOISE_CHECKS, "mask:0.3"}
    assert m.replay() == ([], None)  # codes of 4 numbers: no replay
    # PCA at k = 4 fitted on the whole training split, not the 2,000 images trained on (on MNIST:
    # 0.0474, as explorer.baselines.pca prints it)
    train_split, test = (data.load("mnist", split, images_dir) for split in ("train", "test"))
    assert m.metrics["pca_test_mse"] == pytest.approx(pca.fit(train_split.images, 4).mse(test.images, 4), rel=1e-3)


@pytest.mark.parametrize("option", [["--beta", "0"], ["--beta", "nan"], ["--kind", "ae", "--beta", "2"],
                                    ["--noise", "salt:0.1"], ["--noise", "mask:2"], ["--replay", "-1"]])
def test_bad_course_options_are_reported_before_any_work(tmp_path, capsys, monkeypatch, option):
    monkeypatch.setattr(data, "load", lambda *a, **k: pytest.fail("the data was read first"))
    assert train.main([*option, "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --") and "Traceback" not in err


def test_a_damaged_replay_is_refused_with_the_file_named(tmp_path, images_dir):
    out = tmp_path / "r"
    assert train.main(["--data-dir", images_dir, "--kind", "ae", "--hidden", "32", "--epochs", "1",
                       "--train-limit", "500", "--replay", "50", "--out", str(out), "--quiet", "--skip-tsne"]) == 0
    (out / "replay.safetensors").write_bytes(b"\x80\x04 a pickle")
    with pytest.raises(explorer.BundleError, match="replay.safetensors"):
        explorer.load_model(out).replay()


# -- PCA --------------------------------------------------------------------------------------

def test_pca_matches_scikit_learn_and_is_nested(images_dir):
    from sklearn.decomposition import PCA as SkPCA

    x = data.load("mnist", "train", images_dir).images[:3000]
    ours = pca.fit(x, 8)
    theirs = SkPCA(8).fit(x.reshape(len(x), -1) / 255.0)
    np.testing.assert_allclose(np.abs(ours.components), np.abs(theirs.components_), atol=1e-3)
    np.testing.assert_allclose(ours.variance, theirs.explained_variance_, rtol=1e-4)
    np.testing.assert_allclose(pca.fit(x, 3).components, ours.components[:3], atol=1e-5)
    rec = ours.reconstruct(x[:10], 8)
    assert rec.shape == (10, 28, 28) and rec.min() >= 0 and rec.max() <= 1
    assert ours.mse(x[:500], 8) < ours.mse(x[:500], 2)


def test_the_shipped_pca_is_the_fit_of_the_training_images(mnist_train):
    shipped = pca.load("mnist")
    assert shipped is not None and shipped.size == pca.N_COMPONENTS
    again = pca.fit(mnist_train.images, 4)
    np.testing.assert_allclose(shipped.components[:4], again.components, atol=1e-4)


# -- what the shipped course models show (recomputed now) ------------------------------------

def _split(name, data_dir):
    m = explorer.load_model(name)
    test, _ = data.load(m.dataset, "test", data_dir).subset(m.classes)
    return m, test


def test_the_denoising_autoencoder_denoises_better_than_the_plain_one(data_dir):
    dae, test = _split("mnist-dae-16", data_dir)
    ae = explorer.load_model("mnist-ae-16")
    trained = dae.config["training"]["noise"]
    assert dae.net.config == ae.net.config and dae.config["training"]["epochs"] == ae.config["training"]["epochs"]
    ours, plain = evaluate.denoising_mse(dae, test.images, trained), evaluate.denoising_mse(ae, test.images, trained)
    assert ours < 0.7 * plain, (ours, plain)
    assert ours == pytest.approx(dae.metrics["denoising_mse"][trained], rel=1e-3)


BETAS = ["mnist-vae-2d-beta0.5", "mnist-vae-2d", "mnist-vae-2d-beta4"]


def test_a_heavier_kl_weight_trades_reconstruction_for_a_smaller_kl(data_dir):
    measured = []
    for name in BETAS:
        m, test = _split(name, data_dir)
        measured.append((m.config["training"].get("beta", 1.0), evaluate.test_losses(m, test, seed=0)))
    assert [b for b, _ in measured] == [0.5, 1.0, 4.0]
    bce = [r["test_bce"] for _, r in measured]
    kl = [r["test_kl"] for _, r in measured]
    assert bce[0] < bce[1] < bce[2] and kl[0] > kl[1] > kl[2], (bce, kl)
    nets = [explorer.load_model(n).net.config for n in BETAS]
    assert nets[0] == nets[1] == nets[2]


SERIES = {2: "mnist-ae-2", 4: "mnist-ae-4", 8: "mnist-ae-8", 16: "mnist-ae-16", 32: "mnist-ae-32"}


def test_the_bottleneck_series_beats_pca_where_codes_are_small(data_dir, mnist_train):
    archs = set()
    fitted = pca.fit(mnist_train.images, max(SERIES))  # PCA's components are nested: its first k are PCA at k
    for k, name in SERIES.items():
        m, test = _split(name, data_dir)
        assert m.latent_dim == k
        archs.add((tuple(m.net.config.hidden), m.config["training"]["epochs"]))
        ae = evaluate.test_losses(m, test)["test_mse"]
        linear = fitted.mse(test.images, k)
        assert linear == pytest.approx(m.metrics["pca_test_mse"], rel=1e-3)
        if k <= 8:
            assert ae < linear, (k, ae, linear)
    assert len(archs) == 1, archs  # one architecture, one recipe: only k changes


@pytest.mark.parametrize("name", ["mnist-ae-2d", "mnist-vae-2d"])
def test_the_replay_ends_at_the_shipped_codes(name):
    m = explorer.load_model(name)
    frames, indices = m.replay()
    assert len(indices) == 2000 and len(frames) == m.config["training"]["epochs"] + 1
    assert [f[0] for f in frames] == list(range(len(frames)))
    stored = m.latents.codes[m.latents.rows_of(indices)]
    np.testing.assert_array_equal(frames[-1][2], stored.astype(np.float16).astype(np.float32))
    losses = [f[1] for f in frames]
    assert losses[-1] < losses[0] and losses[-1] == pytest.approx(m.config["training"]["history"][-1]["test_loss"])


def test_pretrained_stays_at_most_100_megabytes():
    """The shipped bundles are part of every clone and every installed package: at most 100 MB."""
    from explorer.bundles.bundle import PRETRAINED_DIR

    total = sum(f.stat().st_size for f in PRETRAINED_DIR.rglob("*") if f.is_file())
    assert total <= 100 * 2**20, total
