"""The lessons built on the explorer's own map (ui/board.py): clusters, generating from the
plane, interpolation, and the KL weight of a VAE (three betas side by side)."""

from __future__ import annotations

import streamlit as st

from explorer.teaching import facts, images
from explorer.teaching.state import ModelUnavailable
from explorer.teaching.view import N_FRAMES
from ui import board, map_component, pictures, present, resources, session
from ui.text import literal
from views.lessons import common

TWO_D = (("mnist156-ae-2d",), ("mnist-ae-2d",), ("mnist-vae-2d",), ("fashion-mnist-vae-2d",))

CLUSTERS = board.Board(key="clusters", sets=TWO_D, params=("model",), picker="Model", layers=("density",),
                       map_note="Hover over the map: the image under the pointer is decoded as you move. "
                                "Click to keep a spot.")


def clusters() -> None:
    layout = common.frame("clusters", [
        "Every dot is one test image, placed where the encoder puts its code of **two numbers**. The "
        "colours are the images' labels, which the autoencoder never saw: it was only asked to rebuild "
        "its images from their codes. To rebuild a digit from two numbers, it pays to give every image "
        "of that digit similar numbers, so the classes may sort themselves out. The lines circle the densest half of each class.",
    ], say="Nobody told the autoencoder which digit is which, yet similar images get similar codes: the "
           "clusters are the model's own idea of what looks alike.")
    args = resources.settings()
    with layout:
        shown = board.show(CLUSTERS, resources.catalog(args), args, menu=common.menu(layout))
    if shown is not None:
        model, mp = shown.models[0], shown.maps[0]
        c = resources.plane_clusters(mp.xy, model.latents.labels, model.class_names)
        pairs = " and ".join(f"{literal(a)} with {literal(b)} ({share:.0%})" for a, b, share in c.mixed)
        common.try_this(layout, "Move the pointer slowly across the border between two clusters and watch the "
                                f"digit under it change its mind. Then choose another model {common.menu_place(layout)}: "
                                "which classes overlap there?")
        layout.text.markdown(
            f"Measured on {literal(model.name)}: of each test image's {facts.NEIGHBOURS} nearest "
            f"neighbours on this map, **{c.agreement:.0%}** share its label on average, where labels "
            f"scattered at random would give {c.chance:.0%}. Where clusters touch, the classes that "
            f"mix most are {pairs} of the neighbours with another label.")
    common.footer(layout, "clusters", "G. E. Hinton and R. R. Salakhutdinov, Reducing the dimensionality of "
                                      "data with neural networks, Science 313 (2006), figure 3.")


GENERATING = board.Board(key="generating", sets=(("mnist-ae-2d", "mnist-vae-2d"),), sides=("ae", "vae"),
                         layers=("manifold",), measured=True)


def _ae_objective(catalog) -> str:
    """What the AE of this lesson was trained to do, from its bundle's training settings."""
    ae = GENERATING.sets[0][0]
    pull = 0.0
    if ae in catalog.names():
        try:
            pull = float((catalog.model(ae).config.get("training") or {}).get("code_penalty") or 0.0)
        except (ModelUnavailable, TypeError, ValueError):
            pass
    if pull:
        return (f"The autoencoder (left) was asked to rebuild its training images while keeping its codes near "
                f"0 (a penalty of {pull:g} x |z|²/2 per image, {pull:.0%} of the pull a VAE's KL term puts on "
                "its means), one point per image; nothing told it what the space between its codes should mean. ")
    return ("The plain autoencoder (left) was only asked to rebuild its training images; nothing told it what "
            "the space between its codes should mean, nor where its codes should lie. ")


def generating() -> None:
    args = resources.settings()
    layout = common.frame("generating", [
        "The decoder is a generator: give it **any** two numbers, even a code no image was ever given, "
        "and it draws an image. Under the dots, each tile is the image decoded at that very spot.",
        _ae_objective(resources.catalog(args))
        + "The variational autoencoder (right) gives each image a cloud of codes, not one point, and keeps the "
        "clouds like a standard normal distribution. Here is what that changes, measured on these two models:",
    ], say="Both decoders draw an image for any code; what differs is where the codes make sense and "
           "whether we know where to pick new ones.", wide=True)
    with layout:
        shown = board.show(GENERATING, resources.catalog(args), args)
    if shown is not None:
        common.try_this(layout, "Press \"Show the spot ... where the two differ most\" (under the measured "
                                "figures), then click a spot halfway between two clusters on the left. Which model "
                                "would you use to draw new digits, and why?")
        with layout.after:
            board.generation_text(GENERATING, shown)
    common.footer(layout, "generating", "D. P. Kingma and M. Welling, Auto-encoding variational Bayes, ICLR "
                                        "2014, figure 4 (the learned MNIST manifold).")


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


BETAS = ("mnist-vae-2d-beta0.5", "mnist-vae-2d", "mnist-vae-2d-beta4")
BETA = board.Board(key="beta", sets=(BETAS,), sides=("b05", "b1", "b4"), layers=("manifold",))


def _beta(model) -> float:
    return float(model.config.get("training", {}).get("beta", 1.0))


def beta_terms(model, v) -> None:
    m = model.metrics
    here = ""
    if v.spot is not None and v.spot.row is not None:
        here = f" This test image: error {model.latents.recon_error[v.spot.row]:.4f} per pixel."
    sampled = resources.sampling(model)
    drawn = (f" Codes drawn from the prior: {sampled.readable:.0%} read as a digit (p >= {facts.CONFIDENT:g})."
             if sampled is not None else "")
    st.caption(f"Test images, mean: reconstruction term {m.get('test_bce', float('nan')):.1f} nats, "
               f"KL term {m.get('test_kl', float('nan')):.1f} nats, error {m.get('test_mse', float('nan')):.4f} "
               f"per pixel.{here}{drawn}")


def beta() -> None:
    args = resources.settings()
    catalog = resources.catalog(args)
    terms = ""
    if all(n in catalog.names() for n in BETAS):
        models = [catalog.model(n) for n in BETAS]
        ms = [m.metrics for m in models]
        kl, rec = ([m.get(key, float("nan")) for m in ms] for key in ("test_kl", "test_bce"))
        arrow = lambda values, fmt: " → ".join(format(v, fmt) for v in values)
        terms = (f" Measured on the test images, from beta 0.5 to 1 to 4: the KL term {facts.trend(kl)} "
                 f"({arrow(kl, '.1f')} nats) and the reconstruction term {facts.trend(rec)} "
                 f"({arrow(rec, '.2f')} nats).")
        sampled = [resources.sampling(m) for m in models]
        if None not in sampled:
            shares = [s.readable for s in sampled]
            way = facts.trend(shares)
            terms += (f" Codes drawn from the prior and read by the classifier as a digit: "
                      f"{arrow(shares, '.0%')}: the share {way} as beta grows"
                      + (", so here a prior that fits better does not give more readable samples." if way != "rises"
                         else ": a prior that fits better gives more readable samples."))
    layout = common.frame("beta", [
        "A VAE's loss has two terms: how well it rebuilds the image (reconstruction) and how far each "
        "image's cloud of codes strays from the prior N(0, I) (the KL term). The weight beta sets the "
        "trade: loss = reconstruction + beta x KL.",
        "Three VAEs with the same layers and training; only beta differs. A larger beta pulls the codes "
        "towards the prior and leaves less room for detail in the rebuilt digits." + terms,
    ], say="Beta sets the trade between rebuilding each image exactly and keeping the codes close to the "
           "prior; the measured KL and reconstruction terms show both sides of it.", wide=True)
    with layout:
        shown = board.show(BETA, catalog, args, detail=None if present.active() else beta_terms,
                           title=lambda m: f"beta = {_beta(m):g}" + (" (the ELBO)" if _beta(m) == 1 else ""))
    if shown is not None:
        common.try_this(layout, "Click one test digit on the left map: compare the three reconstructions. Then "
                                "drag a walk slider: which model's walk stays a digit all the way?")
    common.footer(layout, "beta", "I. Higgins et al., beta-VAE: learning basic visual concepts with a "
                                  "constrained variational framework, ICLR 2017.")
