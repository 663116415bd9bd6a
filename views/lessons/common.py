"""What every lesson page shares: its place in the course, its frame (title, a few short
paragraphs, one "try this", the reference it rests on), the next lesson's link, and its typed
state (explorer/teaching/state.py: a test image, a level), read from the URL once with bad values named
in one notice, and written back after each run."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import streamlit as st

from explorer import data
from ui import present, resources, session
from ui.course import COURSE, PAGES_BY_PATH
from ui.text import code, literal



@dataclass(frozen=True)
class Layout:
    """Where a lesson writes: its instrument (``with layout:`` writes there), its notes ("Try
    this" and the sentence to say) and its text (the paragraphs, measured figures, the reference).
    On a screen: text, instrument, notes, one under the other. In presentation mode
    (ui/present.py): the title, then the instrument beside a column of notes and text, so the
    instrument and its "Try this" share the first screen; an instrument of several maps in a row
    takes the full width with the notes and text beneath."""

    instrument: object
    notes: object
    text: object
    aside: object  # the instrument's secondary parts: in it on a screen, below the first screen when presenting
    wide: bool = False  # the instrument is several maps in a row (or a wide one), the notes above it

    @property
    def after(self):
        """Where figures that read what the instrument shows go: under its "Try this" on a screen
        (the instrument stays where the paragraphs left it), with the text when presenting."""
        return self.text if present.active() else self.notes

    def __enter__(self):
        self.instrument.__enter__()
        return self

    def __exit__(self, *exc):
        return self.instrument.__exit__(*exc)


def frame(path: str, paragraphs: list[str], say: str, wide: bool = False) -> Layout:
    """The lesson's title, its few short paragraphs and the sentence a teacher says while showing
    its instrument (shown in presentation mode); ``wide``: the instrument is several maps in a row."""
    number = [p for p, _ in COURSE].index(path) + 1
    title = dict(COURSE)[path]
    st.sidebar.title("Latent Explorer")
    if present.active():
        st.header(f"{title}  ·  lesson {number} of {len(COURSE)}")  # one line: the first screen is the instrument's
        if wide:  # several maps in a row: the notes above them, short at the full width
            notes = st.container(key="notes")
            instrument = st.container(key="instrument")
            aside, text = st.container(), st.container()
        else:
            left, right = st.columns([2.4, 1], gap="medium")
            instrument = left.container(key="instrument")
            notes, text = right.container(key="notes"), right.container()
            aside = st.container()
        (text if wide else notes).markdown(f"**In one sentence:** {say}")  # wide: the first screen is full
    else:
        st.caption(f"Lesson {number} of {len(COURSE)}")
        st.header(title)
        text = st.container()
        instrument = st.container(key="instrument")
        aside = instrument
        notes = st.container(key="notes")
    text.markdown("\n\n".join(paragraphs))
    return Layout(instrument, notes, text, aside, wide)


def menu(layout: Layout):
    """Where a lesson's choice of model goes: the sidebar; when presenting (the sidebar is hidden),
    beside the instrument, or under it where the instrument takes the width."""
    if not present.active():
        return st.sidebar
    return layout.text if layout.wide else layout.notes


def menu_place(layout: Layout) -> str:
    """Where that choice is (``menu``), in words for a "Try this"."""
    if not present.active():
        return "in the sidebar"
    return "in the Model menu below" if layout.wide else "in the Model menu beside the map"


def try_this(layout: Layout, text: str, where=None) -> None:
    """The lesson's one task, in its notes (or in ``where``, a part of the instrument beside it)."""
    (where or layout.notes).info(f"**Try this.** {text}", icon=":material/touch_app:")


def footer(layout: Layout, path: str, reference: str) -> None:
    """The reference, and the ways on: the next lesson (from the last, back to the first) and the
    one before."""
    where = layout.after  # the end of the page on a screen; with the text when presenting
    where.caption(f"Reference: {reference}")
    paths = [p for p, _ in COURSE]
    i = paths.index(path)
    if i + 1 < len(paths) and paths[i + 1] in PAGES_BY_PATH:
        where.page_link(PAGES_BY_PATH[paths[i + 1]], label=f"Next: {dict(COURSE)[paths[i + 1]]}", icon=":material/arrow_forward:")
    elif i + 1 == len(paths) and paths[0] in PAGES_BY_PATH:  # the last lesson: back to the first
        where.page_link(PAGES_BY_PATH[paths[0]], label=f"The end of the course. Back to lesson 1: {dict(COURSE)[paths[0]]}",
                        icon=":material/replay:")
    if i > 0 and paths[i - 1] in PAGES_BY_PATH:
        where.page_link(PAGES_BY_PATH[paths[i - 1]], label=f"Back: {dict(COURSE)[paths[i - 1]]}", icon=":material/arrow_back:")


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
    session.link_notice(notes)


def state(page: str, parse):
    """The lesson's typed state (explorer/teaching/state.py): from the URL on its first run in this session
    (what was ignored said in one notice), then as the lesson left it."""
    current, notes = session.page_state(page, parse)
    link_notes(notes)
    return current


def keep(page: str, current) -> None:
    """The lesson's state after this run's widgets, kept in the session and shown in the URL."""
    session.set_page_state(page, current)
    session.write_query(current.to_query())


def random_digit(n: int) -> int:
    return int(np.random.default_rng().integers(n))


def digit_chooser(key: str, n: int) -> int:
    """A test digit's number (the widget ``key``, seeded by the page) and a button for another at
    random; the number chosen."""
    def another() -> None:
        st.session_state[key] = random_digit(n)

    number, button = st.columns([1.2, 1], vertical_alignment="bottom")
    number.number_input("Test digit", 0, n - 1, key=key)
    button.button("Another digit", on_click=another, icon=":material/casino:")
    return int(st.session_state[key])


def take_dot_click(key: str, seen_key: str, digit_key: str) -> None:
    """A dot clicked on the Plotly chart ``key`` (its customdata a test image's index) becomes the
    digit of the widget ``digit_key``; each selection is taken once (remembered under ``seen_key``)."""
    ss = st.session_state
    try:
        index = int(ss.get(key)["selection"]["points"][0]["customdata"])
    except (KeyError, IndexError, TypeError, ValueError):
        return
    seen = ss.setdefault(seen_key, {})
    if seen.get(key) != index:
        seen[key] = index
        ss[digit_key] = index
