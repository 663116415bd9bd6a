"""Lesson: choose the shape of the latent space. The adversarial autoencoder's plane beside the
VAE's, each with the edge of the region holding 95% of its own prior drawn over its codes, codes
drawn from each prior decoded and read by the classifier, and how far each model's test codes are
from its prior, measured (explorer/teaching/priors.py)."""

from __future__ import annotations

import streamlit as st

from explorer.teaching import priors
from explorer.teaching.state import BoardState
from explorer.teaching.view import PRIOR_COLOUR
from ui import board, course, map_component, pictures, present, resources
from views.lessons import common

PAIR = ("mnist-aae-2d", "mnist-vae-2d")
SHOWN = 20  # prior samples decoded under each map


def _outline(model, mp) -> list[dict]:
    """The edge of the region holding 95% of the model's own prior, on its plane."""
    if not mp.coordinates_are_codes:
        return []
    return [{"points": c, "colour": PRIOR_COLOUR, "dash": True} for c in priors.outline(model)]


AAE = board.Board(key="aae", sets=(PAIR,), sides=("aae", "vae"), curves=_outline)


@st.cache_resource(show_spinner="Measuring how the codes follow the prior...", max_entries=8)
def _fit(path: str, version: tuple, _model) -> priors.PriorFit:
    return priors.fit(_model)


def fit(model) -> priors.PriorFit:
    from explorer.bundles import catalog as catalog_lib

    return _fit(str(model.path), catalog_lib.version(model.path), model)


def fit_sentence(model) -> str:
    f = fit(model)
    return (f"{f.inside:.1%} of its {f.n:,} test codes lie inside the dashed edge, where 95% of its prior's codes "
            f"fall; the sliced Wasserstein distance from its codes to as many drawn from the prior is "
            f"{f.distance:.2f}, {f.distance / f.spread:.0%} of the prior's own spread ({f.spread:.2f}).")


def prior_samples(model, v) -> None:
    """Under each map: codes drawn from its prior, decoded, and what the classifier reads in them."""
    reader = map_component.usable_classifier(model.dataset)
    drawn = priors.samples(model, 200, reader)
    st.caption(f"**{model.kind_info.prior_name[0].upper() + model.kind_info.prior_name[1:]}.** {fit_sentence(model)}")
    shown = SHOWN
    labels = ([str(model.class_names[int(c)]) for c in drawn.read[:shown]] if drawn.read is not None
              else [""] * shown)
    where = (f"; the classifier reads {drawn.classes_found()} of the {len(model.classes)} digits in 200 of them, the "
             f"commonest {drawn.largest_share():.0%} of them" if drawn.read is not None else "")
    pictures.row(list(drawn.images[:shown]), labels, f"{shown} codes drawn from its prior, decoded{where}",
                 scale=1, prior_samples=model.name)


def render() -> None:
    args = resources.settings()
    catalog = resources.catalog(args)
    layout = common.frame("aae", [
        "A VAE pulls its codes towards one prior, N(0, I), through a term of its loss that needs the prior's "
        "formula. An **adversarial autoencoder** chooses any shape it can draw samples from (here ten round "
        "blobs on a circle) and trains a second network, a *discriminator*, to tell codes from samples of that "
        "shape, while the encoder learns to fool it. When the discriminator can no longer tell, the codes have "
        "taken the shape.",
        "Left the AAE, right the VAE; the dashed lines mark where 95% of each model's own prior lies. Under each, "
        "codes drawn from its prior and decoded: a new digit for every draw, since the codes and the prior "
        "overlap.",
    ], say="An adversarial autoencoder lets us choose the shape its codes fill: a second network judges whether "
           "the codes look like samples of that shape, and the encoder learns to make them so.", wide=True)
    with layout:
        # presenting, the first screen holds the two planes; their samples and figures follow below
        shown = board.show(AAE, catalog, args, detail=None if present.active() else prior_samples,
                           title=lambda m: f"{m.kind_info.title}: {m.name}")
    if shown is not None and present.active():
        with layout.text:
            for model, column in zip(shown.models, st.columns(len(shown.models), gap="large")):
                with column:
                    prior_samples(model, None)
    if shown is not None:
        common.try_this(layout, "Hover the empty middle of the AAE's circle, then the middle of one blob. Which "
                                "spots draw clean digits? Now do the same on the VAE: where does it keep its "
                                "unreadable images?")
    common.footer(layout, "aae", "A. Makhzani, J. Shlens, N. Jaitly, I. Goodfellow and B. Frey, Adversarial "
                                 "autoencoders, ICLR workshop 2016, figure 2 (codes following a mixture of ten "
                                 "Gaussians).")


course.lesson(path="aae", short="Choose the shape", title="Choose the shape of the latent space",
              icon=":material/donut_large:", render=render, charts=2, state=BoardState,
              example={"spot": "12", "a": "3", "b": "2", "t": "0.4"}, needs=PAIR)
