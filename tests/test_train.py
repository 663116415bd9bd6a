import json

import numpy as np
import pytest

import explorer
from explorer import data
from explorer.bundles import metrics
from explorer.models import train

from .conftest import require_dataset


def test_one_epoch_smoke(tmp_path, images_dir, capsys):
    out = tmp_path / "smoke"
    rc = train.main(["--data-dir", images_dir, "--kind", "vae", "--digits", "1,5,6", "--hidden", "64,32", "--iw-samples", "20",
                     "--epochs", "1", "--train-limit", "2000", "--out", str(out), "--quiet", "--skip-tsne"])
    assert rc == 0
    printed = capsys.readouterr().out
    assert "epoch   1/1" in printed and "test loss" in printed and "test negative ELBO" in printed
    m = explorer.load_model(out)
    assert m.kind == "vae" and m.classes == [1, 5, 6]
    n_test = len(data.load("mnist", "test", images_dir).subset([1, 5, 6])[0].labels)  # MNIST's: 2,985
    assert set(np.unique(m.latents.labels)) == {1, 5, 6} and len(m.latents.codes) == n_test
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["training"]["train_limit"] == 2000 and cfg["training"]["command"].startswith("python -m explorer.train")
    assert cfg["metrics"]["n_test"] == n_test and cfg["metrics"]["test_neg_elbo"] > 0
    assert cfg["weights_dtype"] == "float16"


@pytest.mark.parametrize("option", [["--digits", "3,12"], ["--digits", "3,3"], ["--epochs", "0"], ["--epochs", "-1"],
                                    ["--batch-size", "0"], ["--lr", "-1"], ["--lr", "nan"], ["--lr", "0"],
                                    ["--weight-decay", "-0.1"], ["--train-limit", "-5"], ["--threads", "0"]])
def test_bad_options_are_reported_before_any_work(tmp_path, capsys, monkeypatch, option):
    def no_data(*args, **kwargs):
        raise AssertionError("the data was read before the options were checked")

    monkeypatch.setattr(data, "load", no_data)
    assert train.main([*option, "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: " + option[0]) and "Traceback" not in err
    assert not (tmp_path / "x").exists()


def test_one_class_is_a_valid_choice(tmp_path):
    args = train.build_parser().parse_args(["--digits", "3", "--out", str(tmp_path / "x")])
    assert train.check_options(args) is None


def test_unparsable_options_exit_with_usage(tmp_path):
    with pytest.raises(SystemExit):
        train.main(["--hidden", "a,b", "--out", str(tmp_path / "x")])


_measured: dict[str, dict] = {}


def measured(name, data_dir) -> dict:
    """The metrics of a shipped bundle as measured now on the test set (once per session)."""
    if name not in _measured:
        m = explorer.load_model(name)
        require_dataset(m.dataset, data_dir)
        test, _ = data.load(m.dataset, "test", data_dir).subset(m.classes)
        train_split, _ = data.load(m.dataset, "train", data_dir).subset(m.classes)
        # the figures these tests read, by the functions `evaluate` measures them with; a bundle's denoising
        # figures are another test's (test_course_models), and the importance-sampled likelihood (a million
        # decodes of a VAE) is checked by the slow test below
        seed = m.config["training"]["seed"]
        figures = {**metrics.test_losses(m, test, seed), **metrics.recognised_middles(m, train_split)}
        if hasattr(m.net, "measure"):  # the kind's own figures
            figures.update(m.net.measure(m.float_images(test.images[:metrics.KIND_SAMPLE]), m.latents.codes,
                                         m.latents.labels))
        _measured[name] = {k: round(v, 6) if isinstance(v, float) else v for k, v in figures.items()}
    return _measured[name]


SLOW_TO_MEASURE = {"mnist-seq-ae-16"}  # a GRU over every test image, twice: half a minute beside the other tests


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.slow) if n in SLOW_TO_MEASURE else n
                                  for n in explorer.list_pretrained()])
def test_shipped_metrics_reproduce(name, data_dir):
    """`python -m explorer.evaluate` recomputes what each bundle says of itself."""
    m = explorer.load_model(name)
    metrics = measured(name, data_dir)
    keys = ["test_mse", "test_bce", "class_middles_recognised"] + (["test_neg_elbo"] if m.kind_info.has_posterior else [])
    for key in keys:
        assert key in m.metrics, f"{name} does not record its {key}"
        assert metrics[key] == pytest.approx(m.metrics[key], rel=1e-3), key


@pytest.mark.slow
def test_a_shipped_vaes_importance_sampled_likelihood_reproduces(data_dir):
    m = explorer.load_model("mnist-vae-2d")
    test, _ = data.load(m.dataset, "test", data_dir).subset(m.classes)
    again = metrics.importance_nll(m, test, seed=m.config["training"]["seed"])
    for key in ("test_nll_iw", "test_neg_elbo_iw_images"):
        assert again[key] == pytest.approx(m.metrics[key], rel=1e-3), key


# Quality bars of the shipped bundles (the 2-D ones tightened once they were retrained for the course): test MSE per
# pixel, negative ELBO in nats. Checked on metrics measured now, not on the numbers the bundles record about themselves.
# mnist-ae-2d's (trained with the VAE's layers and a code penalty, 0.0336) is the VAE's own reconstruction error with the same layers (0.0335)
# and a 5% margin: pulling the codes together costs a little detail, as the VAE's KL term does.
BARS = {"mnist156-ae-2d": ("test_mse", 0.0230), "mnist-ae-2d": ("test_mse", 0.0352),
        "mnist-vae-2d": ("test_neg_elbo", 135.5)}


@pytest.mark.parametrize("name", sorted(BARS))
def test_shipped_bundles_meet_their_bars(name, data_dir):
    metrics = measured(name, data_dir)
    key, bar = BARS[name]
    assert metrics[key] <= bar
    assert metrics["class_middles_recognised"] >= min(8, metrics["class_middles_total"])


def test_sixteen_dimensional_bundles_meet_their_bars(data_dir):
    """The 16-d VAE's bound, conv below MLP, AEs reconstruct better than VAEs, and
    t-SNE class middles decode to their own class; all measured now."""
    def shipped(name):
        if name not in explorer.list_pretrained():
            pytest.fail(f"{name} is not shipped in pretrained/")
        return measured(name, data_dir)

    assert shipped("mnist-vae-16")["test_neg_elbo"] <= 96.0
    assert shipped("mnist-conv-vae-16")["test_neg_elbo"] < shipped("mnist-vae-16")["test_neg_elbo"]
    assert shipped("mnist-ae-16")["test_mse"] < shipped("mnist-vae-16")["test_mse"]
    assert shipped("mnist-conv-ae-16")["test_mse"] < shipped("mnist-conv-vae-16")["test_mse"]
    for name in ("mnist-ae-16", "mnist-vae-16", "mnist-conv-ae-16", "mnist-conv-vae-16"):
        assert shipped(name)["class_middles_by_map"]["tsne"] >= 9, name


@pytest.mark.slow
def test_training_reaches_a_useful_vae(tmp_path, data_dir):
    """Five epochs of the shipped VAE recipe already beat the classic 784-400-2 VAE's 10 epochs."""
    out = tmp_path / "vae"
    assert train.main(["--data-dir", data_dir, "--kind", "vae", "--hidden", "512,256", "--epochs", "5",
                       "--out", str(out), "--quiet"]) == 0
    assert explorer.load_model(out).metrics["test_neg_elbo"] < 153


def test_the_kinds_of_autoencoder_show_what_their_kind_promises(data_dir):
    """Measured now, on the test images: the sparse autoencoder carries every image's code (90% of it)
    in at most a quarter of its 64 units; the contractive one's code moves at most half as far as
    mnist-ae-16's (same layers, same k) when the image is nudged, for a reconstruction within 15% of
    it; the adversarial one's codes take its prior's shape (at least 85% inside the region holding 95%
    of the prior), every class middle decodes to its own digit, and its prior's samples are read as
    every digit, none as more than a quarter of them."""
    from explorer.baselines import classifier
    from explorer.models.contractive import code_movement

    sparse = measured("mnist-sparse-ae-64", data_dir)
    assert sparse["units_for_90"] <= 16 and sparse["carried_by_quarter"] >= 0.9
    cae, ae = measured("mnist-contractive-ae-16", data_dir), explorer.load_model("mnist-ae-16")
    x = ae.float_images(data.load("mnist", "test", data_dir).images[:1000])
    assert cae["code_movement"] <= 0.5 * code_movement(ae.net.encode, x, ae.latents.codes)
    assert cae["test_mse"] <= 1.15 * ae.metrics["test_mse"]
    aae = measured("mnist-aae-2d", data_dir)
    assert aae["prior_fit"] >= 0.85 and aae["class_middles_by_map"]["direct"] == 10
    m = explorer.load_model("mnist-aae-2d")
    read = classifier.load("mnist").probabilities(m.decode(m.prior_sample(2000))).argmax(1)
    shares = np.bincount(read, minlength=10) / len(read)
    assert (shares > 0.02).sum() >= 9 and shares.max() <= 0.25, shares
