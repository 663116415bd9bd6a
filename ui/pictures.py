"""Digits on the page as inline PNGs.

``st.image`` serves each picture as a media file that the browser fetches after the script run;
Streamlit drops a run's media files when the next run of the session finishes, so after quick
switching (PCA, t-SNE, PCA) the browser can ask for a file that is already gone and show a
broken-image icon. An inline data URI arrives with the page itself and cannot go missing. The
PNG keeps the model's own resolution and the browser enlarges it without blur
(``image-rendering: pixelated``), so a digit costs a few hundred bytes.
"""

from __future__ import annotations

import base64
import html

import numpy as np
import streamlit as st

from explorer import images
from ui import present

FIGURE_STYLE = "margin:0 0 0.5rem 0;display:inline-block;text-align:center;max-width:100%"
CAPTION_STYLE = "font-size:0.85rem;color:rgba(49,51,63,0.7);margin-top:0.25rem"


def img_tag(picture, width: int, alt: str, **data) -> str:
    """An <img> of a uint8 or [0,1] picture, ``width`` CSS pixels wide; ``data`` become data-*
    attributes (test hooks)."""
    png = images.png_bytes(images.to_uint8(np.asarray(picture)))
    attrs = "".join(f' data-{k.replace("_", "-")}="{html.escape(str(v))}"' for k, v in data.items())
    return (f'<img src="data:image/png;base64,{base64.b64encode(png).decode()}" width="{width}" '
            f'alt="{html.escape(alt)}" style="image-rendering:pixelated;border:1px solid #ccc;max-width:100%;height:auto"{attrs}>')


def figure_html(picture, caption: str, width: int, **data) -> str:
    return (f'<figure style="{FIGURE_STYLE}">{img_tag(picture, width, caption, **data)}'
            f'<figcaption style="{CAPTION_STYLE}">{html.escape(caption)}</figcaption></figure>')


def show(picture, caption: str, width: int = 200, where=None, labelled: bool = False, **data) -> None:
    """One picture with its caption; ``labelled``: it has text drawn into it (explorer/images.py),
    whose height it carries as data-label-px (in the picture's own pixels) for legibility checks."""
    if labelled:
        data["label_px"] = images.LABEL_PX
    (where or st).html(figure_html(picture, caption, width, **data))


def strip(frames, labels, highlight: int | None, caption: str, where=None) -> None:
    """Frames side by side, each labelled beneath, one framed in red; as large again in
    presentation mode, where it has the page's width."""
    picture = images.labelled_strip(frames, labels, scale=2, highlight=highlight)
    show(picture, caption, picture.shape[1] * (2 if present.active() else 1), where, labelled=True)


def show_row(items, where=None, gap: str = "1.5rem") -> None:
    """Several (picture, caption, width, data) side by side with clear space between them, so
    an original and its reconstruction never read as one block."""
    figures = "".join(figure_html(p, c, w, **d) for p, c, w, d in items)
    (where or st).html(f'<div style="display:flex;gap:{gap};flex-wrap:wrap;align-items:flex-start">{figures}</div>')
