"""Lesson: the encoder as a front end. A linear classifier (logistic regression) is trained on a
few labelled training images, on every shipped MNIST encoder's codes, on the raw pixels and on PCA
of the same sizes, and scored on the test images (explorer/teaching/frontend.py: seeded draws,
averaged; every figure computed from the bundles and cached). The number of labels is chosen on
the page; the sentence says what the figures show, whichever way they fall.

URL: ?labels=<10, 100, 1000 or 60000>."""

from __future__ import annotations

import streamlit as st

from explorer.baselines import pca
from explorer.bundles import catalog as catalog_lib
from explorer.teaching import figures, frontend
from explorer.teaching.state import LABEL_COUNTS, LabelsState, ModelUnavailable
from ui import course, present, resources, session
from ui.text import literal
from views.lessons import common

PAGE = "front-end"
W_LABELS = session.widget(PAGE, "labels")


def encoders():
    """Every shipped MNIST model of all ten digits that encodes an image alone (a conditional model
    is given the label, the very thing the classifier must find)."""
    cat = resources.catalog(resources.settings())
    out = []
    for name in cat.names():
        try:
            m = cat.model(name)
        except ModelUnavailable:  # a damaged bundle is named on the explore page; the lesson goes on without it
            continue
        if m.dataset == "mnist" and len(m.classes) == 10 and "labels" not in m.kind_info.offers and not m.own_data:
            out.append(m)
    return out


def render() -> None:
    layout = common.frame(PAGE, [
        "An autoencoder learns its code without labels. Can that code help when labels are few? A simple, "
        "linear classifier (logistic regression) is trained on a handful of labelled training images, once on "
        "each shipped encoder's codes, once on the raw pixels and once on PCA of the same size, and scored on "
        "every test image. Choose how many labelled images it gets.",
    ], say="Reusing an encoder as the front end of a classifier is judged by what a simple classifier can read "
           "from its codes, not by how well it rebuilds images; and it is worth most when labels are few.")
    if common.test_images() is None:  # says why
        return
    data_dir = resources.settings().data_dir
    test, _ = resources.test_split("mnist", data_dir)
    train, error = resources.train_split("mnist", data_dir)
    if train is None or test is None:
        st.warning(f"The MNIST training images are not available here ({literal(str(error).splitlines()[0])}); "
                   "the classifiers are trained on them.", icon=":material/cloud_off:")
        return
    models = encoders()
    state = common.state(PAGE, LabelsState.from_query)
    session.seed(W_LABELS, state.labels)
    with layout:
        st.segmented_control("Labelled training images", LABEL_COUNTS, key=W_LABELS,
                             format_func=lambda n: f"{n:,}" + (" (all)" if n == LABEL_COUNTS[-1] else ""))
        n = int(st.session_state.get(W_LABELS) or state.labels)
        common.keep(PAGE, state.updated(labels=n))
        bar = st.empty()

        def progress(done, total, what):
            bar.progress(done / max(total, 1), text=(f"Training the classifiers on {literal(what)}'s features "
                                                      f"({done + 1} of {total})" if what else "Done"))

        reference = pca.load("mnist")
        probes = frontend.measure(models, reference, train, test, n, progress=progress,
                                  reference_version=catalog_lib.file_version(pca.path_of("mnist")))
        bar.empty()
        shown = frontend.shortlist(probes, n) if present.active() else probes  # a projector's screen: the best
        chart = figures.probe_bars(shown, n, 1 / 10, **({"bar_px": 34, "text_px": 20} if present.active() else {}))
        st.plotly_chart(present.figure(chart), config={"displaylogo": False})
    with layout.after:
        st.markdown(frontend.summary(probes, n))
        draws = next(p.draws for p in probes)
        st.caption(f"Each bar: the classifier's accuracy on the {len(test.labels):,} test images, "
                   + (f"the mean over {draws} random draws of the {n:,} labelled images (seeded; the thin line "
                      "is their spread)" if draws > 1 else "trained once on every training image")
                   + ". The conditional VAE is left out: it encodes an image with its label, which is what the "
                     "classifier must find."
                   + (f" Presenting, the chart shows the {len(shown) - 2} best codes and the worst of the "
                      f"{len([p for p in probes if p.n == n]) - 1 - sum(p.source.startswith(frontend.PCA) for p in probes if p.n == n)}, "
                      "beside the pixels and PCA; leave presentation mode for every bar." if present.active() else ""))
    common.try_this(layout, "Start at 10 labels: which codes beat the raw pixels, and by how much? Then choose "
                            "1,000 and all: does the order hold when labels are plenty?")
    common.footer(layout, PAGE, "D. P. Kingma, D. J. Rezende, S. Mohamed and M. Welling, Semi-supervised learning "
                                "with deep generative models, NeurIPS 2014 (M1: a classifier on a VAE's codes); "
                                "Y. Bengio, A. Courville and P. Vincent, Representation learning: a review and new "
                                "perspectives, IEEE TPAMI 2013.")


course.lesson(path=PAGE, short="The encoder as a front end", title="The encoder as a front end",
              icon=":material/model_training:", render=render, charts=1, state=LabelsState,
              example={"labels": "10"}, needs=())
