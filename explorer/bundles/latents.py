"""The test set seen through a model: each test image's code, label, row in the dataset's test
split and reconstruction error, plus the stored 2-D map layouts. Stored in a bundle as
``latents.safetensors``.

A stranger's file is checked before it is used, since every page draws from it: the header's
names, dtypes and shapes first (nothing allocated beyond the header), then the values: finite
codes and map positions, labels among the bundle's classes, rows inside the test split and each
row once. A file that fails raises BundleError naming the file and the array.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from explorer.files import safe as safefiles
from explorer.bundles.errors import BundleError

FILE = "latents.safetensors"
MAX_MAPS = 8  # stored layouts (we store one, t-SNE); each is N x 2 numbers
# Whole numbers are stored in the narrowest of these that holds them (labels: uint8; test rows: int16
# up to 32,767 images) and read back as int64: a tenth of the room int64 took in every bundle.
INTEGER_DTYPES = ("U8", "I16", "I32", "I64")


@dataclass(frozen=True)
class Latents:
    """The test images of the model's classes, as the model sees them. Immutable: the arrays are
    read-only and ``maps`` a read-only mapping; ``with_maps`` makes a new one."""

    codes: np.ndarray  # float32 [N, k]: encode(x), the posterior mean for a VAE
    labels: np.ndarray  # int64 [N] (stored narrower: INTEGER_DTYPES)
    index: np.ndarray  # int64 [N]: row in the dataset's test split
    recon_error: np.ndarray  # float32 [N]: mean squared error per pixel of the reconstruction
    maps: MappingProxyType = field(default_factory=dict)  # method -> float32 [N, 2], stored map layouts

    REQUIRED = ("codes", "labels", "index", "recon_error")
    MAP_PREFIX = "map_"

    def __post_init__(self):
        def frozen(a, dtype):
            a = np.array(a, dtype=dtype)  # a private copy, so no one else can write to it either
            a.flags.writeable = False
            return a

        for k, dtype in zip(self.REQUIRED, (np.float32, np.int64, np.int64, np.float32)):
            object.__setattr__(self, k, frozen(getattr(self, k), dtype))
        object.__setattr__(self, "maps", MappingProxyType(
            {k: frozen(v, np.float32) for k, v in dict(self.maps).items()}))

    def with_maps(self, maps: dict) -> "Latents":
        """A copy with these map layouts added (or replaced)."""
        return replace(self, maps={**self.maps, **maps})

    def rows_of(self, test_index) -> np.ndarray:
        """Rows holding the given dataset test indices (-1 where an index is not among them)."""
        order = np.argsort(self.index)
        test_index = np.atleast_1d(np.asarray(test_index, np.int64))
        pos = np.clip(np.searchsorted(self.index, test_index, sorter=order), 0, len(order) - 1)
        rows = order[pos]
        return np.where(self.index[rows] == test_index, rows, -1)

    def arrays(self) -> dict[str, np.ndarray]:
        out = {k: getattr(self, k) for k in self.REQUIRED}
        out.update({self.MAP_PREFIX + k: np.asarray(v, np.float32) for k, v in self.maps.items()})
        return out


def narrow(a: np.ndarray) -> np.ndarray:
    """Whole numbers in the narrowest of INTEGER_DTYPES that holds them; anything else as it is."""
    if a.dtype.kind not in "iu" or a.size == 0:
        return a
    for dtype in (np.uint8, np.int16, np.int32):
        info = np.iinfo(dtype)
        if info.min <= a.min() and a.max() <= info.max:
            return a.astype(dtype)
    return a


def write(file: Path, latents: Latents) -> None:
    save_file({k: torch.from_numpy(narrow(np.array(v))) for k, v in latents.arrays().items()}, str(file))


def check_header(file: Path, latent_dim: int, n_test: int) -> int:
    """The number of test images in ``file``, once its header holds the arrays of ``Latents`` in
    the right dtypes and shapes (at most ``n_test`` rows, codes of ``latent_dim``); nothing else is read."""
    header = safefiles.tensor_header(file, BundleError)
    labels = header.get("labels", ("", ()))[1]
    if len(labels) != 1 or not 0 < labels[0] <= n_test:
        raise BundleError(f"{file}: 'labels' must hold one class per test image, at most {n_test:,} (the "
                          f"test split's size); found {'shape ' + str(list(labels)) if 'labels' in header else 'none'}")
    n = labels[0]
    maps = {k: (("F32",), (n, 2)) for k in header if k.startswith(Latents.MAP_PREFIX)}
    if len(maps) > MAX_MAPS:
        raise BundleError(f"{file}: {len(maps)} stored maps; at most {MAX_MAPS} are read")
    safefiles.check_header(file, header, {
        "codes": (("F32",), (n, latent_dim)), "labels": (INTEGER_DTYPES, (n,)), "index": (INTEGER_DTYPES, (n,)),
        "recon_error": (("F32",), (n,)), **maps}, BundleError)
    return n


def read(file: Path, latent_dim: int, classes: list[int], n_test: int) -> Latents | None:
    """The latents in ``file`` (None if there is none), checked against the bundle: codes of
    ``latent_dim`` numbers, labels among ``classes``, rows of a test split of ``n_test`` images."""
    file = Path(file)
    if not file.exists():
        return None
    n = check_header(file, latent_dim, n_test)
    try:
        arrays = {k: v.numpy() for k, v in load_file(str(file)).items()}
    except (SafetensorError, OSError, ValueError, RuntimeError) as e:
        raise BundleError(f"{file}: cannot be loaded ({e})") from e
    for k, v in arrays.items():
        if v.dtype.kind == "f" and not np.isfinite(v).all():
            raise BundleError(f"{file}: '{k}' holds non-finite values (NaN or infinity)")
    bad = ~np.isin(arrays["labels"], classes)
    if bad.any():
        raise BundleError(f"{file}: 'labels' holds {int(arrays['labels'][bad][0])}, which is not among the "
                          f"bundle's classes {classes}")
    index = arrays["index"]
    if index.min() < 0 or index.max() >= n_test:
        raise BundleError(f"{file}: 'index' holds {int(index.min() if index.min() < 0 else index.max())}, "
                          f"outside the test split's rows 0-{n_test - 1}")
    if len(np.unique(index)) != n:
        raise BundleError(f"{file}: 'index' names a test image twice; each image has one row")
    if (arrays["recon_error"] < 0).any():
        raise BundleError(f"{file}: 'recon_error' holds a negative error")
    return Latents(**{k: arrays[k] for k in Latents.REQUIRED},
                   maps={k[len(Latents.MAP_PREFIX):]: v for k, v in arrays.items() if k.startswith(Latents.MAP_PREFIX)})
