"""A VAE's cloud of codes for one image, shared by the explore page: its mean and spread drawn on
the map (explorer/view.cloud), its KL from the prior, and codes drawn from it on demand."""

from __future__ import annotations

import streamlit as st

from explorer.teaching import posterior
from explorer import maps as projection
from explorer.bundles.bundle import Model
from explorer.teaching.view import N_SAMPLES, Cloud, Placed, View, cloud
from ui import pictures, session
from ui.text import literal


def cloud_of(model: Model, mp: projection.LatentMap, v: View, originals, drawn: Placed | None) -> Cloud | None:
    """The posterior of the clicked test image (or else the drawn digit) for a VAE; None for an AE
    or when there is no image (a spot between the dots has no image to encode)."""
    if not model.kind_info.has_posterior:
        return None
    own = None  # a test image's own class, which a conditional model is told
    if v.spot is not None and v.spot.row is not None and originals is not None:
        image, what = originals[model.latents.index[v.spot.row]], v.spot.describe(model)
        own = int(model.latents.labels[v.spot.row]) if model.label is not None else None
    elif drawn is not None:
        image, what = drawn.image, "your digit"
    else:
        return None
    drawn_for = st.session_state.get(session.SAMPLED) == (model.name, what)
    return cloud(model, mp, image, what, st.session_state.get(session.SAMPLE_SEED) if drawn_for else None, own)


def draw_samples(model: Model, what: str) -> None:
    st.session_state[session.SAMPLE_SEED] = int(st.session_state.get(session.SAMPLE_SEED) or 0) + 1
    st.session_state[session.SAMPLED] = (model.name, what)


def panel(model: Model, mp: projection.LatentMap, cloud: Cloud | None) -> None:
    if not model.kind_info.has_posterior:
        return
    st.subheader("The VAE's cloud of codes")
    st.caption("A VAE's encoder gives each image not one code but a cloud of likely codes: a mean mu and a "
               "spread sigma per dimension. Training decodes a code drawn from the cloud, z = mu + sigma * eps "
               "with eps from N(0, I) (the reparameterisation trick, so the draw can be learned through), and "
               "pays a KL penalty for each cloud's distance from the prior N(0, I). That keeps the clouds near "
               "the origin and wide enough to overlap, so the plane has no holes and codes drawn from the prior "
               "decode to images like the ones it learned from (Kingma & Welling, 2014).")
    if cloud is None:
        st.info("Click a dot (a test image)" + (" or draw a digit above" if model.image_shape == (28, 28, 1) else "")
                + " to see its cloud.")
        return
    left, right = st.columns([1, 2], gap="medium")
    with left:
        kl = posterior.kl_to_prior(cloud.mean, cloud.sd)
        st.markdown(f"**{literal(cloud.what[0].upper() + cloud.what[1:])}**: KL from the prior {kl:.1f} nats.")
        if mp.coordinates_are_codes:
            st.caption(f"On the map: the solid red ellipse holds {posterior.share_inside(1):.0%} of the cloud "
                       f"(1 sigma), the dashed one {posterior.share_inside(2):.0%} (2 sigma); the grey dashed "
                       "circles are the prior at 1, 2 and 3 sigma. mu = "
                       f"({cloud.mean[0]:.2f}, {cloud.mean[1]:.2f}), sigma = ({cloud.sd[0]:.3f}, {cloud.sd[1]:.3f})."
                       + (" The cloud is small at this scale: scroll on the map to zoom in on it."
                          if cloud.sd.max() < 0.03 * float((mp.view_box()[1] - mp.view_box()[0]).max()) else ""))
        else:
            st.caption("sigma of each of the code's dimensions: short bars are dimensions the model is sure "
                       "of for this image; bars near 1 are dimensions it leaves to the prior (unused).")
            st.bar_chart({"sigma": cloud.sd}, height=180, x_label="dimension", y_label="sigma")
        st.button(f"Draw {N_SAMPLES} codes from this cloud", on_click=draw_samples, args=(model, cloud.what),
                  help="Each press draws new ones: z = mu + sigma * eps.")
    with right:
        if cloud.samples is None:
            st.caption("Draw codes from the cloud to see what they decode to: the images a VAE is trained "
                       "to rebuild this one from.")
        else:
            decoded = model.decode(cloud.samples)
            pictures.row(decoded, [f"z{i + 1}" for i in range(len(decoded))],
                         "codes drawn from the cloud, decoded (red dots on the map)")
            st.caption("They vary a little around the image: nearby codes decode to nearby images, which is "
                       "what makes the plane smooth enough to generate from.")
