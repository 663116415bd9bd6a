"""Datasets: find or download MNIST and Fashion-MNIST, verify them, load them as uint8 arrays.

Both datasets use the IDX format of LeCun et al. (http://yann.lecun.com/exdb/mnist/): a big-endian
header (two zero bytes, a type code, the number of dimensions, then one uint32 per dimension)
followed by the raw bytes. Every file is checked against that structure and against the size the
dataset must have, so a truncated or foreign file is reported by name instead of surfacing later
as a numpy error.

Where a dataset is looked for, first match wins:
1. an explicit ``data_dir`` argument (the app's and CLI's ``--data-dir`` option);
2. the ``EXPLORER_DATA_DIR`` environment variable;
3. ``/usr/share/datasets/<name>/`` (Debian's ``dataset-*`` packages);
4. the user cache folder, ``$XDG_CACHE_HOME/latent-explorer/<name>/``;
5. a download into that cache from the public mirrors, checked against published MD5 sums.
In 1 and 2 the folder may hold ``<name>/`` sub-folders or the four files themselves.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ENV_VAR = "EXPLORER_DATA_DIR"
SYSTEM_DIR = Path("/usr/share/datasets")

SPLITS = ("train", "test")
_FILE_STEMS = {
    ("train", "images"): "train-images-idx3-ubyte",
    ("train", "labels"): "train-labels-idx1-ubyte",
    ("test", "images"): "t10k-images-idx3-ubyte",
    ("test", "labels"): "t10k-labels-idx1-ubyte",
}
_SPLIT_SIZES = {"train": 60_000, "test": 10_000}


class DataError(RuntimeError):
    """A dataset is missing, unreadable or not what it claims to be. The message says what to do."""


class DataMissing(DataError):
    """The dataset's files are not on this machine (as opposed to present but damaged)."""


@dataclass(frozen=True)
class DatasetInfo:
    """What the app needs to know about a dataset besides its pixels."""

    name: str
    title: str
    class_names: tuple[str, ...]
    mirrors: tuple[str, ...]
    md5: dict  # file name (.gz) -> md5 of the file the mirrors serve


DATASETS: dict[str, DatasetInfo] = {
    "mnist": DatasetInfo(
        name="mnist",
        title="MNIST handwritten digits",
        class_names=tuple(str(d) for d in range(10)),
        mirrors=(
            "https://ossci-datasets.s3.amazonaws.com/mnist/",
            "https://storage.googleapis.com/cvdf-datasets/mnist/",
        ),
        md5={
            "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
            "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
            "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
            "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
        },
    ),
    "fashion-mnist": DatasetInfo(
        name="fashion-mnist",
        title="Fashion-MNIST clothing images",
        class_names=(
            "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
            "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
        ),
        mirrors=("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
        md5={
            "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
            "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
            "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
            "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
        },
    ),
}


def split_size(split: str) -> int:
    """Images in a split of MNIST or Fashion-MNIST (the two share their sizes)."""
    return _SPLIT_SIZES[split]


def dataset_info(name: str) -> DatasetInfo:
    try:
        return DATASETS[name]
    except KeyError:
        raise DataError(f"Unknown dataset {name!r}; known: {', '.join(DATASETS)}.") from None


# --------------------------------------------------------------------------------------------
# IDX parsing

_IDX_DTYPES = {0x08: np.uint8}  # MNIST-family files only ever use unsigned bytes


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read one IDX file (optionally gzip-compressed) into a uint8 array, checking its header."""
    path = Path(path)
    try:
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError, gzip.BadGzipFile) as e:
        raise DataError(f"{path}: cannot be read ({e}). Delete it and download it again.") from e
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES:
        raise DataError(
            f"{path}: not an IDX file of unsigned bytes (magic number {raw[:4].hex() or 'missing'})."
        )
    ndim = raw[3]
    header = 4 + 4 * ndim
    if ndim == 0 or len(raw) < header:
        raise DataError(f"{path}: IDX header is cut short.")
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    expected = int(np.prod(shape))
    if len(raw) - header != expected:
        raise DataError(
            f"{path}: header promises {expected:,} bytes of data for shape {shape}, "
            f"the file holds {len(raw) - header:,}. It is truncated or corrupt: download it again."
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)


def write_idx(path: str | os.PathLike, array: np.ndarray) -> None:
    """Write a uint8 array as an IDX file (gzip-compressed when the name ends in .gz)."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(
        int(n).to_bytes(4, "big") for n in array.shape
    )
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "wb") as f:
        f.write(header + array.tobytes())


# --------------------------------------------------------------------------------------------
# Finding the files


def _files_in(folder: Path) -> dict[tuple[str, str], Path] | None:
    """The four files of a dataset in ``folder`` (gzipped or not), or None if any is missing."""
    found = {}
    for key, stem in _FILE_STEMS.items():
        for candidate in (f"{stem}.gz", stem, stem.replace("-idx", ".idx")):
            if (folder / candidate).is_file():
                found[key] = folder / candidate
                break
        else:
            return None
    return found


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "latent-explorer"


def candidate_dirs(name: str, data_dir: str | os.PathLike | None = None) -> list[Path]:
    """Folders searched for ``name``, in order (see the module docstring)."""
    dirs: list[Path] = []
    for root in (data_dir, os.environ.get(ENV_VAR) or None):
        if root:
            root = Path(root).expanduser()
            dirs += [root / name, root]
    dirs += [SYSTEM_DIR / name, cache_dir() / name]
    return list(dict.fromkeys(dirs))  # --data-dir and the variable often name the same folder


def find_dataset(name: str, data_dir: str | os.PathLike | None = None) -> Path | None:
    """The first folder holding all four files of ``name``, or None; DataError naming a folder on
    the way that this user may not look into (a server running as another user)."""
    dataset_info(name)
    for folder in candidate_dirs(name, data_dir):
        try:
            if _files_in(folder):
                return folder
        except OSError as e:
            raise DataError(f"{folder}: cannot be read ({e.strerror or e}); make it readable to this user, "
                            f"or point {ENV_VAR} or --data-dir at a copy it can read") from e
    return None


def missing_message(name: str, data_dir: str | os.PathLike | None = None) -> str:
    """What to tell a user whose machine has no copy of ``name``."""
    looked = "\n".join(f"  - {d}" for d in candidate_dirs(name, data_dir))
    hint = "Or, on Debian: apt-get install dataset-fashion-mnist\n" if name == "fashion-mnist" else ""
    return (
        f"The {dataset_info(name).title} dataset ({name}) was not found. Looked in:\n{looked}\n"
        f"To fix: put its four IDX files ({', '.join(s + '.gz' for s in _FILE_STEMS.values())}) in "
        f"a folder DIR/{name}/ and set {ENV_VAR}=DIR (or pass --data-dir DIR), or download it "
        f"with: python -m explorer.fetch {name}\n{hint}"
    )


def _why_unreachable(e: BaseException) -> str:
    """A network failure in a sentence a student can act on (not urlopen's repr)."""
    reason = getattr(e, "reason", e)
    if isinstance(e, urllib.error.HTTPError):
        return f"the server answered {e.code} {e.reason}"
    if isinstance(reason, TimeoutError) or isinstance(e, TimeoutError) or "timed out" in str(reason):
        return "no answer in time (is this computer offline?)"
    if isinstance(reason, OSError) and reason.errno is not None:
        return f"could not connect ({reason.strerror or reason}; is this computer offline?)"
    return f"could not connect ({reason})"


# --------------------------------------------------------------------------------------------
# Downloading


def _md5(path: Path) -> str:
    digest = hashlib.md5()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fetch(url: str, target: Path, timeout: float) -> None:
    from tqdm import tqdm  # a dependency of the CLI only; imported when a download happens

    with urllib.request.urlopen(url, timeout=timeout) as response:
        total = int(response.headers.get("Content-Length") or 0) or None
        with open(target, "wb") as out, tqdm(
            total=total, unit="B", unit_scale=True, desc=target.name.removesuffix(".part")
        ) as bar:
            for block in iter(lambda: response.read(1 << 16), b""):
                out.write(block)
                bar.update(len(block))


def download(name: str, target: Path | None = None, timeout: float = 30.0) -> Path:
    """Download ``name`` into ``target`` (default: the user cache) and verify every file's MD5.

    Files are written under a temporary name and renamed only once their checksum matches, so an
    interrupted download never leaves a file that looks complete.
    """
    info = dataset_info(name)
    target = Path(target) if target else cache_dir() / name
    created = [p for p in (target, *target.parents) if not p.exists()]
    target.mkdir(parents=True, exist_ok=True)
    try:
        _download_into(info, target, timeout)
    except BaseException:
        for folder in created:  # a failed download leaves no empty folders behind
            try:
                folder.rmdir()
            except OSError:
                break
        raise
    return target


def _download_into(info: DatasetInfo, target: Path, timeout: float) -> None:
    name = info.name
    for file_name, md5 in info.md5.items():
        final = target / file_name
        if final.is_file() and _md5(final) == md5:
            continue
        errors = []
        for mirror in info.mirrors:
            part = target / (file_name + ".part")
            try:
                _fetch(mirror + file_name, part, timeout)
            except (urllib.error.URLError, OSError, TimeoutError) as e:
                errors.append(f"{urllib.parse.urlsplit(mirror).netloc}: {_why_unreachable(e)}")
                part.unlink(missing_ok=True)
                continue
            if _md5(part) != md5:
                errors.append(f"{urllib.parse.urlsplit(mirror).netloc}: checksum mismatch (a damaged or different file)")
                part.unlink(missing_ok=True)
                continue
            part.replace(final)
            break
        else:
            raise DataError(
                f"Could not download {name} ({file_name}):\n  "
                + "\n  ".join(errors)
                + "\n\n"
                + missing_message(name)
            )


# --------------------------------------------------------------------------------------------
# Loading


@dataclass(frozen=True)
class Split:
    """One split of a dataset: uint8 images [N, 28, 28] and int64 labels [N]."""

    images: np.ndarray
    labels: np.ndarray

    def subset(self, classes) -> tuple["Split", np.ndarray]:
        """Only the given classes, and the indices they came from."""
        index = np.flatnonzero(np.isin(self.labels, list(classes)))
        return Split(self.images[index], self.labels[index]), index


def load_split(folder: Path, split: str) -> Split:
    """Load and cross-check one split from a folder of IDX files."""
    if split not in SPLITS:
        raise DataError(f"Unknown split {split!r}; use one of {SPLITS}.")
    files = _files_in(Path(folder))
    if files is None:
        raise DataError(f"{folder}: does not hold the four IDX files of an MNIST-style dataset.")
    images = read_idx(files[(split, "images")])
    labels = read_idx(files[(split, "labels")])
    n = _SPLIT_SIZES[split]
    if images.shape != (n, 28, 28):
        raise DataError(
            f"{files[(split, 'images')]}: expected {n:,} images of 28x28, found shape {images.shape}."
        )
    if labels.shape != (n,) or labels.max() > 9:
        raise DataError(f"{files[(split, 'labels')]}: expected {n:,} labels 0-9.")
    return Split(images, labels.astype(np.int64))


def load(
    name: str,
    split: str,
    data_dir: str | os.PathLike | None = None,
    allow_download: bool = False,
) -> Split:
    """Load one split of ``name``, finding it as the module docstring says.

    Raises DataError with instructions when it cannot be found (and downloading is off or fails).
    """
    folder = find_dataset(name, data_dir)
    if folder is None:
        if not allow_download:
            raise DataMissing(missing_message(name, data_dir))
        folder = download(name)
    return load_split(folder, split)

