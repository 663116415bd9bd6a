"""Lesson: the VAE's reparameterisation. For a chosen test digit, the encoder's mean and spread,
a noise eps the student sets, the code z = mu + sigma * eps, and its decoding, drawn as the
diagram of the model with live numbers; beside it, the posterior's ellipses and the prior's
circles on the plane, with z marked.

URL: ?digit=<test image index>&eps=e1,e2."""

from __future__ import annotations

import html

import numpy as np
import streamlit as st

from explorer.teaching import figures, posterior
from explorer.teaching.state import EPS_LIMIT, VaeState
from ui import course, pictures, present, session
from views.lessons import common

MODEL = "mnist-vae-2d"
PAGE = "vae"
W_DIGIT, W_EPS = session.widget(PAGE, "digit"), (session.widget(PAGE, "eps1"), session.widget(PAGE, "eps2"))


def another() -> None:
    st.session_state[W_DIGIT] = common.random_digit(10_000)


def draw_eps() -> None:
    eps = np.random.default_rng().standard_normal(2).clip(-EPS_LIMIT, EPS_LIMIT)
    for key, e in zip(W_EPS, eps):
        st.session_state[key] = round(float(e), 2)


def vector(v) -> str:
    return "(" + ", ".join(f"{x:.2f}" for x in v) + ")"


def layers(sizes) -> str:
    """Layer sizes as HTML: they come from the bundle's config.json, so they are escaped."""
    return " &rarr; ".join(html.escape(str(s)) for s in sizes)


def diagram(x, mean, sd, eps, z, decoded, hidden, side: int = 96) -> str:
    """The model as boxes and arrows, with this digit's numbers in them."""
    box = ("border:2px solid {c};border-radius:10px;padding:0.5rem 0.8rem;text-align:center;"
           "background:{bg};min-width:7rem")
    arrow = '<div style="font-size:1.8rem;color:#888;padding:0 0.3rem">&rarr;</div>'
    enc = box.format(c="#1f77b4", bg="#eef5fb")
    lat = box.format(c="#d62728", bg="#fdf0f0")
    parts = [
        pictures.figure_html(x, "input x", side),
        arrow, f'<div style="{enc}"><b>encoder</b><br><small>{layers([784, *hidden, 2])}</small></div>', arrow,
        f'<div style="{lat}"><b>&mu;</b> = {html.escape(vector(mean))}<br><b>&sigma;</b> = {html.escape(vector(sd))}</div>',
        arrow,
        f'<div style="{lat}" data-z="{z[0]:.4f},{z[1]:.4f}"><b>z = &mu; + &sigma; &odot; &epsilon;</b><br>'
        f'&epsilon; = {html.escape(vector(eps))}<br>z = {html.escape(vector(z))}</div>',
        arrow, f'<div style="{enc}"><b>decoder</b><br><small>{layers([2, *hidden[::-1], 784])}</small></div>', arrow,
        pictures.figure_html(decoded, "decoded from z", side, decoded=f"{z[0]:.4f},{z[1]:.4f}"),
    ]
    return ('<div style="display:flex;align-items:center;flex-wrap:wrap;gap:0.2rem" data-reparam>'
            + "".join(parts) + "</div>")


def render() -> None:
    layout = common.frame("vae", [
        "A variational autoencoder's encoder does not give one code per image but a small cloud: a "
        "mean **mu** and a spread **sigma** for each number of the code. Training decodes a random "
        "point of the cloud, z = mu + sigma x eps, with eps drawn from N(0, 1). Writing the draw this "
        "way, the *reparameterisation trick*, lets the gradient flow back through mu and sigma.",
        "A second term, the KL divergence, pulls every cloud towards the prior N(0, I): the dotted "
        "circles, so the clouds of different images overlap and fill the space around the centre.",
    ], say="A VAE gives each image a cloud of codes, not one; training decodes a random code from the cloud "
           "and keeps every cloud near the N(0, I) circles.", wide=True)
    found = common.models(MODEL)
    if found is None:
        return
    (model,) = found
    originals = common.test_images()
    if originals is None:
        return
    ss = st.session_state
    state = common.state(PAGE, lambda query: VaeState.from_query(query, len(originals)))
    session.seed(W_DIGIT, state.digit)
    for key, e in zip(W_EPS, state.eps):
        session.seed(key, float(e))
    with layout:
        c1, c2, c3, c4, c5 = st.columns([1.2, 0.9, 1.3, 1.3, 0.9])
        c1.number_input("Test image number", 0, len(originals) - 1, key=W_DIGIT)
        c2.button("Another digit", on_click=another, icon=":material/casino:")
        c3.slider("eps 1", -EPS_LIMIT, EPS_LIMIT, step=0.05, key=W_EPS[0])
        c4.slider("eps 2", -EPS_LIMIT, EPS_LIMIT, step=0.05, key=W_EPS[1])
        c5.button("Draw eps", on_click=draw_eps, icon=":material/casino:", help="eps from N(0, I), as training does")
        i = int(ss[W_DIGIT])
        eps = np.array([ss[W_EPS[0]], ss[W_EPS[1]]], np.float32)
        common.keep(PAGE, state.updated(digit=i, eps=(float(eps[0]), float(eps[1]))))
        x = originals[i]
        mean, log_var = (a[0] for a in model.posterior(x[None]))
        sd = np.exp(0.5 * log_var)
        z = mean + sd * eps
        decoded = model.decode(z[None])[0]
        st.html(diagram(x, mean, sd, eps, z, decoded, model.net.config.hidden, 110 if present.active() else 96))
        left, right = st.columns([3, 2], gap="large")
        with left:
            st.plotly_chart(present.figure(figures.posterior_plane(model, mean, sd, z), height=380),
                            config={"displaylogo": False, "scrollZoom": True})
        with right:
            common.try_this(layout, "Press 'Draw eps' a few times: every draw is a slightly different digit, all "
                                    "from one image. Now push eps 1 to 3: how far can z travel before the digit "
                                    "changes?", where=right)
        with layout.text if present.active() else right:  # presenting, the first screen ends with the plane
            st.markdown(f"**This digit's cloud**: the red ellipses hold {posterior.share_inside(1):.0%} and "
                        f"{posterior.share_inside(2):.0%} of its codes; the dotted circles are the prior at 1, 2 "
                        f"and 3 standard deviations."
                        + (" This cloud is narrow: scroll on the plot to zoom in on it." if sd.max() < 0.15 else ""))
            st.markdown(f"KL to the prior: **{posterior.kl_to_prior(mean, sd):.2f} nats**. It is small when the "
                        f"cloud is wide and near the centre, large when it is a sharp dot far out.")
            st.caption("eps = (0, 0) decodes the mean itself, what the map shows for this image.")
    common.footer(layout, "vae", "D. P. Kingma and M. Welling, Auto-encoding variational Bayes, ICLR 2014, section "
                                 "2.4 (the reparameterisation trick) and appendix B (the KL term).")


course.lesson(path=PAGE, short="The VAE", title="The VAE: a cloud of codes per image", icon=":material/blur_on:",
              render=render, charts=1, state=VaeState, example={"digit": "12", "eps": "0.5,-1"}, needs=(MODEL,))
