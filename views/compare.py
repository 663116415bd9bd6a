"""AE vs VAE side by side (URL path /compare): two models of one dataset and latent size, each on
its own browser-drawn map, answering one click and one walk together (ui/board.py). What the
page says about the two models is measured (explorer/teaching/facts.py) and shown with its numbers.

URL parameters: left, right (bundle names), spot (a test image's index, or "z1,z2": a code of the
left plane), a, b (test image indices), t (0..1). Bad values fall back to defaults with one notice.
"""

from __future__ import annotations

import streamlit as st

from ui import board, present, resources
from ui.text import literal

BOARD = board.Board(
    key="compare",
    sets=(("mnist-ae-2d", "mnist-vae-2d"), ("mnist-ae-16", "mnist-vae-16"), ("mnist-conv-ae-16", "mnist-conv-vae-16")),
    params=("left", "right"), picker="Models side by side", measured=True)


def render() -> None:
    args = resources.settings()
    catalog = resources.catalog(args)
    st.sidebar.title("Latent Explorer")
    if not board.available_sets(BOARD, catalog):
        st.error("This comparison needs an AE and a VAE of the same size, e.g. the shipped mnist-ae-2d "
                 "and mnist-vae-2d; they are not among the bundles found.")
        return
    header = st.container()
    shown = board.show(BOARD, catalog, args)
    if shown is None:
        return
    header.header(f"{literal(shown.models[0].name)} and {literal(shown.models[1].name)}, side by side")
    with st.container() if present.active() else header:  # presenting, the maps come first
        board.generation_text(BOARD, shown)
