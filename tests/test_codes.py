"""Codes and their uses, on the shipped bundles: the VQ-VAE's discrete code (its API, its figures,
bad index grids and a codebook that disagrees with its weights), the sequence autoencoder, the
importance-sampled likelihood beside the ELBO, and the VQ-VAE's indices as a compressed file."""

import json
import math
import shutil

import numpy as np
import pytest

import explorer
from explorer import data
from explorer.bundles import bundle, metrics
from explorer.models.vqvae import GridError, usage
from explorer.teaching import compression


@pytest.fixture(scope="module")
def vq():
    return explorer.load_model("mnist-vq-vae")


@pytest.fixture(scope="module")
def test_split(data_dir):
    return data.load("mnist", "test", data_dir)


def test_the_vq_vae_writes_each_digit_as_a_grid_of_codebook_entries(vq, test_split):
    assert vq.kind == "vq-vae" and vq.codebook_size == 64 and vq.grid == (7, 7)
    x = test_split.images[:300]
    idx = vq.encode_indices(x)
    assert idx.shape == (300, 7, 7) and idx.dtype.kind == "i" and idx.min() >= 0 and idx.max() < 64
    back = vq.decode_indices(idx)
    assert back.shape == (300, 28, 28) and back.min() >= 0 and back.max() <= 1
    np.testing.assert_allclose(back, vq.reconstruct(x), atol=1e-6)  # the code is the grid, nothing more
    mse = float(((back - x / 255.0) ** 2).mean())
    assert mse <= 0.015 and mse == pytest.approx(vq.metrics["test_mse"], rel=0.25)
    # any code decodes through the grid: a point off the codebook snaps to its nearest entries
    z = vq.latents.codes[:5] + np.random.default_rng(0).normal(0, 0.01, (5, vq.latent_dim)).astype(np.float32)
    np.testing.assert_allclose(vq.decode(z), vq.decode(vq.latents.codes[:5]), atol=1e-6)


def test_the_codebook_is_used_not_collapsed(vq, test_split):
    idx = vq.encode_indices(test_split.images)
    figures = usage(idx, vq.codebook_size)
    assert figures["perplexity"] >= vq.codebook_size / 4, figures
    assert figures["perplexity"] == pytest.approx(vq.metrics["perplexity"], rel=0.05)
    assert usage(np.zeros((10, 7, 7), int), 64) == {"perplexity": 1.0, "entries_used": 1.0}


@pytest.mark.parametrize("grid,words", [
    (np.zeros((6, 7), int), r"shape \[N, 7, 7\]"),
    (np.zeros((2, 7, 8), int), r"got shape \[2, 7, 8\]"),
    (np.full((7, 7), 64), "index 64 is not a codebook entry; the entries are 0-63"),
    (np.full((7, 7), -1), "index -1 is not"),
    (np.full((7, 7), 0.5), "whole numbers 0-63"),
    (np.full((7, 7), np.nan), "whole numbers 0-63"),
    (np.ones((7, 7), bool), "true/false"),
])
def test_a_bad_index_grid_is_named_not_decoded(vq, grid, words):
    with pytest.raises(GridError, match=words):
        vq.decode_indices(grid)
    assert issubclass(GridError, ValueError)


def test_a_model_without_a_codebook_says_so(vq):
    ae = explorer.load_model("mnist-ae-16")
    for call in (lambda: ae.codebook_size, lambda: ae.encode_indices(np.zeros((1, 28, 28), np.uint8)),
                 lambda: ae.decode_indices(np.zeros((7, 7), int))):
        with pytest.raises(TypeError, match="not entries of a codebook"):
            call()


@pytest.mark.parametrize("change,field", [({"codebook": 32}, "'codebook'"), ({"latent_dim": 98}, "'latent_dim'"),
                                          ({"latent_dim": 100}, "latent_dim=100"), ("drop", "codebook")])
def test_a_codebook_or_grid_that_disagrees_with_the_weights_is_a_bundle_error_naming_the_field(tmp_path, change, field):
    folder = tmp_path / "vq"
    shutil.copytree(bundle.PRETRAINED_DIR / "mnist-vq-vae", folder)
    config = json.loads((folder / "config.json").read_text())
    if change == "drop":
        del config["model"]["codebook"]
    else:
        config["model"].update(change)
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(bundle.BundleError, match=field) as e:
        bundle.load(folder)
    assert "config.json" in str(e.value) or "weights.safetensors" in str(e.value)


def test_no_other_kind_holds_a_codebook_field(tmp_path):
    folder = tmp_path / "ae"
    shutil.copytree(bundle.PRETRAINED_DIR / "mnist-ae-4", folder)
    config = json.loads((folder / "config.json").read_text())
    config["model"]["codebook"] = 64
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(bundle.BundleError, match="unknown fields"):
        bundle.load(folder)


def test_the_vq_vaes_indices_are_a_file_of_294_bits(vq, test_split):
    x = test_split.images[:50]
    coded = compression.by_indices(vq, x)
    assert (coded.nbytes == math.ceil(49 * 6 / 8)).all() and coded.mean_mse <= 0.015
    assert compression.code_bytes(vq, 16) == 37
    ways = [c.way for c in compression.at_budget([vq], x, 40)]
    assert ways[0].startswith("7x7 entries of 64") and not any(w.startswith("196 numbers") for w in ways)
    assert compression.at_budget([vq], x, 32)[0].way in compression.FORMATS + ("PNG",)  # 37 bytes do not fit 32
    assert compression.decoder_bytes(vq) > 64 * 4 * 2  # the codebook counts as the decoder's


def test_the_sequence_autoencoder_reads_and_writes_rows(test_split):
    m = explorer.load_model("mnist-seq-ae-16")
    assert m.kind == "seq-ae" and m.latent_dim == 16 and m.net.config.backbone == "gru"
    x = test_split.images[:500]
    mse = float(((m.reconstruct(x) - x / 255.0) ** 2).mean())
    assert mse <= 0.02 and m.metrics["test_mse"] <= 0.02


def test_the_importance_sampled_likelihood_lies_below_the_elbo(test_split):
    m = explorer.load_model("mnist-vae-2d")
    few = metrics.importance_nll(m, test_split, samples=200, n_images=100, seed=0)
    one = metrics.importance_nll(m, test_split, samples=1, n_images=100, seed=0)
    assert few["iw_samples"] == 200 and few["iw_images"] == 100
    # k = 1 is the ELBO itself; more samples only tighten the bound (Burda et al. 2016, theorem 1)
    assert one["test_nll_iw"] == pytest.approx(one["test_neg_elbo_iw_images"])
    assert few["test_nll_iw"] < few["test_neg_elbo_iw_images"] and few["test_nll_iw"] < one["test_nll_iw"]
    assert metrics.importance_nll(explorer.load_model("mnist-ae-16"), test_split) == {}  # no posterior
    stored = m.metrics
    assert stored["test_nll_iw"] < stored["test_neg_elbo_iw_images"] and stored["iw_samples"] == 1000


# -- the encoder as a front end ------------------------------------------------------------------

def test_labelled_draws_are_seeded_hold_every_class_and_all_means_all():
    from explorer.teaching import frontend

    labels = np.repeat(np.arange(10), 50)
    first, again = frontend.drawn(10, labels, 5, 0), frontend.drawn(10, labels, 5, 0)
    assert len(first) == 5 and all(np.array_equal(a, b) for a, b in zip(first, again))
    assert all(len(rows) == 10 and len(set(labels[rows])) == 10 for rows in first)  # ten labels: one of each class
    assert len({tuple(r) for r in first}) == 5  # five different draws
    hundred = frontend.drawn(100, labels, 3, 0)
    assert all(len(set(r)) == 100 for r in hundred)
    (everything,) = frontend.drawn(10_000, labels, 5, 0)
    assert np.array_equal(everything, np.arange(len(labels)))


def test_the_front_end_sentence_says_what_the_figures_show_whichever_way_they_fall():
    from explorer.teaching.frontend import Probe, summary

    def at(codes, pixels):
        return [Probe(f"m{i}", 10, a, 0.0, 5, 16) for i, a in enumerate(codes)] + [Probe("pixels", 10, pixels, 0, 5, 784)]

    assert "3 of the 3 encoders' codes beat the pixels, as the textbook says" in summary(at([0.5, 0.6, 0.7], 0.4), 10)
    assert "no encoder's code beats the pixels" in summary(at([0.3, 0.2], 0.4), 10)
    assert "1 of the 3 encoders' codes beat the pixels, fewer than half" in summary(at([0.5, 0.3, 0.2], 0.4), 10)
    assert summary(at([0.5], 0.4), 100) == ""  # nothing measured at 100 labels: nothing said


def test_front_end_figures_are_cached_by_what_they_came_from_and_a_broken_entry_is_measured_again(tmp_path):
    from explorer.teaching import frontend

    rng = np.random.default_rng(0)
    images = rng.integers(0, 255, (300, 28, 28), dtype=np.uint8)
    labels = np.arange(300) % 3
    images[labels == 1, :14] = 255  # a class the pixels can tell
    split = data.Split(images, labels)
    cache = frontend.Cache(tmp_path)
    calls = []
    m = explorer.load_model("mnist-ae-4")
    counted = type("Counted", (), {"name": m.name, "path": m.path, "latent_dim": 4,
                                   "encode": lambda self, x: calls.append(len(x)) or m.encode(x)})()
    first = frontend.measure([counted], None, split, split, 30, cache=cache, draws=2)
    assert [p.source for p in first] == ["mnist-ae-4", "pixels"] and calls
    assert all(0 <= p.accuracy <= 1 and p.draws == 2 and p.n == 30 for p in first)
    calls.clear()
    frontend._TEST_FEATURES.clear()
    assert frontend.measure([counted], None, split, split, 30, cache=cache, draws=2) == first and not calls  # read back
    for f in tmp_path.iterdir():
        f.write_text("{not json")
    assert frontend.measure([counted], None, split, split, 30, cache=cache, draws=2) == first and calls  # measured again


def test_a_front_end_figure_being_measured_elsewhere_is_waited_for_and_read_not_measured_again(tmp_path):
    import threading

    from explorer.bundles import catalog
    from explorer.teaching import frontend

    rng = np.random.default_rng(1)
    split = data.Split(rng.integers(0, 255, (200, 28, 28), dtype=np.uint8), np.arange(200) % 2)
    m = explorer.load_model("mnist-ae-4")
    calls = []
    counted = type("Counted", (), {"name": m.name, "path": m.path, "latent_dim": 4,
                                   "encode": lambda self, x: calls.append(len(x)) or m.encode(x)})()
    key = (m.name, str(catalog.version(m.path)), 20, 1, frontend.SEED, 200)
    theirs = frontend.Probe(m.name, 20, 0.75, 0.0, 1, 4)  # what the other measurer will have found
    holding, done = threading.Event(), []

    def other():  # another process's measurement (a lock file's lock is one holder's, thread or process)
        with frontend.Cache(tmp_path).computing(key):
            holding.set()
            threading.Event().wait(0.5)
            frontend.Cache(tmp_path).put(key, theirs)
        done.append(True)

    t = threading.Thread(target=other)
    t.start()
    holding.wait(10)
    frontend._TEST_FEATURES.clear()
    got = frontend.measure([counted], None, split, split, 20, cache=frontend.Cache(tmp_path), draws=1)
    t.join()
    assert done and got[0] == theirs and not calls  # waited for it, read it, measured nothing
