"""A drawn or uploaded picture of a digit turned into the input an MNIST model expects, the way
MNIST itself was made (LeCun, Bottou, Bengio & Haffner 1998; the MNIST page: "the images were
centered in a 28x28 image by computing the center of mass of the pixels"):

1. one grey channel (colour, 16-bit, CMYK, palette and transparent pictures included; a
   transparent background is filled with whatever contrasts with the strokes);
2. ink bright on dark: inverted when the background (the border pixels) is light, as for a dark
   pen on white paper;
3. cropped to the ink, scaled to fit a 20x20 box keeping its aspect ratio (anti-aliased, as
   NIST's binary digits became grey levels in MNIST);
4. placed in a 28x28 field so that its centre of mass lies at the centre (pixel 14, 14, where
   MNIST's digits have theirs).

``read_image`` refuses what cannot be a picture of a digit with a ``BadImage`` that says why,
before decoding more than it must: files over 20 MB, pictures over 40 megapixels (decompression
bombs: a small PNG that claims 100,000 x 100,000 pixels), truncated or foreign files. An animated
picture gives its first frame.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps

MAX_BYTES = 20 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a 12-megapixel phone photo is well under; PIL's own bomb check is 89 M
FORMATS = ("PNG", "JPEG", "WEBP", "BMP", "GIF")  # what the uploader takes; others are refused
BOX, FIELD = 20, 28
CENTRE = 14.0  # where MNIST's centres of mass lie (row and column 14.0 on average, sd 0.3)
INK = 0.1  # ink: grey level above this share of the brightest stroke, when cropping


class BadImage(ValueError):
    """The file is not a picture this app can use; the message says why, for the student."""


@dataclass(frozen=True)
class Prepared:
    """The model's input and what was done to get it."""

    image: np.ndarray  # float32 [28, 28] in [0, 1], ink bright
    inverted: bool  # the picture had a light background
    frames: int  # frames in the file (an animation gives its first)
    size: tuple[int, int]  # the picture's width and height
    mode: str  # its PIL mode before conversion, e.g. "RGBA", "I;16", "CMYK"


def read_image(data: bytes) -> tuple[Image.Image, int]:
    """The file's (first) picture, fully decoded, and its number of frames; BadImage if it is too
    large, not a picture, truncated or in a format not offered."""
    if len(data) > MAX_BYTES:
        raise BadImage(f"the file is {len(data) / 2**20:.0f} MB; pictures up to {MAX_BYTES // 2**20} MB are taken")
    if not data:
        raise BadImage("the file is empty")
    try:
        img = Image.open(io.BytesIO(data))  # reads the header only
    except Image.DecompressionBombError:
        raise BadImage(f"the picture claims more than {MAX_PIXELS / 1e6:.0f} million pixels") from None
    except Exception:
        raise BadImage("this file is not a picture (PNG, JPEG, WebP, BMP or GIF)") from None
    if img.format not in FORMATS:
        raise BadImage(f"{img.format or 'this'} pictures are not taken; use PNG, JPEG, WebP, BMP or GIF")
    width, height = img.size
    if width * height > MAX_PIXELS:  # before decoding a single pixel
        raise BadImage(f"the picture is {width} x {height} pixels ({width * height / 1e6:.0f} million); "
                       f"up to {MAX_PIXELS / 1e6:.0f} million are taken")
    frames = getattr(img, "n_frames", 1)
    try:
        img.seek(0)
        img.load()
    except Exception as e:  # truncated data, a corrupt stream
        raise BadImage(f"the picture cannot be read to the end ({first_line(e)}); is the file complete?") from None
    return img, frames


def first_line(e: Exception) -> str:
    return str(e).split("\n")[0] or type(e).__name__


def grey(img: Image.Image) -> np.ndarray:
    """One channel, float in [0, 1]; a transparent background takes the colour opposite the
    strokes (so white strokes on a transparent background stay visible, and black ones too)."""
    if img.mode in ("I;16", "I;16B", "I;16L", "I"):  # 16-bit (or 32-bit integer) grey
        a = np.asarray(img, dtype=np.float64)
        top = 65535.0 if img.mode.startswith("I;16") or a.max() > 255 else 255.0
        return np.clip(a / top, 0, 1)
    if img.mode == "F":
        a = np.asarray(img, dtype=np.float64)
        return np.clip(a / max(a.max(), 1e-12), 0, 1)
    if img.mode == "CMYK":
        img = img.convert("RGB")
    has_alpha = img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info)
    if not has_alpha:
        return np.asarray(img.convert("L"), dtype=np.float64) / 255
    rgba = img.convert("RGBA")
    alpha = np.asarray(rgba.getchannel("A"), dtype=np.float64) / 255
    luma = np.asarray(rgba.convert("L"), dtype=np.float64) / 255
    if alpha.min() > 0.99:  # opaque after all
        return luma
    strokes = alpha > 0.5
    background = 0.0 if strokes.any() and luma[strokes].mean() > 0.5 else 1.0
    return alpha * luma + (1 - alpha) * background


def to_mnist(img: Image.Image) -> tuple[np.ndarray, bool]:
    """Steps 2-4 of the module's recipe on a decoded picture: (28x28 float32 in [0, 1], inverted)."""
    g = grey(img)
    border = np.concatenate([g[0], g[-1], g[:, 0], g[:, -1]])
    inverted = bool(np.median(border) > 0.5)
    ink = 1 - g if inverted else g
    ink = ink - np.median(border if not inverted else 1 - border)  # the paper's own shade is no ink
    ink = np.clip(ink, 0, None)
    if ink.max() < 0.05:
        raise BadImage("no strokes found: the picture is blank (or all one shade)")
    ink = ink / ink.max()
    rows, cols = np.flatnonzero((ink > INK).any(1)), np.flatnonzero((ink > INK).any(0))
    crop = ink[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    h, w = crop.shape
    scale = BOX / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    small = np.asarray(Image.fromarray((crop * 255).astype(np.uint8)).resize(size, Image.Resampling.LANCZOS),
                       dtype=np.float64) / 255
    small = np.clip(small, 0, 1)
    # centre of mass to the field's centre (whole pixels, as the MNIST recipe shifts)
    ys, xs = np.indices(small.shape)
    mass = small.sum()
    cy, cx = (ys * small).sum() / mass, (xs * small).sum() / mass
    top, left = int(round(CENTRE - cy)), int(round(CENTRE - cx))
    top = min(max(top, 0), FIELD - small.shape[0])  # never push ink off the field
    left = min(max(left, 0), FIELD - small.shape[1])
    out = np.zeros((FIELD, FIELD), np.float32)
    out[top:top + small.shape[0], left:left + small.shape[1]] = small
    return out, inverted


def prepare(data: bytes) -> Prepared:
    """A picture file (bytes) -> the model's input, or BadImage saying why not."""
    img, frames = read_image(data)
    mode, size = img.mode, img.size
    img = ImageOps.exif_transpose(img)  # a phone photo taken sideways
    image, inverted = to_mnist(img)
    return Prepared(image=image, inverted=inverted, frames=frames, size=size, mode=mode)


def centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    """(row, column) of an image's centre of mass; MNIST digits have theirs near (14, 14)."""
    ys, xs = np.indices(image.shape)
    mass = image.sum()
    return float((ys * image).sum() / mass), float((xs * image).sum() / mass)
