"""Commands never destroy what they did not make: every place a command writes is
checked before any data is read, a folder that is not a bundle and a file are never replaced, a
failed write keeps what was computed, bad option values are refused with a message, and damaged
PCA and classifier files are named errors rather than "not installed"."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from explorer.bundles import bundle, metrics
from explorer.baselines import classifier, pca
from explorer import data, models
from explorer.files import outputs
from explorer.models import train
from explorer.bundles import evaluate as evaluate_cmd
from explorer.baselines.classifier import __main__ as classifier_cmd
from explorer.baselines.pca import __main__ as pca_cmd

ROOT = Path(__file__).resolve().parent.parent
TINY = ["--digits", "0,1", "--hidden", "16", "--epochs", "1", "--train-limit", "300", "--skip-tsne",
        "--replay", "0", "--quiet", "--threads", "2"]  # 2: as conftest sets; main sets torch's threads


@pytest.fixture
def no_data(monkeypatch):
    """Fail any test that reads a dataset: the commands must refuse before that."""
    def refuse(*args, **kwargs):
        raise AssertionError("the data was read before the outputs and options were checked")

    monkeypatch.setattr(data, "load", refuse)


def chmod_blocks_writes(folder: Path) -> bool:
    """Whether a folder made read-only really stops this process writing (not for root)."""
    try:
        (folder / ".probe").write_text("")
    except OSError:
        return True
    (folder / ".probe").unlink()
    return False


def unwritable_places(tmp_path: Path) -> dict[str, Path]:
    """Folders in which nothing can be created, each with how: under a file (always), under
    /proc (where even root cannot create files), and a read-only folder (not for root)."""
    (tmp_path / "a-file").write_text("keep me")
    places = {"under a file": tmp_path / "a-file" / "inside"}
    if Path("/proc/self").is_dir():
        places["under /proc"] = Path("/proc/latent-explorer-test")
    ro = tmp_path / "read-only"
    ro.mkdir()
    ro.chmod(0o500)
    if chmod_blocks_writes(ro):
        places["read-only folder"] = ro / "inside"
    return places


PLACES = ["under a file", "under /proc", "read-only folder"]


def place(tmp_path, how) -> Path:
    places = unwritable_places(tmp_path)
    if how not in places:
        pytest.skip(f"{how}: not unwritable here (running as root, chmod does not stop writes; or no /proc)")
    return places[how]


@pytest.fixture(scope="module")
def tiny_bundle(tmp_path_factory, images_dir) -> Path:
    """A real bundle from the training command, in seconds (300 images, one epoch)."""
    out = tmp_path_factory.mktemp("bundles") / "tiny"
    assert train.main([*TINY, "--data-dir", images_dir, "--out", str(out)]) == 0
    return out


# ---------------------------------------------------------------------------------------------
# train --out


def test_train_refuses_a_foreign_folder_before_reading_data(tmp_path, capsys):
    """Fails if train exits 0 having deleted the files of a folder it did not make."""
    foreign = tmp_path / "photos"
    foreign.mkdir()
    (foreign / "holiday.jpg").write_bytes(b"precious")
    (foreign / "config.json").write_text('{"not": "a bundle"}')
    empty_data = tmp_path / "no-data"
    empty_data.mkdir()
    assert train.main([*TINY, "--data-dir", str(empty_data), "--out", str(foreign)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --out: ") and "not a bundle" in err and "Traceback" not in err
    assert "mnist" not in err  # about the output, not the (absent) data: it was never looked for
    assert sorted(p.name for p in foreign.iterdir()) == ["config.json", "holiday.jpg"]
    assert (foreign / "holiday.jpg").read_bytes() == b"precious"


def test_train_refuses_a_file(tmp_path, capsys, no_data):
    """Fails if the file is renamed away (to a hidden .NAME.old) and a bundle put in its place."""
    target = tmp_path / "notes.txt"
    target.write_text("keep me")
    assert train.main([*TINY, "--out", str(target)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --out: ") and "is a file" in err
    assert target.read_text() == "keep me" and sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


@pytest.mark.parametrize("how", PLACES)
def test_train_refuses_an_unwritable_place_before_reading_data(tmp_path, capsys, no_data, how):
    """Fails if the model is trained and measured before the place is found unwritable (and lost)."""
    out = place(tmp_path, how) / "bundle"
    assert train.main([*TINY, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --out: ") and "Traceback" not in err
    assert (tmp_path / "a-file").read_text() == "keep me"


def test_train_replaces_an_existing_bundle(tmp_path, tiny_bundle, images_dir, capsys):
    """A bundle is recognised and replaced; nothing is left beside it, not even a stranger's
    ``.NAME.old`` (old code deleted that one)."""
    out = tmp_path / "tiny"
    shutil.copytree(tiny_bundle, out)
    stranger = tmp_path / ".tiny.old"
    stranger.mkdir()
    (stranger / "mine.txt").write_text("not the command's")
    assert outputs.is_bundle(out)
    assert train.main([*TINY, "--seed", "7", "--data-dir", images_dir, "--out", str(out)]) == 0
    assert "wrote" in capsys.readouterr().out
    m = bundle.load(out)
    assert m.config["training"]["seed"] == 7
    assert sorted(p.name for p in tmp_path.iterdir()) == [".tiny.old", "tiny"]
    assert (stranger / "mine.txt").read_text() == "not the command's"


def test_train_accepts_an_empty_folder(tmp_path, no_data):
    (tmp_path / "empty").mkdir()
    args = train.build_parser().parse_args([*TINY, "--out", str(tmp_path / "empty")])
    assert train.output_problem(args.out) is None


# ---------------------------------------------------------------------------------------------
# bundle.save itself


def tiny_net():
    torch.manual_seed(0)
    return models.build(models.ModelConfig(hidden=[8]))


def test_bundle_save_refuses_to_replace_a_non_bundle(tmp_path):
    foreign = tmp_path / "stuff"
    foreign.mkdir()
    (foreign / "a.txt").write_text("keep")
    (tmp_path / "file").write_text("keep")
    config = {"name": "t", "dataset": "mnist", "classes": [0, 1]}
    for target in (foreign, tmp_path / "file"):
        with pytest.raises(bundle.BundleError, match="refusing to replace"):
            bundle.save(tiny_net(), target, config)
    assert (foreign / "a.txt").read_text() == "keep" and (tmp_path / "file").read_text() == "keep"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file", "stuff"]  # no temporary folders left


def test_bundle_save_puts_the_old_bundle_back_when_the_new_one_cannot_arrive(tmp_path, monkeypatch):
    config = {"name": "t", "dataset": "mnist", "classes": [0, 1]}
    bundle.save(tiny_net(), tmp_path / "b", config)
    before = (tmp_path / "b" / "config.json").read_text()
    real_rename = Path.rename

    def failing_rename(self, target):  # the new bundle's temporary folder cannot take the name
        if Path(target) == tmp_path / "b" and not self.name.endswith(".old"):
            raise OSError(28, "No space left on device")
        return real_rename(self, target)

    monkeypatch.setattr(Path, "rename", failing_rename)
    with pytest.raises(OSError):
        bundle.save(tiny_net(), tmp_path / "b", {**config, "name": "new"})
    assert (tmp_path / "b" / "config.json").read_text() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b"]


# ---------------------------------------------------------------------------------------------
# evaluate --write


FIGURES = {"n_test": 2115, "test_mse": 0.123456, "test_bce": 98.765432}


def test_evaluate_write_failure_prints_the_figures_and_says_why(tmp_path, tiny_bundle, images_dir, capsys,
                                                                 monkeypatch):
    """Fails if the figures are measured and then lost to a traceback from the write."""
    monkeypatch.setattr(metrics, "evaluate", lambda *a, **k: dict(FIGURES))  # measuring is tested elsewhere

    def read_only(path, **fields):
        raise PermissionError(13, "Permission denied", str(Path(path) / "config.json"))

    monkeypatch.setattr(bundle, "update_config", read_only)
    before = (tiny_bundle / "config.json").read_text()
    saved = tmp_path / "figures.json"
    rc = evaluate_cmd.main([str(tiny_bundle), "--data-dir", images_dir, "--write", "--metrics-out", str(saved)])
    out, err = capsys.readouterr()
    assert rc == 1
    assert "0.1235" in out and "98.7654" in out  # the figures were printed before writing
    assert err.startswith("error: could not store the metrics in ") and "Permission denied" in err
    assert "Traceback" not in err
    assert json.loads(saved.read_text()) == FIGURES  # and kept where it could be written
    assert (tiny_bundle / "config.json").read_text() == before


def test_evaluate_write_on_a_read_only_bundle_fails_before_measuring(tmp_path, tiny_bundle, capsys, no_data):
    ro = tmp_path / "ro"
    shutil.copytree(tiny_bundle, ro)
    ro.chmod(0o500)
    try:
        if not chmod_blocks_writes(ro):
            pytest.skip("running as root: chmod does not stop writes (the write failure itself is tested above)")
        assert evaluate_cmd.main([str(ro), "--write"]) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"error: {ro}: nothing can be written in it") and "nothing was measured" in err
    finally:
        ro.chmod(0o755)


@pytest.mark.parametrize("how", PLACES)
def test_evaluate_metrics_out_to_an_unwritable_place_fails_before_measuring(tmp_path, tiny_bundle, capsys,
                                                                             no_data, how):
    target = place(tmp_path, how) / "figures.json"
    assert evaluate_cmd.main([str(tiny_bundle), "--metrics-out", str(target)]) == 2
    assert capsys.readouterr().err.startswith("error: ")


# ---------------------------------------------------------------------------------------------
# pca and classifier commands


@pytest.mark.parametrize("how", PLACES)
def test_pca_and_classifier_commands_refuse_an_unwritable_folder(tmp_path, capsys, no_data, how):
    out = place(tmp_path, how)
    assert pca_cmd.main(["--out", str(out)]) == 2
    assert capsys.readouterr().err.startswith("error: --out: ")
    assert classifier_cmd.main(["--out", str(out)]) == 2
    assert capsys.readouterr().err.startswith("error: --out: ")


def test_pca_command_writes_its_file_and_touches_nothing_else(tmp_path, images_dir, capsys):
    out = tmp_path / "pca"
    out.mkdir()
    (out / "mnist.safetensors.tmp").write_text("someone else's")  # old code wrote over this name
    assert pca_cmd.main(["--out", str(out), "--components", "4", "--data-dir", images_dir]) == 0
    assert "k =  4: test MSE" in capsys.readouterr().out
    assert sorted(p.name for p in out.iterdir()) == ["mnist.safetensors", "mnist.safetensors.tmp"]
    assert (out / "mnist.safetensors.tmp").read_text() == "someone else's"
    assert pca.load("mnist", out).size == 4


def test_classifier_save_touches_nothing_else(tmp_path):
    (tmp_path / "mnist.json.tmp").write_text("someone else's")
    clf = classifier.Classifier(classifier.network(), {"dataset": "mnist", "hidden": classifier.HIDDEN})
    classifier.save(clf, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mnist.json", "mnist.json.tmp", "mnist.safetensors"]
    assert (tmp_path / "mnist.json.tmp").read_text() == "someone else's"
    assert classifier.load("mnist", tmp_path) is not None


# ---------------------------------------------------------------------------------------------
# option values


@pytest.mark.parametrize("option, says", [
    (["--seed", "100000000000000000000000"], "--seed must be between 0 and"),
    (["--seed", "-1"], "--seed must be between 0 and"),
    (["--hidden", "100000000"], "hidden sizes must be between 1 and 65,536"),
    (["--hidden", "4000,4000,4000"], "parameters; at most 20,000,000"),
    (["--backbone", "conv", "--hidden", "4096,4096"], "parameters; at most 20,000,000"),
    (["--latent-dim", "100000000"], "latent_dim"),
    (["--data-dir", "/nonexistent"], "--data-dir /nonexistent: no such folder"),
    (["--kind", "ae", "--beta", "2"], "--beta weighs a VAE's KL term"),
    (["--kind", "vae", "--recon", "mse"], "--recon mse"),
])
def test_bad_values_are_refused_before_any_work(tmp_path, capsys, no_data, option, says):
    """Fails on a traceback for a bad seed or size, or on a missing --data-dir ignored."""
    assert train.main([*TINY, *option, "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and says in err and "Traceback" not in err
    assert not (tmp_path / "x").exists()


def test_a_data_dir_that_is_a_file_is_refused_by_every_command(tmp_path, capsys, no_data):
    (tmp_path / "f").write_text("")
    for main in (train.main, pca_cmd.main, classifier_cmd.main):
        assert main(["--out", str(tmp_path / "x"), "--data-dir", str(tmp_path / "f")]) == 2
        assert "is a file, not a folder" in capsys.readouterr().err
    assert evaluate_cmd.main(["mnist-ae-2d", "--data-dir", str(tmp_path / "f")]) == 2
    assert "is a file, not a folder" in capsys.readouterr().err


def test_the_largest_shipped_recipe_is_under_the_cap():
    cfg = models.ModelConfig(kind="vae", hidden=[1024, 512, 256])
    assert train.parameter_count(cfg) == sum(p.numel() for p in models.build(cfg).parameters())
    assert train.parameter_count(cfg) < train.MAX_PARAMETERS


def test_a_kind_registered_in_the_models_is_offered_and_asked(tmp_path, monkeypatch):
    """train.py takes its kinds, their options and their rules from the registry: a kind that
    declares a hyperparameter gets its option, range and place in the bundle with no edit there.
    Fails if an option is hard-wired to a kind."""
    class Toy(models.VariationalAutoencoder):
        title = "toy"
        hyperparameters = (models.Hyperparameter("sharpness", 3.0, "sharpens a toy", "nobody 2026", low=1.0),)

        def loss(self, x, recon="bce", generator=None, target=None, sharpness=3.0, posterior=None):
            out = super().loss(x, recon, generator, target, posterior=posterior)
            return {**out, "loss": out["loss"] * sharpness}

    monkeypatch.setitem(models.KINDS, "toy", Toy)
    parse = lambda *a: train.build_parser().parse_args(["--kind", "toy", *a, "--out", str(tmp_path / "x")])  # noqa: E731
    assert train.check_options(parse("--sharpness", "2")) is None
    assert train.hyperparameters_of(parse("--sharpness", "2"), Toy) == {"sharpness": 2.0}
    assert train.hyperparameters_of(parse(), Toy) == {"sharpness": 3.0}
    assert "--sharpness must be at least 1 (got 0.5)" in train.check_options(parse("--sharpness", "0.5"))
    assert "--beta weighs a VAE's KL term" in train.check_options(parse("--beta", "2"))  # not the toy's
    args = train.build_parser().parse_args(["--kind", "ae", "--sharpness", "2", "--out", str(tmp_path / "x")])
    assert "--sharpness sharpens a toy; the autoencoder (AE) has none" in train.check_options(args)


# ---------------------------------------------------------------------------------------------
# damaged PCA and classifier files


def test_a_damaged_pca_file_is_a_named_error(tmp_path):
    assert pca.load("mnist", tmp_path) is None  # absent: none installed
    (tmp_path / "mnist.safetensors").write_bytes(b"not safetensors")
    with pytest.raises(pca.PCAError, match=r"mnist\.safetensors: not a readable safetensors file"):
        pca.load("mnist", tmp_path)
    from safetensors.torch import save_file

    save_file({"mean": torch.zeros(784), "components": torch.zeros(3, 10), "variance": torch.zeros(3)},
              str(tmp_path / "mnist.safetensors"))
    with pytest.raises(pca.PCAError, match="wrong shapes"):
        pca.load("mnist", tmp_path)


def test_a_damaged_classifier_is_a_named_error_and_the_page_says_so(tmp_path):
    assert classifier.load("mnist", tmp_path) is None
    assert classifier.problem("mnist", tmp_path).startswith("not installed")
    (tmp_path / "mnist.safetensors").write_bytes(b"not safetensors")
    with pytest.raises(classifier.ClassifierError, match=r"mnist\.json: missing"):
        classifier.load("mnist", tmp_path)
    (tmp_path / "mnist.json").write_text("{}")
    with pytest.raises(classifier.ClassifierError, match=r"mnist\.safetensors: not a readable safetensors"):
        classifier.load("mnist", tmp_path)
    assert classifier.problem("mnist", tmp_path).startswith(f"damaged: {tmp_path / 'mnist.safetensors'}")
    (tmp_path / "mnist.json").write_text("[1, 2]")
    with pytest.raises(classifier.ClassifierError, match=r"mnist\.json: expected a JSON object"):
        classifier.load("mnist", tmp_path)
    assert classifier.problem("mnist") is None  # the shipped one loads


# ---------------------------------------------------------------------------------------------
# library and commands


def command_imports(folder: str) -> list[str]:
    """Lines under ``folder`` that import a command's module (evaluate, train) rather than the library."""
    offenders = []
    for f in (ROOT / folder).rglob("*.py"):
        for line in f.read_text().splitlines():
            words = line.replace(",", " ").split()
            if words[:1] in (["from"], ["import"]) and any(w in ("evaluate", "explorer.bundles.evaluate", "train",
                                                                "explorer.models.train") for w in words):
                offenders.append(f"{f.relative_to(ROOT)}: {line.strip()}")
    return offenders


def test_pages_import_no_command_module():
    """Pages ask the library (metrics, pca, classifier), never a command's module."""
    assert command_imports("views") == []


def test_ui_imports_no_command_module():
    assert command_imports("ui") == []


@pytest.mark.parametrize("module", ["explorer.train", "explorer.evaluate", "explorer.fetch", "explorer.maps",
                                    "explorer.pca", "explorer.classifier", "explorer.onnx_import",
                                    "explorer.onnx_export"])
def test_the_commands_scripts_know_still_run(module):
    """Every `python -m explorer.NAME` that scripts and the docs use answers under that name,
    wherever its code now lives in the library's subpackages."""
    got = subprocess.run([sys.executable, "-m", module, "--help"], cwd=ROOT, capture_output=True, text=True,
                         timeout=120)
    assert got.returncode == 0 and got.stdout.startswith(f"usage: python -m {module}")
