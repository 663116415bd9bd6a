"""Bytes per image (explorer/teaching/compression.py): an autoencoder's code stored at 8 or 16 bits a
number against JPEG and WebP at a byte budget, with PNG the lossless reference. Fails if a code's
bytes are not k x bits / 8, if storing a code moves it by more than its step, if a format's files
break their budget or a smaller budget is not said to be out of reach, or if PNG loses anything."""

import math

import numpy as np
import pytest

import explorer
from explorer.teaching import compression


@pytest.fixture(scope="module")
def digits():
    """Twenty digits the shipped 16-number autoencoder draws itself (no dataset needed), and it."""
    m = explorer.load_model("mnist-ae-16")
    return np.round(m.decode(m.latents.codes[:20]) * 255).astype(np.uint8), m


def test_a_code_costs_k_times_its_bits_and_8_bits_lose_little(digits):
    images, m = digits
    wide, narrow = (compression.by_code(m, images, bits) for bits in (16, 8))
    assert (wide.nbytes == 32).all() and (narrow.nbytes == 16).all()
    assert wide.images.shape == images.shape and 0 < wide.mean_mse < 0.05
    assert abs(narrow.mean_mse - wide.mean_mse) < 0.1 * wide.mean_mse  # 256 steps of the codes' range


def test_storing_a_code_moves_it_by_at_most_half_a_step():
    z = np.random.default_rng(0).normal(size=(100, 16)).astype(np.float32)
    lo, hi = z.min(0), z.max(0)
    assert np.array_equal(compression.stored(z, 16, lo, hi), z.astype(np.float16).astype(np.float32))
    assert np.abs(compression.stored(z, 8, lo, hi) - z).max() <= ((hi - lo) / 255).max() / 2 + 1e-6
    with pytest.raises(ValueError, match="8 or 16 bits"):
        compression.stored(z, 12, lo, hi)


@pytest.mark.parametrize("fmt", compression.FORMATS)
def test_a_format_keeps_its_budget_and_says_when_it_cannot(digits, fmt):
    images, _ = digits
    least = compression.smallest(images, fmt)
    assert compression.by_format(images, fmt, least - 1) is None  # one image cannot fit: said, not broken
    tight, roomy = compression.by_format(images, fmt, least), compression.by_format(images, fmt, 4 * least)
    assert (tight.nbytes <= least).all() and (roomy.nbytes <= 4 * least).all()
    assert roomy.mean_mse <= tight.mean_mse and (roomy.quality >= tight.quality).all()


def test_png_is_the_lossless_reference(digits):
    images, _ = digits
    png = compression.lossless(images)
    assert png.mean_mse == 0 and png.psnr == math.inf and (png.nbytes > 0).all()
    assert compression.psnr(0.01) == pytest.approx(20.0)
