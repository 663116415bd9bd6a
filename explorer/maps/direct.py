"""The latent plane itself, for 2-D codes: a point's coordinates are its code, both ways exact."""

from __future__ import annotations

import numpy as np

from explorer.maps.base import LatentMap, _as_2d, register


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
