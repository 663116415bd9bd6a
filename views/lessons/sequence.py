"""Lesson: reading a digit as a sequence. A sequence autoencoder (a GRU) reads a digit row by row
into a 16-number code and writes it back row by row: the writing animated in the browser
(ui/writer.py), beside the MLP autoencoder of the same code size. The figures are the bundles':
their errors, their sizes, and the error of each row over the test images, which shows what the
order costs or gives.

URL: ?digit=<test image>."""

from __future__ import annotations

import streamlit as st

from explorer.teaching import figures, images
from explorer.teaching.state import DigitState
from ui import course, pictures, present, resources, session, writer
from views.lessons import common

MODEL, MLP = "mnist-seq-ae-16", "mnist-ae-16"
PAGE = "sequence"
W_DIGIT = session.widget(PAGE, "digit")
WRITER_KEY = session.widget(PAGE, "writer")


def parameters(model) -> int:
    return sum(p.numel() for p in model.net.parameters())


def compared_text(seq, mlp, rows: dict) -> str:
    """The two models side by side, every figure from the bundles and the test images."""
    a, b = seq.metrics, mlp.metrics
    out = [f"Rebuilt from 16 numbers, the test images' error is {a['test_mse']:.4f} per pixel for the sequence "
           f"autoencoder and {b['test_mse']:.4f} for the MLP ("
           + ("the order costs it some accuracy" if a["test_mse"] > b["test_mse"] else "reading in order costs it nothing")
           + f"). It has {parameters(seq):,} weights against the MLP's {parameters(mlp):,}: "
           + ("the same GRU weights read every row, so it needs fewer." if parameters(seq) < parameters(mlp)
              else "its recurrent layers are not the smaller here.")]
    if len(rows) == 2:
        e_seq, e_mlp = rows[seq.name], rows[mlp.name]
        half = len(e_seq) // 2
        top, bottom = (e_seq[s].sum() / max(e_mlp[s].sum(), 1e-12) for s in (slice(0, half), slice(half, None)))
        out.append(f"Over the first {resources.ROW_IMAGES:,} test images its error is largest at row "
                   f"{int(e_seq.argmax()) + 1}. Over the top half of the rows, written first, "
                   f"its error is {top:.2f} times the MLP's; over the bottom half, written last, {bottom:.2f} times"
                   + (": the rows written later come out relatively worse." if bottom > 1.1 * top else
                      ": the rows written later come out relatively better." if top > 1.1 * bottom else
                      ": writing in order costs the later rows nothing here."))
    return " ".join(out)


def render() -> None:
    layout = common.frame(PAGE, [
        "A sequence autoencoder reads a digit the way one reads a line of text: one row at a time, top to "
        "bottom. A recurrent network (a GRU) carries what it has read so far in its state; after the 28th row "
        "its state becomes a 16-number code. Its decoder writes the digit back from that code, one row a "
        "step. Press play to watch it write; the MLP autoencoder beside it draws all 784 pixels at once.",
    ], say="The same autoencoder idea works on sequences: read step by step into a code, write back step by step; "
           "that is how text, speech and time series are encoded.")
    found = common.models(MODEL, MLP)
    originals = common.test_images()
    if found is None or originals is None:
        return
    seq, mlp = found
    state = common.state(PAGE, lambda query: DigitState.from_query(query, len(originals)))
    session.seed(W_DIGIT, state.digit)
    with layout:
        digit = common.digit_chooser(W_DIGIT, len(originals))
        common.keep(PAGE, state.updated(digit=digit))
        left, right = st.columns([1.3, 1], gap="medium")
        with left:
            st.markdown("**The sequence autoencoder, writing row by row**")
            written = writer.writer(seq, seq.encode(originals[digit:digit + 1])[0], WRITER_KEY)
        with right:
            shown = [originals[digit] / 255.0, mlp.reconstruct(originals[digit:digit + 1])[0]]
            if not written:
                shown.append(seq.reconstruct(originals[digit:digit + 1])[0])
            pictures.show(images.image_grid(shown, 1, len(shown), scale=4 if present.active() else 5),
                          "the test digit, and the MLP autoencoder's rebuilding (all at once)"
                          + ("" if written else ", and the sequence autoencoder's"), len(shown) * 28 * 5)
    rows = {m.name: e for m in (seq, mlp) for e in [resources.row_errors(m, resources.settings().data_dir)]
            if e is not None}
    with layout.after:
        st.markdown(compared_text(seq, mlp, rows))
        if len(rows) == 2:
            st.plotly_chart(present.figure(figures.row_error_curve(rows, resources.ROW_IMAGES)),
                            config={"displaylogo": False})
    common.try_this(layout, "Scrub the writing to row 14: how much of the digit can you already tell? Then find, on "
                            "the chart, whether the rows written last are rebuilt worse than the first.")
    with layout.text:
        st.markdown("Where sequence autoencoders are used: reading a sentence into a code and pretraining text "
                    "classifiers with it (Dai & Le 2015), videos (Srivastava et al. 2015), speech, and time series, "
                    "where a sensor trace the model writes back badly is flagged as an anomaly (Malhotra et al. 2016). "
                    "Transformers now do the same reading and writing with attention instead of a state.")
    common.footer(layout, PAGE, "N. Srivastava, E. Mansimov and R. Salakhutdinov, Unsupervised learning of video "
                                "representations using LSTMs, ICML 2015; A. M. Dai and Q. V. Le, Semi-supervised "
                                "sequence learning, NeurIPS 2015; K. Cho et al., Learning phrase representations "
                                "using RNN encoder-decoder, EMNLP 2014.")


course.lesson(path=PAGE, short="A digit as a sequence", title="Reading a digit as a sequence",
              icon=":material/view_stream:", render=render, charts=1, state=DigitState,
              example={"digit": "7"}, needs=(MODEL, MLP))
