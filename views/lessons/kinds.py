"""Lesson: kinds of autoencoder. One test digit through six models side by side (plain,
denoising, sparse, contractive, overcomplete, variational): what each one's loss adds to
rebuilding the image, with its paper, its map with the digit ringed, its reconstruction of the
digit and the figure that shows what its kind changes (explorer/teaching/kinds.py makes the words
from the bundles). A click on any map chooses the digit.

URL: ?digit=<test image index>."""

from __future__ import annotations

import numpy as np
import streamlit as st

from explorer.bundles import catalog as catalog_lib
from explorer.teaching import figures, kinds
from explorer.teaching.state import DigitState
from ui import course, pictures, present, resources, session
from ui.text import literal
from views.lessons import common

PAGE = "kinds"
W_DIGIT = session.widget(PAGE, "digit")
SEEN = session.widget(PAGE, "seen")
SHOWN_POINTS = 1500  # of each map's test codes, drawn (the chosen digit always)


def movement(model) -> float:
    """The model's code movement under a nudge (explorer/teaching/kinds.py), measured once per bundle version."""
    if "code_movement" in model.metrics:
        return float(model.metrics["code_movement"])
    return _movement(str(model.path), catalog_lib.version(model.path), model)


@st.cache_resource(show_spinner="Nudging the test images...", max_entries=16)
def _movement(path: str, version: tuple, _model) -> float:
    return kinds.code_movement(_model, common.test_images())


def another() -> None:
    st.session_state[W_DIGIT] = common.random_digit(10_000)


def take_click(key: str) -> None:
    """A dot clicked on any chart becomes the chosen digit."""
    common.take_dot_click(key, SEEN, W_DIGIT)


def small_map(model, chosen: int, key: str) -> None:
    """The model's map (t-SNE where stored, else PCA), a sample of its test codes and the chosen
    digit ringed."""
    method = "tsne" if model.has_map("tsne") else "pca"
    mp = model.map(method)
    lat = model.latents
    rows = np.random.default_rng(0).permutation(len(lat.index))[:SHOWN_POINTS]
    found = np.flatnonzero(lat.index == chosen)
    rows = np.union1d(rows, found)
    fig = figures.class_scatter(mp.xy[rows], lat.labels[rows], lat.index[rows], model.class_names, "", ("", ""),
                                chosen if len(found) else None)
    fig.update_layout(height=140 if present.active() else 230, showlegend=False, margin=dict(l=0, r=0, t=0, b=0))
    fig.update_xaxes(showticklabels=False, title=None)
    fig.update_yaxes(showticklabels=False, title=None)
    st.plotly_chart(fig, key=key, on_select="rerun", selection_mode="points", config={"displaylogo": False})
    if not len(found) and not present.active():
        st.caption(f"(#{chosen} is not among the {len(lat.index):,} test images whose codes it keeps)")


def render() -> None:
    layout = common.frame(PAGE, [
        "Every autoencoder rebuilds its input through a code. The kinds differ in what else their loss asks "
        "of the code, or in what they are shown: each column adds one thing to the plain one, with the "
        "paper it comes from, and under it the figure that shows what the addition changes, measured.",
    ], say="One digit through six autoencoders: each adds one thing to the loss, and the figure under it "
           "shows what that buys.", wide=True)
    catalog = resources.catalog(resources.settings())
    names = set(catalog.names())
    missing = [c.bundle for c in kinds.COLUMNS if c.bundle not in names]
    if missing:
        st.error(f"This lesson needs the shipped models {', '.join(missing)}; retrain them with the commands in "
                 "docs/models.md.")
        return
    originals = common.test_images()
    if originals is None:
        return
    models = {n: catalog.model(n) for n in [c.bundle for c in kinds.COLUMNS] + [n for n in kinds.OTHERS if n in names]}
    state = common.state(PAGE, lambda query: DigitState.from_query(query, len(originals)))
    session.seed(W_DIGIT, state.digit)
    keys = {c.bundle: session.widget(PAGE, "map", c.bundle) for c in kinds.COLUMNS}
    for key in keys.values():
        take_click(key)
    brief = present.active()  # on a projector: a few words each, the full sentences below the first screen
    with layout:
        first, pick, another_place, rest = st.columns([0.5, 1, 0.9, 2.6], vertical_alignment="center")
        pick.number_input("Test image number", 0, len(originals) - 1, key=W_DIGIT)
        another_place.button("Another digit", on_click=another, icon=":material/casino:")
        i = int(st.session_state[W_DIGIT])
        common.keep(PAGE, state.updated(digit=i))
        x = originals[i]
        with first:
            pictures.show(x, f"#{i}", 56 if brief else 84, digit=i)
        rest.caption("Click a dot on any map to choose that digit; a ring marks it on each map.")
        columns = st.columns(len(kinds.COLUMNS), gap="small")
        for c, column in zip(kinds.COLUMNS, columns):
            m = models[c.bundle]
            with column:
                st.markdown(f"**{c.name.capitalize()}**")
                st.caption(f"Adds: {literal(c.adds(m, brief))}" + ("" if brief else f" ({c.paper})."))
                small_map(m, i, keys[c.bundle])
                recon = m.reconstruct(x[None])[0]
                err = float(((recon - x / 255.0) ** 2).mean())
                if brief:  # the picture, then one line: this digit's error and the kind's figure
                    st.html(pictures.img_tag(recon, 56, f"{c.name}: rebuilt", kind=c.name))
                    st.caption(f"error {err:.4f} · {literal(c.figure(m, models, x, movement, brief))}")
                else:
                    pictures.show(recon, f"rebuilt, error {err:.4f}", 84, kind=c.name)
                    st.caption(literal(c.figure(m, models, x, movement, brief)))
    if brief:  # each column in full, under the first screen
        with layout.text:
            for c in kinds.COLUMNS:
                m = models[c.bundle]
                st.markdown(f"**{c.name.capitalize()}** ({c.paper}) adds {literal(c.adds(m))}: "
                            f"{literal(c.figure(m, models, x, movement))}.")
    with layout.after:
        warning = kinds.overcomplete_text(models)
        if warning:
            st.markdown("**The overcomplete warning, measured.** " + literal(warning))
    common.try_this(layout, "Choose a digit with a gap in its stroke. Which kinds close the gap, and which copy it? "
                            "Then compare the plain and the contractive column's figures.")
    common.footer(layout, PAGE, "Goodfellow, Bengio and Courville, Deep Learning (MIT Press, 2016), chapter 14; "
                                "each column's paper as named.")


course.lesson(path=PAGE, short="Kinds of autoencoder", title="Kinds of autoencoder", icon=":material/view_column:",
              render=render, charts=len(kinds.COLUMNS), state=DigitState, example={"digit": "7"},
              needs=tuple(c.bundle for c in kinds.COLUMNS) + kinds.OTHERS)
