"""The registry of map kinds: where test codes lie on a plane, and the way back to the latent space.

Every map kind is one module here (direct.py, pca.py, tsne.py, umap_map.py), a class registered with
``@register`` (base.py): it declares its name, title, the sentence that tells a student what it
shows, which latent sizes it applies to, whether it is exact, how it is computed, how a map point
goes back to a latent vector, how pages word its estimate, and its browser form (or none: pages
then draw it on the server). A new kind is one new module: it is found and registered when this
package is imported. A built map has the same small surface whatever its kind:

    mp.xy              float [N, 2]: where the test codes lie on the map
    mp.to_latent(p)    float [P, 2] -> float [P, k]: latent vectors for points of the map
    mp.to_map(z)       float [P, k] -> float [P, 2]: where latent vectors lie on the map
    mp.place(z)        the same for new codes (a drawn digit): a kind's own transform where it has one
    mp.exact           whether to_latent inverts to_map exactly
    mp.estimate(p)     for inexact maps, the test points (rows, weights) behind a point's vector
    mp.view_box()      the square box a plot of the map shows

A map whose kind is ``stored`` (t-SNE, UMAP) is computed once, kept in the bundle (see
``with_stored_maps``: the training command stores the kinds ``made_when_trained``, t-SNE), and
otherwise cached in the user cache folder.
"""

from __future__ import annotations

import hashlib
import importlib
import pkgutil
import threading
from pathlib import Path

import numpy as np

from explorer.files import replace_file
from explorer.maps import base
from explorer.maps.base import MAPS, LatentMap, _as_2d, nearest, register  # noqa: F401
from explorer.maps.direct import DirectMap  # noqa: F401
from explorer.maps.pca import PCAMap  # noqa: F401
from explorer.maps.tsne import TSNE_SETTINGS, TSNEMap, compute_tsne  # noqa: F401

NOT_KINDS = {"base", "__main__"}  # this package's modules that are not a map kind
for _module in pkgutil.iter_modules(__path__):
    if _module.name not in NOT_KINDS:
        importlib.import_module(f"{__name__}.{_module.name}")  # a kind registers itself with @register


# --------------------------------------------------------------------------------------------
# The registry's questions


def available(latent_dim: int, n: int | None = None) -> list[str]:
    """The map kinds that apply to codes of this size (and to ``n`` of them, where given: a computed
    layout takes at most base.MAX_LAYOUT_POINTS), the default first."""
    kinds = [k for k in MAPS.values() if k.applies_to(latent_dim) and (n is None or k.takes(n))]
    return [k.name for k in sorted(kinds, key=lambda k: k.rank(latent_dim))]


def kind(name: str) -> type[LatentMap]:
    try:
        return MAPS[name]
    except KeyError:
        raise ValueError(f"unknown map {name!r}; use one of {list(MAPS)}") from None


def resolve(method: str, latent_dim: int) -> str:
    if method == "auto":
        return available(latent_dim)[0]
    if method not in available(latent_dim):
        raise ValueError(f"map {method!r} does not apply to {latent_dim}-d codes; "
                         f"use one of {available(latent_dim)}")
    return method


def make_map(method: str, latents, progress=None) -> LatentMap:
    """Build the map ``method`` of a bundle's latents; a stored kind's layout comes from the
    bundle, else the user cache, else it is computed (and cached)."""
    if latents is None:
        raise ValueError("this model has no stored test-set codes to map")
    k = kind(method)
    if method not in latents.maps and not k.takes(len(latents.codes)):
        raise ValueError(f"a {k.label} map is computed for at most {base.MAX_LAYOUT_POINTS:,} codes and this model has "
                         f"{len(latents.codes):,}; its direct or PCA map shows them all (or map a sample: "
                         "docs/own-model.md)")
    layout = stored_layout(method, latents.codes, latents.maps, progress) if k.stored else None
    return k.build(latents.codes, layout)


# --------------------------------------------------------------------------------------------
# Stored maps


def stored_kinds(when_trained: bool = False) -> list[str]:
    """The stored map kinds; ``when_trained``: those the training command stores."""
    return [name for name, k in MAPS.items() if k.stored and (k.made_when_trained or not when_trained)]


def cache_file(codes: np.ndarray, method: str) -> Path:
    from explorer.data import cache_dir

    digest = hashlib.sha1(np.ascontiguousarray(codes, np.float32).tobytes()).hexdigest()[:20]
    return cache_dir() / "maps" / f"{method}-{digest}.safetensors"


def stored_layout(method: str, codes: np.ndarray, stored, progress=None) -> np.ndarray:
    """The layout of a stored map kind: from the bundle, else the user cache, else computed
    and cached; computed once in a process however many sessions ask for it at once (each hears
    the one computation's progress)."""
    if method in stored:
        return stored[method]
    from safetensors import SafetensorError
    from safetensors.numpy import load_file, save_file

    file = cache_file(codes, method)
    if file.is_file():
        try:
            xy = load_file(str(file))["xy"]
            if xy.shape == (len(codes), 2):
                return xy
        except (OSError, SafetensorError, KeyError):
            file.unlink(missing_ok=True)  # a broken cache entry is recomputed, never trusted
    with _jobs_lock:
        job = _jobs.get(file)
        mine = job is None
        if mine:
            job = _jobs[file] = _Job()
    if not mine:  # another session is computing it: follow its progress, then take its layout
        while not job.done.wait(0.25):
            if progress is not None:
                progress(job.fraction)
        if job.error is not None:
            raise job.error
        return job.xy

    def heard(fraction: float) -> None:
        job.fraction = fraction
        if progress is not None:
            progress(fraction)

    try:
        job.xy = kind(method).compute_layout(codes, progress=heard)
    except BaseException as e:
        job.error = e
        raise
    finally:
        with _jobs_lock:
            del _jobs[file]
        job.done.set()
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        replace_file(file, lambda f: save_file({"xy": job.xy}, str(f)))
    except OSError:
        pass  # a read-only home still gets the map, just not cached
    return job.xy


class _Job:
    """A layout being computed in this process: the sessions that ask for it meanwhile wait for it
    and hear its progress, instead of computing it again beside it."""

    def __init__(self):
        self.done = threading.Event()
        self.fraction = 0.0
        self.xy = None
        self.error: BaseException | None = None


_jobs: dict = {}  # cache file -> _Job
_jobs_lock = threading.Lock()


def map_settings(names=None) -> dict:
    """How the stored maps ``names`` (default: those the training command stores) are made,
    recorded in a bundle's config.json beside them."""
    return {name: kind(name).settings() for name in (stored_kinds(when_trained=True) if names is None else names)
            if kind(name).stored}


def with_stored_maps(latents, progress=None, recompute: bool = False, names=None):
    """``latents`` with the layouts of the stored map kinds ``names`` (default: those the training
    command stores) that it lacks (all, with ``recompute``) computed, of those that take as many
    codes; the same object when nothing was missing."""
    names = stored_kinds(when_trained=True) if names is None else names
    todo = [m for m in names if (recompute or m not in latents.maps) and kind(m).takes(len(latents.codes))]
    if not todo:
        return latents
    return latents.with_maps({m: kind(m).compute_layout(latents.codes, progress=progress) for m in todo})
