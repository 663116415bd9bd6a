"""The registry of map kinds: where test codes lie on a plane, and the way back to the latent space.

Every map kind is one class here, registered with ``@register``. It declares its name, title,
the sentence that tells a student what it shows, which latent sizes it applies to, whether it is
exact, how it is computed and how a map point goes back to a latent vector. A built map has the
same small surface whatever its kind:

    mp.xy              float [N, 2]: where the test codes lie on the map
    mp.to_latent(p)    float [P, 2] -> float [P, k]: latent vectors for points of the map
    mp.to_map(z)       float [P, k] -> float [P, 2]: where latent vectors lie on the map
    mp.exact           whether to_latent inverts to_map exactly
    mp.estimate(p)     for inexact maps, the test points (rows, weights) behind a point's vector
    mp.view_box()      the square box a plot of the map shows

"direct" is the latent plane itself (2-D models only): both ways are the identity. "pca" is the
plane through the mean of the codes spanned by their first two principal components (Pearson 1901;
Jolliffe, "Principal Component Analysis", 2002): to_map is the orthogonal projection and to_latent
returns the point of that plane, so to_map(to_latent(p)) == p exactly, while a code off the plane
loses its other components.

"tsne" is t-SNE (van der Maaten & Hinton, JMLR 2008), computed with openTSNE's FFT-accelerated
gradients (Linderman et al., Nature Methods 2019; Policar et al., JSS 2024). It has no inverse and
no formula for new points, so both ways are estimates from the test codes themselves: to_latent
averages the codes of the K test points nearest on the map, to_map averages the map positions of
the K test codes nearest in the latent space, each weighted by inverse distance (Shepard 1968). A
click exactly on a test point gives back that point's own code. A map whose kind is ``stored``
(t-SNE) is computed once, kept in the bundle (see ``with_stored_maps``), and otherwise cached in
the user cache folder.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import ClassVar

import numpy as np

from .files import replace_file

MAPS: dict[str, type["LatentMap"]] = {}  # name -> map kind, in the order the app offers them


def register(kind: type["LatentMap"]) -> type["LatentMap"]:
    """Class decorator: make a map kind known to the app, the state and the commands."""
    MAPS[kind.name] = kind
    return kind


class LatentMap:
    """A 2-D map of a model's test codes. Subclasses set the class attributes and implement
    ``to_latent`` and ``to_map``; a stored kind also implements ``compute_layout``."""

    name: ClassVar[str]
    label: ClassVar[str]  # short, for a picker: "t-SNE"
    title: ClassVar[str]  # for a heading: "t-SNE of the codes"
    help: ClassVar[str]  # one sentence: what this kind of map shows and what it hides
    exact: ClassVar[bool]
    stored: ClassVar[bool] = False  # slow to compute: kept in bundles and the user cache
    coordinates_are_codes: ClassVar[bool] = False  # a point's (x, y) is its latent vector itself

    def __init__(self, xy: np.ndarray, axis_titles: tuple[str, str], explanation: str, extra=None):
        self.xy = np.asarray(xy, np.float32)
        self.xy.flags.writeable = False
        self.axis_titles = axis_titles
        self._explanation = explanation  # with {a} where it says what a dot is
        self.extra = dict(extra or {})

    def explanation(self, a: str = "a test image") -> str:
        """One or two sentences for students about this model's map; ``a``: what a dot is ("an
        image" for a model of one's own images, which are all mapped: there is no test split)."""
        return self._explanation.format(a=a)

    @property
    def method(self) -> str:
        return self.name

    # what a kind declares ----------------------------------------------------------------
    @classmethod
    def applies_to(cls, latent_dim: int) -> bool:
        return True

    @classmethod
    def rank(cls, latent_dim: int) -> int:
        """Lower comes first among the kinds that apply; the first is the default map."""
        return 1

    @classmethod
    def compute_layout(cls, codes: np.ndarray, progress=None) -> np.ndarray:
        raise NotImplementedError(f"{cls.name} maps are computed when built")

    @classmethod
    def build(cls, codes: np.ndarray, layout: np.ndarray | None = None) -> "LatentMap":
        raise NotImplementedError

    # the way back ------------------------------------------------------------------------
    def to_latent(self, points) -> np.ndarray:
        raise NotImplementedError

    def to_map(self, z) -> np.ndarray:
        raise NotImplementedError

    def estimate(self, points) -> tuple[np.ndarray, np.ndarray] | None:
        """For inexact maps: rows of the test points each point's latent vector is estimated
        from, and their weights. None for exact maps."""
        return None

    def web_form(self, add) -> dict:
        """How a browser turns a point of this map into a latent vector (explorer/webexport.py);
        ``add(key, array)`` stores an array and returns its key."""
        raise NotImplementedError(f"the {self.name} map has no browser form yet")

    # drawing -----------------------------------------------------------------------------
    def bounds(self, margin: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
        """Lower and upper corners of a box around all points with a margin on each side;
        extreme 0.1% on each side are ignored so one outlier does not shrink the picture."""
        lo, hi = np.quantile(self.xy, [0.001, 0.999], axis=0)
        pad = (hi - lo) * margin
        return lo - pad, hi + pad

    def view_box(self) -> tuple[np.ndarray, np.ndarray]:
        """The smallest square box around ``bounds`` with the same centre: a plane is drawn
        with one unit the same length on both axes."""
        lo, hi = self.bounds()
        centre, half = (lo + hi) / 2, (hi - lo).max() / 2
        return centre - half, centre + half

    def nearest_point(self, xy, radius: float) -> int | None:
        """The row of the test point nearest ``xy`` on the map if it lies within ``radius``."""
        d = ((self.xy - np.asarray(xy, np.float32)) ** 2).sum(1)
        row = int(np.argmin(d))
        return row if d[row] <= radius**2 else None


@register
class DirectMap(LatentMap):
    name, label, title, exact = "direct", "latent plane", "latent plane (z1, z2)", True
    coordinates_are_codes = True
    help = "the 2 numbers of each code are the 2 coordinates: the whole latent space, nothing hidden"

    @classmethod
    def applies_to(cls, latent_dim: int) -> bool:
        return latent_dim == 2

    @classmethod
    def rank(cls, latent_dim: int) -> int:
        return 0

    @classmethod
    def build(cls, codes, layout=None) -> "DirectMap":
        return cls(codes)

    def __init__(self, codes: np.ndarray):
        if codes.shape[1] != 2:
            raise ValueError(f"the direct map needs 2-d codes, these have {codes.shape[1]} dimensions")
        super().__init__(codes, ("z1", "z2"),
                         "Each dot is {a} placed at its 2-number code z = (z1, z2): "
                         "the whole latent space, with nothing hidden.")

    def to_latent(self, points) -> np.ndarray:
        return _as_2d(points, 2)

    def to_map(self, z) -> np.ndarray:
        return _as_2d(z, 2)

    def web_form(self, add) -> dict:
        return {"kind": "identity"}


@register
class TSNEMap(LatentMap):
    name, label, title, exact, stored = "tsne", "t-SNE", "t-SNE of the codes", False, True
    help = "keeps neighbours together; it cannot be inverted, so a spot's code is estimated from its neighbours"

    @classmethod
    def rank(cls, latent_dim: int) -> int:
        return 2 if latent_dim == 2 else 0  # the default for codes too long to see directly

    @classmethod
    def compute_layout(cls, codes, progress=None) -> np.ndarray:
        return compute_tsne(codes, progress=progress)

    @classmethod
    def build(cls, codes, layout=None) -> "TSNEMap":
        return cls(codes, layout)

    def __init__(self, codes: np.ndarray, xy: np.ndarray, k: int = 10):
        # 10 neighbours: a distance-weighted 10-neighbour estimate decoded 10/10 class middles
        self.codes_ = codes.astype(np.float32)
        self.k = min(k, len(codes))
        super().__init__(xy, ("t-SNE 1", "t-SNE 2"),
                         f"Each dot is {{a}}'s {codes.shape[1]}-number code, laid out by t-SNE so "
                         "that codes which are close in the latent space stay close here; distances "
                         "between far-apart clusters and the empty space between them mean little.")

    def estimate(self, points) -> tuple[np.ndarray, np.ndarray]:
        """Rows of the K test points nearest each map point, and their weights (rows sum to 1)."""
        d, idx = nearest(_as_2d(points, 2), self.xy, self.k)
        return idx, _inverse_distance_weights(d)

    def to_latent(self, points) -> np.ndarray:
        idx, w = self.estimate(points)
        return np.einsum("pk,pkd->pd", w, self.codes_[idx]).astype(np.float32)

    def to_map(self, z) -> np.ndarray:
        d, idx = nearest(_as_2d(z, self.codes_.shape[1]), self.codes_, self.k)
        w = _inverse_distance_weights(d)
        return np.einsum("pk,pkd->pd", w, self.xy[idx]).astype(np.float32)

    def web_form(self, add) -> dict:
        return {"kind": "neighbours", "k": self.k}  # over the test codes, which every map shares


@register
class PCAMap(LatentMap):
    name, label, title, exact = "pca", "PCA", "PCA of the codes", True
    help = "the flat view of the codes with the most spread; exact, but hides what lies off its plane"

    @classmethod
    def build(cls, codes, layout=None) -> "PCAMap":
        return cls(codes)

    def __init__(self, codes: np.ndarray):
        codes = codes.astype(np.float64)
        mean = codes.mean(0)
        # right singular vectors of the centred codes are the principal axes
        _, s, vt = np.linalg.svd(codes - mean, full_matrices=False)
        components = vt[:2]
        explained = s[:2] ** 2 / max((s**2).sum(), 1e-12)
        self.mean_, self.components_ = mean, components
        super().__init__(
            (codes - mean) @ components.T,
            (f"PC1 ({explained[0]:.0%} of variance)", f"PC2 ({explained[1]:.0%} of variance)"),
            f"Each dot is {{a}}'s {codes.shape[1]}-number code, seen from the flat viewpoint "
            "that shows the most spread (PCA); codes that differ only in the hidden directions land "
            "on top of each other.",
            extra={"explained_variance_ratio": explained.tolist()},
        )

    def to_latent(self, points) -> np.ndarray:
        return (self.mean_ + _as_2d(points, 2) @ self.components_).astype(np.float32)

    def to_map(self, z) -> np.ndarray:
        return ((_as_2d(z, self.components_.shape[1]) - self.mean_) @ self.components_.T).astype(np.float32)

    def web_form(self, add) -> dict:
        return {"kind": "affine", "mean": add("pca.mean", self.mean_), "components": add("pca.components", self.components_)}


def nearest(queries: np.ndarray, data: np.ndarray, k: int, chunk: int = 512) -> tuple[np.ndarray, np.ndarray]:
    """Euclidean distances to, and rows of, the ``k`` rows of ``data`` nearest each query, nearest
    first (ties by row). Exact brute force in float64: for the 10,000 test points a query takes
    well under a millisecond, and the app need not import scikit-learn (3 s on a cold server)."""
    q = np.asarray(queries, np.float64)
    x = np.asarray(data, np.float64)
    sq = (x * x).sum(1)
    dist, rows = np.empty((len(q), k)), np.empty((len(q), k), np.int64)
    for lo in range(0, len(q), chunk):
        part = q[lo:lo + chunk]
        d2 = sq[None, :] - 2 * part @ x.T  # + |q|^2, the same along a row: only the order matters here
        # a candidate set wide enough that rounding in the expansion cannot push a true neighbour out
        m = min(len(x), 2 * k + 8)
        cand = np.argpartition(d2, m - 1, axis=1)[:, :m] if m < len(x) else np.broadcast_to(np.arange(len(x)), (len(part), len(x)))
        exact = np.sqrt(((x[cand] - part[:, None, :]) ** 2).sum(-1))  # distances computed directly
        order = np.lexsort((cand, exact), axis=1)[:, :k]
        rows[lo:lo + chunk] = np.take_along_axis(cand, order, 1)
        dist[lo:lo + chunk] = np.take_along_axis(exact, order, 1)
    return dist, rows


def _inverse_distance_weights(d: np.ndarray) -> np.ndarray:
    """Shepard weights 1/d, normalised; a zero distance takes all the weight."""
    exact = d <= 1e-12
    w = np.where(exact.any(1, keepdims=True), exact.astype(np.float64), 1.0 / np.maximum(d, 1e-12))
    return w / w.sum(1, keepdims=True)


# --------------------------------------------------------------------------------------------
# The registry's questions


def available(latent_dim: int) -> list[str]:
    """The map kinds that apply to codes of this size, the default first."""
    kinds = [k for k in MAPS.values() if k.applies_to(latent_dim)]
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
    layout = stored_layout(method, latents.codes, latents.maps, progress) if k.stored else None
    return k.build(latents.codes, layout)


# --------------------------------------------------------------------------------------------
# Stored maps: t-SNE


# bench/tsne.py on 10,000 16-d codes, 2 cores: scikit-learn 53 s; openTSNE defaults 42 s; openTSNE
# FFT with 250 exaggerated + 250 normal iterations 18.5 s, keeping the same share of each code's 10
# nearest neighbours (0.43) and the same 10-NN class accuracy on the map (0.96) as the others.
TSNE_SETTINGS = {"perplexity": 30, "initialization": "pca", "early_exaggeration_iter": 250, "n_iter": 250}


def compute_tsne(codes: np.ndarray, seed: int = 0, n_jobs: int = -1, progress=None) -> np.ndarray:
    """t-SNE of ``codes`` with openTSNE (TSNE_SETTINGS, FFT gradients for large sets).

    ``progress(fraction)`` is called as the optimisation advances. See bench/tsne.py for why
    openTSNE and these settings.
    """
    from openTSNE import TSNE

    # FFT gradients scale linearly but cost a fixed grid per step; Barnes-Hut is quicker for small sets
    method = "fft" if len(codes) >= 2000 else "bh"
    tsne = TSNE(negative_gradient_method=method, n_jobs=n_jobs, random_state=seed, **TSNE_SETTINGS)
    total = (tsne.early_exaggeration_iter + tsne.n_iter) // 50
    calls = [0]

    def callback(iteration, error, embedding):
        calls[0] += 1
        progress(min(calls[0] / total, 1.0))

    if progress is not None:
        tsne.callbacks, tsne.callbacks_every_iters = [callback], 50
    return np.asarray(tsne.fit(codes.astype(np.float64)), dtype=np.float32)


def stored_kinds() -> list[str]:
    return [name for name, k in MAPS.items() if k.stored]


def cache_file(codes: np.ndarray, method: str) -> Path:
    from .data import cache_dir

    digest = hashlib.sha1(np.ascontiguousarray(codes, np.float32).tobytes()).hexdigest()[:20]
    return cache_dir() / "maps" / f"{method}-{digest}.safetensors"


def stored_layout(method: str, codes: np.ndarray, stored, progress=None) -> np.ndarray:
    """The layout of a stored map kind: from the bundle, else the user cache, else computed
    and cached."""
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
    xy = kind(method).compute_layout(codes, progress=progress)
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        replace_file(file, lambda f: save_file({"xy": xy}, str(f)))
    except OSError:
        pass  # a read-only home still gets the map, just not cached
    return xy


def map_settings() -> dict:
    """How the stored maps are made, recorded in a bundle's config.json beside them."""
    import openTSNE

    return {"tsne": {"library": f"openTSNE {openTSNE.__version__}", "neighbours_for_estimates": 10,
                     **TSNE_SETTINGS}}


def with_stored_maps(latents, progress=None, recompute: bool = False):
    """``latents`` with the layouts of every stored map kind it lacks (all, with ``recompute``)
    computed; the same object when nothing was missing."""
    todo = [m for m in stored_kinds() if recompute or m not in latents.maps]
    if not todo:
        return latents
    return latents.with_maps({m: kind(m).compute_layout(latents.codes, progress=progress) for m in todo})


def _as_2d(a, width: int) -> np.ndarray:
    a = np.asarray(a, dtype=np.float32)
    if a.ndim == 1:
        a = a[None]
    if a.ndim != 2 or a.shape[1] != width:
        raise ValueError(f"expected points of size {width}, got shape {a.shape}")
    return a
