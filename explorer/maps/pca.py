"""PCA of the codes: the plane through their mean spanned by their first two principal components
(Pearson 1901; Jolliffe, "Principal Component Analysis", 2002). to_map is the orthogonal
projection and to_latent returns the point of that plane, so to_map(to_latent(p)) == p exactly,
while a code off the plane loses its other components."""

from __future__ import annotations

import numpy as np

from explorer.maps.base import LatentMap, _as_2d, register


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
