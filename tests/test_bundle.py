import json
import pickle

import numpy as np
import pytest
import torch

import explorer
from explorer.bundles import bundle
from explorer import data
from explorer.bundles.bundle import BundleError, Latents, Model
from explorer.models import ModelConfig, build

from .conftest import require_dataset

SHIPPED = ["mnist156-ae-2d", "mnist-ae-2d", "mnist-vae-2d"]


def small_bundle(path, kind="vae", latent_dim=2, weights_dtype="float32"):
    torch.manual_seed(0)
    net = build(ModelConfig(kind=kind, latent_dim=latent_dim, hidden=[32, 16]))
    bundle.round_weights(net, weights_dtype)
    n = 60
    latents = Latents(codes=np.random.default_rng(0).normal(size=(n, latent_dim)).astype(np.float32),
                      labels=np.arange(n) % 3, index=np.arange(n) * 2,
                      recon_error=np.linspace(0, 1, n).astype(np.float32))
    config = {"name": "tiny", "dataset": "mnist", "classes": [0, 1, 2], "metrics": {"test_mse": 0.5}}
    bundle.save(net, path, config, latents, weights_dtype=weights_dtype)
    return net, latents


@pytest.mark.parametrize("weights_dtype", ["float32", "float16"])
def test_round_trip_keeps_every_tensor(tmp_path, weights_dtype):
    net, latents = small_bundle(tmp_path / "b", weights_dtype=weights_dtype)
    m = bundle.load(tmp_path / "b")
    saved, loaded = net.state_dict(), m.net.state_dict()
    assert saved.keys() == loaded.keys()
    for k in saved:
        assert torch.equal(saved[k], loaded[k]), k
    for k, v in latents.arrays().items():
        np.testing.assert_array_equal(getattr(m.latents, k), v)
    assert (m.kind, m.latent_dim, m.dataset, m.classes) == ("vae", 2, "mnist", [0, 1, 2])
    assert m.config["metrics"] == {"test_mse": 0.5}


def test_save_replaces_atomically(tmp_path):
    small_bundle(tmp_path / "b", kind="ae")
    small_bundle(tmp_path / "b", kind="vae")
    assert bundle.load(tmp_path / "b").kind == "vae"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b"]  # no temporary folders left


class Boom:
    """Unpickling this would create a file: proof that code ran."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


@pytest.mark.parametrize("writer", ["torch", "pickle"])
def test_pickled_weights_are_refused_without_running(tmp_path, writer):
    small_bundle(tmp_path / "b")
    marker = tmp_path / "code-ran"
    weights = tmp_path / "b" / bundle.WEIGHTS_FILE
    if writer == "torch":
        torch.save({"encoder.net.0.weight": Boom(str(marker))}, weights)
    else:
        weights.write_bytes(pickle.dumps(Boom(str(marker))))
    with pytest.raises(BundleError, match="pickle"):
        bundle.load(tmp_path / "b")
    assert not marker.exists()


def test_corrupt_and_truncated_weights(tmp_path):
    small_bundle(tmp_path / "b")
    weights = tmp_path / "b" / bundle.WEIGHTS_FILE
    good = weights.read_bytes()
    weights.write_bytes(good[: len(good) // 2])
    with pytest.raises(BundleError, match="weights.safetensors"):
        bundle.load(tmp_path / "b")
    weights.write_bytes(np.random.default_rng(0).bytes(1000))
    with pytest.raises(BundleError, match="not a safetensors file"):
        bundle.load(tmp_path / "b")


def test_weights_that_do_not_fit_the_config(tmp_path):
    small_bundle(tmp_path / "b", latent_dim=2)
    cfg_file = tmp_path / "b" / bundle.CONFIG_FILE
    cfg = json.loads(cfg_file.read_text())
    cfg["model"]["latent_dim"] = 3
    cfg_file.write_text(json.dumps(cfg))
    with pytest.raises(BundleError, match="does not match the architecture"):
        bundle.load(tmp_path / "b")


def test_bad_config(tmp_path):
    small_bundle(tmp_path / "b")
    cfg_file = tmp_path / "b" / bundle.CONFIG_FILE
    good = json.loads(cfg_file.read_text())
    cfg_file.write_text("{not json")
    with pytest.raises(BundleError, match="not valid JSON"):
        bundle.load(tmp_path / "b")
    for change, message in [({"model": {**good["model"], "kind": "gan"}}, "'model' is invalid"),
                            ({"metrics": "good"}, "'metrics' must be an object"),
                            ({"classes": [1, 12]}, "classes")]:
        cfg_file.write_text(json.dumps({**good, **change}))
        with pytest.raises(BundleError, match=message):
            bundle.load(tmp_path / "b")
    cfg_file.unlink()
    with pytest.raises(BundleError, match="missing"):
        bundle.load(tmp_path / "b")


def test_inconsistent_latents(tmp_path):
    small_bundle(tmp_path / "b")
    from safetensors.torch import save_file
    save_file({"codes": torch.zeros(5, 2), "labels": torch.zeros(4, dtype=torch.int64),
               "index": torch.zeros(5, dtype=torch.int64), "recon_error": torch.zeros(5)},
              str(tmp_path / "b" / bundle.LATENTS_FILE))
    with pytest.raises(BundleError, match="codes has shape"):
        bundle.load(tmp_path / "b")


def test_unknown_name_lists_known_ones():
    with pytest.raises(BundleError, match="Known bundles:.*mnist-vae-2d"):
        explorer.load_model("no-such-model")


def test_shipped_bundles_are_listed():
    assert set(SHIPPED) <= set(explorer.list_pretrained())


@pytest.mark.parametrize("name", explorer.list_pretrained())
def test_shipped_bundle_api(name):
    m = explorer.load_model(name)
    k = m.latent_dim
    assert isinstance(m, Model) and k == m.config["model"]["latent_dim"] and m.dataset in data.DATASETS
    # a model that takes labels is given each image's (and refuses to go without)
    given = {"labels": m.latents.labels[:16]} if "labels" in m.kind_info.offers else {}
    if given:
        with pytest.raises(ValueError, match="labels"):
            m.decode(m.latents.codes[:16])
    # 16 digits as uint8 images, made by the model's own decoder (inputs only: no dataset needed)
    images = np.round(m.decode(m.latents.codes[:16], **given) * 255).astype(np.uint8)
    z = m.encode(images, **given)
    assert z.shape == (16, k) and z.dtype == np.float32
    np.testing.assert_allclose(m.encode(images.astype(np.float32) / 255, **given), z, rtol=1e-5, atol=1e-5)
    out = m.decode(z, **given)
    assert out.shape == (16, 28, 28) and out.dtype == np.float32 and 0 <= out.min() <= out.max() <= 1
    if m.kind_info.has_posterior:
        mean, log_var = m.posterior(images, **given)
        np.testing.assert_allclose(mean, z, rtol=1e-5, atol=1e-6)
        assert log_var.shape == (16, k)
    else:
        with pytest.raises(TypeError, match="no posterior"):
            m.posterior(images)


@pytest.mark.parametrize("name", explorer.list_pretrained())
def test_stored_codes_are_the_models_codes_of_the_test_images(name, data_dir):
    m = explorer.load_model(name)
    require_dataset(m.dataset, data_dir)
    test = data.load(m.dataset, "test", data_dir)
    lat = m.latents
    rows = np.arange(min(16, len(lat.index)))  # a bundle may keep the codes of some test images only
    given = {"labels": lat.labels[rows]} if "labels" in m.kind_info.offers else {}
    np.testing.assert_allclose(lat.codes[rows], m.encode(test.images[lat.index[rows]], **given), atol=1e-4)


def test_maps_are_stored_and_loaded(tmp_path):
    _, latents = small_bundle(tmp_path / "b")
    xy = np.random.default_rng(1).normal(size=(len(latents.codes), 2)).astype(np.float32)
    latents = latents.with_maps({"tsne": xy})
    bundle.save_latents(tmp_path / "b", latents)
    m = bundle.load(tmp_path / "b")
    assert m.has_map("tsne")
    np.testing.assert_array_equal(m.map("tsne").xy, xy)
    np.testing.assert_array_equal(m.latents.maps["tsne"], xy)


def test_latents_are_immutable(tmp_path):
    _, latents = small_bundle(tmp_path / "b")
    m = bundle.load(tmp_path / "b")
    for lat in (latents, m.latents):
        with pytest.raises(ValueError):
            lat.codes[0, 0] = 1.0
        with pytest.raises(TypeError):
            lat.maps["tsne"] = np.zeros((len(lat.codes), 2), np.float32)
        with pytest.raises(AttributeError):
            lat.codes = lat.codes
    xy = np.zeros((len(latents.codes), 2), np.float32)
    added = latents.with_maps({"tsne": xy})
    assert "tsne" in added.maps and "tsne" not in latents.maps


def test_rows_of_finds_test_indices(tmp_path):
    _, latents = small_bundle(tmp_path / "b")
    np.testing.assert_array_equal(latents.rows_of([0, 10, 11, 118]), [0, 5, -1, 59])


def test_model_kinds_say_what_they_can_do():
    from explorer.models import KINDS

    assert KINDS["vae"].has_posterior and not KINDS["ae"].has_posterior
    assert all(k.title and k.note for k in KINDS.values())
