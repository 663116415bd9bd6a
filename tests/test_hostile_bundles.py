"""A stranger's bundle is data that can only fail cleanly: every malformed config,
weights or latents file is a BundleError naming the file and the field, nothing is allocated
before the sizes are checked, a bundle is known by its folder, a failure is remembered per
version of the files, and one bad bundle in --models-dir never breaks a page."""

import json
import os
import shutil

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file
from streamlit.testing.v1 import AppTest

from explorer.bundles import bundle, catalog
from explorer.files import safe as safefiles
from explorer.bundles.bundle import BundleError, Latents
from explorer.models import ModelConfig, build

from .conftest import ROOT

SOURCE = bundle.PRETRAINED_DIR / "mnist-vae-2d"  # small enough to copy: 2.4 MB


def tiny(path, classes=(0, 1, 2), n=60):
    """A small, valid bundle of our own making (a 784-32-16-2 VAE, 60 test codes)."""
    torch.manual_seed(0)
    net = build(ModelConfig(kind="vae", latent_dim=2, hidden=[32, 16]))
    lat = Latents(codes=np.random.default_rng(0).normal(size=(n, 2)).astype(np.float32),
                  labels=np.arange(n) % len(classes) + min(classes), index=np.arange(n) * 2,
                  recon_error=np.linspace(0, 1, n).astype(np.float32))
    bundle.save(net, path, {"dataset": "mnist", "classes": list(classes), "metrics": {"test_mse": 0.5}},
                lat, weights_dtype="float32")
    return path


def edit_config(path, **fields):
    file = path / bundle.CONFIG_FILE
    cfg = json.loads(file.read_text())
    cfg.update(fields)
    file.write_text(json.dumps(cfg))


def edit_latents(path, **arrays):
    file = path / bundle.LATENTS_FILE
    current = load_file(str(file))
    current.update({k: torch.as_tensor(v) for k, v in arrays.items()})
    save_file(current, str(file))


# --- config.json ---------------------------------------------------------------------------

@pytest.mark.parametrize("fields, field", [
    ({"format_version": "2"}, "format_version"),
    ({"format_version": 1.0}, "format_version"),
    ({"format_version": True}, "format_version"),
    ({"dataset": ["mnist"]}, "dataset"),
    ({"dataset": "cifar"}, "dataset"),
    ({"classes": "0,1,2"}, "classes"),
    ({"classes": [0, 0, 1]}, "classes"),
    ({"classes": [0, True]}, "classes"),
    ({"classes": [0, 1, 99]}, "classes"),
    ({"weights_dtype": "int8"}, "weights_dtype"),
    ({"metrics": {"test_mse": "0.01"}}, "test_mse"),
    ({"metrics": {"test_mse": 1e400}}, "not valid JSON"),  # Infinity is not JSON
    ({"metrics": {"class_middles_by_map": {"direct": 1.5}}}, "class_middles_by_map"),
    ({"name": ["x"]}, "'name'"),
    ({"training": "fast"}, "'training'"),
])
def test_a_malformed_config_value_is_a_bundle_error_naming_the_field(tmp_path, fields, field):
    tiny(tmp_path / "b")
    file = tmp_path / "b" / bundle.CONFIG_FILE
    cfg = {**json.loads(file.read_text()), **fields}
    file.write_text(json.dumps(cfg, allow_nan=True).replace("inf", "Infinity"))
    with pytest.raises(BundleError, match=field) as e:
        bundle.load(tmp_path / "b")
    assert str(file) in str(e.value)


@pytest.mark.parametrize("missing", ["format_version", "dataset", "classes", "model", "weights_dtype", "metrics"])
def test_a_config_must_be_complete(tmp_path, missing):
    tiny(tmp_path / "b")
    file = tmp_path / "b" / bundle.CONFIG_FILE
    cfg = json.loads(file.read_text())
    del cfg[missing]
    file.write_text(json.dumps(cfg))
    with pytest.raises(BundleError, match=f"missing the field '{missing}'"):
        bundle.load(tmp_path / "b")


@pytest.mark.parametrize("field", ["kind", "backbone", "latent_dim", "hidden", "activation"])
def test_the_model_description_is_not_filled_in_from_defaults(tmp_path, field):
    tiny(tmp_path / "b")
    cfg = json.loads((tmp_path / "b" / bundle.CONFIG_FILE).read_text())
    del cfg["model"][field]
    edit_config(tmp_path / "b", model=cfg["model"])
    with pytest.raises(BundleError, match=f"missing fields \\['{field}'\\]"):
        bundle.load(tmp_path / "b")
    with pytest.raises(ValueError, match="missing"):
        ModelConfig.from_dict(cfg["model"])


@pytest.mark.parametrize("model, why", [
    ({"latent_dim": "2"}, "latent_dim must be a int"),
    ({"latent_dim": 2.0}, "latent_dim must be a int"),
    ({"hidden": [32, "16"]}, "hidden must be"),
    ({"hidden": [1] * 17}, "hidden must be"),
    ({"hidden": 32}, "hidden must be a list"),
    ({"kind": "cvae", "backbone": "conv", "hidden": [8, 16]}, r"backbone='conv', expected one of \['mlp'\] for kind 'cvae'"),
])
def test_model_fields_of_the_wrong_type(tmp_path, model, why):
    tiny(tmp_path / "b")
    cfg = json.loads((tmp_path / "b" / bundle.CONFIG_FILE).read_text())
    edit_config(tmp_path / "b", model={**cfg["model"], **model})
    with pytest.raises(BundleError, match=why):
        bundle.load(tmp_path / "b")


def test_json_nested_100000_deep_is_refused_without_recursing(tmp_path):
    tiny(tmp_path / "b")
    (tmp_path / "b" / bundle.CONFIG_FILE).write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(BundleError, match="nested too deeply"):
        bundle.load(tmp_path / "b")
    deep = {"a": 1}
    for _ in range(40):
        deep = {"a": deep}
    tiny(tmp_path / "c")
    edit_config(tmp_path / "c", training=deep)  # parses, but deeper than any config of ours
    with pytest.raises(BundleError, match="nested too deeply"):
        bundle.load(tmp_path / "c")


def test_an_oversized_config_is_not_read(tmp_path):
    tiny(tmp_path / "b")
    edit_config(tmp_path / "b", training={"pad": "x" * (safefiles.MAX_JSON_BYTES + 1)})
    with pytest.raises(BundleError, match="at most"):
        bundle.load(tmp_path / "b")


# --- the network's size and the weights ----------------------------------------------------

@pytest.mark.parametrize("hidden", [[65536, 65536], [20000, 20000]])
def test_a_huge_network_is_refused_before_anything_is_built_or_read(tmp_path, monkeypatch, hidden):
    """The 5 MB bundle with hidden [20000, 20000] used to cost 3.4 GB and 14 s before it was refused."""
    tiny(tmp_path / "b")
    cfg = json.loads((tmp_path / "b" / bundle.CONFIG_FILE).read_text())
    edit_config(tmp_path / "b", model={**cfg["model"], "hidden": hidden})

    def no(*_a, **_k):
        raise AssertionError("allocated before the size was checked")

    monkeypatch.setattr(bundle, "build", no)  # the real network
    monkeypatch.setattr(bundle, "load_file", no)  # the weights
    with pytest.raises(BundleError, match=f"at most {bundle.MAX_PARAMETERS:,} are opened"):
        bundle.load(tmp_path / "b")


def test_weights_are_checked_against_the_header_for_names_shapes_and_dtype(tmp_path, monkeypatch):
    tiny(tmp_path / "b")
    file = tmp_path / "b" / bundle.WEIGHTS_FILE
    state = load_file(str(file))
    save_file({k: v.half() for k, v in state.items()}, str(file))  # the config says float32
    loaded = []
    monkeypatch.setattr(bundle, "load_file", lambda *a: loaded.append(a))
    with pytest.raises(BundleError, match="is F16, expected F32") as e:
        bundle.load(tmp_path / "b")
    assert str(file) in str(e.value) and not loaded


def test_a_header_that_lies_about_its_length_or_offsets_is_refused(tmp_path):
    tiny(tmp_path / "b")
    file = tmp_path / "b" / bundle.WEIGHTS_FILE
    raw = file.read_bytes()
    file.write_bytes((2**40).to_bytes(8, "little") + raw[8:])
    with pytest.raises(BundleError, match="not a safetensors file"):
        bundle.load(tmp_path / "b")
    n = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8:8 + n])
    first = next(k for k in header if k != "__metadata__")
    header[first]["data_offsets"][1] += 4  # claims 4 bytes more than its shape holds
    text = json.dumps(header).encode()
    file.write_bytes(len(text).to_bytes(8, "little") + text + raw[8 + n:])
    with pytest.raises(BundleError, match="described inconsistently"):
        bundle.load(tmp_path / "b")


# --- latents --------------------------------------------------------------------------------

@pytest.mark.parametrize("arrays, why", [
    ({"codes": torch.full((60, 2), float("nan"))}, "'codes' holds non-finite"),
    ({"labels": torch.full((60,), 99, dtype=torch.int64)}, "'labels' holds 99"),
    ({"labels": torch.full((60,), 7, dtype=torch.int64)}, "not among the bundle's classes"),
    ({"index": torch.full((60,), 10**9, dtype=torch.int64)}, "outside the test split"),
    ({"index": torch.full((60,), -1, dtype=torch.int64)}, "outside the test split"),
    ({"index": torch.zeros(60, dtype=torch.int64)}, "names a test image twice"),
    ({"map_tsne": torch.full((60, 2), float("inf"))}, "'map_tsne' holds non-finite"),
    ({"codes": torch.zeros(60, 2, dtype=torch.float64)}, "codes is F64"),
])
def test_latents_are_checked(tmp_path, arrays, why):
    tiny(tmp_path / "b")
    edit_latents(tmp_path / "b", **arrays)
    with pytest.raises(BundleError, match=why) as e:
        bundle.load(tmp_path / "b")
    assert str(tmp_path / "b" / bundle.LATENTS_FILE) in str(e.value)


def test_more_latents_than_test_images_are_refused_unread(tmp_path):
    tiny(tmp_path / "b")
    n = 10_001
    save_file({"codes": torch.zeros(n, 2), "labels": torch.zeros(n, dtype=torch.int64),
               "index": torch.arange(n), "recon_error": torch.zeros(n)}, str(tmp_path / "b" / bundle.LATENTS_FILE))
    with pytest.raises(BundleError, match="at most 10,000"):
        bundle.load(tmp_path / "b")


# --- names, versions, the catalog ----------------------------------------------------------

def test_a_bundle_is_known_by_its_folder_and_cannot_pose_as_another(tmp_path, monkeypatch):
    models = tmp_path / "models"
    tiny(models / "mine")
    edit_config(models / "mine", name="mnist-vae-2d")
    monkeypatch.setenv("EXPLORER_MODELS_DIR", str(models))
    with pytest.raises(BundleError, match="the name of the bundle at .*pretrained/mnist-vae-2d") as e:
        catalog.load_model("mine")
    assert "mine" in str(e.value)
    cat = catalog.BundleCatalog.from_dirs(catalog.pretrained_dirs(), "mnist-vae-2d")
    assert cat.model("mnist-vae-2d").path == SOURCE  # the shipped one, untouched
    with pytest.raises(Exception, match="mnist-vae-2d"):
        cat.model("mine")
    assert "mine" in cat.problems()
    # a name that is nobody else's is not an identity: the folder's name is shown
    edit_config(models / "mine", name="something-else")
    assert catalog.load_model("mine").name == "mine"


def test_a_folder_whose_name_is_taken_is_refused_naming_both(tmp_path):
    shutil.copytree(SOURCE, tmp_path / "mnist-vae-2d")
    found, refused = catalog.scan([bundle.PRETRAINED_DIR, tmp_path])
    assert found["mnist-vae-2d"] == SOURCE
    assert str(tmp_path / "mnist-vae-2d") in refused["mnist-vae-2d"] and str(SOURCE) in refused["mnist-vae-2d"]
    cat = catalog.BundleCatalog.from_dirs([bundle.PRETRAINED_DIR, tmp_path], "mnist-vae-2d")
    assert "mnist-vae-2d" in cat.problems() and cat.model("mnist-vae-2d").path == SOURCE


def test_a_failure_is_remembered_per_version_of_the_files(tmp_path, monkeypatch):
    tiny(tmp_path / "b")
    edit_config(tmp_path / "b", format_version="2")
    calls = []
    real = catalog.load
    monkeypatch.setattr(catalog, "load", lambda p: calls.append(p) or real(p))
    for _ in range(3):
        with pytest.raises(BundleError, match="format_version"):
            catalog.open_bundle(tmp_path / "b")
    assert len(calls) == 1
    edit_config(tmp_path / "b", format_version=1)  # repaired: a new version is opened afresh
    assert catalog.open_bundle(tmp_path / "b").name == "b" and len(calls) == 2
    assert catalog.open_bundle(tmp_path / "b") is catalog.open_bundle(tmp_path / "b") and len(calls) == 2


def test_a_rewrite_that_keeps_the_modification_time_is_a_new_version(tmp_path):
    tiny(tmp_path / "b")
    file = tmp_path / "b" / bundle.WEIGHTS_FILE
    before, stat = catalog.version(tmp_path / "b"), file.stat()
    state = load_file(str(file))
    save_file({k: v + 1 for k, v in state.items()}, str(file))
    os.utime(file, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert file.stat().st_mtime_ns == stat.st_mtime_ns
    assert catalog.version(tmp_path / "b") != before


def hostile_models_dir(root):
    """One bundle for each way a stranger's file went wrong before, beside a good one."""
    root.mkdir()
    for name, change in [("fmt-string", {"format_version": "2"}), ("huge-net", None), ("deep-json", None),
                         ("nan-codes", None), ("poser", {"name": "mnist-vae-2d"}), ("good-copy", {})]:
        shutil.copytree(SOURCE, root / name)
        edit_config(root / name, **{"name": name, **(change or {})})
    cfg = json.loads((root / "huge-net" / bundle.CONFIG_FILE).read_text())
    edit_config(root / "huge-net", model={**cfg["model"], "hidden": [20000, 20000]})
    (root / "deep-json" / bundle.CONFIG_FILE).write_text("[" * 100_000 + "]" * 100_000)
    codes = load_file(str(root / "nan-codes" / bundle.LATENTS_FILE))["codes"]
    edit_latents(root / "nan-codes", codes=torch.full_like(codes, float("nan")))
    shutil.copytree(SOURCE, root / "mnist-vae-2d")  # the shipped name, taken
    return root


@pytest.mark.parametrize("path", [None, "replay", "generating", "beta", "clusters"])
def test_hostile_bundles_in_the_models_dir_break_no_page(tmp_path, monkeypatch, path):
    """Before: /replay raised TypeError for every user with one such bundle in --models-dir."""
    monkeypatch.setenv("EXPLORER_MODELS_DIR", str(hostile_models_dir(tmp_path / "models")))
    if path is None:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
        at.query_params["model"] = "good-copy"
    else:
        script = (f"import sys\nsys.path.insert(0, {str(ROOT)!r})\nimport app\nfrom views.lessons import LESSONS\n"
                  f"app.pages()\ndict((l.path, l.render) for l in LESSONS)[{path!r}]()")
        at = AppTest.from_string(script, default_timeout=120)
        if path == "replay":
            at.query_params["model"] = "good-copy"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    if path is None:
        assert at.header[0].value.startswith("good-copy")
        listed = lambda: [t.value for e in at.sidebar.expander if "cannot be opened" in e.label for t in e.text]
        # what can be told from the files alone is listed at once, each bundle once, with its reason
        assert sorted(t.split(":")[0] for t in listed()) == ["deep-json", "fmt-string", "huge-net", "mnist-vae-2d", "poser"]
        for name in ["fmt-string", "huge-net", "deep-json", "nan-codes", "poser"]:
            at.sidebar.selectbox(key="w_model").set_value(name).run()
            assert not at.exception
            errors = [e.value for e in at.error]
            assert len(errors) == 1 and name in errors[0], errors
            assert at.header[0].value.startswith("good-copy")
        assert len(listed()) == 6 and any(t.startswith("nan-codes:") and "non-finite" in t for t in listed())


@pytest.mark.parametrize("command", [["explorer.bundles.evaluate"], ["explorer.maps"]])
def test_the_commands_name_a_hostile_bundle_and_its_field_without_a_traceback(tmp_path, command):
    import subprocess
    import sys

    tiny(tmp_path / "b")
    edit_config(tmp_path / "b", format_version="2")
    done = subprocess.run([sys.executable, "-m", *command, str(tmp_path / "b")], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert f"{tmp_path / 'b' / bundle.CONFIG_FILE}: 'format_version' must be a number" in done.stderr


@pytest.mark.parametrize("target", ["fifo", "/dev/zero"])
@pytest.mark.parametrize("file", [bundle.CONFIG_FILE, bundle.WEIGHTS_FILE, bundle.LATENTS_FILE])
def test_a_file_that_is_no_regular_file_is_refused_without_reading(tmp_path, target, file):
    """A FIFO would block the reader for ever, /dev/zero never ends: both are refused unread."""
    tiny(tmp_path / "b")
    (tmp_path / "b" / file).unlink()
    if target == "fifo":
        os.mkfifo(tmp_path / "b" / file)
    else:
        (tmp_path / "b" / file).symlink_to(target)
    with pytest.raises(BundleError, match="not a regular file"):
        bundle.load(tmp_path / "b")
    assert "not a regular file" in catalog.check(tmp_path / "b")


@pytest.mark.parametrize("training, field", [({"seed": "x"}, "seed"), ({"beta": -1}, "beta"),
                                             ({"noise": "salt:3"}, "noise"), ({"recon": "l1"}, "recon"),
                                             ({"sparsity": 2.0}, "sparsity")])  # another kind's, set
def test_training_settings_that_commands_read_back_are_checked(tmp_path, training, field):
    tiny(tmp_path / "b")
    edit_config(tmp_path / "b", training=training)
    with pytest.raises(BundleError, match=f"'training' field '{field}'"):
        bundle.load(tmp_path / "b")


@pytest.mark.parametrize("hidden", [[100_000_000], [2**40, 2**40], [2**63]])
def test_widths_torch_cannot_lay_out_are_a_bundle_error(tmp_path, hidden):
    tiny(tmp_path / "b")
    cfg = json.loads((tmp_path / "b" / bundle.CONFIG_FILE).read_text())
    edit_config(tmp_path / "b", model={**cfg["model"], "hidden": hidden})
    with pytest.raises(BundleError, match="hidden sizes must be between 1 and 65,536"):
        catalog.load_model(tmp_path / "b")


def test_a_number_json_cannot_hold_is_refused_and_never_written(tmp_path):
    tiny(tmp_path / "b")
    file = tmp_path / "b" / bundle.CONFIG_FILE
    file.write_text(file.read_text().replace('"test_mse": 0.5', '"test_mse": 1e999'))
    with pytest.raises(BundleError, match="not a finite number"):
        bundle.load(tmp_path / "b")
    tiny(tmp_path / "c")
    with pytest.raises(ValueError):
        bundle.update_config(tmp_path / "c", metrics={"test_mse": float("nan")})
    assert bundle.load(tmp_path / "c").metrics == {"test_mse": 0.5}  # the bundle as it was


def test_more_stored_maps_than_any_bundle_has_are_refused(tmp_path):
    tiny(tmp_path / "b")
    edit_latents(tmp_path / "b", **{f"map_m{i}": torch.zeros(60, 2) for i in range(9)})
    with pytest.raises(BundleError, match="9 stored maps"):
        bundle.load(tmp_path / "b")


def test_a_folder_linked_under_another_name_is_its_own_bundle(tmp_path):
    shutil.copytree(bundle.PRETRAINED_DIR / "mnist-ae-2", tmp_path / "orig")
    edit_config(tmp_path / "orig", name="orig")
    (tmp_path / "alias").symlink_to(tmp_path / "orig")
    a, b = catalog.open_bundle(tmp_path / "orig"), catalog.open_bundle(tmp_path / "alias")
    assert (a.name, b.name) == ("orig", "alias")


def test_the_model_menu_describes_each_bundle_and_a_broken_one_in_words(tmp_path):
    from explorer.bundles import catalog

    found = catalog.find_bundles()
    assert catalog.description(found["mnist-ae-2"]) == "AE (512-256), 2-number code, MNIST"
    assert catalog.description(found["mnist156-ae-2d"]) == "AE (1024-512-256), 2-number code, MNIST 1, 5, 6 only"
    assert catalog.description(found["mnist-dae-16"]).startswith("AE (") and "denoising" in catalog.description(found["mnist-dae-16"])
    assert catalog.description(found["mnist-vae-2d-beta4"]).endswith("beta 4")
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.json").write_text('{"name": "broken", "model": 3}')
    assert catalog.description(broken) == "cannot be opened"
