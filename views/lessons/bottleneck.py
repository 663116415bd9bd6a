"""Lesson: the bottleneck. Test MSE against the code size k for the autoencoder series and for
PCA (the linear reference), and one test digit rebuilt at every k by both.

URL: ?digit=<test image index>."""

from __future__ import annotations

import numpy as np
import streamlit as st

from explorer.teaching import facts, figures, images
from explorer.baselines import pca
from explorer.teaching.state import DigitState
from ui import course, pictures, present, resources, session
from ui.text import literal
from views.lessons import common

SERIES = {2: "mnist-ae-2", 4: "mnist-ae-4", 8: "mnist-ae-8", 16: "mnist-ae-16", 32: "mnist-ae-32"}
PAGE = "bottleneck"
W_DIGIT = session.widget(PAGE, "digit")


def another() -> None:
    st.session_state[W_DIGIT] = common.random_digit(10_000)


def trends(ae, pca) -> str:
    """How the two errors move as the code grows (facts.trend's words), with one verb for both
    where they move alike."""
    ae_way, pca_way = facts.trend(ae), facts.trend(pca)
    if ae_way == pca_way:
        return "both errors " + facts.trend(ae, "rise", "fall", "do not move one way")
    return f"the autoencoder's error {ae_way} and PCA's {pca_way}"


def series_models(catalog) -> dict:
    names = set(catalog.names())
    return {k: catalog.model(n) for k, n in SERIES.items() if n in names}


def render() -> None:
    layout = common.frame("bottleneck", [
        "An autoencoder has three parts: an **encoder** that squeezes an image of d = 784 pixels into a "
        "code of k numbers, the **bottleneck** (the code itself), and a **decoder** that rebuilds the "
        "image from the code. Trained only to make the rebuilt image match the input, it must find "
        "what matters in digits, since k is far smaller than d.",
        "Here five autoencoders with the same layers differ only in k. Beside them, PCA keeps the k "
        "directions of largest variance: the best a *linear* encoder and decoder can do. The gap between "
        "the curves is what the nonlinear layers buy.",
    ], say="An autoencoder must squeeze 784 pixels through k numbers and rebuild the image from those alone; "
           "the curve shows how much each extra number buys.", wide=True)
    args = resources.settings()
    models = series_models(resources.catalog(args))
    try:
        basis = pca.load("mnist")
    except pca.PCAError as e:  # there but damaged: say what is wrong, not that it is missing
        st.error(f"This lesson needs the PCA of MNIST, and its file is damaged: {literal(e)}")
        return
    if len(models) < 2 or basis is None:
        st.error("This lesson needs the shipped bottleneck series (mnist-ae-2 ... mnist-ae-32) and "
                 "pretrained/pca/mnist.safetensors; see the README for the commands that make them.")
        return
    ss = st.session_state
    state = common.state(PAGE, lambda query: DigitState.from_query(query, 10_000))
    session.seed(W_DIGIT, state.digit)
    originals = common.test_images()
    ks = sorted(models)
    with layout:
        left, right = st.columns([2, 3], gap="large")
    with left:
        st.plotly_chart(present.figure(figures.bottleneck_curve(models)), config={"displaylogo": False})
    with right:
        c1, c2 = st.columns([2, 1])
        c1.number_input("Test image number", 0, 9_999, key=W_DIGIT)
        c2.button("Another digit", on_click=another, icon=":material/casino:", width="stretch")
        i = int(ss[W_DIGIT])
        common.keep(PAGE, state.updated(digit=i))
        if originals is not None:
            x = originals[i]
            ae = [models[k].reconstruct(x[None])[0] for k in ks]
            linear = [basis.reconstruct(x[None], k)[0] for k in ks]
            err = lambda r: float(((r - x / 255.0) ** 2).mean())
            grid = images.image_grid([*ae, *linear], rows=2, cols=len(ks), row_labels=["AE", "PCA"],
                                     col_labels=[f"k={k}" for k in ks], scale=3, label_px=pictures.label_px())
            pictures.show_row([(x, f"test image #{i}", 112, {"digit": i}),
                               (grid, "rebuilt from k numbers: autoencoder (top), PCA (bottom)", grid.shape[1],
                                {"bottleneck": ",".join(str(k) for k in ks), "label_px": pictures.label_px()})])
    common.try_this(layout, "Find a digit that the 2-number autoencoder turns into another digit. How many "
                            "numbers does PCA need before it is recognisable?")
    with layout.text:
        ratio = {k: models[k].metrics.get("test_mse", np.nan) / models[k].metrics.get("pca_test_mse", np.nan) for k in ks}
        better = all(r < 1 for r in ratio.values())
        ways = trends(*([models[k].metrics.get(key, np.nan) for k in ks] for key in ("test_mse", "pca_test_mse")))
        st.markdown(f"Measured over the 10,000 test images (mean squared error per pixel): as the code grows, "
                    f"{ways}; the autoencoder's error is "
                    f"{ratio[ks[0]]:.0%} of PCA's with {ks[0]} numbers and {ratio[ks[-1]]:.0%} with {ks[-1]}"
                    + (", below PCA's at every k shown." if better else "; at some k PCA does as well or better."))
    if originals is not None:  # this digit's figures follow its pictures
        with layout.after:
            st.markdown("| this digit's error | " + " | ".join(f"k={k}" for k in ks) + " |\n|---|"
                        + "---|" * len(ks) + "\n| autoencoder | " + " | ".join(f"{err(a):.4f}" for a in ae)
                        + " |\n| PCA | " + " | ".join(f"{err(p):.4f}" for p in linear) + " |")
    common.footer(layout, "bottleneck", "G. E. Hinton and R. R. Salakhutdinov, Reducing the dimensionality of "
                                        "data with neural networks, Science 313 (2006).")


course.lesson(path=PAGE, short="The bottleneck", title="The bottleneck: what an autoencoder is",
              icon=":material/compress:", render=render, charts=1, state=DigitState, example={"digit": "123"},
              needs=tuple(SERIES.values()))
