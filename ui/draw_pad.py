"""A pad to draw one digit on (ui/draw_pad/: a ``st.components.v2`` component). Its state
``drawing`` is the picture as a PNG data URL once a stroke ends, None once cleared."""


from __future__ import annotations

import base64
import functools
from pathlib import Path

import streamlit as st

from ui import present, static_files

ASSETS = Path(__file__).resolve().parent / "draw_pad"
SIZE = 240  # CSS pixels a side
PREFIX = "data:image/png;base64,"


@functools.cache
def _mount():
    return static_files.listed(st.components.v2.component("draw_pad", js=(ASSETS / "component.js").read_text(),
                                                          css=(ASSETS / "style.css").read_text()))


def draw_pad(key: str) -> None:
    """Mount the pad; the page reads its state under ``key`` in its next run."""
    _mount()(key=key, data={"size": SIZE, "present": present.active()}, default={"drawing": None},
             on_drawing_change=lambda: None)


def png_of(url) -> bytes | None:
    """The PNG bytes of a ``drawing`` state (None: nothing drawn, or not a PNG data URL)."""
    if not isinstance(url, str) or not url.startswith(PREFIX):
        return None
    try:
        return base64.b64decode(url[len(PREFIX):], validate=True)
    except ValueError:
        return None
