"""A sequence autoencoder's decoder writing a digit row by row, animated in the browser (ui/writer/):
the code goes to the browser, which runs the decoder's steps (decoder.js) and shows the rows as
they are written, with play, pause and scrub."""

from __future__ import annotations

import functools
from pathlib import Path

import streamlit as st

from explorer.bundles.bundle import Model
from ui import map_component, present, static_files
from ui.text import literal

ASSETS = Path(__file__).resolve().parent / "writer"


def code() -> str:
    return map_component._code(map_component.ASSETS / "decoder.js", ASSETS / "component.js")


def module() -> str:
    """Publish the component's code (ui/static_files.py); its URL."""
    return static_files.module("writer", code())


@functools.cache
def _mount():
    return static_files.component("writer", code(), (ASSETS / "style.css").read_text())


def writer(model: Model, code_, key: str) -> bool:
    """Mount the row-by-row writer of ``model``'s decoder for the code ``code_``; False (and a
    line saying why) where the browser's files cannot be written."""
    try:
        url, mount = map_component.model_url(model, map_component.browser_maps(model)), _mount()
    except static_files.Unavailable as e:
        st.caption("The decoder writes the rows in the browser, whose files this installation cannot write.",
                   help=literal(str(e)))
        return False
    mount(key=key, data={"url": url, "model": model.name, "code": [float(v) for v in code_],
                         "present": present.active()}, default={})
    return True
