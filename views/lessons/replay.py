"""Lesson: the training replay. The codes of 2,000 fixed test images after every epoch of a 2-D
model's training, animated in the browser, beside the test loss with the epoch marked.

URL: ?model=<a bundle with a replay>&epoch=<frame, may be fractional>."""

from __future__ import annotations

import streamlit as st

from explorer.teaching import facts
from explorer.bundles.bundle import REPLAY_FILE, BundleError
from explorer.teaching.state import ModelUnavailable, ReplayState
from ui import course, present, replay, resources, session
from ui.text import literal
from views.lessons import common

PREFERRED = ("mnist-ae-2d", "mnist-vae-2d", "mnist-ae-2", "mnist-vae-2d-beta0.5", "mnist-vae-2d-beta4")
PAGE = "replay"
W_MODEL, KEY = session.widget(PAGE, "model"), session.widget(PAGE, "map")


def with_replay(catalog) -> list[str]:
    names = [n for n in PREFERRED if n in catalog.names()]
    names += [n for n in catalog.names() if n not in names]
    out = []
    for n in names:
        if not (catalog.bundles[n] / REPLAY_FILE).is_file():  # only bundles with a replay are opened
            continue
        try:
            m = catalog.model(n)
            if m.latent_dim == 2 and m.replay_arrays() is not None:
                out.append(n)
        except (BundleError, ModelUnavailable):  # a damaged bundle or replay is left out of the choice
            continue
    return out


def on_model() -> None:
    st.session_state.pop(KEY, None)  # the new model's replay starts at epoch 0
    session.set_page_state(PAGE, session.state_of(PAGE).updated(model=st.session_state[W_MODEL], epoch=0.0))


def render() -> None:
    layout = common.frame("replay", [
        "Before training, the encoder's weights are random: every test image lands in a tight blob and "
        "the colours are mixed. Each epoch the network sees all 60,000 training images once and "
        "adjusts its weights to rebuild them better.",
        "Watch 2,000 test images (the same ones in every frame) find their places while the loss on the "
        "right falls. The axes follow the codes, so read their numbers too.",
    ], say="At epoch 0 the codes are a random clump; watch training pull them apart, epoch by epoch, as the "
           "loss falls.", wide=True)
    args = resources.settings()
    catalog = resources.catalog(args)
    names = with_replay(catalog)
    if not names:
        st.error("No model with a training replay was found. `python -m explorer.train` keeps one for "
                 "every 2-D model it trains; the README lists the commands of the shipped ones.")
        return
    ss = st.session_state
    state = common.state(PAGE, lambda query: ReplayState.from_query(query, names))
    if state.model not in names:  # its replay went away since
        state = ReplayState(model=names[0])
    session.seed(W_MODEL, state.model)
    common.menu(layout).selectbox("Model", names, key=W_MODEL, on_change=on_model)
    model = catalog.model(state.model)
    frames = len(model.replay_arrays().epochs)
    value = (ss.get(KEY) or {}).get("epoch")  # where the replay was paused or scrubbed to
    start = min(max(float(value if value is not None else state.epoch), 0.0), frames - 1)
    common.keep(PAGE, state.updated(epoch=start))
    title = model.kind_info.title  # "autoencoder (AE)", "adversarial autoencoder (AAE)", ...
    kind = ("an " if title[0] in "aeiou" else "a ") + title
    with layout:
        replay.replay(model, start, KEY)
    (layout.text if present.active() else layout.instrument).caption(
        f"{literal(model.name)}: {kind} with a 2-number code, {frames - 1} epochs. Colours are the digits' "
        + ("labels, which this model is told, so its code need not hold them." if "labels" in model.kind_info.offers
           else "labels, which the model never sees."))
    common.try_this(layout, "Press Play, then pause at the epoch where the 1s first separate from the rest. "
                            "Scrub back and forth around it: which digits part next? Then choose another model "
                            f"{common.menu_place(layout)} (an autoencoder against a VAE) and compare how their planes grow.")
    s = resources.sorting(model)
    order = s.order()
    names_of = ", ".join(f"{literal(c)} (epoch {e})" for c, e in order[:4])
    unsorted = [literal(c) for c, e in s.first_sorted.items() if e is None]
    layout.text.markdown(
        f"Measured on this replay: a class counts as sorted once, on average, {facts.SORTED:.0%} of its images' "
        f"{facts.NEIGHBOURS} nearest neighbours on the plane share its label. The first to get there: {names_of}"
        + (f"; {', '.join(unsorted)} never do, mixed with their neighbours to the end." if unsorted else ".")
        + f" The codes' spread (standard deviation) grows from {s.spread[0]:.3g} at epoch 0 to {s.spread[1]:.3g}.")
    common.footer(layout, "replay", "G. E. Hinton and R. R. Salakhutdinov, Science 313 (2006); D. P. Kingma and "
                                    "M. Welling, ICLR 2014. Replays: `python -m explorer.train` keeps them for 2-D "
                                    "models.")


course.lesson(path=PAGE, short="Training replay", title="Training replay: a latent space forming",
              icon=":material/play_circle:", render=render, charts=1, state=ReplayState,
              example={"model": "mnist-vae-2d", "epoch": "3"}, needs=PREFERRED)
