"""Pictures of digits and what is exported: enlarged images, labelled strips, the walk as a GIF
or PNG strip, the map's coordinates as CSV.

Images are enlarged by repeating pixels (nearest neighbour): a 28 x 28 digit stretched by a
browser or an image viewer would be blurred, and the pixels are what the model produced.
"""

from __future__ import annotations

import csv
import io

import numpy as np
from PIL import Image, ImageDraw, ImageFont

BACKGROUND = (255, 255, 255)
GAP_COLOUR = (200, 200, 200)
HIGHLIGHT = (208, 0, 0)  # the frame the slider is at: the same red as the click's cross on the map
TEXT = (34, 34, 34)


def to_uint8(image) -> np.ndarray:
    """An image in [0, 1] (or uint8 already) as uint8."""
    img = np.asarray(image)
    if img.dtype != np.uint8:
        img = (np.clip(img, 0.0, 1.0) * 255 + 0.5).astype(np.uint8)
    return img


def to_picture(image, scale: int = 8) -> np.ndarray:
    """An image ([H, W] grey or [H, W, 3] colour) as a uint8 picture enlarged ``scale`` times with
    crisp pixels."""
    return np.repeat(np.repeat(to_uint8(image), scale, axis=0), scale, axis=1)


def png_bytes(picture: np.ndarray) -> bytes:
    """A uint8 picture ([H, W] grey or [H, W, 3] colour) as PNG file bytes."""
    out = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(picture)).save(out, format="PNG", optimize=True)
    return out.getvalue()


LABEL_PX = 15  # the height of text drawn into pictures, in the picture's own pixels: 14 px or more on
# screen wherever a picture is shown at its own size or larger (ui/pictures.py marks such pictures)


def _font(size: int):
    return ImageFont.load_default(size=size)  # Pillow's own font: no font files needed


MIN_SIDE = 28  # the side ``scale`` is meant for: MNIST's


def display_scale(width: int, scale: int) -> int:
    """``scale`` for a picture ``width`` pixels wide, so that any image is drawn about as large
    as an MNIST digit at ``scale``: 8x8 digits enlarged more (their labels fit beneath them), 64x64
    pictures less (a strip of them fits the page), never below their own pixels."""
    return max(1, round(scale * MIN_SIDE / max(1, int(width))))


def tile(image, label: str = "", scale: int = 3, highlight: bool = False, border: int = 2,
         label_height: int | None = None) -> Image.Image:
    """One image enlarged, framed (red when highlighted), with a label beneath: an RGB image."""
    pic = Image.fromarray(to_picture(image, display_scale(np.shape(image)[1] if np.ndim(image) >= 2 else MIN_SIDE, scale))).convert("RGB")
    size, height = pic.width + 2 * border, pic.height + 2 * border
    label_height = label_height if label_height is not None else (max(LABEL_PX + 3, 4 * scale + 2) if label else 0)
    out = Image.new("RGB", (size, height + label_height), BACKGROUND)
    ImageDraw.Draw(out).rectangle([0, 0, size - 1, height - 1], fill=HIGHLIGHT if highlight else GAP_COLOUR)
    out.paste(pic, (border, border))
    if label:
        draw = ImageDraw.Draw(out)
        font = _font(label_height - 3)
        w = draw.textlength(label, font=font)
        draw.text(((size - w) / 2, height + 1), label, fill=HIGHLIGHT if highlight else TEXT, font=font)
    return out


def labelled_strip(images, labels, scale: int = 3, highlight: int | None = None, gap: int = 4) -> np.ndarray:
    """Digits side by side with a label under each; ``highlight`` frames one in red.
    Returns an RGB uint8 picture [H, W, 3]."""
    tiles = [tile(im, lab, scale, i == highlight) for i, (im, lab) in enumerate(zip(images, labels))]
    width = sum(t.width for t in tiles) + gap * (len(tiles) - 1)
    out = Image.new("RGB", (width, max(t.height for t in tiles)), BACKGROUND)
    x = 0
    for t in tiles:
        out.paste(t, (x, 0))
        x += t.width + gap
    return np.asarray(out)


def walk_labels(t) -> list[str]:
    """'A', the positions in between, 'B': how a walk's frames are labelled everywhere."""
    t = np.asarray(t)
    return ["A" if v == 0 else "B" if v == 1 else f"{v:.2f}" for v in t]


def walk_gif(frames, t, scale: int = 6, ms_per_frame: int = 150, pause_ms: int = 700) -> bytes:
    """The walk as an animated GIF that loops: one frame per step, A and B marked, a short pause
    at each end so a student sees where the walk starts and stops."""
    labels = walk_labels(t)
    tiles = [tile(f, lab, scale, highlight=lab in ("A", "B")) for f, lab in zip(frames, labels)]
    durations = [pause_ms if lab in ("A", "B") else ms_per_frame for lab in labels]
    out = io.BytesIO()
    tiles[0].save(out, format="GIF", save_all=True, append_images=tiles[1:], duration=durations, loop=0,
                  optimize=False, disposal=1)
    return out.getvalue()


def walk_png(frames, t, scale: int = 4) -> bytes:
    """The walk as one PNG strip, A and B marked."""
    labels = walk_labels(t)
    return png_bytes(labelled_strip(frames, labels, scale))


def map_csv(xy, labels, index, class_names) -> bytes:
    """The map's coordinates as CSV: one row per test image (its index in the dataset's test
    split, class number and name, and where it lies on the map). UTF-8 text."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["test_index", "label", "class_name", "x", "y"])
    for i, c, (x, y) in zip(index, labels, xy):
        w.writerow([int(i), int(c), class_names[int(c)], f"{float(x):.6g}", f"{float(y):.6g}"])
    return out.getvalue().encode()


def image_grid(images, rows: int, cols: int, gap: int = 1, row_labels=None, col_labels=None,
               scale: int = 1, label_px: int = LABEL_PX) -> np.ndarray:
    """Images [rows * cols, H, W] (or [..., H, W, 3]) in [0, 1] (row-major) as one picture, grey
    ones white ink on black as MNIST shows them, with optional labels ``label_px`` high left of
    each row and above each column. uint8 [H, W] for grey images without labels, else RGB [H, W, 3]."""
    images = to_uint8(np.asarray(images))
    h, w = images.shape[1:3]
    colour = images.ndim == 4
    images = images.reshape(rows, cols, *images.shape[1:])
    scale = display_scale(w, scale)
    side, wide = h * scale, w * scale
    grid = np.zeros((rows * (side + gap) - gap, cols * (wide + gap) - gap) + ((3,) if colour else ()), np.uint8)
    for r in range(rows):
        for c in range(cols):
            im = to_picture(images[r, c], scale) if scale > 1 else images[r, c]
            grid[r * (side + gap):r * (side + gap) + side, c * (wide + gap):c * (wide + gap) + wide] = im
    if row_labels is None and col_labels is None:
        return grid
    font = _font(label_px)
    left = 0 if row_labels is None else 8 + max(int(ImageDraw.Draw(Image.new("L", (1, 1))).textlength(str(t), font=font))
                                                  for t in row_labels)
    top = 0 if col_labels is None else label_px + 6
    out = Image.new("RGB", (left + grid.shape[1], top + grid.shape[0]), BACKGROUND)
    out.paste(Image.fromarray(grid).convert("RGB"), (left, top))  # grey or colour
    draw = ImageDraw.Draw(out)
    for r, text in enumerate(row_labels or []):
        draw.text((2, top + r * (side + gap) + side / 2 - label_px / 2), str(text), fill=(40, 40, 40), font=font)
    for c, text in enumerate(col_labels or []):
        draw.text((left + c * (wide + gap) + 2, 2), str(text), fill=(40, 40, 40), font=font)
    return np.asarray(out)
