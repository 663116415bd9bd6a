"""Lesson: an autoencoder against PCA. The 2-D autoencoder's plane beside the PCA plane of the
pixels, coloured alike; a click on a dot of either shows that test image rebuilt by both.

URL: ?digit=<test image index>."""

from __future__ import annotations

import numpy as np
import streamlit as st

from explorer.teaching import facts, figures
from explorer.baselines import pca
from explorer.teaching.state import DigitState
from ui import course, pictures, present, resources, session
from ui.text import literal
from views.lessons import common

MODEL = "mnist-ae-2d"
PAGE = "ae-vs-pca"
W_DIGIT = session.widget(PAGE, "digit")
SEEN = session.widget(PAGE, "seen")  # the charts' selections already taken
CHARTS = {side: session.widget(PAGE, "chart", side) for side in ("ae", "pca")}


def take_click(key: str) -> None:
    """A dot clicked on any chart becomes the chosen digit."""
    common.take_dot_click(key, SEEN, W_DIGIT)


def render() -> None:
    layout = common.frame("ae-vs-pca", [
        "Both planes squeeze each test image into two numbers. On the right, PCA: the two directions in "
        "which the 784 pixels vary most, a flat projection. On the left, an autoencoder with the same "
        "two numbers, but bent: its encoder and decoder are nonlinear. Same colours on both, one per digit.",
    ], say="Both squeeze each image into two numbers: PCA along straight directions, the autoencoder along "
           "curved ones. Compare how well each plane keeps the digits apart, and how well each rebuilds them.",
        wide=True)
    try:
        basis = pca.load("mnist")
    except pca.PCAError as e:  # there but damaged: say what is wrong, not that it is missing
        st.error(f"This lesson needs the PCA of MNIST, and its file is damaged: {literal(e)}")
        return
    if basis is None:
        st.error("This lesson needs pretrained/pca/mnist.safetensors (`python -m explorer.pca --dataset mnist`).")
        return
    found = common.models(MODEL)
    if found is None:
        return
    (model,) = found
    originals = common.test_images()
    if originals is None:
        return
    ss = st.session_state
    state = common.state(PAGE, lambda query: DigitState.from_query(query, len(originals)))
    session.seed(W_DIGIT, state.digit)
    for key in CHARTS.values():
        take_click(key)
    chosen = int(ss[W_DIGIT])
    common.keep(PAGE, state.updated(digit=chosen))
    lat = model.latents
    pixels_xy = _pixel_plane(basis, originals)[lat.index]
    height = 560 if present.active() else 430
    with layout:
        left, right = st.columns(2, gap="large")
        with left:
            st.plotly_chart(present.figure(figures.class_scatter(lat.codes, lat.labels, lat.index, model.class_names,
                                                   f"Autoencoder ({MODEL}): its 2-number codes", ("z1", "z2"), chosen),
                                           height),
                            key=CHARTS["ae"], on_select="rerun", selection_mode="points", config={"displaylogo": False})
        with right:
            st.plotly_chart(present.figure(figures.class_scatter(pixels_xy, lat.labels, lat.index, model.class_names,
                                                   "PCA of the pixels: the first two components",
                                                   ("component 1", "component 2"), chosen), height),
                            key=CHARTS["pca"], on_select="rerun", selection_mode="points", config={"displaylogo": False})
    common.try_this(layout, "Click a 4 on the PCA plane, then find it on the autoencoder's plane (it is ringed "
                            "on both): which plane keeps the 4s apart from the other digits?")
    x = originals[chosen]
    ae = model.reconstruct(x[None])[0]
    linear = basis.reconstruct(x[None], 2)[0]
    err = lambda r: float(((r - x / 255.0) ** 2).mean())
    with layout.text:
        c1, c2 = st.columns([3, 2])
        with c1:
            pictures.show_row([(x, f"test image #{chosen}", 140, {"digit": chosen}),
                               (ae, f"autoencoder, 2 numbers: error {err(ae):.4f}", 140, {"rebuilt": "ae"}),
                               (linear, f"PCA, 2 numbers: error {err(linear):.4f}", 140, {"rebuilt": "pca"})])
        with c2:
            st.number_input("Test image number", 0, len(originals) - 1, key=W_DIGIT)
        sorted_ae, sorted_pca = (resources.plane_clusters(xy, lat.labels, model.class_names) for xy in (lat.codes, pixels_xy))
        st.markdown(
            f"Measured on the {len(lat.labels):,} test images: of each image's {facts.NEIGHBOURS} nearest neighbours, "
            f"**{sorted_ae.agreement:.0%}** share its digit on the autoencoder's plane and **{sorted_pca.agreement:.0%}** "
            f"on PCA's (labels at random: {sorted_ae.chance:.0%}). Rebuilt from the same two numbers, the mean squared "
            f"error per pixel is {model.metrics.get('test_mse', float('nan')):.4f} for the autoencoder and "
            f"{model.metrics.get('pca_test_mse', float('nan')):.4f} for PCA.")
    common.footer(layout, "ae-vs-pca", "G. E. Hinton and R. R. Salakhutdinov, Science 313 (2006), figure 3; P. "
                                       "Baldi and K. Hornik, Neural networks and principal component analysis, 1989.")


@st.cache_data(show_spinner=False, max_entries=2)
def _pixel_plane(_basis, originals: np.ndarray) -> np.ndarray:
    return _basis.encode(originals, 2)


course.lesson(path=PAGE, short="AE vs PCA", title="Autoencoder against PCA", icon=":material/scatter_plot:",
              render=render, charts=2, state=DigitState, example={"digit": "123"}, needs=(MODEL,))
