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
"""

from __future__ import annotations

from dataclasses import dataclass, field

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


MAPS = {"direct": DirectMap, "pca": PCAMap}


def available(latent_dim: int) -> list[str]:
    """The map methods that apply to codes of this size, the default first."""
    return ["direct", "pca"] if latent_dim == 2 else ["pca"]


def resolve(method: str, latent_dim: int) -> str:
    if method == "auto":
        return available(latent_dim)[0]
    if method not in available(latent_dim):
        raise ValueError(f"map {method!r} does not apply to {latent_dim}-d codes; "
                         f"use one of {available(latent_dim)}")
    return method


def make_map(method: str, model) -> LatentMap:
    if model.latents is None:
        raise ValueError(f"{model.name} has no stored test-set codes to map")
    return MAPS[method](model.latents.codes)


def _as_2d(a, width: int) -> np.ndarray:
    a = np.asarray(a, dtype=np.float32)
    if a.ndim == 1:
        a = a[None]
    if a.ndim != 2 or a.shape[1] != width:
        raise ValueError(f"expected points of size {width}, got shape {a.shape}")
    return a
