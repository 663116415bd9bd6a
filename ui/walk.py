"""The walk from A to B, shared by the explore page: its two ends picked by class and example
(or "Use as start A" under a click), linear or spherical, and the decoded steps with the
original images at either end. One control moves along the walk: the browser map's own slider,
which decodes as it moves (ui/latent_map); where Plotly draws the map, a slider here."""

from __future__ import annotations

import numpy as np
import streamlit as st

from explorer.teaching import generate, images
from explorer import maps as projection
from explorer.bundles.bundle import Model
from explorer.teaching.view import N_FRAMES, Pick, View
from ui import map_component, pictures, session
from ui.session import W_CLASS, W_EXAMPLE, W_PATH, W_T
from ui.text import literal

PATH_HELP = {"lerp": "linear: the straight line between the two codes.",
             "slerp": "slerp: along the sphere, keeping the length of the code typical, which matters "
                      "in many dimensions (most of a high-dimensional Gaussian lies near a sphere)."}


def on_end(end: str, model: Model) -> None:
    c, n = st.session_state[W_CLASS[end]], int(st.session_state[W_EXAMPLE[end]] or 0)
    if c is None:  # the class left blank (the end is a spot): nothing picked yet
        return
    rows = np.flatnonzero(model.latents.labels == c)
    session.update(**{end: int(model.latents.index[rows[n % len(rows)]])})


def endpoint_ui(model: Model, end: str, pick: Pick, column) -> None:
    """Shows what the end is, and picks a test image for it by class and example. An end that is
    a spot (clicked, or from a link) leaves the class blank, so the pickers never show a test
    image the walk does not start from; choosing a class makes the end that class's test image."""
    labels = model.latents.labels
    spot = pick.row is None
    if spot:  # set before the widget is drawn; session.sync_widgets only fills a class that is unset
        st.session_state[W_CLASS[end]] = None
    with column:
        st.markdown(f"**{end.upper()}**: {literal(pick.describe(model))}")
        c1, c2 = st.columns(2)
        c1.selectbox("class", model.classes, format_func=lambda c: model.class_names[c], key=W_CLASS[end],
                     on_change=on_end, args=(end, model), placeholder="a spot")
        c2.slider("example", min_value=0, max_value=int(np.bincount(labels).max()) - 1, step=1,
                  key=W_EXAMPLE[end], on_change=on_end, args=(end, model), disabled=spot,
                  help="Which test image of that class (0 is the first).")
        if spot:
            st.caption(f"{end.upper()} is a spot on the map, not a test image: pick a class to use a test "
                       "image instead.")


def strip_ends(model: Model, ends, originals: np.ndarray | None) -> tuple[list, list[str]]:
    """What stands at each end of the walk's strip, for ``ends`` (A, B): the original image of a
    test image whose originals are here, else None (the strip's first or last step, the decoder's
    image of the end, is the end); and a clause for the caption saying which."""
    shown, words = [], []
    for name, place, pick in zip("AB", ("start", "end"), ends):
        if pick.row is not None and originals is not None:
            shown.append(originals[model.latents.index[pick.row]])
            words.append(f"{name}'s original image stands at the {place}")
        else:
            shown.append(None)
            words.append(f"the {place} is the decoder's image of {name}, {pick.describe(model)}")
    return shown, words


def panel(model: Model, mp: projection.LatentMap, v: View, originals: np.ndarray | None) -> None:
    st.subheader("Walk from A to B")
    st.caption("The two codes are mixed step by step and every mixture is decoded: a smooth walk means "
               "the model has learned a continuous space, jumps and smudges show gaps. Pick the ends "
               "below or with the buttons under a click; the dotted line on the map is the path.")
    ca, cb, cm = st.columns([2, 2, 1])
    endpoint_ui(model, "a", v.a, ca)
    endpoint_ui(model, "b", v.b, cb)
    cm.radio("Path", list(generate.INTERPOLATIONS), key=W_PATH, on_change=lambda: session.update(path=st.session_state[W_PATH]),
             help=" ".join(PATH_HELP.values()))
    w = v.walk
    # One control for the walk's position: in the browser map, its own slider, which decodes as it
    # moves (the steps below follow on release); on a Plotly map, which cannot, a slider here.
    here = v.state.renderer != "canvas"
    if here:
        st.slider("Position between A (0) and B (1)", 0.0, 1.0, step=0.01, key=W_T,
                  on_change=lambda: session.update(t=float(st.session_state[W_T])))
        left, right = st.columns([1, 4], gap="medium")
        with left:
            pictures.show(w.at_image, f"decoded at {w.at_t:.2f}", 168, frame=f"{w.at_t:g}")
    else:
        st.caption(f"Drag the slider {map_component.slider_place()} to walk from A to B: each step is decoded "
                   f"there as it moves, and the red frame below follows when you let go (now at t = {w.at_t:.2f}).")
        right = st.container()
    tiles, labels, highlight = list(w.frames), images.walk_labels(w.t), w.frame_at
    (first, last), (start, end) = strip_ends(model, (v.a, v.b), originals)
    if first is not None:  # the ends as they really are, beside the decoder's version of them
        tiles, labels, highlight = [first, *tiles], ["original", *labels], highlight + 1
    if last is not None:
        tiles, labels = [*tiles, last], [*labels, "original"]
    with right:
        pictures.row(tiles, labels, f"{N_FRAMES} evenly spaced steps from A to B ({w.method}); {start}; {end}; "
                                    "the red frame is nearest the slider", highlight=highlight, walk_t=f"{w.at_t:g}")
        base = f"{model.name}-walk-{w.method}"
        d1, d2, _ = st.columns([1, 1, 1])
        d1.download_button("Walk as animated GIF", lambda: images.walk_gif(w.frames, w.t),
                           file_name=f"{base}.gif", mime="image/gif", on_click="ignore", icon=":material/download:")
        d2.download_button("Steps as PNG strip", lambda: images.walk_png(w.frames, w.t),
                           file_name=f"{base}.png", mime="image/png", on_click="ignore", icon=":material/download:")
