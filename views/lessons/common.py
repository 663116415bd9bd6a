"""What every lesson page shares: its place in the course, its frame (title, a few short
paragraphs, one "try this", the reference it rests on), the next lesson's link, and the small
URL state each lesson keeps (a test image, a level) with bad values named in one notice."""

from __future__ import annotations

import math

import numpy as np
import streamlit as st

from explorer import data
from ui import resources
from ui.text import code, literal

# (url path, title): the course in order; app.py builds the pages from views/lessons/__init__.py
COURSE: list[tuple[str, str]] = []


def frame(path: str, paragraphs: list[str]) -> None:
    """The lesson's title and its few short paragraphs, for a projector."""
    number = [p for p, _ in COURSE].index(path) + 1
    title = dict(COURSE)[path]
    st.sidebar.title("Latent Explorer")
    st.caption(f"Lesson {number} of {len(COURSE)}")
    st.header(title)
    st.markdown("\n\n".join(paragraphs))


def try_this(text: str) -> None:
    st.info(f"**Try this.** {text}", icon=":material/touch_app:")


def footer(path: str, reference: str) -> None:
    """The reference, and the way on to the next lesson (from the last, back to the first)."""
    st.caption(f"Reference: {reference}")
    paths = [p for p, _ in COURSE]
    i = paths.index(path)
    if i + 1 < len(paths) and paths[i + 1] in PAGES_BY_PATH:
        st.page_link(PAGES_BY_PATH[paths[i + 1]], label=f"Next: {dict(COURSE)[paths[i + 1]]}", icon=":material/arrow_forward:")
    elif i + 1 == len(paths) and paths[0] in PAGES_BY_PATH:  # the last lesson: back to the first
        st.page_link(PAGES_BY_PATH[paths[0]], label=f"The end of the course. Back to lesson 1: {dict(COURSE)[paths[0]]}",
                     icon=":material/replay:")


PAGES_BY_PATH: dict[str, object] = {}  # url path -> its st.Page, filled by app.py


def test_images(dataset: str = "mnist"):
    """The dataset's test images, or None after saying why (the lesson shows what it can)."""
    data_dir = resources.settings().data_dir
    originals, error = resources.test_images(dataset, data_dir)
    if originals is None:
        # the folders searched, as the explore page lists them (the message's first line ends at "Looked in:")
        why = ("not found; looked in " + ", ".join(code(str(d)) for d in data.candidate_dirs(dataset, data_dir))
               if isinstance(error, data.DataMissing) else literal(str(error).splitlines()[0]))
        st.warning(f"The {dataset} test images are not available here ({why}). "
                   "Point EXPLORER_DATA_DIR at a folder holding them, or run "
                   f"`python -m explorer.fetch {dataset}`.", icon=":material/cloud_off:")
    return originals


def query_number(name: str, default, lo, hi, notes: list[str], kind=int):
    """The URL's ``name`` as an int (or float: ``kind``) within [lo, hi]; else ``default``, with
    the reason added to ``notes``."""
    text = st.query_params.get(name)
    if text is None:
        return default
    try:
        value = kind(text)
        if math.isfinite(value) and lo <= value <= hi:
            return value
    except ValueError:
        pass
    notes.append(f"{name}={text[:40]} is not a number from {lo:g} to {hi:g}")
    return default


def models(*names: str):
    """The shipped models a lesson needs, or None after saying which are missing."""
    catalog = resources.catalog(resources.settings())
    missing = [n for n in names if n not in catalog.names()]
    if missing:
        st.error(f"This lesson needs the shipped {', '.join(missing)}; see the README for the command that "
                 "makes each.")
        return None
    return [catalog.model(n) for n in names]


def link_notes(notes: list[str]) -> None:
    if notes:
        st.warning("Part of the link was ignored: " + "; ".join(map(literal, notes)) + ".", icon=":material/link_off:")


def set_query(**values) -> None:
    """The address bar shows the lesson's state (values equal to None are left out)."""
    wanted = {k: str(v) for k, v in values.items() if v is not None}
    if st.query_params.to_dict() != wanted:
        st.query_params.from_dict(wanted)


def random_digit(n: int) -> int:
    return int(np.random.default_rng().integers(n))
