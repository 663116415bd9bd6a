"""Corrupting images, for denoising autoencoders and the denoising lesson.

A noise is written as text, the way the training command takes it and a bundle records it:

- ``gaussian:SIGMA``: add N(0, SIGMA^2) to every pixel, then clip to [0, 1];
- ``mask:P``: set each pixel to 0 with probability P ("masking noise", Vincent et al. 2008).

A denoising autoencoder is trained to rebuild the clean image from a corrupted one, so it has to
learn what digits look like rather than copy its input (Vincent, Larochelle, Bengio & Manzagol,
"Extracting and composing robust features with denoising autoencoders", ICML 2008).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

KINDS = ("gaussian", "mask")


@dataclass(frozen=True)
class Noise:
    kind: str  # "gaussian" | "mask"
    level: float  # the standard deviation, or the share of pixels masked

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"noise {self.kind!r}: use gaussian:SIGMA or mask:P")
        top = 1.0 if self.kind == "mask" else 10.0
        if not (math.isfinite(self.level) and 0 <= self.level <= top):
            what = "a share between 0 and 1" if self.kind == "mask" else "a standard deviation between 0 and 10"
            raise ValueError(f"noise {self.kind}:{self.level}: the level must be {what}")

    def __str__(self) -> str:
        return f"{self.kind}:{self.level:g}"

    def describe(self) -> str:
        if self.kind == "gaussian":
            return f"Gaussian noise of standard deviation {self.level:g} added to every pixel, clipped to [0, 1]"
        return f"{self.level:.0%} of the pixels set to black at random"

    def apply(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """A corrupted copy of images ``x`` in [0, 1] (any shape)."""
        if self.level == 0:
            return x.clone()
        if self.kind == "gaussian":
            eps = torch.randn(x.shape, generator=generator, dtype=x.dtype, device=x.device)
            return (x + self.level * eps).clamp_(0.0, 1.0)
        keep = torch.rand(x.shape, generator=generator, dtype=x.dtype, device=x.device) >= self.level
        return x * keep


def parse(text: str) -> Noise:
    """``"gaussian:0.5"`` -> Noise("gaussian", 0.5); ValueError with the reason otherwise."""
    kind, sep, level = str(text).strip().partition(":")
    if not sep:
        raise ValueError(f"noise {text!r}: write it as gaussian:SIGMA or mask:P, e.g. gaussian:0.5")
    try:
        value = float(level)
    except ValueError:
        raise ValueError(f"noise {text!r}: {level!r} is not a number") from None
    return Noise(kind.strip().lower(), value)


def corrupt(images, noise: Noise | str, seed: int = 0) -> torch.Tensor:
    """Seeded corruption of uint8 or float images (as models.to_float_images takes them)."""
    from explorer.models import to_float_images

    noise = parse(noise) if isinstance(noise, str) else noise
    return noise.apply(to_float_images(images), torch.Generator().manual_seed(seed))
