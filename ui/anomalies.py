"""The anomalies panel, shared by the explore page and the anomalies lesson: every test image's
reconstruction error as a histogram with a movable threshold, what it flags (and, for a model of
some classes, the ROC AUC), and the worst rebuilt."""

from __future__ import annotations

import numpy as np
import streamlit as st

from explorer.teaching import figures
from explorer.bundles import metrics
from explorer.bundles.bundle import Model
from ui import pictures, present, resources, session
from ui.text import literal


def panel(model: Model, originals: np.ndarray | None, data_dir: str | None, threshold_key: str,
                  threshold: float | None = None, intro: bool = True) -> float:
    """Every test image's reconstruction error as a histogram with a movable threshold, what it
    flags, and the 12 worst rebuilt (the explore page's expander and the anomalies lesson). ``threshold`` (from a link)
    starts the slider; returns the threshold shown."""
    errors, labels, index, complete = resources.test_errors(model, data_dir)
    own = np.isin(labels, model.classes)
    partial = len(model.classes) < len(model.class_names)
    intro and st.caption("An autoencoder rebuilds well what looks like its training images, so a large "
               "reconstruction error flags an image as unusual: anomaly detection without labels. "
               + (f"This model learned only {literal(', '.join(model.class_names[c] for c in model.classes))}: "
                  "every other digit should stand out." if partial else
                  "The worst-rebuilt test images are the odd ones: badly written, cut off, or ambiguous."))
    if partial and not complete:
        st.warning("The other digits' test images are not on this computer (see the sidebar), so only "
                   "this model's own classes are shown.")
    top = round(float(np.quantile(errors, 0.999)), 4)
    ss = st.session_state
    default = float(np.quantile(errors[own], 0.95))
    model_key = session.widget("anomalies", "model", threshold_key)  # whose threshold the slider holds
    same_model = ss.get(model_key) == model.name  # another model starts at its own default
    start = threshold if threshold is not None else ss.get(threshold_key, default) if same_model else default
    ss[threshold_key] = round(min(max(float(start), 0.0), top), 4)  # within this model's range
    ss[model_key] = model.name
    threshold = st.slider("Flag the images whose reconstruction error is above", 0.0, top,
                          step=round(top / 200, 5), format="%.4f", key=threshold_key)
    flagged = errors > threshold
    if partial and (~own).any():
        auc = metrics.roc_auc(errors, ~own)
        st.markdown(f"Flagged: **{flagged[~own].mean():.0%}** of the other digits ({flagged[~own].sum():,} of "
                    f"{(~own).sum():,}) and **{flagged[own].mean():.0%}** of its own ({flagged[own].sum():,} of "
                    f"{own.sum():,}, false alarms). Over every threshold, the error ranks a random other digit "
                    f"above a random own one with probability **{auc:.3f}** (ROC AUC).")
    else:
        st.markdown(f"Flagged: **{flagged.sum():,}** of {len(errors):,} test images ({flagged.mean():.1%}).")
    st.plotly_chart(present.figure(figures.error_histogram(errors, own if partial else None, threshold,
                                            [model.class_names[c] for c in model.classes])),
                    config={"displaylogo": False}, key=session.widget("anomalies", "chart", model.name))
    worst = np.argsort(errors)[::-1][:12]
    if originals is not None:
        pics = originals[index[worst]]
    else:
        rows = model.latents.rows_of(index[worst])
        pics = model.decode(model.latents.codes[rows[rows >= 0]])
        st.caption("The test images are not on this computer: their reconstructions are shown instead.")
    pictures.row(pics, [f"{model.class_names[labels[i]]} {errors[i]:.3f}" for i in worst],
                 "the 12 worst rebuilt: class and error")
    return threshold
