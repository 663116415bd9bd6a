"""Lesson: anomaly detection by reconstruction error, on the autoencoder that learned only zeros.

URL: ?threshold=<reconstruction error>."""

from __future__ import annotations

import streamlit as st

from explorer.teaching import figures
from explorer.teaching.state import AnomalyState
from ui import anomalies, course, present, resources, session
from views.lessons import common

MODEL = "mnist0-ae-4"
PAGE = "anomalies"
W_THRESHOLD = session.widget(PAGE, "threshold")


def render() -> None:
    layout = common.frame("anomalies", [
        f"This autoencoder ({MODEL}) saw only zeros while it learned. It rebuilds a zero well, since "
        "that is all it knows, and anything else worse: it bends every input towards a zero.",
        "So its reconstruction error is an **anomaly score**, with no labels needed: above a threshold, "
        "an image is flagged as unlike the training data. Where to put the threshold is a trade: lower "
        "catches more of the other digits, and more zeros by mistake.",
    ], say="An autoencoder rebuilds well what resembles its training images, so a high reconstruction error "
           "flags the odd ones out; move the threshold and watch the two kinds of mistake trade off.")
    found = common.models(MODEL)
    if found is None:
        return
    (model,) = found
    with layout:
        originals = common.test_images()
        state = common.state(PAGE, AnomalyState.from_query)
        threshold = anomalies.panel(model, originals, resources.settings().data_dir, W_THRESHOLD,
                                    state.threshold if W_THRESHOLD not in st.session_state else None, intro=False)
    common.keep(PAGE, state.updated(threshold=threshold))
    common.try_this(layout, "Drag the threshold down until nearly every other digit is flagged: how many zeros "
                            "are flagged by mistake? Which digit is hardest to tell from a zero, and why?")
    by_class = model.metrics.get("recon_error_by_class")
    if by_class:
        with layout.text:
            st.plotly_chart(present.figure(figures.error_by_class(model, by_class, threshold)), config={"displaylogo": False})
    common.footer(layout, "anomalies", "M. Sakurada and T. Yairi, Anomaly detection using autoencoders with "
                                       "nonlinear dimensionality reduction, MLSDA 2014; C. Zhou and R. C. Paffenroth, "
                                       "Anomaly detection with robust deep autoencoders, KDD 2017.")


course.lesson(path=PAGE, short="Anomalies", title="Anomaly detection by reconstruction error",
              icon=":material/troubleshoot:", render=render, charts=1, state=AnomalyState, example={"threshold": "0.03"},
              needs=(MODEL,))
