"""Lesson: codes as words. A VQ-VAE writes each digit as a grid of choices among K learned
patterns; the painter (ui/painter.py) shows a test digit's grid over the image it decodes to, and
the student paints cells with entries from the palette, decoded in the browser at once. The
figures are the bundle's: bits per image from its grid and codebook, how much of the codebook the
test images use (perplexity), and the reconstruction error.

URL: ?digit=<test image>&grid=<the painted grid: one letter per cell, A-Z a-z 0-9 - _ for 0-63>."""

from __future__ import annotations

import math

import numpy as np
import streamlit as st

from explorer.teaching import images
from explorer.teaching.state import PaintState, grid_of_text, grid_text
from ui import course, painter, pictures, present, session
from ui.text import literal
from views.lessons import common

MODEL = "mnist-vq-vae"
PAGE = "vq-vae"
FIRST_THREE = PaintState.digit  # the first 3 of the MNIST test images: the task turns it into an 8
W_DIGIT = session.widget(PAGE, "digit")
PAINT_KEY, SEEN = session.widget(PAGE, "painter"), session.widget(PAGE, "seen")


def take_stroke(state: PaintState, cells: int, entries: int) -> PaintState:
    """A grid the painter sent since the last run (taken once) becomes the state's grid; one that
    is not a grid of this codebook is named in a notice and left out."""
    value = st.session_state.get(PAINT_KEY) or {}
    text = value.get("grid") if isinstance(value, dict) else None
    if text is None or text == st.session_state.get(SEEN):
        return state
    st.session_state[SEEN] = text
    _, problem = grid_of_text(str(text), cells, entries)
    if problem:
        common.link_notes([problem + "; the grid before it is kept"])
        return state
    return state.updated(grid=text)


def bits_text(model) -> str:
    """Bits per image from the bundle's grid and codebook, beside the image's own."""
    (h, w), k = model.grid, model.codebook_size
    bits = h * w * math.log2(k)
    pixels = int(np.prod(model.image_shape))
    return (f"**Its code is {h} x {w} cells of {math.log2(k):g} bits** (one of {k} entries each): {bits:g} bits, "
            f"{bits / 8:g} bytes an image. The image itself is {pixels} pixels of 8 bits, {pixels * 8:,} bits: "
            f"the code is {pixels * 8 / bits:.0f} times smaller.")


def usage_text(model) -> str:
    """How the test images use the codebook, and how well they come back: measured, from the bundle."""
    m, k = model.metrics, model.codebook_size
    out = []
    if "perplexity" in m:
        out.append(f"Over the {m.get('n_test', 10_000):,} test images, {m['entries_used']:.0f} of the {k} entries "
                   f"are used, with a perplexity of {m['perplexity']:.1f}: the cells choose as freely as among "
                   f"{m['perplexity']:.0f} equally likely entries (a codebook collapsed onto one entry would give 1).")
    if "test_mse" in m:
        out.append(f"Rebuilt from their grids, the test images' mean squared error per pixel is {m['test_mse']:.4f}.")
    return " ".join(out)


def render() -> None:
    layout = common.frame(PAGE, [
        "A VQ-VAE's code is not a list of numbers but a grid of choices: its encoder cuts a digit into a grid "
        "of cells and writes each cell as one of a few dozen learned patterns, the entries of its codebook. The "
        "decoder draws the image from the grid. Below, a test digit's grid is drawn over the image it decodes "
        "to, each cell with its entry's number; the palette shows what each entry draws.",
    ], say="A VQ-VAE writes an image in a small vocabulary of learned patterns, a few dozen words per image, and "
           "a word changed is a stroke changed.")
    found = common.models(MODEL)
    originals = common.test_images()
    if found is None or originals is None:
        return
    model = found[0]
    (h, w), k = model.grid, model.codebook_size
    state = common.state(PAGE, lambda query: PaintState.from_query(query, len(originals), h * w, k))
    session.seed(W_DIGIT, state.digit)
    with layout:
        digit = common.digit_chooser(W_DIGIT, len(originals))
        if digit != state.digit:
            state = state.updated(digit=digit, grid=None)
        else:
            state = take_stroke(state, h * w, k)
        start = model.encode_indices(originals[digit:digit + 1])[0]
        grid = grid_of_text(state.grid, h * w, k)[0] if state.grid else None
        if not painter.painter(model, originals[digit], start, grid, model.background_entry, PAINT_KEY):
            shown = model.decode_indices(np.array(grid).reshape(h, w) if grid else start)[0]
            pictures.show(images.image_grid([originals[digit] / 255.0, shown], 1, 2, scale=6),
                          "the test digit and the image its grid decodes to", 2 * 28 * 6)
        common.keep(PAGE, state)
    with layout.after:
        st.markdown(bits_text(model))
        st.markdown(usage_text(model))
    common.try_this(layout, f"Start from digit #{FIRST_THREE}, a 3, and turn it into an 8: Alt-click a cell of the "
                            "3's own curve to take its entry (or pick one from the palette), then paint the gaps on "
                            "the 3's left. How few cells does the classifier need changed?")
    with layout.text:
        st.markdown("Why a discrete code matters: a small vocabulary is something a second model can learn to write, "
                    "cell after cell, as a language model writes words. The VQ-VAE's authors wrote new grids with a "
                    "PixelCNN; the image generators that followed (VQ-VAE-2, VQGAN, the first DALL-E) draw their "
                    "pictures as such grids of codebook entries, written by a transformer.")
    common.footer(layout, PAGE, "A. van den Oord, O. Vinyals and K. Kavukcuoglu, Neural discrete representation "
                                "learning, NeurIPS 2017; A. Razavi, A. van den Oord and O. Vinyals, Generating diverse "
                                "high-fidelity images with VQ-VAE-2, NeurIPS 2019.")


course.lesson(path=PAGE, short="Codes as words", title="Codes as words: a VQ-VAE you can paint",
              icon=":material/grid_on:", render=render, charts=0, state=PaintState,
              example={"digit": "18"}, needs=(MODEL,))
