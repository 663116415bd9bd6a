"""Maps in a row and their frames: which maps share one frame, the box each is drawn in, and how a
spot moves between frames. Side-by-side VAEs' latent planes share one frame, since their codes
answer to the same prior, so a spot is the same code on each; any other map is framed around its
own codes, and a spot corresponds between two planes by place in each frame."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from explorer.teaching.facts import same_place

if TYPE_CHECKING:
    from explorer.bundles.bundle import Model


def planes(maps: list) -> bool:
    """Whether every map is a latent plane, so spots are codes placed by frame."""
    return all(mp.coordinates_are_codes for mp in maps)


def shared_frame(models: list[Model], maps: list) -> bool:
    """Whether the maps are drawn in one frame: VAEs' planes side by side, since their codes answer
    to the same prior, so a spot is the same code on each."""
    return len(maps) > 1 and planes(maps) and all(m.kind_info.has_posterior for m in models)


def boxes(models: list[Model], maps: list) -> list[tuple[np.ndarray, np.ndarray]]:
    """The box each map is drawn in: VAEs' planes share one (the smallest square around all their
    own, ``shared_frame``); any other map is framed around its own codes."""
    boxes = [mp.view_box() for mp in maps]
    if shared_frame(models, maps):
        lo, hi = np.min([b[0] for b in boxes], 0), np.max([b[1] for b in boxes], 0)
        centre, half = (lo + hi) / 2, (hi - lo).max() / 2
        boxes = [(centre - half, centre + half)] * len(maps)
    return boxes


def moved(z, box_from, box_to) -> np.ndarray:
    """Codes [P, 2] at the same place in another frame (unchanged in a shared one)."""
    if box_from is box_to:
        return np.asarray(z, np.float32)
    return same_place(z, box_from, box_to)
