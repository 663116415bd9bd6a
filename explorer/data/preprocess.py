"""A drawn or uploaded picture of a digit turned into the input an MNIST model expects, the way
MNIST itself was made (LeCun, Bottou, Bengio & Haffner 1998; the MNIST page: "the images were
centered in a 28x28 image by computing the center of mass of the pixels"):

1. one grey channel (colour, 16-bit, CMYK, palette and transparent pictures included; a
   transparent background is filled with whatever contrasts with the strokes);
2. ink separated from paper (``separate``), so that a photo of a digit on grey, unevenly lit,
   noisy or JPEG-compressed paper, beside the table it lies on, gives the digit and only that:
   - the paper's shade is a smooth surface, a quadratic in x and y, so that uneven lighting is
     paper too. A plane is fitted first by least median of squares (Rousseeuw 1984), which holds
     while over half the picture is paper whatever the rest is (ink, the table beside the
     sheet); then least squares with iterated 3-sigma clipping, as the sky behind the stars is
     estimated (Bertin & Arnouts 1996, SExtractor), a plane and then the quadratic;
   - the noise is the median absolute deviation of the paper about that surface, times 1.4826
     (a standard deviation for Gaussian noise; Rousseeuw & Croux 1993), never under one grey
     level;
   - ink departs from the paper by more than 4 noise standard deviations, on the side that
     departs more: dark ink on light paper is inverted, light strokes on black (the draw pad)
     are not;
   - of the ink's connected regions (8-neighbour), specks are dropped: under 0.02% of the
     picture, under 5% of the largest region, or never half as strong as the strongest ink (the
     ringing JPEG leaves beside an edge); and so are paper edges: regions touching a quarter of
     a side of the picture or more, such as the table beside the sheet (a stroke that reaches
     the border crosses it over its width only). Where only such regions are found, they are
     the digit, cropped tight to the picture;
   - the kept strokes, and 2 pixels around them for their anti-aliased rims, are scaled so that
     the 90th percentile of their pixels is white (MNIST's strokes are saturated, and a noisy
     photo's brightest pixels are noise); everything else is black.
   A clean drawing, on one flat shade without noise, keeps every stroke as drawn.
   Pictures over 1024 pixels a side are first averaged down by a whole factor;
3. cropped to the ink (grey levels above a tenth of the strokes'), scaled to fit a 20x20 box
   keeping its aspect ratio (anti-aliased, as NIST's binary digits became grey levels in MNIST);
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
MIN_CONTRAST = 0.05  # strokes fainter than this (a twentieth of black to white) are no strokes
WORK = 1024  # pictures larger than this a side are averaged down to it first
# separating ink from paper (step 2)
FIT_GRID = 64  # the paper is fitted on at most this many pixels a side: 4096 points for 6 terms
LMS_TRIALS = 200  # random triples: with 60% paper, no triple all paper has odds 0.78^200 = 1e-21
LMS_POINTS = 500  # points whose median residual judges a triple's plane
FIT_ROUNDS = 10  # rounds of clipping per surface; photos settle in 1-6, clean drawings at once
CLIP = 3.0  # a pixel further than this many noise sds from the surface is not paper, when fitting
NOISE_FLOOR = 1 / 255  # one grey level: the quantisation of a clean 8-bit drawing
SIGMAS = 4.0  # ink departs from the paper by more than this many noise sds (Gaussian: 3e-5 beyond)
SPECK = 2e-4  # a region smaller than this share of the picture is a speck (18 pixels of 300 x 300)
NEIGHBOUR = 0.05  # ... and so is one under this share of the largest region's area
EDGE = 0.25  # a region touching a quarter of one side or more is a paper edge, not a stroke
STRONG = 0.5  # ... and so is one whose strongest pixel is under half the strongest ink
WHITE = 90  # percentile of the kept strokes' pixels that is made white
HALO = 2  # pixels around the kept strokes that keep their grey (anti-aliasing below the cut)


class BadImage(ValueError):
    """The file is not a picture this app can use; the message says why, for the student."""


@dataclass(frozen=True)
class Prepared:
    """The model's input and what was done to get it."""

    image: np.ndarray  # float32 [28, 28] in [0, 1], ink bright
    inverted: bool  # the picture had a light background (its ink was darker than its paper)
    frames: int  # frames in the file (an animation gives its first)
    size: tuple[int, int]  # the picture's width and height
    mode: str  # its PIL mode before conversion, e.g. "RGBA", "I;16", "CMYK"


def read_image(data: bytes, sides: tuple[int, int] | None = None) -> tuple[Image.Image, int]:
    """The file's (first) picture, fully decoded, and its number of frames; BadImage if it is too
    large, not a picture, truncated or in a format not offered. ``sides``: the least and most
    pixels each side may have, checked from the header too (a class folder's pictures)."""
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
    if sides is not None and not (sides[0] <= min(width, height) and max(width, height) <= sides[1]):
        raise BadImage(f"{width}x{height} pixels; from {sides[0]}x{sides[0]} to {sides[1]}x{sides[1]} are taken")
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


@dataclass(frozen=True)
class Ink:
    """What ``separate`` found in a grey picture."""

    strokes: np.ndarray  # float [H, W] in [0, 1], ink bright; 0 off the kept strokes
    inverted: bool  # the ink is darker than the paper (dark pen on paper)
    paper: np.ndarray  # float [H, W]: the fitted shade of the paper at every pixel
    noise: float  # standard deviation of the paper about that shade
    regions: int  # ink regions found, specks and paper edges included
    kept: int  # of which kept as strokes

    def box(self) -> tuple[int, int, int, int]:
        """(top, bottom, left, right), inclusive, of the ink above a tenth of the strokes'."""
        on = self.strokes > INK
        rows, cols = np.flatnonzero(on.any(1)), np.flatnonzero(on.any(0))
        return int(rows[0]), int(rows[-1]), int(cols[0]), int(cols[-1])


def fit_paper(g: np.ndarray) -> tuple[np.ndarray, float]:
    """The paper's shade under a grey picture (a quadratic surface, so uneven lighting is paper
    too) and the noise about it, fitted on a grid of at most FIT_GRID x FIT_GRID pixels: a plane
    by least median of squares (Rousseeuw 1984: right while over half the pixels are paper,
    whatever the rest is: ink, the table, a shadow), then least squares with iterated
    CLIP-sigma clipping, a plane and then the quadratic."""
    h, w = g.shape
    step = max(1, -(-max(h, w) // FIT_GRID))
    ys, xs = np.mgrid[0:h:step, 0:w:step]
    v = g[::step, ::step].ravel()

    def terms(y, x):  # coordinates in [-1, 1], so the fit is well conditioned at any size
        y, x = 2 * y / max(h - 1, 1) - 1, 2 * x / max(w - 1, 1) - 1
        return [np.ones_like(y * x), y, x, y * y, y * x, x * x]

    a = np.stack(terms(ys.ravel().astype(np.float64), xs.ravel().astype(np.float64)), 1)
    coef = np.zeros(6)
    coef[:3] = least_median_plane(a[:, :3], v)
    keep = np.abs(v - a @ coef) <= CLIP * max(mad(v - a @ coef), NOISE_FLOOR)
    noise = NOISE_FLOOR
    for used in (3, 6):
        for _ in range(FIT_ROUNDS):
            if keep.sum() < 2 * used:  # too little paper to fit a surface: keep the last one
                break
            coef = np.zeros(6)
            k = a[keep, :used]  # normal equations: well conditioned on [-1, 1], and fast
            coef[:used] = np.linalg.solve(k.T @ k, k.T @ v[keep])
            r = v - a @ coef
            noise = max(mad(r[keep]), NOISE_FLOOR)
            new = np.abs(r) <= CLIP * noise
            if np.array_equal(new, keep):
                break
            keep = new
    y, x = np.arange(h, dtype=np.float64)[:, None], np.arange(w, dtype=np.float64)[None, :]
    shade = sum(c * t for c, t in zip(coef, terms(y, x)))
    return np.broadcast_to(shade, (h, w)).astype(np.float64), float(noise)


def least_median_plane(a: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Of the planes through LMS_TRIALS random triples of points (seeded, so a picture always
    gives the same answer), the one with the least median squared residual (Rousseeuw 1984)."""
    rng = np.random.default_rng(0)
    if len(v) > LMS_POINTS:  # the median of a few hundred residuals judges a plane as well as all
        pick = rng.choice(len(v), LMS_POINTS, replace=False)
        a, v = a[pick], v[pick]
    triples = rng.integers(0, len(v), (LMS_TRIALS, 3))
    m = a[triples]  # [trials, 3, 3]
    ok = np.abs(np.linalg.det(m)) > 1e-9  # three points on a line fix no plane
    if not ok.any():
        return np.array([np.median(v), 0.0, 0.0])
    planes = np.linalg.solve(m[ok], v[triples[ok]][..., None])[..., 0]  # [ok trials, 3]
    worst = np.median((v[None, :] - planes @ a.T) ** 2, axis=1)
    return planes[np.argmin(worst)]


def mad(r: np.ndarray) -> float:
    """Median absolute deviation about the median, as a Gaussian standard deviation."""
    return float(1.4826 * np.median(np.abs(r - np.median(r)))) if r.size else 0.0


def separate(g: np.ndarray) -> Ink:
    """Step 2 of the module's recipe: the strokes of a grey picture (float [H, W] in [0, 1]),
    ink bright, with the paper, its lighting, its noise, specks and its edges taken away."""
    from scipy import ndimage  # scipy comes with scikit-learn; imported here, as only this needs it

    paper, noise = fit_paper(g)
    r = g - paper
    cut = SIGMAS * noise
    inverted = bool(np.clip(-r - cut, 0, None).sum() > np.clip(r - cut, 0, None).sum())
    ink = -r if inverted else r
    labels, n = ndimage.label(ink > cut, structure=np.ones((3, 3)))
    area = np.bincount(labels.ravel(), minlength=n + 1)
    h, w = g.shape
    # longest contact of each region with one side of the picture, as a share of that side
    contact = np.max([np.bincount(side, minlength=n + 1) / len(side)
                      for side in (labels[0], labels[-1], labels[:, 0], labels[:, -1])], axis=0)
    keep = area >= SPECK * h * w
    keep[0] = False  # the paper
    if (keep & (contact < EDGE)).any():  # else the digit fills the picture, touching its sides
        keep &= contact < EDGE
    strongest = np.zeros(n + 1)
    on = labels > 0
    np.maximum.at(strongest, labels[on], ink[on])
    if keep.any():
        keep &= (strongest >= STRONG * strongest[keep].max()) & (area >= NEIGHBOUR * area[keep].max())
    strokes = keep[labels]
    peak = float(np.percentile(ink[strokes], WHITE)) if strokes.any() else 0.0
    if peak < MIN_CONTRAST:
        raise BadImage("no strokes found: the picture is blank (or all one shade)")
    near = ndimage.binary_dilation(strokes, iterations=HALO)  # the strokes' anti-aliased rims
    return Ink(strokes=np.clip(ink / peak, 0, 1) * near, inverted=inverted, paper=paper, noise=noise,
               regions=n, kept=int(keep.sum()))


def shrink(g: np.ndarray) -> np.ndarray:
    """A grey picture over WORK pixels a side averaged down by a whole factor to WORK or under
    (a 12-megapixel photo to 1000 x 750): the 20-pixel box cannot tell, and the rest is faster."""
    k = -(-max(g.shape) // WORK)
    if k == 1:
        return g
    h, w = g.shape[0] // k * k, g.shape[1] // k * k
    return g[:h, :w].reshape(h // k, k, w // k, k).mean(axis=(1, 3))


def to_mnist(img: Image.Image) -> tuple[np.ndarray, bool]:
    """Steps 2-4 of the module's recipe on a decoded picture: (28x28 float32 in [0, 1], inverted)."""
    ink = separate(shrink(grey(img)))
    top, bottom, left, right = ink.box()
    crop = ink.strokes[top:bottom + 1, left:right + 1]
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
    return out, ink.inverted


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
