"""The training replay in the browser (ui/replay/): a 2-D model's test codes epoch by epoch,
animated with play, pause and scrub, beside its test loss. The codes go to the browser once per
bundle version as a static file of int16 numbers scaled into the replay's box (0.3 MB for 2,000
images over 50 epochs); each rerun sends only the small ``data`` below."""

from __future__ import annotations

import functools
import hashlib
import shutil
from pathlib import Path

import numpy as np
import streamlit as st

from explorer import figures
from explorer.bundle import Model
from explorer.files import replace_file
from ui import resources
from ui.map_component import LOADER, STATIC, _static_module

ASSETS = Path(__file__).resolve().parent / "replay"
FILE = "codes.i16"


@functools.cache
def _mount():
    return st.components.v2.component("replay", js=LOADER % _static_module("replay", (ASSETS / "component.js").read_text()),
                                      css=(ASSETS / "style.css").read_text())


def quantised(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """float codes [F, n, 2] -> (int16 codes, lo [2], hi [2]): value = lo + (q + 32768) / 65535 * (hi - lo)."""
    codes = np.asarray(codes, np.float64)
    lo, hi = codes.min((0, 1)), codes.max((0, 1))
    span = np.where(hi > lo, hi - lo, 1.0)
    q = np.round((codes - lo) / span * 65535) - 32768
    return q.astype("<i2"), lo, lo + span


@st.cache_resource(show_spinner=False, max_entries=16)
def _files(path: str, mtime: float, _model: Model) -> tuple[str, list, list]:
    """Write the replay's codes once per bundle version; (URL relative to the page, lo, hi)."""
    arrays = _model.replay_arrays()
    q, lo, hi = quantised(arrays.codes.astype(np.float32))
    digest = hashlib.sha1(f"{path}:{mtime}".encode()).hexdigest()[:12]
    name = f"{Path(path).name}-{digest}"
    folder = STATIC / "replays" / name
    if not (folder / FILE).is_file():
        folder.mkdir(parents=True, exist_ok=True)
        replace_file(folder / FILE, lambda f: f.write_bytes(q.tobytes()))
        for old in folder.parent.glob(f"{Path(path).name}-*"):  # earlier versions of this bundle
            if old != folder and old.is_dir():
                shutil.rmtree(old, ignore_errors=True)
    return f"app/static/replays/{name}/{FILE}", lo.tolist(), hi.tolist()


def replay(model: Model, start: float, key: str) -> None:
    """Mount the replay of ``model`` (which has one), starting at frame ``start``; where the student
    pauses comes back as the component's ``epoch`` state under ``key``."""
    arrays = model.replay_arrays()
    url, lo, hi = _files(str(model.path), resources.bundle_mtime(model.path), model)
    rows = model.latents.rows_of(arrays.index)
    vae = model.kind_info.has_posterior
    _mount()(key=key, default={"epoch": None}, on_epoch_change=lambda: None, data={
        "url": url, "model": model.name, "box": [lo, hi], "start": float(start),
        "epochs": arrays.epochs.tolist(), "losses": [float(v) for v in arrays.test_loss],
        "labels": model.latents.labels[rows].tolist(),
        "colours": [figures.class_colour(c) for c in range(len(model.class_names))],
        "classes": list(model.classes), "class_names": list(model.class_names),
        "unit": "nats per image" if vae or model.config.get("training", {}).get("recon", "bce") == "bce" else "per image",
        "precision": 1, "seconds": 12.0,
    })
