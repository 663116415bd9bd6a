"""AE vs VAE side by side (URL path /compare): two models of one dataset and latent size, each on
its own browser-drawn map, answering one click and one walk together (views/board.py).

URL parameters: left, right (bundle names), spot (a test image's index, or "z1,z2" on 2-D
planes), a, b (test image indices), t (0..1). Bad values fall back to defaults with one notice.
"""

from __future__ import annotations

import streamlit as st

from ui import resources
from ui.text import literal
from views import board

BOARD = board.Board(
    key="compare",
    sets=(("mnist-ae-2d", "mnist-vae-2d"), ("mnist-ae-16", "mnist-vae-16"), ("mnist-conv-ae-16", "mnist-conv-vae-16")),
    params=("left", "right"), picker="Models side by side")


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
    models, maps = shown.models, shown.maps
    plane = all(mp.coordinates_are_codes for mp in maps)
    with header:
        st.header(f"{literal(models[0].name)} and {literal(models[1].name)}, side by side")
        st.caption("The same click goes to both models: "
                   + ("on these latent planes, the same code z is decoded by each decoder. "
                      if plane else "a test image's own code in each model, or the clicked code placed on the other "
                                    "map by its estimate. ")
                   + "The plain autoencoder (left) was only asked to rebuild its training images, so its plane "
                     "has empty regions that decode to smudges; the VAE (right) was also pushed to spread its "
                     "codes like N(0, I), so almost every spot decodes to a digit. Drag either walk slider: both "
                     "walk from the same A to the same B.")
