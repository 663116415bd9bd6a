"""Lesson: denoising autoencoders. A test digit, a kind and level of noise, the corrupted input,
and what the plain autoencoder and the denoising one (same layers, trained on corrupted inputs)
make of it, with their errors against the clean image.

URL: ?digit=<test image index>&noise=gaussian:0.5 (or mask:P)."""

from __future__ import annotations

import streamlit as st

from explorer.data import noise
from explorer.teaching.state import DenoisingState
from ui import course, pictures, present, session
from ui.text import literal
from views.lessons import common

PLAIN, DENOISING = "mnist-ae-16", "mnist-dae-16"
PAGE = "denoising"
W_DIGIT, W_KIND, W_LEVEL = (session.widget(PAGE, name) for name in ("digit", "kind", "level"))
KINDS = {"gaussian": "Gaussian noise (snow)", "mask": "masking (pixels set to black)"}
LIMIT = {"gaussian": 1.0, "mask": 0.9}


def another() -> None:
    st.session_state[W_DIGIT] = common.random_digit(10_000)


def on_kind() -> None:
    ss = st.session_state
    ss[W_LEVEL] = min(ss[W_LEVEL], LIMIT[ss[W_KIND]])


def render() -> None:
    layout = common.frame("denoising", [
        "A plain autoencoder learns to copy: clean image in, the same image out. A **denoising** "
        "autoencoder gets a corrupted image in and must rebuild the clean one, so it cannot copy. It "
        "has to learn what digits look like, and pull any input back towards them.",
        f"Both models here have the same layers and 16-number codes and trained as long; only their "
        f"inputs differed. The denoising one ({DENOISING}) saw every training image with fresh noise.",
    ], say="Trained to rebuild clean digits from corrupted ones, the denoising autoencoder learns what a digit "
           "looks like, not what this image's pixels were.", wide=True)  # four pictures in one row
    found = common.models(PLAIN, DENOISING)
    if found is None:
        return
    plain, dae = found
    trained = noise.parse(dae.config["training"]["noise"])
    with layout:
        originals = common.test_images()
        if originals is not None:
            instrument(plain, dae, originals)
        else:
            st.caption("What still works without them: the two models' measured errors below, computed when "
                       "they were trained.")
    common.try_this(layout, "Slide the noise to 0: which model rebuilds the clean digit better? Now raise it "
                            "step by step and watch where the plain autoencoder's output stops being a clean digit.")
    with layout.text:
        st.caption(f"Error: mean squared difference per pixel from the clean image. The denoising model was "
                   f"trained with {literal(trained.describe())} ({literal(trained)}).")
        m_plain, m_dae = plain.metrics.get("denoising_mse", {}), dae.metrics.get("denoising_mse", {})
        rows = [f"| {literal(spec)} | {m_plain[spec]:.4f} | {m_dae[spec]:.4f} |" for spec in m_dae if spec in m_plain]
        if rows:
            st.markdown("Over all 10,000 test images (corrupted input, error against the clean image):\n\n"
                        "| noise | plain AE | denoising AE |\n|---|---|---|\n" + "\n".join(rows))
    common.footer(layout, "denoising", "P. Vincent, H. Larochelle, Y. Bengio and P.-A. Manzagol, Extracting and "
                                       "composing robust features with denoising autoencoders, ICML 2008.")


def instrument(plain, dae, originals) -> None:
    """The digit, the noise chosen, and both models' outputs."""
    trained = noise.parse(dae.config["training"]["noise"])
    ss = st.session_state
    state = common.state(PAGE, lambda query: DenoisingState.from_query(query, len(originals), trained, LIMIT))
    session.seed(W_DIGIT, state.digit)
    session.seed(W_KIND, state.noise.kind)
    session.seed(W_LEVEL, float(state.noise.level))
    c1, c2, c3, c4 = st.columns([1.2, 1.3, 1.4, 1.8])
    c1.number_input("Test image number", 0, len(originals) - 1, key=W_DIGIT)
    c2.button("Another digit", on_click=another, icon=":material/casino:")
    c3.radio("Noise", list(KINDS), format_func=KINDS.get, key=W_KIND, on_change=on_kind)
    kind = ss[W_KIND]
    c4.slider("standard deviation" if kind == "gaussian" else "share of pixels masked", 0.0, LIMIT[kind],
              step=0.05, key=W_LEVEL)
    level = noise.Noise(kind, round(float(ss[W_LEVEL]), 2))
    i = int(ss[W_DIGIT])
    common.keep(PAGE, state.updated(digit=i, noise=level))
    clean = originals[i] / 255.0
    noisy = noise.corrupt(originals[i][None], level, seed=i).numpy()[0]
    out_plain, out_dae = plain.reconstruct(noisy[None])[0], dae.reconstruct(noisy[None])[0]
    err = lambda r: float(((r - clean) ** 2).mean())
    side = 220 if present.active() else 170
    pictures.show_row([
        (clean, f"clean test image #{i}", side, {"digit": i}),
        (noisy, f"corrupted: {level}", side, {"noisy": str(level)}),
        (out_plain, f"plain autoencoder: error {err(out_plain):.4f}", side, {"denoised": "plain"}),
        (out_dae, f"denoising autoencoder: error {err(out_dae):.4f}", side, {"denoised": "dae"}),
    ])


course.lesson(path=PAGE, short="Denoising", title="Denoising autoencoders", icon=":material/cleaning_services:",
              render=render, state=DenoisingState, example={"digit": "7", "noise": "mask:0.3"},
              needs=(PLAIN, DENOISING))
