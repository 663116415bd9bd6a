"""Three expanders of the explore page, each drawn only while open: the decoded grid (the classic
figure of a 2-D map, Kingma & Welling 2014) and, for codes of more than two numbers, a traversal
of the code one dimension at a time (as beta-VAE papers show it), with knobs decoded live, and
which code units fire for which class (what a sparse autoencoder is for)."""

from __future__ import annotations

import numpy as np
import streamlit as st

from explorer.teaching import facts, figures, generate, images
from explorer import maps as projection
from explorer.bundles.bundle import Model
from explorer.teaching.view import View
from ui import map_component, pictures, present, session
from ui.text import literal

def decoded_grid(model: Model, mp: projection.LatentMap) -> None:
    box = st.expander("The decoded grid: the classic figure of this map", key=session.W_GRID, on_change="rerun",
                      icon=":material/grid_on:")
    if not box.open:  # drawn only while open
        return
    with box:
        lo, hi = mp.view_box()
        n = 15
        grid = generate.decoded_grid(model, mp, lo, hi, n)
        st.caption(f"The images decoded at {n} x {n} evenly spaced points of the map, as in Kingma & Welling's "
                   "figure of a 2-D latent space: top left is the map's top left. "
                   + ("Every point here is a code the decoder was never shown." if mp.exact else mp.grid_note))
        picture = images.image_grid(grid, n, n)
        pictures.show(picture, f"{model.name}, {projection.kind(mp.name).title}", min(picture.shape[1], 560))
        st.download_button("Decoded grid as PNG", data=lambda: images.png_bytes(images.image_grid(grid, n, n, scale=2)),
                           file_name=f"{model.name}-{mp.name}-grid.png", mime="image/png", on_click="ignore",
                           icon=":material/download:")


def traversal(model: Model, v: View) -> None:
    if model.latent_dim <= 2:
        return
    box = st.expander("One dimension at a time: a traversal of the code", key=session.W_TRAVERSAL,
                      on_change="rerun", icon=":material/linear_scale:")
    if not box.open:
        return
    with box:
        start = v.spot if v.spot is not None else v.a
        spread = model.latents.codes.std(0)
        steps = np.linspace(-3, 3, 9)
        grid = generate.traversal(model, start.code, spread, steps)
        st.caption(f"Starting from {literal(start.describe(model))} (click the map to change it), each row moves one of the "
                   f"{model.latent_dim} numbers of the code alone, from 3 below to 3 above its spread over the test "
                   "codes, and decodes. Rows that change the image's shape in one clear way are dimensions "
                   "the model uses for one thing; rows that barely change are dimensions it hardly uses. A "
                   "beta-VAE (Higgins et al., 2017) is trained to make more rows like the first kind.")
        st.caption("Turn one knob at a time: the image is decoded in your browser as you drag.")
        map_component.traverse(model, start.code, key=session.widget("explore", "traverse", model.name))
        # presenting, the labels are drawn larger and the digits with them, so "+2.25" fits its column
        picture = images.image_grid(grid, model.latent_dim, len(steps), scale=3 if present.active() else 2, gap=2,
                                    row_labels=[f"z{d + 1}" for d in range(model.latent_dim)],
                                    col_labels=[f"{s:+g}" for s in steps], label_px=pictures.label_px())
        pictures.show(picture, "rows: the code's dimensions; columns: how far each moves, in spreads", picture.shape[1],
                      labelled=pictures.label_px())


MAX_UNITS = 128  # wider codes (the overcomplete ones) make a picture of noise at this size


def unit_activity(model: Model) -> None:
    if not 2 < model.latent_dim <= MAX_UNITS:
        return
    box = st.expander("Which code units fire for which class", key=session.W_UNITS, on_change="rerun",
                      icon=":material/view_comfy:")
    if not box.open:
        return
    with box:
        a = facts.unit_activity(model.latents.codes, model.latents.labels, model.classes)
        st.caption(f"Each row is a class, each column one of the {model.latent_dim} numbers of the code; the shade is "
                   f"that number's mean over the class's test codes. Columns are grouped "
                   f"by the class each number is largest for. {a.silent} of the {model.latent_dim} numbers stay near 0 "
                   f"(under {facts.SILENT:.0%} of the largest mean) for every class.")
        st.plotly_chart(present.figure(figures.unit_activity(a, model.class_names)), config={"displaylogo": False})
