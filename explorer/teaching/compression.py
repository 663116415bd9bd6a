"""Bytes per image: an autoencoder's code against the image formats, on the same test images.

A code of k numbers stored at 16 bits a number (float16) or 8 (each number quantised uniformly
between the lowest and highest value it takes on the test codes: a range the decoder's side keeps
once, like its weights) costs ceil(k x bits / 8) bytes; the image is what the decoder makes of the
stored code. JPEG and WebP (Pillow) are asked for the highest quality whose file fits a byte
budget, image by image; PNG is the lossless reference. Each is scored by its mean squared error
per pixel (images in [0, 1]) and its PSNR. What the comparison leaves out is the reader's to say:
the decoder's weights are shared by every image and JPEG needs none; a format's file carries its
own headers, which for a 28x28 image are most of it. A model with a codebook (a VQ-VAE) stores its
grid of entries, log2(K) bits a cell.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

import numpy as np
from PIL import Image

FORMATS = ("JPEG", "WEBP")
QUALITY = (1, 95)  # the qualities searched (Pillow's JPEG above 95 only grows the file)
BITS = (8, 16)


@dataclass(frozen=True)
class Coded:
    """Images through one way of storing them."""

    way: str  # "16-number code, 8 bits a number", "JPEG", "PNG"
    nbytes: np.ndarray  # [n]: bytes each image takes
    images: np.ndarray  # [n, H, W] floats in [0, 1]: what comes back
    mse: np.ndarray  # [n]: mean squared error per pixel against the original
    quality: np.ndarray | None = None  # [n]: the format's quality chosen (None for codes)

    @property
    def mean_bytes(self) -> float:
        return float(self.nbytes.mean())

    @property
    def mean_mse(self) -> float:
        return float(self.mse.mean())

    @property
    def psnr(self) -> float:
        return psnr(self.mean_mse)


def psnr(mse: float) -> float:
    """Peak signal-to-noise ratio in dB of a mean squared error of images in [0, 1] (inf for 0)."""
    return math.inf if mse <= 0 else 10 * math.log10(1 / mse)


def _as_floats(images) -> np.ndarray:
    x = np.asarray(images)
    return x.astype(np.float32) / 255 if x.dtype == np.uint8 else x.astype(np.float32)


def _errors(original, back) -> np.ndarray:
    return ((_as_floats(original) - _as_floats(back)) ** 2).reshape(len(back), -1).mean(1)


def stored(codes: np.ndarray, bits: int, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """``codes`` as they come back from ``bits`` bits a number: float16, or uniform steps of
    (hi - lo) / 255 between each number's ``lo`` and ``hi`` (values outside clipped)."""
    codes = np.asarray(codes, np.float32)
    if bits == 16:
        return codes.astype(np.float16).astype(np.float32)
    if bits != 8:
        raise ValueError(f"a code is stored at {' or '.join(map(str, BITS))} bits a number, not {bits}")
    span = np.where(hi > lo, hi - lo, 1.0).astype(np.float32)
    steps = np.round((np.clip(codes, lo, hi) - lo) / span * 255)
    return (lo + steps / 255 * span).astype(np.float32)


def by_code(model, images: np.ndarray, bits: int) -> Coded:
    """``images`` (uint8) encoded by ``model``, each code stored at ``bits`` bits a number and
    decoded; the 8-bit range is that of the model's stored test codes."""
    codes = model.encode(images)
    lat = model.latents.codes
    back = model.decode(stored(codes, bits, lat.min(0), lat.max(0)))
    k = codes.shape[1]
    return Coded(f"{k} numbers x {bits} bits", np.full(len(images), math.ceil(k * bits / 8)), back,
                 _errors(images, back))


def by_indices(model, images: np.ndarray) -> Coded:
    """``images`` (uint8) written by a model with a codebook as its grid of entries, each cell
    log2(K) bits (the grid packed: ceil(cells x log2 K / 8) bytes), and decoded from the grid."""
    indices = model.encode_indices(images)
    back = model.decode_indices(indices)
    (h, w), k = model.grid, model.codebook_size
    bits = math.ceil(math.log2(k))
    return Coded(f"{h}x{w} entries of {k} ({bits} bits each)", np.full(len(images), math.ceil(h * w * bits / 8)),
                 back, _errors(images, back))


def code_bytes(model, bits: int) -> int:
    """Bytes a code of ``model`` takes at ``bits`` bits a number (a model with a codebook: its grid)."""
    if "codebook" in model.kind_info.offers:
        (h, w), k = model.grid, model.codebook_size
        return math.ceil(h * w * math.ceil(math.log2(k)) / 8)
    return math.ceil(model.latent_dim * bits / 8)


def _file(image: np.ndarray, fmt: str, quality: int | None = None) -> bytes:
    out = io.BytesIO()
    options = {"optimize": True} if fmt == "PNG" else {"quality": quality}
    Image.fromarray(image).save(out, fmt, **options)
    return out.getvalue()


def _read(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("L"))


def by_format(images: np.ndarray, fmt: str, budget: int) -> Coded | None:
    """Each image (uint8 grey) at the highest quality whose ``fmt`` file takes at most ``budget``
    bytes (a binary search over QUALITY; a file's size grows with its quality); None where even
    the lowest quality does not fit one of them."""
    if fmt not in FORMATS:
        raise ValueError(f"format {fmt!r}: one of {', '.join(FORMATS)}")
    files, qualities = [], []
    for image in images:
        lo, hi, best = QUALITY[0], QUALITY[1], None
        while lo <= hi:
            q = (lo + hi) // 2
            data = _file(image, fmt, q)
            if len(data) <= budget:
                best, lo = (q, data), q + 1
            else:
                hi = q - 1
        if best is None:
            return None
        qualities.append(best[0])
        files.append(best[1])
    back = np.stack([_read(f) for f in files])
    return Coded(fmt, np.array([len(f) for f in files]), back.astype(np.float32) / 255, _errors(images, back),
                 np.array(qualities))


def smallest(images: np.ndarray, fmt: str) -> int:
    """The most bytes any of ``images`` takes in ``fmt`` at its lowest quality: the least budget
    that fits them all."""
    return max(len(_file(image, fmt, QUALITY[0])) for image in images)


def lossless(images: np.ndarray) -> Coded:
    """PNG: the lossless reference."""
    files = [_file(image, "PNG") for image in images]
    back = np.stack([_read(f) for f in files])
    return Coded("PNG", np.array([len(f) for f in files]), back.astype(np.float32) / 255, _errors(images, back))


def at_budget(models, images: np.ndarray, budget: int) -> list[Coded]:
    """Every way of storing ``images`` that fits ``budget`` bytes each: each model's code at each
    of BITS that fits, each format whose files fit (at the highest quality that does), and PNG,
    the lossless reference, whatever it takes."""
    with_codebook = [m for m in models if "codebook" in m.kind_info.offers]
    out = [compression for model in models if model not in with_codebook for bits in BITS
           if code_bytes(model, bits) <= budget for compression in [by_code(model, images, bits)]]
    out += [by_indices(model, images) for model in with_codebook if code_bytes(model, 0) <= budget]
    for fmt in FORMATS:
        coded = by_format(images, fmt, budget)
        if coded is not None:
            out.append(coded)
    return out + [lossless(images)]


def decoder_bytes(model) -> int:
    """What the model's decoder weighs as stored in its bundle: its parameters at the bundle's
    weight type (shared by every image it decodes)."""
    size = {"float16": 2, "bfloat16": 2, "float32": 4}.get(model.config.get("weights_dtype"), 4)
    book = getattr(getattr(model.net, "quantiser", None), "codebook", None)  # the decoder's side keeps it too
    return (sum(p.numel() for p in model.net.decoder.parameters()) + (book.numel() if book is not None else 0)) * size
