"""The VQ-VAE's painter in the browser (ui/painter/): a test digit's grid of codebook entries over
the image it decodes to; pick an entry, paint cells, and the browser decodes the grid again at
once (decoder.js on the model's browser files, those the map uses). The painted grid comes back
as the component's ``grid`` state (the URL's letters, explorer/teaching/state.grid_text)."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import streamlit as st

from explorer.bundles.bundle import Model
from ui import map_component, present, static_files
from ui.text import literal

ASSETS = Path(__file__).resolve().parent / "painter"


def code() -> str:
    return map_component._code(map_component.ASSETS / "decoder.js", ASSETS / "component.js")


def module() -> str:
    """Publish the component's code (ui/static_files.py); its URL."""
    return static_files.module("painter", code())


@functools.cache
def _mount():
    return static_files.component("painter", code(), (ASSETS / "style.css").read_text())


def painter(model: Model, original: np.ndarray, start: np.ndarray, grid: list[int] | None, background: int,
            key: str) -> bool:
    """Mount the painter of ``model`` (a model with a codebook) on a test digit (``original``, uint8
    28 x 28) whose own grid is ``start`` ([h, w] entries), showing ``grid`` (entries row by row)
    where one was painted; ``background`` is the entry most cells of the test images take. The
    palette shows each entry by what it draws where the test images use it (Model.codebook_images). False
    (and a line saying why) where the browser's files cannot be written."""
    try:
        url, mount = map_component.model_url(model, map_component.browser_maps(model)), _mount()
    except static_files.Unavailable as e:
        st.caption("The painter decodes in the browser, whose files this installation cannot write.",
                   help=literal(str(e)))
        return False
    mount(key=key, default={"grid": None}, on_grid_change=lambda: None, data={
        "url": url, "model": model.name, "grid_shape": list(model.grid),
        "start": [int(v) for v in np.asarray(start).reshape(-1)], "grid": grid,
        "original": [int(v) for v in np.asarray(original, np.uint8).reshape(-1)],
        "background": int(background), "class_names": list(model.class_names), "present": present.active(),
        "palette": np.round(model.codebook_images() * 255).astype(np.uint8).reshape(model.codebook_size, -1).tolist()})
    return True
