"""Back and Forward over the views a user made. The server's side is ui/session.py (a history
navigation reads the page's state from its address); the browser's side is history.js, which
keeps one entry per view: a page's first address replaces the one it was opened with."""

from __future__ import annotations

import functools
from pathlib import Path

import streamlit as st

JS = Path(__file__).resolve().parent / "history.js"


@functools.cache
def _script() -> str:
    return f"<script>{JS.read_text()}</script>"


def mount() -> None:
    """On every page, before it writes its address: a plain script (a component's module loads
    after the page's first address is written, and Back would then find the bare one). It takes
    no room: it is the sidebar's, and it installs itself once per window."""
    st.sidebar.html(_script(), unsafe_allow_javascript=True)
