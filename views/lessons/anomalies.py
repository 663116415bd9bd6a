"""Lesson: anomaly detection by reconstruction error, on the autoencoder that learned only zeros.

URL: ?threshold=<reconstruction error>."""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from explorer import figures

from ui import resources
from views import explore
from views.lessons import common

MODEL = "mnist0-ae-4"
W_THRESHOLD = "w_anomalies_threshold"


def render() -> None:
    common.frame("anomalies", [
        f"This autoencoder ({MODEL}) saw only zeros while it learned. It rebuilds a zero well, since "
        "that is all it knows, and anything else badly: it bends every input towards a zero.",
        "So its reconstruction error is an **anomaly score**, with no labels needed: above a threshold, "
        "an image is flagged as unlike the training data. Where to put the threshold is a trade: lower "
        "catches more of the other digits, and more zeros by mistake.",
    ])
    found = common.models(MODEL)
    if found is None:
        return
    (model,) = found
    originals = common.test_images()
    notes: list[str] = []
    asked = common.query_number("threshold", -1.0, 0.0, 1.0, notes, kind=float) if W_THRESHOLD not in st.session_state else -1.0
    common.link_notes(notes)
    threshold = explore.anomaly_panel(model, originals, resources.settings().data_dir, W_THRESHOLD, asked if asked >= 0 else None,
                                      intro=False)
    by_class = model.metrics.get("recon_error_by_class")
    if by_class:
        names = model.class_names
        fig = go.Figure(go.Bar(x=[names[int(c)] for c in by_class], y=list(by_class.values()),
                               marker_color=[figures.class_colour(int(c)) for c in by_class]))
        fig.add_hline(y=threshold, line_dash="dash", annotation_text="threshold")
        fig.update_layout(height=260, margin=dict(l=10, r=10, t=30, b=10),
                          title="Mean reconstruction error of each digit's test images")
        st.plotly_chart(fig, config={"displaylogo": False})
    common.set_query(threshold=f"{threshold:g}")
    common.try_this("Drag the threshold down until nearly every other digit is flagged: how many zeros are "
                    "flagged by mistake? Which digit is hardest to tell from a zero, and why?")
    common.footer("anomalies", "M. Sakurada and T. Yairi, Anomaly detection using autoencoders with nonlinear "
                               "dimensionality reduction, MLSDA 2014; C. Zhou and R. C. Paffenroth, Anomaly "
                               "detection with robust deep autoencoders, KDD 2017.")
