"""Maps of the latent space: where test codes lie on a plane, and the way back to the latent space.

Every map has the same small surface:

    mp.xy            float [N, 2]: where the test codes lie on the map
    mp.to_latent(p)  float [P, 2] -> float [P, k]: latent vectors for points of the map
    mp.to_map(z)     float [P, k] -> float [P, 2]: where latent vectors lie on the map
    mp.exact         whether to_latent inverts to_map exactly

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
click exactly on a test point gives back that point's own code. t-SNE is computed once, stored
in the bundle (see ``ensure_maps``), and otherwise cached in the user cache folder.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np


@dataclass
class LatentMap:
    method: str
    xy: np.ndarray
    exact: bool
    axis_titles: tuple[str, str]
    explanation: str  # one sentence for students
    extra: dict = field(default_factory=dict)

    def to_latent(self, points) -> np.ndarray:
        raise NotImplementedError

    def to_map(self, z) -> np.ndarray:
        raise NotImplementedError

    def bounds(self, margin: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
        """Lower and upper corners of a box around all points with a margin on each side;
        extreme 0.1% on each side are ignored so one outlier does not shrink the picture."""
        lo, hi = np.quantile(self.xy, [0.001, 0.999], axis=0)
        pad = (hi - lo) * margin
        return lo - pad, hi + pad


class DirectMap(LatentMap):
    def __init__(self, codes: np.ndarray):
        if codes.shape[1] != 2:
            raise ValueError(f"the direct map needs 2-d codes, these have {codes.shape[1]} dimensions")
        super().__init__(
            method="direct", xy=codes.astype(np.float32), exact=True, axis_titles=("z1", "z2"),
            explanation="Each dot is a test image placed at its 2-number code z = (z1, z2): "
                        "the whole latent space, with nothing hidden.",
        )

    def to_latent(self, points) -> np.ndarray:
        return _as_2d(points, 2)

    def to_map(self, z) -> np.ndarray:
        return _as_2d(z, 2)


class PCAMap(LatentMap):
    def __init__(self, codes: np.ndarray):
        codes = codes.astype(np.float64)
        mean = codes.mean(0)
        # right singular vectors of the centred codes are the principal axes
        _, s, vt = np.linalg.svd(codes - mean, full_matrices=False)
        components = vt[:2]
        explained = s[:2] ** 2 / max((s**2).sum(), 1e-12)
        self.mean_, self.components_ = mean, components
        super().__init__(
            method="pca", xy=((codes - mean) @ components.T).astype(np.float32), exact=True,
            axis_titles=(f"PC1 ({explained[0]:.0%} of variance)", f"PC2 ({explained[1]:.0%} of variance)"),
            explanation=f"Each dot is a test image's {codes.shape[1]}-number code, seen from the "
                        "flat viewpoint that shows the most spread (PCA); codes that differ only in "
                        "the hidden directions land on top of each other.",
            extra={"explained_variance_ratio": explained.tolist()},
        )

    def to_latent(self, points) -> np.ndarray:
        return (self.mean_ + _as_2d(points, 2) @ self.components_).astype(np.float32)

    def to_map(self, z) -> np.ndarray:
        return ((_as_2d(z, self.components_.shape[1]) - self.mean_) @ self.components_.T).astype(np.float32)


TSNE_NEIGHBOURS = 10  # the probe: a distance-weighted 10-neighbour estimate decoded 10/10 middles


class TSNEMap(LatentMap):
    def __init__(self, codes: np.ndarray, xy: np.ndarray, k: int = TSNE_NEIGHBOURS):
        from sklearn.neighbors import NearestNeighbors

        self.codes_ = codes.astype(np.float32)
        self.k = min(k, len(codes))
        self._on_map = NearestNeighbors(n_neighbors=self.k).fit(xy)
        self._in_latent = NearestNeighbors(n_neighbors=self.k).fit(self.codes_)
        super().__init__(
            method="tsne", xy=xy.astype(np.float32), exact=False, axis_titles=("t-SNE 1", "t-SNE 2"),
            explanation=f"Each dot is a test image's {codes.shape[1]}-number code, laid out by t-SNE so "
                        "that codes which are close in the latent space stay close here; distances "
                        "between far-apart clusters and the empty space between them mean little.",
        )

    def neighbours(self, points) -> tuple[np.ndarray, np.ndarray]:
        """Rows of the K test points nearest each map point, and their weights (rows sum to 1)."""
        d, idx = self._on_map.kneighbors(_as_2d(points, 2))
        return idx, _inverse_distance_weights(d)

    def to_latent(self, points) -> np.ndarray:
        idx, w = self.neighbours(points)
        return np.einsum("pk,pkd->pd", w, self.codes_[idx]).astype(np.float32)

    def to_map(self, z) -> np.ndarray:
        d, idx = self._in_latent.kneighbors(_as_2d(z, self.codes_.shape[1]))
        w = _inverse_distance_weights(d)
        return np.einsum("pk,pkd->pd", w, self.xy[idx]).astype(np.float32)


def _inverse_distance_weights(d: np.ndarray) -> np.ndarray:
    """Shepard weights 1/d, normalised; a zero distance takes all the weight."""
    exact = d <= 1e-12
    w = np.where(exact.any(1, keepdims=True), exact.astype(np.float64), 1.0 / np.maximum(d, 1e-12))
    return w / w.sum(1, keepdims=True)


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


SLOW_MAPS = {"tsne": compute_tsne}  # stored in bundles; the others take milliseconds


def cache_file(codes: np.ndarray, method: str) -> Path:
    from .data import cache_dir

    digest = hashlib.sha1(np.ascontiguousarray(codes, np.float32).tobytes()).hexdigest()[:20]
    return cache_dir() / "maps" / f"{method}-{digest}.safetensors"


def slow_map_xy(method: str, codes: np.ndarray, stored: dict, progress=None) -> np.ndarray:
    """The layout for a slow map: from the bundle, else the user cache, else computed and cached."""
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
    xy = SLOW_MAPS[method](codes, progress=progress)
    from .bundle import replace_file

    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        replace_file(file, lambda f: save_file({"xy": xy}, str(f)))
    except OSError:
        pass  # a read-only home still gets the map, just not cached
    return xy


MAPS = {"direct": lambda codes, xy: DirectMap(codes), "pca": lambda codes, xy: PCAMap(codes),
        "tsne": lambda codes, xy: TSNEMap(codes, xy)}


def available(latent_dim: int) -> list[str]:
    """The map methods that apply to codes of this size, the default first."""
    return ["direct", "pca", "tsne"] if latent_dim == 2 else ["tsne", "pca"]


def resolve(method: str, latent_dim: int) -> str:
    if method == "auto":
        return available(latent_dim)[0]
    if method not in available(latent_dim):
        raise ValueError(f"map {method!r} does not apply to {latent_dim}-d codes; "
                         f"use one of {available(latent_dim)}")
    return method


def make_map(method: str, model, progress=None) -> LatentMap:
    if model.latents is None:
        raise ValueError(f"{model.name} has no stored test-set codes to map")
    codes = model.latents.codes
    xy = slow_map_xy(method, codes, model.latents.maps, progress) if method in SLOW_MAPS else None
    return MAPS[method](codes, xy)


def map_settings() -> dict:
    """How the slow maps are made, recorded in a bundle's config.json beside them."""
    import openTSNE

    return {"tsne": {"library": f"openTSNE {openTSNE.__version__}", "neighbours_for_estimates": TSNE_NEIGHBOURS,
                     **TSNE_SETTINGS}}


def ensure_maps(latents, progress=None, recompute: bool = False) -> bool:
    """Compute the slow maps a bundle's latents lack (all, with ``recompute``), in place;
    True if any was made."""
    added = False
    for method in SLOW_MAPS:
        if recompute or method not in latents.maps:
            latents.maps[method] = SLOW_MAPS[method](latents.codes, progress=progress)
            added = True
    return added


def _as_2d(a, width: int) -> np.ndarray:
    a = np.asarray(a, dtype=np.float32)
    if a.ndim == 1:
        a = a[None]
    if a.ndim != 2 or a.shape[1] != width:
        raise ValueError(f"expected points of size {width}, got shape {a.shape}")
    return a
