"""Shared fixtures. Tests that need MNIST find it as the app does (EXPLORER_DATA_DIR, ...), with
../shared/data beside the checkout as a fallback for CI; where it is nowhere they try one download
(a fresh machine with network), and otherwise are skipped with the reason."""

import os
from pathlib import Path

import pytest
import torch

from explorer import data

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"

torch.set_num_threads(min(2, os.cpu_count() or 1))


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
            _download_failed.append(str(e).split("\n")[0])
    return None, (f"{name} not found and not downloadable ({_download_failed[0]}): set "
                  f"{data.ENV_VAR} to a folder holding {name}/")


@pytest.fixture(scope="session")
def data_dir() -> str:
    d, why = find_or_fetch()
    if why:
        pytest.skip(why)
    return d


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
