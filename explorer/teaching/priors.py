"""How well a model's codes follow the prior it draws new codes from, measured: the share of test
codes inside the region holding 95% of the prior (the kind's ``prior_region``), and the sliced
Wasserstein distance between the test codes and as many codes drawn from the prior (Rabin, Peyré,
Delon & Bernot, "Wasserstein barycenter and its application to texture mixing", 2011): the mean,
over random directions, of the 1-D Wasserstein-1 distance between the two sets projected on the
direction, computed exactly from the sorted projections. 0 for the same distribution; in the
codes' own units, so two models' figures compare where their priors share a scale (the VAE's
N(0, I) and the AAE's ring of Gaussians do not: each is measured against its own prior).
And what the prior's samples decode to, read by the dataset's classifier."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DIRECTIONS = 64


@dataclass(frozen=True)
class PriorFit:
    inside: float  # share of test codes inside the region holding 95% of the prior
    distance: float  # sliced Wasserstein-1 distance between test codes and prior samples
    spread: float  # the prior samples' own spread (the root mean square distance from their mean), for scale
    n: int  # test codes measured


def sliced_distance(a: np.ndarray, b: np.ndarray, directions: int = DIRECTIONS, seed: int = 0) -> float:
    """The sliced Wasserstein-1 distance between two sets of points of one size [n, k]."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if a.shape != b.shape:
        raise ValueError(f"two sets of one shape are compared; got {a.shape} and {b.shape}")
    d = np.random.default_rng(seed).standard_normal((a.shape[1], directions))
    d /= np.linalg.norm(d, axis=0, keepdims=True)
    return float(np.abs(np.sort(a @ d, axis=0) - np.sort(b @ d, axis=0)).mean())


def fit(model, seed: int = 0) -> PriorFit:
    """How the model's test codes follow its prior (TypeError for a model without one)."""
    codes = np.asarray(model.latents.codes, np.float64)
    prior = model.prior_sample(len(codes), seed).astype(np.float64)
    inside = float(model.kind_info.prior_region(model.net, codes).mean())
    spread = float(np.sqrt(((prior - prior.mean(0)) ** 2).sum(1).mean()))
    return PriorFit(inside, sliced_distance(codes, prior, seed=seed), spread, len(codes))


def outline(model) -> list[np.ndarray]:
    """The edge of the region holding 95% of a 2-D model's prior, as closed curves [n, 2]; [] for
    a model without one."""
    draw = getattr(model.kind_info, "prior_outline", None)
    return [] if draw is None or model.latent_dim != 2 else draw(model.net)


@dataclass(frozen=True)
class Samples:
    codes: np.ndarray  # [n, k]
    images: np.ndarray  # [n, H, W]
    read: np.ndarray | None  # the class the classifier reads in each (None without a classifier)

    def classes_found(self) -> int:
        return 0 if self.read is None else len(np.unique(self.read))

    def largest_share(self) -> float:
        return float("nan") if self.read is None else float(np.bincount(self.read).max() / len(self.read))


def samples(model, n: int, reader=None, seed: int = 0) -> Samples:
    """``n`` codes from the model's prior, decoded, and read by ``reader`` (a classifier) if given."""
    z = model.prior_sample(n, seed)
    images = model.decode(z)
    return Samples(z, images, reader.predict(images) if reader is not None else None)
