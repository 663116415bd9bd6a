"""Digits on the page as inline PNGs.

``st.image`` serves each picture as a media file that the browser fetches after the script run;
Streamlit drops a run's media files when the next run of the session finishes, so after quick
switching (PCA, t-SNE, PCA) the browser can ask for a file that is already gone and show a
broken-image icon. An inline data URI arrives with the page itself and cannot go missing. The
PNG keeps the model's own resolution and the browser enlarges it without blur
(``image-rendering: pixelated``), so a digit costs a few hundred bytes.

Labels are page text where they can be: a row of digits (``row``) puts each label under its
picture as text, which presentation mode makes 20 px or more like all its text, and wraps onto
another line rather than shrinking. A label drawn into a picture (a grid's row and column names)
is shrunk with the picture when a column is narrower than it, so it is drawn ``label_px()`` high
and the picture carries that height (data-label-px) for the legibility checks (tests/browser.py).
"""

from __future__ import annotations

import base64
import html

import numpy as np
import streamlit as st

from explorer.teaching import images
from ui import present

FIGURE_STYLE = "margin:0 0 0.5rem 0;display:inline-block;text-align:center;max-width:100%"
CAPTION_STYLE = "font-size:0.85rem;color:rgba(49,51,63,0.7);margin-top:0.25rem"


LABEL_STYLE = "font-size:0.85rem;line-height:1.25;color:#222;white-space:nowrap"  # 13.6 px; 20 px presenting
HIGHLIGHT = "#{:02X}{:02X}{:02X}".format(*images.HIGHLIGHT)  # the red of the click's cross on the map
PRESENT_LABEL_PX = 22  # drawn labels presenting: a projector's smallest text is 20 px (ui/present/style.css)


def label_px() -> int:
    """How high to draw text into a picture shown at its own size: 15 px on a screen, larger when
    presenting."""
    return PRESENT_LABEL_PX if present.active() else images.LABEL_PX


def img_tag(picture, width: int, alt: str, border: str = "1px solid #ccc", **data) -> str:
    """An <img> of a uint8 or [0,1] picture, ``width`` CSS pixels wide; ``data`` become data-*
    attributes (test hooks)."""
    png = images.png_bytes(images.to_uint8(np.asarray(picture)))
    attrs = "".join(f' data-{k.replace("_", "-")}="{html.escape(str(v))}"' for k, v in data.items())
    return (f'<img src="data:image/png;base64,{base64.b64encode(png).decode()}" width="{width}" '
            f'alt="{html.escape(alt)}" style="image-rendering:pixelated;border:{border};max-width:100%;height:auto"{attrs}>')


def figure_html(picture, caption: str, width: int, **data) -> str:
    return (f'<figure style="{FIGURE_STYLE}">{img_tag(picture, width, caption, **data)}'
            f'<figcaption style="{CAPTION_STYLE}">{html.escape(caption)}</figcaption></figure>')


def show(picture, caption: str, width: int = 200, where=None, labelled: int | bool = False, **data) -> None:
    """One picture with its caption; ``labelled``: it has text drawn into it (explorer/teaching/images.py),
    ``labelled`` pixels high (True: images.LABEL_PX), which it carries as data-label-px (in the
    picture's own pixels) for legibility checks."""
    if labelled:
        data["label_px"] = images.LABEL_PX if labelled is True else int(labelled)
    (where or st).html(figure_html(picture, caption, width, **data))


def row_html(pictures, labels, caption: str, scale: int = 2, highlight: int | None = None, **data) -> str:
    """Pictures side by side, each ``scale`` times an MNIST digit's size (images.display_scale)
    with its label beneath as text, one framed in red; they wrap onto more lines where the column
    is narrow. ``data``: data-* attributes of the first picture (test hooks)."""
    tiles = []
    for i, (picture, label) in enumerate(zip(pictures, labels)):
        picture = np.asarray(picture)
        width = picture.shape[1] * images.display_scale(picture.shape[1], scale)
        red = i == highlight
        img = img_tag(picture, width, str(label), f"2px solid {HIGHLIGHT}" if red else "2px solid #ccc",
                      **(data if i == 0 else {}))
        colour = f";color:{HIGHLIGHT};font-weight:600" if red else ""
        tiles.append(f'<div style="display:flex;flex-direction:column;align-items:center">{img}'
                     f'<span data-tile-label style="{LABEL_STYLE}{colour}">{html.escape(str(label))}</span></div>')
    return (f'<figure data-row style="{FIGURE_STYLE}"><div style="display:flex;flex-wrap:wrap;gap:0.3rem 0.4rem;'
            f'justify-content:center">{"".join(tiles)}</div>'
            f'<figcaption style="{CAPTION_STYLE}">{html.escape(caption)}</figcaption></figure>')


def row(pictures, labels, caption: str, scale: int = 2, highlight: int | None = None, where=None, **data) -> None:
    """``row_html`` on the page."""
    (where or st).html(row_html(pictures, labels, caption, scale, highlight, **data))


def strip(frames, labels, highlight: int | None, caption: str, where=None) -> None:
    """Frames side by side, each labelled beneath, one framed in red; as large again in
    presentation mode, where it has the page's width."""
    row(frames, labels, caption, 4 if present.active() else 2, highlight, where)


def show_row(items, where=None, gap: str = "1.5rem") -> None:
    """Several (picture, caption, width, data) side by side with clear space between them, so
    an original and its reconstruction never read as one block."""
    figures = "".join(figure_html(p, c, w, **d) for p, c, w, d in items)
    (where or st).html(f'<div style="display:flex;gap:{gap};flex-wrap:wrap;align-items:flex-start">{figures}</div>')
