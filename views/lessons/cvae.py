"""Lesson: style and content. A conditional VAE is told each image's label, so its 2-D plane
holds only the style: any spot of it, written as all ten digits, gives ten digits in one hand
(decoded in the browser under the pointer, and on the server for the clicked spot); a digit the
student draws is encoded with the digit it is, and its style written as every digit. The figures
are the bundle's (how often neighbours on the plane share a label, prior samples read as the
label asked for, the negative ELBO beside a VAE's).

URL: ?label=<the class the map writes>&spot=x,y (a spot of the style plane)."""

from __future__ import annotations

import numpy as np
import streamlit as st

from explorer.teaching.state import StyleState, ViewState
from explorer.teaching.view import resolve
from ui import course, draw_pad, map_component, own_digit, pictures, present, resources, session
from ui.text import literal
from views.lessons import common

MODEL, VAE = "mnist-cvae-2d", "mnist-vae-2d"
PAGE = "cvae"
W_LABEL, W_DRAWN_AS = session.widget(PAGE, "label"), session.widget(PAGE, "drawn-as")
W_DRAWN_FOR = session.widget(PAGE, "drawn-for")  # which drawing the "It is a" control was read for
MAP_KEY = session.widget(PAGE, "map")
SEEN = session.widget(PAGE, "seen")


def take_click(state: StyleState) -> StyleState:
    """A click on the plane (taken once) becomes the state's spot."""
    value = st.session_state.get(MAP_KEY)
    if not value:
        return state
    changes = map_component.changes(value, st.session_state.get(SEEN))
    st.session_state[SEEN] = dict(value)
    return state.updated(spot=changes["spot"]) if "spot" in changes else state


def figures_text(model, vae) -> str:
    """What the bundles measured, in sentences; nothing asserted that they do not hold."""
    m = model.metrics
    out = []
    if "neighbours_same_label" in m:
        chance = 1 / len(model.classes)
        out.append(f"Of each test code's 10 nearest codes on this plane, {m['neighbours_same_label']:.0%} share its "
                   f"label (a random code would: {chance:.0%}; on the VAE's plane, where the code must carry "
                   f"the class too, {vae.metrics['neighbours_same_label']:.0%})."
                   if vae is not None and "neighbours_same_label" in vae.metrics else
                   f"Of each test code's 10 nearest codes on this plane, {m['neighbours_same_label']:.0%} share its "
                   f"label (a random code would: {chance:.0%}).")
    shares = m.get("prior_read_as_label")
    if shares:
        worst = min(shares, key=shares.get)
        out.append(f"Codes drawn from the prior N(0, I) and written as each digit are read by the classifier as "
                   f"the digit asked for {min(shares.values()):.0%} of the time for the hardest digit "
                   f"({literal(model.class_names[int(worst)])}), {np.mean(list(shares.values())):.0%} on average.")
    if "test_neg_elbo" in m and vae is not None and "test_neg_elbo" in vae.metrics:
        hidden = lambda x: "-".join(map(str, x.net.config.hidden))
        out.append(f"Its negative ELBO on the test images is {m['test_neg_elbo']:.1f} nats, the VAE's "
                   f"{vae.metrics['test_neg_elbo']:.1f} (layers {hidden(model)} and {hidden(vae)}): "
                   + ("knowing the label, it needs fewer nats per image." if m["test_neg_elbo"] < vae.metrics["test_neg_elbo"]
                      else "here the label did not buy it a lower bound."))
    return " ".join(out)


def drawn_ui(model, base, mp) -> tuple | None:
    """The pad; a digit drawn (or uploaded on the explore page) encoded as the digit the student
    says it is, and its style written as every digit. Returns where its code lands on the plane."""
    own_digit.take_inputs()
    st.markdown("**Your digit's style, as every digit**")
    pad, out = st.columns([1, 2.2], gap="small")
    with pad:
        draw_pad.draw_pad(session.W_DRAW)
    up = st.session_state.get(session.UPLOAD)
    with out:
        if up is None:
            st.caption("Draw a digit on the pad: it is encoded with the digit it is, and its style written as "
                       "all ten.")
            return None
        image = up["image"]
        reader = map_component.usable_classifier(model.dataset)
        read = int(reader.predict(image[None])[0]) if reader is not None else model.classes[0]
        seen = hash(image.tobytes())  # a new stroke is a new drawing: the classifier reads it again
        if st.session_state.get(W_DRAWN_FOR) != seen or st.session_state.get(W_DRAWN_AS) is None:
            st.session_state[W_DRAWN_FOR], st.session_state[W_DRAWN_AS] = seen, read
        st.segmented_control("It is a", model.classes, key=W_DRAWN_AS, format_func=lambda c: str(model.class_names[c]),
                             help="The encoder is told the digit too; the classifier guessed it first.")
        said = st.session_state.get(W_DRAWN_AS)
        said = read if said is None else int(said)
        code = base.encode(image[None], labels=said)[0]
        written = base.decode(np.repeat(code[None], len(model.classes), 0), labels=np.array(model.classes))
        pictures.row([image, *written], ["yours", *[str(model.class_names[c]) for c in model.classes]],
                     f"Your drawing (encoded as a {model.class_names[said]}) and its style, code "
                     f"({code[0]:.2f}, {code[1]:.2f}), written as every digit", scale=1,
                     style_of_drawing=f"{code[0]:.4f},{code[1]:.4f}")
    return float(code[0]), float(code[1])


def render() -> None:
    args = resources.settings()
    catalog = resources.catalog(args)
    layout = common.frame(PAGE, [
        "A **conditional VAE** is told each image's label, in the encoder and in the decoder. The decoder "
        "knows which digit to draw, so the code need not say it: the two numbers keep what the label leaves "
        "out, the *style*: slant, width, thickness of the stroke.",
        "So one spot of this plane is one hand. Hover the plane: under it, the spot written as all ten "
        "digits. Choose which digit the map itself writes above it; click to keep a spot.",
    ], say="Give the decoder the label and the code keeps only the style: one spot of the plane writes all "
           "ten digits in one hand.", wide=False)
    found = common.models(MODEL)
    if found is None:
        return
    (base,) = found
    vae = catalog.model(VAE) if VAE in catalog.names() else None
    mp = base.map("direct")
    lo, hi = mp.view_box()
    state = common.state(PAGE, lambda query: StyleState.from_query(query, base.classes, (lo - (hi - lo), hi + (hi - lo))))
    state = take_click(state)
    chosen = st.session_state.get(W_LABEL)
    state = state.updated(label=int(chosen) if chosen is not None else state.label)
    st.session_state[W_LABEL] = state.label  # a second click on the chosen one would leave none chosen
    with layout:
        st.segmented_control("The map writes every spot as", base.classes, key=W_LABEL,
                             format_func=lambda c: str(base.class_names[c]))
        common.keep(PAGE, state)
        model = base.given(state.label)
        originals, _ = resources.originals(model, args.data_dir)
        v = resolve(ViewState(model=model.name, map=mp.name, spot=state.spot, label=state.label), model, mp)
        plane = st.container()  # the plane first; the pad under it (presenting: under the first screen)
        with layout.aside if present.active() else st.container():
            star = drawn_ui(model, base, mp)
        # in_row=2: presenting, the strip of ten under the map shares the first screen with it
        with plane:
            map_component.latent_map(model, mp, v, MAP_KEY, originals, upload=star, every_label=True, in_row=2,
                                     hint="The dots are the test images' codes, each found with its own label; the "
                                          "colours are those labels, which the plane was told, not asked, to hold.")
            if state.spot is not None:
                z = mp.to_latent(np.asarray(state.spot, np.float32)[None])[0]
                row = base.decode(np.repeat(z[None], len(base.classes), 0), labels=np.array(base.classes))
                pictures.row(list(row), [str(base.class_names[c]) for c in base.classes],
                             f"The clicked spot ({state.spot[0]:.2f}, {state.spot[1]:.2f}) written as every digit, "
                             "decoded by the server", scale=1 if present.active() else 2,
                             style_row=f"{state.spot[0]:.4f},{state.spot[1]:.4f}")
    with layout.text if present.active() else layout.notes:
        st.markdown(figures_text(base, vae))
    common.try_this(layout, "Hover slowly from the left of the plane to the right and watch the ten digits under "
                            "it: what changes together in all ten? Then draw a slanted 7 on the pad and see your "
                            "slant written as every digit.")
    common.footer(layout, PAGE, "K. Sohn, H. Lee and X. Yan, Learning structured output representation using deep "
                                "conditional generative models, NeurIPS 2015; D. P. Kingma, D. J. Rezende, S. "
                                "Mohamed and M. Welling, Semi-supervised learning with deep generative models, "
                                "NeurIPS 2014, figure 1 (analogies: one style, every digit).")


course.lesson(path=PAGE, short="Style and content", title="Style and content: a conditional VAE",
              icon=":material/draw:", render=render, charts=1, state=StyleState,
              example={"label": "3", "spot": "0.5,-1"}, needs=(MODEL, VAE))
