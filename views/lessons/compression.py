"""Lesson: a code against JPEG. A byte budget chosen on a slider; every way of storing the same test
digits in that many bytes (the autoencoders' codes at 8 or 16 bits a number, a VQ-VAE's grid, JPEG and WebP at the
highest quality that fits, PNG as the lossless reference), their pictures side by side and their
errors measured (explorer/teaching/compression.py); and what the comparison leaves out, from the
bundles (the decoder's weights, shared by every image).

URL: ?budget=<bytes per image>&digit=<the first test digit shown>."""

from __future__ import annotations

import streamlit as st

from explorer.teaching import compression, images
from explorer.teaching.state import BUDGETS, BudgetState
from ui import course, pictures, present, session
from ui.text import literal
from views.lessons import common

MODELS = ("mnist-ae-2", "mnist-ae-16", "mnist-ae-32", "mnist-vq-vae")
PAGE = "compression"
W_BUDGET, W_DIGIT = session.widget(PAGE, "budget"), session.widget(PAGE, "digit")
SHOWN, MEASURED = 8, 200  # digits drawn; test images the table's figures are over


def another() -> None:
    st.session_state[W_DIGIT] = common.random_digit(10_000 - MEASURED)


def render() -> None:
    layout = common.frame(PAGE, [
        "An autoencoder is also a compressor: the encoder writes a few numbers, the decoder draws the image "
        "back from them. Choose how many bytes each image may take and compare, on the same test digits, "
        "the codes of three autoencoders (each number stored in 8 or 16 bits), a VQ-VAE's grid of codebook "
        "entries (6 bits a cell), JPEG and WebP at the best "
        "quality that fits, and PNG, which loses nothing.",
    ], say="An autoencoder's code can be a far smaller file than an image format's, for images like the ones "
           "it learned from; its decoder's weights are the price.", wide=True)
    found = common.models(*MODELS)
    originals = common.test_images()
    if found is None or originals is None:
        return
    models = found
    state = common.state(PAGE, lambda query: BudgetState.from_query(query, len(originals) - MEASURED))
    session.seed(W_BUDGET, state.budget)
    session.seed(W_DIGIT, state.digit)
    with layout:
        slider, number, button = st.columns([3, 1.2, 1], vertical_alignment="bottom")
        slider.select_slider("Bytes per image", BUDGETS, key=W_BUDGET)
        number.number_input("First test digit", 0, len(originals) - MEASURED - 1, key=W_DIGIT)
        button.button("Other digits", on_click=another, icon=":material/casino:")
        budget, first = int(st.session_state[W_BUDGET]), int(st.session_state[W_DIGIT])
        common.keep(PAGE, state.updated(budget=budget, digit=first))
        sample = originals[first:first + MEASURED]
        ways = compression.at_budget(models, sample, budget)
        least = {fmt: compression.smallest(sample, fmt) for fmt in compression.FORMATS}
        missing = [f"{fmt} needs {n} bytes" for fmt, n in least.items() if n > budget]
        rows = [("original", sample[:SHOWN].astype("float32") / 255)] + [(w.way, w.images[:SHOWN]) for w in ways]
        grid = images.image_grid([im for _, pics in rows for im in pics], len(rows), SHOWN,
                                 row_labels=[label for label, _ in rows], scale=2 if present.active() else 3,
                                 label_px=pictures.label_px())
        pictures.show(grid, f"test digits #{first}-{first + SHOWN - 1} stored in at most {budget} bytes each "
                            "(PNG: as many as it needs)" + (f"; {' and '.join(missing)} for all of these"
                                                             if missing else ""), grid.shape[1], labelled=pictures.label_px(),
                      compression=str(budget))
    with layout.text if present.active() else layout.notes:
        st.markdown(f"Over the {MEASURED} test images from #{first}:\n\n| stored as | bytes per image | MSE per pixel | "
                    "PSNR |\n|---|---|---|---|\n" + "\n".join(
                        f"| {literal(w.way)} | {w.mean_bytes:.1f} | {w.mean_mse:.4f} | {w.psnr:.1f} dB |" for w in ways))
        weights = {m.name: compression.decoder_bytes(m) for m in models}
        st.markdown(f"What the figures leave out: JPEG's smallest file of these digits takes {least['JPEG']} bytes and "
                    f"WebP's {least['WEBP']}, mostly their own headers; a code needs its decoder, whose weights "
                    + ", ".join(f"{literal(n)}'s {b / 1e6:.1f} MB" for n, b in weights.items())
                    + ", are stored once and shared by every image, and it draws well only images like those it "
                      "was trained on.")
    common.try_this(layout, "Set the budget to 16 bytes: which pictures are left, and which digit does the "
                            "2-number code get wrong? Then find the budget where JPEG first appears.")
    common.footer(layout, PAGE, "G. E. Hinton and R. R. Salakhutdinov, Science 313 (2006); G. K. Wallace, The JPEG "
                                "still picture compression standard, Communications of the ACM 34 (1991).")


course.lesson(path=PAGE, short="A code against JPEG", title="A code against JPEG: bytes per image",
              icon=":material/compress:", render=render, charts=0, state=BudgetState,
              example={"budget": "32", "digit": "5"}, needs=MODELS)
