"""What every map kind shares: the ``LatentMap`` surface, the registry it joins with
``@register``, and the nearest-neighbour estimate that inexact maps use to go back to codes."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

MAPS: dict[str, type["LatentMap"]] = {}  # name -> map kind, in the order the app offers them


def register(kind: type["LatentMap"]) -> type["LatentMap"]:
    """Class decorator: make a map kind known to the app, the state and the commands."""
    MAPS[kind.name] = kind
    return kind


# A layout computed here (a stored kind: t-SNE, UMAP) takes at most this many codes: 100,000 are laid
# out in minutes on 2 cores (bench/tsne.py --points); more are mapped by the direct and PCA maps, or
# a sample of them by these.
MAX_LAYOUT_POINTS = 100_000


class LatentMap:
    """A 2-D map of a model's test codes. Subclasses set the class attributes and implement
    ``to_latent`` and ``to_map``; a stored kind also implements ``compute_layout``."""

    name: ClassVar[str]
    label: ClassVar[str]  # short, for a picker: "t-SNE"
    title: ClassVar[str]  # for a heading: "t-SNE of the codes"
    help: ClassVar[str]  # one sentence: what this kind of map shows and what it hides
    exact: ClassVar[bool]
    stored: ClassVar[bool] = False  # slow to compute: kept in bundles and the user cache
    # a stored kind the training command (and the importer) computes and stores; else it is computed
    # when first opened and cached, or stored on request (python -m explorer.maps NAME --map KIND)
    made_when_trained: ClassVar[bool] = True
    coordinates_are_codes: ClassVar[bool] = False  # a point's (x, y) is its latent vector itself
    # An estimated map (not ``exact``) says, in its own words, how a spot goes back to a code
    # (``way_back``), what that does to the decoded grid (``grid_note``) and how a new code is placed
    # on it (``placing``, with {k}: how many test codes it averages); the pages quote these, so no
    # page names a map kind where it means any estimated map.
    way_back: ClassVar[str] = ""
    grid_note: ClassVar[str] = ""
    placing: ClassVar[str] = ""

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
    def takes(cls, n: int) -> bool:
        """Whether this kind maps ``n`` codes (a computed layout: at most MAX_LAYOUT_POINTS)."""
        return not cls.stored or n <= MAX_LAYOUT_POINTS

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

    def place(self, z) -> np.ndarray:
        """Where new codes (a drawn digit, an uploaded image) go on the map: ``to_map``, unless the
        kind has a transform of its own for points it was not made from (UMAP's)."""
        return self.to_map(z)

    def estimate(self, points) -> tuple[np.ndarray, np.ndarray] | None:
        """For inexact maps: rows of the test points each point's latent vector is estimated
        from, and their weights. None for exact maps."""
        return None

    def web_form(self, add) -> dict | None:
        """How a browser turns a point of this map into a latent vector (explorer/bundles/webexport.py);
        ``add(key, array)`` stores an array and returns its key. None: this kind has no browser
        form, and pages draw it on the server, saying so."""
        return None

    @classmethod
    def has_browser_form(cls) -> bool:
        return cls.web_form is not LatentMap.web_form

    @classmethod
    def settings(cls) -> dict:
        """How a stored kind's layouts are made, recorded in a bundle's config.json beside them."""
        return {}

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


class NeighbourMap(LatentMap):
    """A map with no way back of its own (t-SNE, UMAP): both ways are estimates from the test codes
    themselves. ``to_latent`` averages the codes of the K test points nearest on the map,
    ``to_map`` the map positions of the K test codes nearest in the latent space, each weighted by
    inverse distance (Shepard 1968); a click exactly on a test point gives back its own code."""

    exact = False

    def __init__(self, codes: np.ndarray, xy: np.ndarray, axis_titles: tuple[str, str], explanation: str,
                 k: int = 10):
        # 10 neighbours: a distance-weighted 10-neighbour estimate decoded 10/10 class middles on t-SNE
        self.codes_ = codes.astype(np.float32)
        self.k = min(k, len(codes))
        super().__init__(xy, axis_titles, explanation)

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

    @classmethod
    def build(cls, codes, layout=None) -> "NeighbourMap":
        return cls(codes, layout)

    def web_form(self, add) -> dict:
        return {"kind": "neighbours", "k": self.k}  # over the test codes, which every map shares


_PREPARED: dict[int, tuple] = {}  # id of a read-only array -> (it, its float64 copy, squared norms)
PREPARED_BYTES = 64 << 20  # what the kept copies may hold in all


def _prepared(data) -> tuple[np.ndarray, np.ndarray]:
    """``data`` in float64 and its rows' squared norms; kept for a read-only array (a bundle's codes,
    a map's layout: the same array at every click of a server's sessions), made again for others."""
    if isinstance(data, np.ndarray) and not data.flags.writeable:
        found = _PREPARED.get(id(data))
        if found is not None and found[0] is data:
            return found[1], found[2]
    x = np.asarray(data, np.float64)
    sq = (x * x).sum(1)
    if isinstance(data, np.ndarray) and not data.flags.writeable and x.nbytes <= PREPARED_BYTES // 4:
        if sum(v[1].nbytes for v in _PREPARED.values()) + x.nbytes > PREPARED_BYTES:
            _PREPARED.clear()
        _PREPARED[id(data)] = (data, x, sq)
    return x, sq


def nearest(queries: np.ndarray, data: np.ndarray, k: int, chunk: int = 512) -> tuple[np.ndarray, np.ndarray]:
    """Euclidean distances to, and rows of, the ``k`` rows of ``data`` nearest each query, nearest
    first (ties by row). Exact brute force in float64: for the 10,000 test points a query takes
    well under a millisecond, and the app need not import scikit-learn (3 s on a cold server)."""
    q = np.asarray(queries, np.float64)
    x, sq = _prepared(data)
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


def _as_2d(a, width: int) -> np.ndarray:
    a = np.asarray(a, dtype=np.float32)
    if a.ndim == 1:
        a = a[None]
    if a.ndim != 2 or a.shape[1] != width:
        raise ValueError(f"expected points of size {width}, got shape {a.shape}")
    return a
