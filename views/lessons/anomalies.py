"""Lesson: anomaly detection by reconstruction error, on the autoencoder that learned only zeros.

URL: ?threshold=<reconstruction error>."""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from explorer import figures
from explorer.state import AnomalyState
from ui import anomalies, present, resources, session
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
            st.plotly_chart(present.figure(by_class_figure(model, by_class, threshold)), config={"displaylogo": False})
    common.footer(layout, "anomalies", "M. Sakurada and T. Yairi, Anomaly detection using autoencoders with "
                                       "nonlinear dimensionality reduction, MLSDA 2014; C. Zhou and R. C. Paffenroth, "
                                       "Anomaly detection with robust deep autoencoders, KDD 2017.")


def by_class_figure(model, by_class: dict, threshold: float) -> go.Figure:
    """Each digit's mean reconstruction error, every digit labelled, the threshold as a line."""
    names = [model.class_names[int(c)] for c in by_class]
    fig = go.Figure(go.Bar(x=names, y=list(by_class.values()),
                           marker_color=[figures.class_colour(int(c)) for c in by_class]))
    fig.add_hline(y=threshold, line_dash="dash", annotation_text="threshold", annotation_position="top left")
    fig.update_layout(height=280, margin=dict(l=10, r=10, t=40, b=10),
                      title="Mean reconstruction error of each digit's test images")
    fig.update_xaxes(type="category", tickmode="array", tickvals=names, ticktext=names, title="digit")
    fig.update_yaxes(title="error per pixel")
    return fig
