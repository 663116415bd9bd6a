"""The training replay in the browser (ui/replay/): a 2-D model's test codes epoch by epoch,
animated with play, pause and scrub, beside its test loss. The codes go to the browser once per
bundle version as a static file of int16 numbers scaled into the replay's box (0.3 MB for 2,000
images over 50 epochs); each rerun sends only the small ``data`` below."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import streamlit as st

import plotly.graph_objects as go

from explorer.bundles import catalog
from explorer.teaching import figures
from explorer.bundles.bundle import Model
from ui import present, session, static_files
from ui.text import literal

ASSETS = Path(__file__).resolve().parent / "replay"
FILE = "codes.i16"


def module() -> str:
    """Publish the component's code (ui/static_files.py); its URL."""
    return static_files.module("replay", (ASSETS / "component.js").read_text())


@functools.cache
def _mount():
    return static_files.component("replay", (ASSETS / "component.js").read_text(), (ASSETS / "style.css").read_text())


def quantised(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """float codes [F, n, 2] -> (int16 codes, lo [F, 2], hi [F, 2]), each frame scaled into its own
    box: value = lo[f] + (q + 32768) / 65535 * (hi[f] - lo[f]). One box for all frames would give
    an untrained network's codes, a thousand times closer together than the trained ones, a
    handful of distinct values (epoch 0 drawn as eight pixels)."""
    codes = np.asarray(codes, np.float64)
    lo, hi = codes.min(1), codes.max(1)
    span = np.where(hi > lo, hi - lo, 1.0)
    q = np.round((codes - lo[:, None]) / span[:, None] * 65535) - 32768
    return q.astype("<i2"), lo, lo + span


_REPLAYS = static_files.Published("replays", made_by=(__file__,))


_BOXES: dict = {}  # (bundle, version) -> (int16 codes, lo, hi), worked out once


def files_url(model: Model) -> tuple[str, list, list]:
    """Publish the replay's codes once per bundle version, named by their content; (URL relative
    to the page, lo [F, 2], hi [F, 2])."""
    key = (str(model.path), catalog.version(model.path))
    if key not in _BOXES:
        if len(_BOXES) > 32:
            _BOXES.clear()
        _BOXES[key] = quantised(model.replay_arrays().codes.astype(np.float32))
    q, lo, hi = _BOXES[key]
    url = _REPLAYS.get(key, f"replay:{Path(model.path).absolute()}", lambda: {FILE: q.tobytes()})
    return url + FILE, lo.tolist(), hi.tolist()


def server_drawn(model: Model, start: float, why: str) -> None:
    """One frame of the replay drawn by the server, where the browser's files cannot be written."""
    frames, index = model.replay()
    labels = model.latents.labels[model.latents.rows_of(index)]
    st.caption("Drawn by the server, one epoch at a time: move the slider. (Playing the replay needs files "
               "that this installation cannot write.)", help=literal(why))
    at = st.slider("Epoch", 0, len(frames) - 1, int(round(start)), key=session.widget("replay", "epoch", model.name))
    epoch, loss, codes = frames[at]
    fig = go.Figure([go.Scattergl(x=codes[labels == c, 0], y=codes[labels == c, 1], mode="markers",
                                  name=model.class_names[c], marker=dict(size=4, color=figures.class_colour(c)))
                     for c in model.classes])
    fig.update_layout(title=f"epoch {epoch}: test loss {loss:.1f}", height=520, margin=dict(l=10, r=10, t=40, b=10))
    st.plotly_chart(fig, config={"displaylogo": False})


def replay(model: Model, start: float, key: str) -> None:
    """Mount the replay of ``model`` (which has one), starting at frame ``start``; where the student
    pauses comes back as the component's ``epoch`` state under ``key``."""
    arrays = model.replay_arrays()
    try:
        (url, lo, hi), mount = files_url(model), _mount()
    except static_files.Unavailable as e:
        server_drawn(model, start, str(e))
        return
    rows = model.latents.rows_of(arrays.index)
    vae = model.kind_info.has_posterior
    mount(key=key, default={"epoch": None}, on_epoch_change=lambda: None, data={
        "url": url, "model": model.name, "box": [lo, hi], "start": float(start),
        "epochs": arrays.epochs.tolist(), "losses": [float(v) for v in arrays.test_loss],
        "labels": model.latents.labels[rows].tolist(),
        "colours": [figures.class_colour(c) for c in range(len(model.class_names))],
        "classes": list(model.classes), "class_names": list(model.class_names),
        "unit": "nats per image" if vae or model.config.get("training", {}).get("recon", "bce") == "bce" else "per image",
        "precision": 1, "seconds": 12.0,
        "present": present.active(),  # larger, with 20 px text (ui/present.py)
    })
