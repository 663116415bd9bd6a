"""Finding bundles, naming them and opening each once per version of its files.

A bundle is known by its folder's name. Folders are searched in order (the shipped pretrained/,
then $EXPLORER_MODELS_DIR, then the app's --models-dir); a later folder whose name is already
taken is refused with a message naming both, and so is a bundle whose config.json calls it by
another bundle's name, so no folder can pose as a shipped model.

Opening is cached by the version of a bundle's files (each file's name, size, inode, modification
and change times: a rewrite changes the change time even where the modification time is put
back), process-wide and thread-safe, and so are failures: a damaged bundle costs one attempt per
version, not one per page, and its reason is listed once (``problems``).
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Callable

import numpy as np

from explorer import models
from explorer.bundles import bundle
from explorer import data
from explorer.bundles.bundle import CONFIG_FILE, PRETRAINED_DIR, Model, load
from explorer.bundles.errors import BundleError
from explorer.teaching.state import ModelUnavailable

MAX_OPEN = 32  # bundles kept open per process (about 2-13 MB each)


def pretrained_dirs() -> list[Path]:
    """Folders searched for bundles: the shipped ones, then any in $EXPLORER_MODELS_DIR."""
    extra = [Path(p) for p in os.environ.get("EXPLORER_MODELS_DIR", "").split(os.pathsep) if p]
    return [PRETRAINED_DIR, *extra]


def scan(dirs=None) -> tuple[dict[str, Path], dict[str, str]]:
    """(name -> folder of every bundle in ``dirs``, name -> why a folder of that name is refused).
    A bundle is a folder holding config.json; hidden folders (ours being written) are skipped."""
    found: dict[str, Path] = {}
    refused: dict[str, str] = {}
    for d in dirs if dirs is not None else pretrained_dirs():
        d = Path(d)
        try:
            subs = sorted(d.iterdir()) if d.is_dir() else []
        except OSError:
            continue
        for sub in subs:
            if sub.name.startswith(".") or not (sub / CONFIG_FILE).is_file():
                continue
            if sub.name in found:
                if found[sub.name].resolve() != sub.resolve():
                    refused.setdefault(sub.name, f"{sub}: refused, its name is already the bundle at {found[sub.name]}; "
                                                 f"rename the folder")
                continue
            found[sub.name] = sub
    return found, refused


def find_bundles(dirs=None) -> dict[str, Path]:
    """Bundle name -> folder for every bundle in ``dirs`` (the first of each name)."""
    return scan(dirs)[0]


def list_pretrained() -> list[str]:
    """Names of the bundles shipped in pretrained/."""
    return list(find_bundles([PRETRAINED_DIR]))


def version(path: Path) -> tuple:
    """What identifies this state of a bundle's files (see the module docstring)."""
    try:
        return tuple(sorted((f.name, s.st_size, s.st_ino, s.st_mtime_ns, s.st_ctime_ns)
                            for f in Path(path).iterdir() if not f.name.startswith(".")
                            for s in [f.stat()]))
    except OSError as e:
        raise BundleError(f"{path}: cannot be read ({e})") from e


def file_version(file: Path) -> tuple | None:
    """One file's version in the same terms (None where there is no file), for caches of what is
    built from it."""
    try:
        s = Path(file).stat()
    except OSError:
        return None
    return s.st_size, s.st_ino, s.st_mtime_ns, s.st_ctime_ns


_opened: OrderedDict = OrderedDict()  # (folder, version) -> Model or BundleError
_lock = threading.Lock()
_loading: dict = {}  # (folder, version) -> lock, so two sessions opening one bundle read it once


def _key(path: Path) -> tuple:
    """A bundle's cache key: its folder as named (not resolved: a folder linked under another name
    is its own bundle, with its own name) and the version of its files."""
    return str(path.absolute()), version(path)


def open_bundle(path, known: dict[str, Path] | None = None, key: tuple | None = None) -> Model:
    """The bundle at ``path``, opened once per version of its files (a failure too is remembered
    per version and raised again); ``known`` (name -> folder) are the other bundles, which its
    config.json must not name. ``key``: its ``_key``, where the caller has it already."""
    path = Path(path)
    key = key or _key(path)
    with _lock:
        result = _opened.get(key)
        if result is not None:
            _opened.move_to_end(key)
        else:
            gate = _loading.setdefault(key, threading.Lock())
    if result is None:
        with gate:
            with _lock:
                result = _opened.get(key)
            if result is None:
                try:
                    result = load(path)
                except BundleError as e:
                    result = e
                except Exception as e:  # noqa: BLE001 - see below
                    # a way of failing that bundle.py does not name yet: still this bundle's failure,
                    # never the page's; the type is kept in the message so that it can be named properly
                    result = BundleError(f"{path}: cannot be opened ({type(e).__name__}: {str(e)[:200]})")
                finally:
                    with _lock:
                        if result is not None:
                            _opened[key] = result
                            while len(_opened) > MAX_OPEN:
                                _opened.popitem(last=False)
                        _loading.pop(key, None)
    model = _result(result)
    _check_name(model.config.get("name"), path, known or {})
    return model


def _result(result):
    if isinstance(result, BundleError):
        raise BundleError(str(result))
    return result


def _check_name(said: str | None, path: Path, known: dict[str, Path]) -> None:
    """BundleError if config.json's ``said`` name is another known bundle's."""
    if said is not None and said != path.name and said in known and Path(known[said]).resolve() != path.resolve():
        raise BundleError(f"{path / CONFIG_FILE}: 'name' calls it {said[:60]!r}, the name of the bundle at "
                          f"{known[said]}; a bundle is known by its folder: set 'name' to {path.name[:60]!r} or remove it")


_checked: dict = {}  # (folder, version) -> (the name config.json gives, why it cannot open or None)


def check(path, known: dict[str, Path] | None = None, key: tuple | None = None) -> str | None:
    """Why the bundle at ``path`` cannot be opened, or None, from what can be told without reading
    its tensors (config.json, the files' headers, its name); remembered per version. Cheap enough
    to run on every bundle of a catalog; ``open_bundle`` finds the rest (values such as NaN codes)."""
    path = Path(path)
    try:
        key = key or _key(path)
        found = _checked.get(key)
        if found is None:
            try:
                found = (bundle.inspect(path).get("name"), None)
            except BundleError as e:
                found = (None, str(e))
            except Exception as e:  # noqa: BLE001 - as in open_bundle: the bundle's failure, not the page's
                found = (None, f"{path}: cannot be opened ({type(e).__name__}: {str(e)[:200]})")
            if len(_checked) > 1024:
                _checked.clear()
            _checked[key] = found
        said, why = found
        if why is None:
            _check_name(said, path, known or {})
        return why
    except BundleError as e:
        return str(e)


_described: dict = {}  # (folder, version) -> its description


def description(path, key: tuple | None = None) -> str:
    """A bundle in a few words, for a menu: "VAE (1024-512), 2-number code, MNIST"; a model of some classes,
    a denoising one or another beta says so. From config.json alone, remembered per version."""
    path = Path(path)
    try:
        key = key or _key(path)
        if key not in _described:
            if len(_described) > 1024:
                _described.clear()
            _described[key] = _describe(bundle.read_config(path))
        return _described[key]
    except (BundleError, data.DataError, KeyError, TypeError, ValueError):  # a stranger's config: the menu still opens
        return "cannot be opened"


def _describe(config: dict) -> str:
    model, training = config["model"], config.get("training") or {}
    info = bundle.dataset_info_of(config)
    layers = "-".join(str(w) for w in model.get("hidden") or [])
    kind = models.KINDS.get(model["kind"])
    first = {"conv": "conv ", "onnx": "imported "}.get(model["backbone"], "") + (kind.short if kind else model["kind"][:8])
    words = [first + (f" ({layers})" if layers else ""),
             f"{model['latent_dim']}-number code", info.title.split()[0]]  # "MNIST", "Fashion-MNIST"
    classes = config.get("classes", [])
    if 0 < len(classes) < len(info.class_names):
        words[-1] += " " + ", ".join(str(info.class_names[c]) for c in classes) + " only"
    if training.get("noise"):
        words.insert(1, "denoising")
    words += models.set_apart(kind, training)
    return ", ".join(words)


def known_failure(path, key: tuple | None = None) -> str | None:
    """Why the bundle at ``path``, in this version, failed to open here before, if it did."""
    try:
        key = key or _key(Path(path))
    except BundleError as e:
        return str(e)
    with _lock:
        result = _opened.get(key)
    return str(result) if isinstance(result, BundleError) else None


def load_model(name_or_path) -> Model:
    """A bundle by name (see find_bundles) or by folder path, checked like the app's bundles.
    A fresh Model each call (callers may change it); the app opens bundles through
    ``open_bundle``, which shares one per version."""
    path = Path(name_or_path)
    bundles = find_bundles()
    if not path.is_dir() and str(name_or_path) in bundles:
        path = bundles[str(name_or_path)]
    if path.is_dir():
        model = load(path)
        _check_name(model.config.get("name"), path, bundles)
        return model
    raise BundleError(f"No bundle named {str(name_or_path)[:80]!r} and no such folder. "
                      f"Known bundles: {', '.join(bundles) or 'none'}.")


class BundleCatalog:
    """The bundles a page offers, by name. ``problems`` lists, once each, the bundles known not to
    open and why; every other bundle works.

    A catalog answers for one moment: the app makes one per run of a page (ui/resources.py), so
    each bundle's files are looked at once per run and each name opens once, however many parts
    of the page ask."""

    def __init__(self, bundles: dict[str, Path], default: str, refused: dict[str, str] | None = None,
                 load: Callable[[Path], Model] | None = None):
        self.bundles = dict(bundles)
        self._refused = dict(refused or {})
        self._failed: dict[str, str] = {}
        self._keys: dict[str, tuple | BundleError] = {}  # folder -> _key, worked out once
        self._opened: dict[str, Model | ModelUnavailable] = {}  # name -> what model() gave
        self._load = load or (lambda path: open_bundle(path, self.bundles, self._key_of(path)))
        self._default = default if default in self.bundles else next(iter(self.bundles), default)

    def _key_of(self, path: Path) -> tuple | None:
        """``_key(path)`` for one of this catalog's bundles, stat-ed once (None: it cannot be read;
        the function asked then says why)."""
        where = str(path)
        if where not in self._keys:
            try:
                self._keys[where] = _key(path)
            except BundleError as e:
                self._keys[where] = e
        found = self._keys[where]
        return None if isinstance(found, BundleError) else found

    @classmethod
    def from_dirs(cls, dirs, default: str) -> "BundleCatalog":
        found, refused = scan(dirs)
        return cls(found, default, refused)

    def names(self) -> list[str]:
        return list(self.bundles)

    def default(self) -> str:
        return self._default

    def description(self, name: str) -> str:
        if name not in self.bundles:
            return "not found"
        return description(self.bundles[name], self._key_of(self.bundles[name]))

    def problems(self) -> dict[str, str]:
        """Name -> reason for every bundle that cannot be opened: refused folders, those whose
        files say so at a glance (``check``) and those found not to open so far."""
        checked = {n: why for n, p in self.bundles.items()
                   if (why := check(p, self.bundles, self._key_of(p)) or known_failure(p, self._key_of(p)))}
        return {**self._refused, **checked, **self._failed}

    def model(self, name: str) -> Model:
        """The bundle called ``name``, opened once for this catalog; ModelUnavailable says why not."""
        if name not in self._opened:
            try:
                self._opened[name] = self._open(name)
            except ModelUnavailable as e:
                self._opened[name] = e
        found = self._opened[name]
        if isinstance(found, ModelUnavailable):
            raise ModelUnavailable(str(found))
        return found

    def _open(self, name: str) -> Model:
        try:
            model = self._load(self.bundles[name])
        except KeyError:
            raise ModelUnavailable(f"no bundle named {str(name)[:80]!r}") from None
        except BundleError as e:
            self._failed[name] = str(e)
            raise ModelUnavailable(str(e)) from None
        if model.latents is None:
            self._failed[name] = "it has no stored test-set codes"
            raise ModelUnavailable("it has no stored test-set codes; retrain it with python -m explorer.train")
        return model

    def maps(self, name: str) -> list[str]:
        return self.model(name).available_maps()

    def test_indices(self, name: str) -> np.ndarray:
        return np.sort(self.model(name).latents.index)

    def labels(self, name: str) -> list[int] | None:
        """The classes a model that takes labels draws each point as; None for every other model."""
        model = self.model(name)
        return list(model.classes) if "labels" in model.kind_info.offers else None

    def view_box(self, name: str, map_name: str):
        """The map's view box, or None where the map is not at hand (a t-SNE the bundle does not
        store): reading a URL never computes a map."""
        model = self.model(name)
        return model.map(map_name).view_box() if model.has_map(map_name) else None
