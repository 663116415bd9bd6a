"""Lesson: the KL weight. Three VAEs that differ only in beta, side by side, with their measured KL
and reconstruction terms and the share of prior samples read as digits."""

from __future__ import annotations

import streamlit as st

from explorer.teaching import facts
from explorer.teaching.state import BoardState
from ui import board, course, present, resources
from views.lessons import common


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


course.lesson(path="beta", short="The KL weight", title="The KL weight: rebuilding each image against fitting the prior",
              icon=":material/tune:", render=beta, charts=3, state=BoardState,
              example={"spot": "12", "a": "3", "b": "2", "t": "0.25"}, needs=BETAS)
