"""A digit of the user's own, shared by the explore page: drawn on the pad or uploaded, prepared
the way MNIST's digits were (explorer/data/preprocess.py), placed on the map (explorer/view.place)
and shown with its reconstruction and its nearest test images."""

from __future__ import annotations

import numpy as np
import streamlit as st
from streamlit.runtime.uploaded_file_manager import UploadedFile

from explorer.data import preprocess
from explorer import maps as projection
from explorer.bundles.bundle import Model
from explorer.teaching.view import Placed, place
from ui import draw_pad, pictures, session
from ui.text import literal


def fits(model: Model) -> bool:
    """Whether a drawn or uploaded picture, prepared as MNIST's digits were (28x28 grey), is what
    ``model`` takes."""
    return model.image_shape == (28, 28, 1)


def placed(model: Model, mp: projection.LatentMap) -> Placed | None:
    """The digit of this session, as ``model`` sees it on ``mp``; None when there is none (or the
    model takes other images)."""
    up = st.session_state.get(session.UPLOAD)
    if up is None or not fits(model):
        return None
    return place(model, mp, up["image"], up["source"], up["notes"])


def take_picture(raw: bytes, source: str) -> None:
    """A picture becomes the digit shown, or a message saying why not (the last one stays)."""
    try:
        p = preprocess.prepare(raw)
    except preprocess.BadImage as e:
        st.session_state[session.UPLOAD_ERROR] = f"{source} was not used: {e}."
        return
    notes = []
    if p.inverted:
        notes.append("its light background was inverted, as MNIST's digits are light on dark")
    if p.frames > 1:
        notes.append(f"the first of its {p.frames} frames was used")
    st.session_state[session.UPLOAD] = {"image": p.image, "source": source, "notes": notes}
    st.session_state[session.UPLOAD_ERROR] = None


def take_inputs() -> None:
    """A new drawing or upload becomes the digit shown (read in the run, like the map's clicks,
    so AppTest can drive it too). Clearing the pad drops a drawn digit; "Forget this digit" any."""
    ss = st.session_state
    current = (ss.get(session.UPLOAD) or {}).get("source", "")
    drawing = (ss.get(session.W_DRAW) or {}).get("drawing")
    if drawing != ss.get(session.SEEN_DRAWING):
        ss[session.SEEN_DRAWING] = drawing
        raw = draw_pad.png_of(drawing)
        if raw is not None:
            take_picture(raw, "your drawing")
        elif current == "your drawing":
            ss.pop(session.UPLOAD, None)
    file = ss.get(session.W_UPLOAD)
    if not isinstance(file, UploadedFile):  # None, or a file this server does not hold (Streamlit's DeletedFile:
        file = None                         # the session came back on another server, or the file expired)
    file_id = file.file_id if file is not None else None
    if file_id != ss.get(session.SEEN_FILE):
        ss[session.SEEN_FILE] = file_id
        if file is not None:  # (an emptied uploader keeps the digit: choosing another file empties it first)
            take_picture(file.getvalue(), f"the file {file.name}")


def panel(model: Model, mp: projection.LatentMap, originals: np.ndarray | None, drawn: Placed | None) -> None:
    if not fits(model):
        h, w, c = model.image_shape
        st.subheader("Draw or upload a digit")
        st.caption(f"Not for this model: a drawing or a photo is prepared the way MNIST's digits were, as a 28x28 "
                   f"grey image, and this model takes {h}x{w} {'colour' if c == 3 else 'grey'} images.")
        return
    st.subheader("Draw or upload a digit")
    st.caption("Your digit becomes a 28x28 image the way MNIST's were made (LeCun et al., 1998): grey, light "
               "ink on a dark field, cropped to the ink, fitted into 20x20 pixels and centred by its centre "
               "of mass. The encoder turns it into a code; the star on the map is where that code lands.")
    pad, upload, result = st.columns([1.15, 1, 2.2], gap="medium")
    with pad:
        draw_pad.draw_pad(session.W_DRAW)
    with upload:
        st.file_uploader("Or upload a picture of one", type=["png", "jpg", "jpeg", "webp", "bmp", "gif"],
                         key=session.W_UPLOAD,
                         help="A photo of a digit on paper works: dark ink on light paper is inverted. "
                              f"Up to {preprocess.MAX_BYTES // 2**20} MB.")
        if st.session_state.get(session.UPLOAD_ERROR):
            st.error(literal(st.session_state[session.UPLOAD_ERROR]))
    with result:
        if drawn is None:
            st.info("Draw a digit on the pad, or upload a picture: you will see what the model receives, what "
                    "it rebuilds, and where it puts your digit among the test images.")
            return
        pictures.show_row([(drawn.image, "what the model receives", 112, {}),
                           (drawn.recon, "its reconstruction", 112, {})])
        notes = f"; {'; '.join(drawn.notes)}" if drawn.notes else ""
        if model.label is not None:  # a conditional model is told a class: the one chosen above the map
            notes += f"; encoded as a {literal(model.class_names[model.label])}, the class chosen above the map"
        st.caption(f"From {literal(drawn.source)}{notes}. Reconstruction error {drawn.error:.4f} per pixel: worse than "
                   f"{drawn.percentile:.0f}% of the test images. A digit like the ones it learned from is "
                   "rebuilt about as well as they are; a much higher error means the model finds it unusual.")
        where = f"({drawn.xy[0]:.2f}, {drawn.xy[1]:.2f})"
        if mp.exact:
            st.caption(f"It lands at {where} on this map (the star).")
        else:
            st.caption(f"It lands near {where} (the star). On this map that is an estimate: "
                       + mp.placing.format(k=getattr(mp, "placing_k", getattr(mp, "k", "nearest"))))
        nearest(model, drawn.code, originals)
        st.button("Forget this digit", on_click=lambda: st.session_state.pop(session.UPLOAD, None))


def nearest(model: Model, code: np.ndarray, originals: np.ndarray | None, k: int = 8) -> None:
    """The k test images whose codes are nearest, in the latent space itself (not on the map)."""
    lat = model.latents
    dist, rows = projection.nearest(code[None], lat.codes, k)
    pics = originals[lat.index[rows[0]]] if originals is not None else model.decode(lat.codes[rows[0]])
    labels = [f"{model.class_names[lat.labels[r]]} d={d:.2f}" for r, d in zip(rows[0], dist[0])]
    pictures.row(pics, labels, f"the {k} test images with the nearest codes: class and distance in the latent space")
