"""Lesson: interpolation. A walk from test image A to B, every step decoded and read by the
classifier."""

from __future__ import annotations

import streamlit as st

from explorer.teaching import images
from explorer.teaching.state import BoardState
from explorer.teaching.view import N_FRAMES
from ui import board, course, map_component, pictures, resources, session
from ui.text import literal
from views.lessons import common


INTERPOLATION = board.Board(key="interpolation", sets=(("mnist-vae-2d",), ("mnist-ae-2d",), ("mnist-vae-16",)),
                            params=("model",), picker="Model",
                            map_note="Drag the \"Walk from A to B\" slider {slider}: the marker walks from A to B and "
                                     "every step is decoded.")
W_END = {end: session.widget(INTERPOLATION.key, end) for end in ("a", "b")}


def set_end(end: str) -> None:
    if session.has_state(INTERPOLATION.key):
        state = session.state_of(INTERPOLATION.key).updated(**{end: int(st.session_state[W_END[end]])})
        session.set_page_state(INTERPOLATION.key, state)


def interpolation() -> None:
    layout = common.frame("interpolation", [
        "Pick two test images, A and B. Their codes are mixed step by step, "
        "$z(t) = (1 - t)\\,z_A + t\\,z_B$, and every mixture is decoded. The dotted line "
        "on the map is the path.",
        "If the space between the two codes is filled with codes the decoder turns into digits, the walk "
        "morphs one digit into the other; where it crosses empty space, the steps may stop looking like "
        "any digit. The classifier's reading of each step says which.",
    ], say="Mixing two codes step by step: the steps show whether the space between them is filled with "
           "images the model can draw.")
    args = resources.settings()
    with layout:
        shown = board.show(INTERPOLATION, resources.catalog(args), args, menu=common.menu(layout))
        if shown is not None:
            v, model = shown.views[0], shown.models[0]
            n = int(model.latents.index.max())
            ss = st.session_state
            for end, pick in (("a", v.a), ("b", v.b)):
                if pick.row is not None:
                    ss[W_END[end]] = int(model.latents.index[pick.row])
            w = v.walk
    if shown is not None:
        with layout.aside:
            c1, c2, _ = st.columns([1, 1, 2])
            c1.number_input("A: test image number", 0, n, key=W_END["a"], on_change=set_end, args=("a",))
            c2.number_input("B: test image number", 0, n, key=W_END["b"], on_change=set_end, args=("b",))
            pictures.strip(w.frames, images.walk_labels(w.t), w.frame_at,
                           f"{N_FRAMES} evenly spaced steps from A to B; the red frame is the one nearest the slider")
    if shown is not None:
        common.try_this(layout, f"Drag the \"Walk from A to B\" slider {map_component.slider_place()} from A to B. "
                                "Then choose mnist-ae-2d "
                                f"{common.menu_place(layout)} and make the same walk: does the classifier lose the "
                                "digit on the way?")
        reading = resources.walk_reading(model, w.frames)
        if reading is not None:
            layout.after.markdown(
                f"The classifier reads the {N_FRAMES} steps as "
                + ", ".join(f"{literal(c)} ({p:.2f})" for c, p in reading)
                + f". Its lowest certainty on this walk: p = {min(p for _, p in reading):.2f}.")
    common.footer(layout, "interpolation", "D. P. Kingma and M. Welling, Auto-encoding variational Bayes, ICLR "
                                           "2014; T. White, Sampling generative networks, 2016 (spherical "
                                           "interpolation).")


course.lesson(path="interpolation", short="Interpolation", title="Interpolation: walking between digits",
              icon=":material/timeline:", render=interpolation, charts=1, state=BoardState,
              example={"model": "mnist-vae-16", "a": "3", "b": "2", "t": "0.3"},
              needs=tuple(name for (name,) in INTERPOLATION.sets))
