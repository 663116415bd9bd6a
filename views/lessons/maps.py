"""The lessons built on the explorer's own map (views/board.py): clusters, generating from the
plane, interpolation, and the KL weight of a VAE (three betas side by side)."""

from __future__ import annotations

import streamlit as st

from explorer import images
from explorer.view import N_FRAMES
from ui import pictures, resources
from views import board
from views.lessons import common

TWO_D = (("mnist156-ae-2d",), ("mnist-ae-2d",), ("mnist-vae-2d",), ("fashion-mnist-vae-2d",))

CLUSTERS = board.Board(key="clusters", sets=TWO_D, params=("model",), picker="Model", layers=("density",),
                       map_note="Hover over the map: the image under the pointer is decoded as you move. "
                                "Click to keep a spot.")


def clusters() -> None:
    common.frame("clusters", [
        "Every dot is one test image, placed where the encoder puts its code of **two numbers**. The "
        "colours are the images' labels, which the autoencoder never saw: it was only asked to rebuild "
        "its images from their codes.",
        "Yet images of the same digit land together. To rebuild a 7 from two numbers, it pays to give "
        "all 7s similar numbers, so the classes sort themselves out. The lines circle the densest half "
        "of each class.",
        "Where clusters touch, the digits look alike: 4s and 9s, or 3s, 5s and 8s.",
    ])
    args = resources.settings()
    shown = board.show(CLUSTERS, resources.catalog(args), args)
    if shown is not None:
        common.try_this("Move the pointer slowly across the border between two clusters and watch the digit "
                        "under it change its mind. Then choose all ten digits (mnist-ae-2d, in the sidebar) "
                        "and find the classes that overlap.")
    common.footer("clusters", "G. E. Hinton and R. R. Salakhutdinov, Reducing the dimensionality of data with "
                              "neural networks, Science 313 (2006), figure 3.")


GENERATING = board.Board(key="generating", sets=(("mnist-ae-2d", "mnist-vae-2d"),), sides=("ae", "vae"),
                         layers=("manifold",),
                         map_note="Click anywhere, on a dot or on empty space: both decoders draw that code.")


def generating() -> None:
    common.frame("generating", [
        "The decoder is a generator: give it **any** two numbers, even a code no image was ever given, "
        "and it draws an image. Under the dots, each tile is the image decoded at that very spot.",
        "The plain autoencoder (left) was never told what its empty regions should mean, so away from "
        "its clusters it draws smudges, and its codes spread wherever training pushed them. The "
        "variational autoencoder (right) was also asked to keep its codes like a standard normal "
        "distribution: its plane is filled, so a random code near the centre gives a digit.",
    ])
    args = resources.settings()
    shown = board.show(GENERATING, resources.catalog(args), args)
    if shown is not None:
        common.try_this("Click the same empty corner of both planes, then a spot halfway between two "
                        "clusters. Which model would you use to draw new digits?")
    common.footer("generating", "D. P. Kingma and M. Welling, Auto-encoding variational Bayes, ICLR 2014, "
                                "figure 4 (the learned MNIST manifold).")


INTERPOLATION = board.Board(key="interpolation", sets=(("mnist-vae-2d",), ("mnist-ae-2d",), ("mnist-vae-16",)),
                            params=("model",), picker="Model",
                            map_note="Drag the slider under the map: the marker walks from A to B and "
                                     "every step is decoded.")
W_END = {"a": "w_interpolation_a", "b": "w_interpolation_b"}


def set_end(end: str) -> None:
    state = st.session_state.get(INTERPOLATION.key)
    if state is not None:
        st.session_state[INTERPOLATION.key] = {**state, end: int(st.session_state[W_END[end]])}


def interpolation() -> None:
    common.frame("interpolation", [
        "Pick two test images, A and B. Their codes are mixed step by step, "
        "$z(t) = (1 - t)\\,z_A + t\\,z_B$, and every mixture is decoded. The dotted line "
        "on the map is the path.",
        "If the space between the two codes is filled with meaningful codes, the walk morphs one digit "
        "smoothly into the other. A walk that crosses a gap shows a smudge on the way.",
    ])
    args = resources.settings()
    shown = board.show(INTERPOLATION, resources.catalog(args), args)
    if shown is not None:
        v, model = shown.views[0], shown.models[0]
        n = int(model.latents.index.max())
        ss = st.session_state
        for end, pick in (("a", v.a), ("b", v.b)):
            if pick.row is not None:
                ss[W_END[end]] = int(model.latents.index[pick.row])
        c1, c2, _ = st.columns([1, 1, 2])
        c1.number_input("A: test image number", 0, n, key=W_END["a"], on_change=set_end, args=("a",))
        c2.number_input("B: test image number", 0, n, key=W_END["b"], on_change=set_end, args=("b",))
        w = v.walk
        strip = images.labelled_strip(w.frames, images.walk_labels(w.t), scale=2, highlight=w.frame_at)
        pictures.show(strip, f"{N_FRAMES} evenly spaced steps from A to B; the red frame is the slider's",
                      strip.shape[1])
        common.try_this("Drag the slider under the map from A to B. Then choose mnist-ae-2d in the sidebar and "
                        "make the same walk: where does the plain autoencoder's walk lose the digit?")
    common.footer("interpolation", "D. P. Kingma and M. Welling, Auto-encoding variational Bayes, ICLR 2014; "
                                   "T. White, Sampling generative networks, 2016 (spherical interpolation).")


BETAS = ("mnist-vae-2d-beta0.5", "mnist-vae-2d", "mnist-vae-2d-beta4")
BETA = board.Board(key="beta", sets=(BETAS,), sides=("b05", "b1", "b4"), layers=("manifold",),
                   map_note="Click anywhere on any map: all three decoders draw that code.")


def _beta(model) -> float:
    return float(model.config.get("training", {}).get("beta", 1.0))


def beta_terms(model, v) -> None:
    m = model.metrics
    here = ""
    if v.spot is not None and v.spot.row is not None:
        here = f" This test image: error {model.latents.recon_error[v.spot.row]:.4f} per pixel."
    st.caption(f"Test images, mean: reconstruction term {m.get('test_bce', float('nan')):.1f} nats, "
               f"KL term {m.get('test_kl', float('nan')):.1f} nats, error {m.get('test_mse', float('nan')):.4f} "
               f"per pixel.{here}")


def beta() -> None:
    args = resources.settings()
    catalog = resources.catalog(args)
    terms = ""
    if all(n in catalog.names() for n in BETAS):
        ms = [catalog.model(n).metrics for n in BETAS]
        arrow = lambda key, fmt: " → ".join(format(m.get(key, float("nan")), fmt) for m in ms)
        terms = (f" Measured on the test images, from beta 0.5 to 1 to 4: the KL term falls "
                 f"({arrow('test_kl', '.1f')} nats) and the reconstruction term rises "
                 f"({arrow('test_bce', '.1f')} nats). With only two numbers the code is already a tight "
                 "bottleneck, so the trade is slight at 0.5 and clear at 4.")
    common.frame("beta", [
        "A VAE's loss has two terms: how well it rebuilds the image (reconstruction) and how far each "
        "image's cloud of codes strays from the prior N(0, I) (the KL term). The weight beta sets the "
        "trade: loss = reconstruction + beta x KL.",
        "Three VAEs with the same layers and training; only beta differs. A larger beta pulls the codes "
        "closer to the prior: a smoother plane to sample from, paid for with blurrier digits." + terms,
    ])
    shown = board.show(BETA, catalog, args, detail=beta_terms,
                       title=lambda m: f"beta = {_beta(m):g}" + (" (the ELBO)" if _beta(m) == 1 else ""))
    if shown is not None:
        common.try_this("Click one test digit on the left map: compare the three reconstructions. Then drag a "
                        "walk slider: which model's walk stays a digit all the way?")
    common.footer("beta", "I. Higgins et al., beta-VAE: learning basic visual concepts with a constrained "
                          "variational framework, ICLR 2017.")
