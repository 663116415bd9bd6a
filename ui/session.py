"""Each page's typed state (explorer/teaching/state.py) in ``st.session_state``, mirrored in the address bar.

A fresh session (a page load, an opened link) reads the URL through ``explorer.teaching.state``; from
then on the session holds the state, every widget callback replaces it with an updated copy, and
the URL is rewritten to match in each run, so the address bar always shares the view. Back and
Forward are the exception: Streamlit reruns the page with the address the browser went back to
(a history navigation), and that address is then the state, read again (``from_url``); the
browser's side of history, one entry per view, is ui/history. The
explore page's ViewState is ``current``/``set_view``; every other page's is ``page_state``/
``set_page_state``, under the page's name. Widget keys live here and nowhere else: the explore
page's as constants, every other page's from ``widget``.
"""

from __future__ import annotations

import copy
import hashlib
import re
from typing import Callable, TypeVar

import numpy as np
import streamlit as st

from explorer.teaching import state as view_state
from explorer.teaching.state import ModelUnavailable, ViewState
from ui import present
from ui.text import literal

VIEW = "view"  # the ViewState
LINK_NOTES = "link_notes"  # what the opened link had that was ignored, shown until the next change
MODEL_ERRORS = "model_errors"  # models that failed to open, shown until the next change
FIRST_RUN, RAN, DEFERRED = "first_run", "ran", "deferred_query"  # a session's first run writes its address last
CARRIED = "carried"  # what a switch of model or map kept of the view, in a sentence, shown until the next change
SEEN_SELECTION = "seen_selection"  # (map widget key, its value) last taken into the state
FULL_RUN = "full_run"  # True while the whole page runs, False in a rerun of the map's fragment alone
WALK_CHANGED = "walk_changed"  # set by callbacks in the map's fragment that change the walk

# widget keys: the widgets show the state; their callbacks change it
W_MODEL, W_MAP, W_PATH, W_T, W_RENDERER = "w_model", "w_map", "w_path", "w_t", "w_renderer"
W_SHARE = "w_share"  # the "Share this view" expander (open or not)
W_LAYERS = "w_layers"  # what the browser map draws under the dots
W_LABEL = "w_label"  # a model that takes labels: the class every point is drawn as
W_GRID, W_TRAVERSAL = "w_grid", "w_traversal"  # the decoded-grid and traversal expanders
W_UNITS = "w_units"  # the expander of which code units fire for which class
W_DRAW, W_UPLOAD = "w_draw", "w_upload"  # the drawing pad and the picture uploader
W_ANOMALY, W_THRESHOLD = "w_anomaly", "w_threshold"  # the anomalies expander and its error threshold
UPLOAD = "upload"  # the drawn or uploaded digit as the model receives it: {"image", "source", "notes"}
UPLOAD_ERROR = "upload_error"  # why the last picture was refused, shown until the next one
SEEN_DRAWING, SEEN_FILE = "seen_drawing", "seen_file"  # the pad's picture and the file last taken
SAMPLE_SEED, SAMPLED = "sample_seed", "sampled"  # the posterior samples' seed, and (model, image) drawn for
W_CLASS = {"a": "w_a_class", "b": "w_b_class"}
W_EXAMPLE = {"a": "w_a_example", "b": "w_b_example"}


def name_key(name: str) -> str:
    """A bundle's name as part of a widget key: itself when it is plain (letters, digits, . - and
    single _), else a digest of it. A name is a folder's name and may hold anything, and Streamlit
    refuses a component's key that holds "__"."""
    if re.fullmatch(r"[A-Za-z0-9.-]+(_[A-Za-z0-9.-]+)*", name):
        return name
    return "#" + hashlib.sha1(name.encode()).hexdigest()[:16]


def chart_key(view: ViewState) -> str:
    """One map widget per model, map and renderer, so what was clicked on one map never reads as
    a click on another (and a fresh map starts with nothing clicked)."""
    return f"{view.renderer}:{name_key(view.model)}:{view.map}"


def query() -> dict[str, list[str]]:
    return {k: st.query_params.get_all(k) for k in st.query_params}


def history_navigation() -> bool:
    """Whether this run is the browser's Back or Forward: the page is then what its address says,
    not what the session last held (else every Back would be written over at once)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    return bool(ctx is not None and getattr(ctx, "is_history_navigation", False))


def from_url(key: str) -> bool:
    """Whether the state under ``key`` is read from the address in this run: on the session's
    first run of the page, and on Back and Forward."""
    return key not in st.session_state or history_navigation()


def current(catalog) -> ViewState | None:
    """This session's state: from the URL on its first run (and on Back and Forward), else as the
    widgets left it. The model it names is known to open (else the first that does, with the
    reason in MODEL_ERRORS)."""
    ss = st.session_state
    if from_url(VIEW):
        ss[VIEW], ss[LINK_NOTES], ss[MODEL_ERRORS] = view_state.from_query(query(), catalog)
        ss[CARRIED] = ""  # what a switch kept belongs to the view it made
    view = ss[VIEW]
    if view is None:
        return None
    try:
        catalog.maps(view.model)
    except ModelUnavailable:  # its files changed under us: open the next one that loads
        name, failed = view_state.open_first(catalog, view.model)
        ss[MODEL_ERRORS] = failed
        view = ss[VIEW] = None if name is None else ViewState(model=name, map=catalog.maps(name)[0])
    return view


def sync_url(view: ViewState) -> None:
    write_query(view.to_query())


def write_query(wanted: dict[str, str]) -> None:
    """The address bar shows ``wanted`` (and presentation mode, ui/present.py); rewritten only
    when it differs, so a run that changes nothing leaves the history alone. In a session's first
    run it is written when the run ends (``run_page``), once the page's history script is in the
    browser (ui/history): written earlier, the browser would keep the bare address as an entry."""
    wanted = {**wanted, **present.query()}
    if st.session_state.get(FIRST_RUN):
        st.session_state[DEFERRED] = wanted
    elif {k: st.query_params.get(k) for k in st.query_params} != wanted:
        st.query_params.from_dict(wanted)


def run_page(page) -> None:
    """Run ``page``; in the session's first run, its address is written at the end."""
    ss = st.session_state
    ss[FIRST_RUN] = RAN not in ss
    ss[RAN] = True
    try:
        page.run()
    finally:
        ss[FIRST_RUN] = False
        wanted = ss.pop(DEFERRED, None)
        if wanted is not None:
            write_query(wanted)


def take_changes(view: ViewState, key: str, to_changes) -> ViewState:
    """The state after what the map widget ``key`` newly reports: the Plotly chart's selection,
    or the browser map's state. ``to_changes(value, previous)`` gives the ViewState fields it
    changes, ``previous`` being the value last taken (None at first). A widget's value stays in
    the session, so each report is taken once; reading it in the run (not in a callback) lets
    AppTest drive it too."""
    value = st.session_state.get(key)
    if not value:
        return view
    seen_key, seen = st.session_state.get(SEEN_SELECTION) or (None, None)
    previous = seen if seen_key == key else None
    if previous == value:
        return view
    st.session_state[SEEN_SELECTION] = (key, copy.deepcopy(dict(value)))
    changes = {k: v for k, v in to_changes(value, previous).items() if getattr(view, k) != v}
    if changes:
        set_view(view.updated(**changes))
    return st.session_state[VIEW]


def set_view(view: ViewState) -> None:
    """Replace the state (from a callback); notices about the opened link are done with."""
    if view.model != st.session_state[VIEW].model or view.map != st.session_state[VIEW].map:
        st.session_state.pop(SEEN_SELECTION, None)  # a chart drawn afresh starts with no selection
    st.session_state[VIEW] = view
    st.session_state[LINK_NOTES] = []
    st.session_state[MODEL_ERRORS] = []
    st.session_state[CARRIED] = ""


def drawn(catalog, view: ViewState):
    """The model of ``view`` as its page draws it (``drawn_as``)."""
    return drawn_as(catalog, view.model, view.label)


def drawn_as(catalog, name: str, label: int | None):
    """The model ``name`` as a page draws it: a model that takes labels given ``label`` (its
    first class where ``label`` is none of its classes); any other model as it is."""
    model = catalog.model(name)
    labels = catalog.labels(name)
    if labels is None:
        return model
    return model.given(label if label in labels else labels[0])


def update(**changes) -> None:
    set_view(st.session_state[VIEW].updated(**changes))


def sync_widgets(v, model) -> None:
    """The explore page's widgets show its state ``v`` (an explorer.teaching.view.View of ``model``), set
    before they are drawn in this run."""
    ss = st.session_state
    ss[W_MODEL], ss[W_MAP], ss[W_PATH], ss[W_T] = v.state.model, v.state.map, v.state.path, v.state.t
    ss[W_RENDERER] = v.state.renderer
    ss[W_LAYERS] = [layer for layer in v.state.layers if layer != "regions" or not model.own_data]  # (as the menu offers)
    for end, pick in (("a", v.a), ("b", v.b)):
        if pick.row is not None:
            c = int(model.latents.labels[pick.row])
            ss[W_CLASS[end]] = c
            ss[W_EXAMPLE[end]] = int(np.searchsorted(np.flatnonzero(model.latents.labels == c), pick.row))
        else:
            ss.setdefault(W_CLASS[end], model.classes[0])
            ss.setdefault(W_EXAMPLE[end], 0)


# --------------------------------------------------------------------------------------------
# Every other page: its typed state under its name, and its widgets' keys

S = TypeVar("S")


def widget(page: str, name: str, *parts: str) -> str:
    """The key of a widget of ``page`` that shows ``name`` (``parts``: which model or side, for a
    widget drawn once per map). One form for every page, so no two widgets collide."""
    return ":".join(["w", page, name, *(name_key(p) for p in parts)])


def state_key(page: str) -> str:
    return f"state:{page}"


def link_notice(notes: list[str]) -> None:
    """The one notice every page shows for what its link held that was ignored (each note a
    sentence from the state's ``from_query``, shown as text)."""
    if notes:
        st.warning("Part of the link was ignored, so those settings are at their defaults: "
                   + "; ".join(map(literal, notes)) + ".", icon=":material/link_off:")


def page_state(page: str, parse: Callable[[dict[str, list[str]]], tuple[S, list[str]]]) -> tuple[S, list[str]]:
    """``page``'s state in this session: read from the URL (``parse(query)``) on the page's first
    run (and on Back and Forward), then as the page left it. Returns it and, when read from the URL,
    what of it was ignored (one sentence each)."""
    ss = st.session_state
    if not from_url(state_key(page)):
        return ss[state_key(page)], []
    if state_key(page) in ss:  # Back or Forward: the page's widgets show the address, not their last values
        keep = widget(page, "seen")  # (the clicks already taken stay taken)
        for key in [k for k in ss if isinstance(k, str) and k.startswith(widget(page, "")) and k != keep]:
            del ss[key]
    ss[state_key(page)], notes = parse(query())
    return ss[state_key(page)], notes


def has_state(page: str) -> bool:
    return state_key(page) in st.session_state


def state_of(page: str):
    """``page``'s state as its last run left it (for its widgets' callbacks, which run before the
    page does)."""
    return st.session_state[state_key(page)]


def set_page_state(page: str, state) -> None:
    """Replace ``page``'s state (from a callback or the run; the run then shows it in the URL
    with ``write_query``)."""
    st.session_state[state_key(page)] = state


def drop_page_state(page: str) -> None:
    st.session_state.pop(state_key(page), None)


def seed(key: str, value) -> None:
    """A widget shows ``value`` unless it already holds one (it was drawn in the previous run)."""
    st.session_state.setdefault(key, value)
