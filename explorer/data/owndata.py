"""Someone's own images, for a model imported from ONNX: grey or colour, 8x8 to 128x128.

``read(path)`` takes

- an ``.npz`` file (read with ``allow_pickle=False``: a pickled array is refused, never loaded)
  holding ``images`` [N, H, W] or [N, H, W, C] (C = 1 or 3), uint8 0-255 or floats 0-1, and
  optionally ``labels`` [N] (whole numbers 0 to 99) and ``class_names`` (strings, one per class);
- or a folder with one subfolder of pictures (PNG, JPEG, WebP, BMP, GIF) per class, the
  subfolders' names (sorted) being the class names; every picture must have one size.

and gives ``OwnData``: uint8 images [N, H, W] (grey) or [N, H, W, 3], labels, class names, a title.
At most MAX_IMAGES images are kept from an .npz, MAX_PICTURES from a folder (the first ones: an
imported bundle stores them, since no one else has them); every refusal is a DataError naming the
file and the reason.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from explorer.data import DataError, DatasetInfo

MIN_SIDE, MAX_SIDE = 8, 128
MAX_IMAGES = 1_000_000  # the images an imported bundle keeps and maps (its direct and PCA maps; t-SNE and
# UMAP take at most explorer/maps/base.py's MAX_LAYOUT_POINTS of them)
MAX_PICTURES = 10_000  # from a folder, where each picture is a file decoded on its own
MAX_CLASSES = 100
MAX_FILE_BYTES = 2**30  # an .npz read here: a million 28x28 grey images in uint8 are 785 MB; 70,000 RGB
# 64x64 ones 860 MB
MAX_ARRAY_BYTES = 2**30  # all its arrays together, once uncompressed, as their headers declare them
PICTURES = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif")
NAME = "own"  # the "dataset" of a bundle that stores its own images


@dataclass(frozen=True)
class OwnData:
    images: np.ndarray  # uint8 [N, H, W] or [N, H, W, 3]
    labels: np.ndarray  # int64 [N]
    class_names: tuple[str, ...]
    title: str

    @property
    def image(self) -> tuple[int, int, int]:
        h, w = self.images.shape[1:3]
        return h, w, (3 if self.images.ndim == 4 else 1)

    def info(self) -> DatasetInfo:
        return DatasetInfo(name=NAME, title=self.title, class_names=self.class_names, mirrors=(), md5={})


def images_of(array: np.ndarray, where: str) -> np.ndarray:
    """uint8 [N, H, W] or [N, H, W, 3] from what a user may hold."""
    a = np.asarray(array)
    if a.ndim == 4 and a.shape[-1] == 1:
        a = a[..., 0]
    if a.ndim == 4 and a.shape[1] in (1, 3) and a.shape[-1] not in (1, 3):
        raise DataError(f"{where}: images are [N, C, H, W] ({list(a.shape)}); give them as [N, H, W, C]")
    if a.ndim not in (3, 4) or (a.ndim == 4 and a.shape[-1] != 3):
        raise DataError(f"{where}: images must be [N, H, W] or [N, H, W, C] with C = 1 or 3, not {list(a.shape)[:6]}")
    n, h, w = a.shape[:3]
    if not (MIN_SIDE <= h <= MAX_SIDE and MIN_SIDE <= w <= MAX_SIDE):
        raise DataError(f"{where}: images of {h}x{w}; from {MIN_SIDE}x{MIN_SIDE} to {MAX_SIDE}x{MAX_SIDE} are taken")
    if n < 10:
        raise DataError(f"{where}: {n} images; at least 10 are needed to draw a map")
    a = a[:MAX_IMAGES]
    if a.dtype == np.uint8:
        return np.ascontiguousarray(a)
    if a.dtype.kind == "f":
        if not np.isfinite(a).all():
            raise DataError(f"{where}: float images hold numbers that are not finite (NaN or infinity)")
        if a.min() < 0 or a.max() > 1:
            raise DataError(f"{where}: float images must hold numbers from 0 to 1 (found {a.min():.3g} to "
                            f"{a.max():.3g}); or give uint8 0-255")
        return (a * 255 + 0.5).astype(np.uint8)
    if a.dtype.kind in "iu" and a.min() >= 0 and a.max() <= 255:
        return a.astype(np.uint8)
    raise DataError(f"{where}: images of type {a.dtype}; give uint8 0-255 or floats 0-1")


def labels_of(labels, n: int, where: str) -> np.ndarray:
    if labels is None:
        return np.zeros(n, np.int64)
    a = np.asarray(labels)
    if a.ndim != 1 or len(a) < n or a.dtype.kind not in "iu":
        raise DataError(f"{where}: labels must be whole numbers, one per image ({n:,}), not {a.dtype} {list(a.shape)[:3]}")
    a = a[:n]
    if a.min() < 0 or a.max() >= MAX_CLASSES:  # checked in its own type: a uint64 of 2**64 - 1 is no -1
        raise DataError(f"{where}: labels from 0 to {MAX_CLASSES - 1} are taken (found {a.min()} to {a.max()})")
    return a.astype(np.int64)


def class_names_of(names, labels: np.ndarray, where: str) -> tuple[str, ...]:
    n_classes = int(labels.max()) + 1
    if names is None:
        return tuple(str(c) for c in range(n_classes)) if n_classes > 1 else ("image",)
    a = np.asarray(names)
    if a.ndim != 1 or a.dtype.kind not in "U" or len(a) < n_classes or len(a) > MAX_CLASSES:
        raise DataError(f"{where}: class_names must be {n_classes} to {MAX_CLASSES} strings, one per label")
    return tuple("".join(ch if ch.isprintable() else "?" for ch in str(s)[:40]) or "?" for s in a)


def declared_sizes(path: Path) -> dict[str, int]:
    """Bytes each array of the .npz at ``path`` declares (its .npy header's shape and type, read
    without the data); DataError when they add up to more than MAX_ARRAY_BYTES, when the zip
    entries would unpack to more, or when an array holds Python objects (a pickle)."""
    from numpy.lib import format as npy

    sizes = {}
    with zipfile.ZipFile(path) as z:
        entries = z.infolist()
        if sum(e.file_size for e in entries) > MAX_ARRAY_BYTES:
            raise DataError(f"{path}: unpacks to {sum(e.file_size for e in entries) / 2**20:,.0f} MB; at most "
                            f"{MAX_ARRAY_BYTES // 2**20} MB are read")
        for e in entries[:64]:
            with z.open(e) as f:
                try:
                    version = npy.read_magic(f)
                    shape, _, dtype = (npy.read_array_header_1_0(f) if version == (1, 0)
                                       else npy.read_array_header_2_0(f))
                except ValueError as err:
                    raise DataError(f"{path}: {e.filename[:40]} is not a numpy array ({str(err)[:80]})") from None
            if dtype.hasobject:
                raise DataError(f"{path}: {e.filename[:40]} holds Python objects (a pickle), which are never loaded; "
                                "save plain arrays")
            sizes[e.filename] = int(np.prod(shape, dtype=object)) * dtype.itemsize
        if sum(sizes.values()) > MAX_ARRAY_BYTES:
            raise DataError(f"{path}: its arrays declare {sum(sizes.values()) / 2**20:,.0f} MB; at most "
                            f"{MAX_ARRAY_BYTES // 2**20} MB are read")
    return sizes


def read_npz(path) -> OwnData:
    path = Path(path)
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise DataError(f"{path}: {path.stat().st_size / 2**20:,.0f} MB; at most {MAX_FILE_BYTES // 2**20} MB are read")
        declared_sizes(path)  # before numpy allocates what a small file may declare
        with np.load(path, allow_pickle=False) as f:
            if "images" not in f.files:
                raise DataError(f"{path}: holds {', '.join(f.files[:5]) or 'nothing'}; an array named 'images' is needed")
            images = images_of(f["images"], str(path))
            labels = labels_of(f["labels"] if "labels" in f.files else None, len(images), str(path))
            names = class_names_of(f["class_names"] if "class_names" in f.files else None, labels, str(path))
    except DataError:
        raise
    except ValueError as e:  # object arrays (pickles) end here: allow_pickle=False
        raise DataError(f"{path}: cannot be read as plain arrays ({str(e)[:120]}); save it with numpy.savez "
                        "and no Python objects") from None
    except (OSError, zipfile.BadZipFile, EOFError) as e:
        raise DataError(f"{path}: not a readable .npz file ({str(e)[:120]})") from None
    except MemoryError:
        raise DataError(f"{path}: too large to read here") from None
    return OwnData(images, labels, names, path.stem[:60])


def _picture(file: Path) -> np.ndarray:
    """One picture of a class folder, uint8 [H, W] or [H, W, 3], read as an upload is
    (preprocess.read_image: its size read from the header and checked before a pixel is
    decoded, for a small PNG may claim 4000 x 4000)."""
    from explorer.data import preprocess
    from explorer.files import safe as safefiles

    raw = safefiles.read_bytes(file, DataError, preprocess.MAX_BYTES)  # a regular file, bounded (not a FIFO or /dev/zero)
    try:
        img, _ = preprocess.read_image(raw, sides=(MIN_SIDE, MAX_SIDE))
    except preprocess.BadImage as e:
        raise DataError(f"{file}: {e}") from None
    colour = img.mode not in ("1", "L", "I", "I;16", "F", "LA")
    return np.asarray(img.convert("RGB" if colour else "L"))


def read_folder(path) -> OwnData:
    path = Path(path)
    classes = sorted(p for p in path.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not classes:
        raise DataError(f"{path}: holds no subfolders; give one subfolder of pictures per class")
    if len(classes) > MAX_CLASSES:
        raise DataError(f"{path}: {len(classes)} subfolders; at most {MAX_CLASSES} classes")
    files = [(c, f) for c, folder in enumerate(classes) for f in sorted(folder.iterdir())
             if f.suffix.lower() in PICTURES][:MAX_PICTURES]
    pictures, labels, shape = [], [], None
    for c, f in files:
        a = _picture(f)
        if shape is None:
            shape = a.shape
        if a.shape[:2] != shape[:2]:
            raise DataError(f"{f}: {a.shape[1]}x{a.shape[0]} pixels; the first picture was {shape[1]}x{shape[0]}: "
                            "all must have one size")
        pictures.append(a)
        labels.append(c)
    if any(p.ndim == 3 for p in pictures):  # one grey picture among colour ones is made colour
        pictures = [np.repeat(p[..., None], 3, 2) if p.ndim == 2 else p for p in pictures]
    images = images_of(np.stack(pictures) if pictures else np.zeros((0, 8, 8), np.uint8), str(path))
    return OwnData(images, np.array(labels, np.int64), tuple(p.name[:40] for p in classes), path.name[:60])


def read(path) -> OwnData:
    """``path``'s images (see the module docstring)."""
    path = Path(path)
    if path.is_dir():
        return read_folder(path)
    if path.suffix.lower() == ".npz":
        return read_npz(path)
    if not path.exists():
        raise DataError(f"{path}: no such file or folder")
    raise DataError(f"{path}: give an .npz file or a folder with one subfolder of pictures per class")
