"""Shared fixtures. Tests that need MNIST find it as the app does (EXPLORER_DATA_DIR, ...), with
../shared/data beside the checkout as a fallback for CI; where it is nowhere they try one download
(a fresh machine with network), and otherwise are skipped with the reason. Tests that need images
only as inputs (not MNIST's own figures) ask for ``images_dir`` instead: MNIST where it is here,
else a stand-in made from a shipped decoder, so they run on a machine without the dataset."""

import os
import tempfile
from pathlib import Path

import numpy as np
import pytest
import torch

from explorer import data

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"

torch.set_num_threads(min(2, os.cpu_count() or 1))
# models imported in the app during tests go to a folder of this run, not the user's own import folder
os.environ.setdefault("EXPLORER_IMPORT_DIR", tempfile.mkdtemp(prefix="latent-explorer-imported-"))


def _data_dir() -> str | None:
    env = os.environ.get(data.ENV_VAR)
    if env:
        return env
    return str(SHARED_DATA) if SHARED_DATA.is_dir() else None


_download_failed: list[str] = []


def find_or_fetch(name: str = "mnist") -> tuple[str | None, str | None]:
    """(data dir, None) once ``name`` is here, downloading it once if needed; else (None, why)."""
    d = _data_dir()
    if data.find_dataset(name, d) is not None:
        return d, None
    if not _download_failed:
        try:
            data.download(name, timeout=10)
            return d, None
        except data.DataError as e:
            _download_failed.append(" ".join(str(e).split("\n")[:2]).strip())
    return None, (f"{name} not found and not downloadable ({_download_failed[0]}): set "
                  f"{data.ENV_VAR} to a folder holding {name}/")


@pytest.fixture(scope="session")
def data_dir() -> str:
    d, why = find_or_fetch()
    if why:
        pytest.skip(why)
    return d


STAND_IN_DECODER = "mnist-ae-32"  # the shipped model that rebuilds test images most closely


def write_stand_in(folder: Path, seed: int = 0) -> Path:
    """An MNIST-shaped dataset in ``folder``: IDX files of 60,000 + 10,000 uint8 images and their
    labels. Test image i is the shipped decoder's image of its stored code of MNIST's test image
    i, under that image's label; the training images decode those codes moved by a fifth of their
    spread. Digits a model reads like MNIST's, reproducing none of MNIST's figures."""
    from explorer.bundles import bundle

    model = bundle.load(bundle.PRETRAINED_DIR / STAND_IN_DECODER)
    lat = model.latents
    n_test, n_train = 10_000, 60_000  # MNIST's splits, as data.load checks them
    codes = np.empty((n_test, lat.codes.shape[1]), np.float32)
    labels = np.empty(n_test, np.uint8)
    codes[lat.index], labels[lat.index] = lat.codes, lat.labels
    rng = np.random.default_rng(seed)
    rows = np.arange(n_train) % n_test
    moved = codes[rows] + 0.2 * codes.std(0) * rng.standard_normal((n_train, codes.shape[1]), np.float32)
    folder.mkdir(parents=True, exist_ok=True)
    for split, z, y in (("test", codes, labels), ("train", moved, labels[rows])):
        stem = "t10k" if split == "test" else "train"
        images = np.round(model.decode(z) * 255).astype(np.uint8)
        data.write_idx(folder / f"{stem}-images-idx3-ubyte", images)
        data.write_idx(folder / f"{stem}-labels-idx1-ubyte", y)
    return folder


@pytest.fixture
def pages_see_images(monkeypatch, images_dir):
    """Pages opened in this test show test images: MNIST's where it is here, else the stand-in's."""
    from explorer import data

    monkeypatch.setenv(data.ENV_VAR, images_dir)


@pytest.fixture(scope="session")
def images_dir(tmp_path_factory) -> str:
    """A data folder whose "mnist" serves as input images: MNIST where it is here, else the
    stand-in (``write_stand_in``)."""
    d, _ = find_or_fetch()
    if d:
        return d
    root = tmp_path_factory.mktemp("stand-in")
    write_stand_in(root / "mnist")
    return str(root)


@pytest.fixture(scope="session")
def app_url(images_dir):
    """The URL of one app server (the shipped bundles, ``images_dir``'s images) for every browser
    test that needs nothing else of a server: started once, since a start takes seconds of both
    cores. Tests that need other bundles, folders or users start their own."""
    from . import browser

    if browser.missing() is not None:
        pytest.skip(str(browser.missing()))
    with browser.streamlit_server({"EXPLORER_DATA_DIR": images_dir}) as url:
        yield url


@pytest.fixture(scope="session")
def mnist_test(data_dir):
    return data.load("mnist", "test", data_dir)


@pytest.fixture(scope="session")
def mnist_train(data_dir):
    return data.load("mnist", "train", data_dir)


def require_dataset(name: str, data_dir: str | None) -> None:
    """Skip, with the reason, a test whose model's dataset is not on this machine."""
    if data.find_dataset(name, data_dir) is None:
        pytest.skip(f"{name} not found (Debian: apt-get install dataset-{name}; or EXPLORER_DATA_DIR)")
