"""A drawn or uploaded digit becomes an MNIST-style input (explorer/preprocess.py), and every kind
of bad file is refused with a reason."""

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from explorer import preprocess
from explorer.preprocess import BadImage


def png(img: Image.Image, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG", **kw)
    return buf.getvalue()


def seven(size=200, ink=0, paper=255, mode="L") -> Image.Image:
    """A thick hand-drawn-looking 7: a bar across the top and a slanted stroke down."""
    img = Image.new(mode, (size, size), paper)
    from PIL import ImageDraw

    d = ImageDraw.Draw(img)
    d.line([(0.25 * size, 0.2 * size), (0.75 * size, 0.2 * size), (0.4 * size, 0.85 * size)], fill=ink,
           width=size // 12)
    return img


def ink_box(image: np.ndarray) -> tuple[int, int]:
    rows, cols = np.flatnonzero((image > 0.1).any(1)), np.flatnonzero((image > 0.1).any(0))
    return rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1


def test_dark_ink_on_light_paper_is_inverted_and_light_on_dark_is_not():
    on_paper = preprocess.prepare(png(seven(ink=20, paper=235)))
    on_black = preprocess.prepare(png(seven(ink=255, paper=0)))
    assert on_paper.inverted and not on_black.inverted
    for p in (on_paper, on_black):
        assert p.image.shape == (28, 28) and p.image.dtype == np.float32
        assert p.image.max() == pytest.approx(1, abs=0.05) and p.image[0].max() == 0  # bright ink, dark field
    assert np.abs(on_paper.image - on_black.image).max() < 0.1  # the same digit either way


def test_the_ink_is_cropped_and_fitted_to_20_pixels_keeping_its_aspect():
    img = Image.new("L", (300, 300), 255)
    img.paste(0, (100, 50, 130, 250))  # a bar 30 wide, 200 tall, off centre
    p = preprocess.prepare(png(img))
    h, w = ink_box(p.image)
    assert h == 20 and w in (3, 4)  # 30/200 of 20 pixels
    wide = Image.new("L", (300, 300), 255)
    wide.paste(0, (20, 140, 280, 170))
    h, w = ink_box(preprocess.prepare(png(wide)).image)
    assert w == 20 and h in (2, 3)


def test_the_centre_of_mass_lands_where_mnists_do():
    for img in (seven(), seven(size=90), Image.new("L", (300, 120), 255)):
        if img.size == (300, 120):
            img.paste(0, (10, 10, 60, 110))  # ink far in a corner
        cy, cx = preprocess.centre_of_mass(preprocess.prepare(png(img)).image)
        assert abs(cy - 14) <= 0.5 and abs(cx - 14) <= 0.5


def test_an_mnist_digit_photographed_on_paper_comes_back_close_to_itself(data_dir):
    from explorer import data

    test = data.load("mnist", "test", data_dir)
    corr = []
    for i in range(40):  # dark ink on light paper, ten times the size, blurred by the scaling
        big = Image.fromarray(255 - test.images[i]).resize((280, 280), Image.Resampling.BICUBIC)
        got = preprocess.prepare(png(big)).image
        corr.append(np.corrcoef(got.ravel(), test.images[i].ravel())[0, 1])
    assert np.mean(corr) > 0.9, np.mean(corr)


def test_colour_16_bit_cmyk_palette_and_transparent_pictures_all_work():
    base = preprocess.prepare(png(seven())).image
    variants = {
        "RGB": png(seven(mode="RGB", ink=(200, 30, 30), paper=(250, 250, 240))),
        "I;16": png(Image.fromarray((np.asarray(seven(), np.uint16) * 257).astype(np.uint16))),
        "P": png(seven().convert("P")),
    }
    cmyk = io.BytesIO()
    seven().convert("CMYK").save(cmyk, "JPEG", quality=95)
    variants["CMYK"] = cmyk.getvalue()
    # strokes on a transparent background, black ones and white ones
    alpha = 255 - np.asarray(seven())
    for colour in (0, 255):
        rgba = np.zeros((200, 200, 4), np.uint8)
        rgba[..., :3], rgba[..., 3] = colour, alpha
        variants[f"RGBA {colour}"] = png(Image.fromarray(rgba, "RGBA"))
    for name, raw in variants.items():
        got = preprocess.prepare(raw)
        assert np.abs(got.image - base).max() < 0.25, name
        assert np.corrcoef(got.image.ravel(), base.ravel())[0, 1] > 0.97, name
    assert preprocess.prepare(variants["I;16"]).mode.startswith("I;16")


def test_an_animation_gives_its_first_frame():
    buf = io.BytesIO()
    first, second = seven(), Image.new("L", (200, 200), 255)
    first.save(buf, "GIF", save_all=True, append_images=[second], duration=100)
    p = preprocess.prepare(buf.getvalue())
    assert p.frames == 2 and p.image.max() > 0.9


def with_size(data: bytes, width: int, height: int) -> bytes:
    """The PNG ``data`` with its header claiming another size (and a valid checksum)."""
    ihdr = data[12:29]  # b"IHDR" + 13 bytes
    new = b"IHDR" + struct.pack(">II", width, height) + ihdr[12:]
    return data[:12] + new + struct.pack(">I", zlib.crc32(new)) + data[33:]


@pytest.mark.parametrize("case", ["text", "empty", "truncated", "huge file", "bomb", "64 megapixels", "tiff", "blank"])
def test_bad_files_are_refused_with_a_reason(case):
    good = png(seven())
    raw, reason = {
        "text": (b"<html>not a picture</html>", "not a picture"),
        "empty": (b"", "empty"),
        "truncated": (good[: len(good) // 2], "cannot be read to the end"),
        "huge file": (good + b"\0" * (21 * 2**20), "MB"),
        "bomb": (with_size(png(Image.new("1", (64, 64))), 100_000, 100_000), "million pixels"),
        # above our limit, below Pillow's own bomb check: refused before a pixel is decoded
        "64 megapixels": (with_size(png(Image.new("1", (64, 64))), 8_000, 8_000), "8000 x 8000 pixels"),
        "tiff": (None, "TIFF pictures are not taken"),
        "blank": (png(Image.new("L", (100, 100), 250)), "no strokes"),
    }[case]
    if case == "tiff":
        buf = io.BytesIO()
        seven().save(buf, "TIFF")
        raw = buf.getvalue()
    with pytest.raises(BadImage, match=reason):
        preprocess.prepare(raw)
