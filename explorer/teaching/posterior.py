"""A VAE's posterior q(z|x) = N(mu, diag(sigma^2)) and its prior N(0, I), as pictures and samples
(Kingma & Welling, "Auto-Encoding Variational Bayes", ICLR 2014).

The encoder of a VAE gives, for an image x, not one code but a Gaussian cloud of them: a mean mu and
a standard deviation sigma per latent dimension. Training draws one code from it by the
reparameterisation trick, z = mu + sigma * eps with eps ~ N(0, I), so that the draw is a
differentiable function of mu and sigma, and adds to the reconstruction error the KL divergence of
that cloud from the prior N(0, I), which keeps every cloud near the origin and not too thin: the
clouds of all the images cover the plane without holes, and a code drawn from the prior decodes to
something digit-like.

With a diagonal covariance the contours of a 2-D posterior are ellipses aligned with the axes:
the k-sigma ellipse holds the codes at Mahalanobis distance k from mu, and a share
1 - exp(-k^2 / 2) of the draws (39% for k = 1, 86% for k = 2).
"""

from __future__ import annotations

import numpy as np


def ellipse(mean, sd, k: float = 1.0, n: int = 72) -> np.ndarray:
    """The k-sigma contour of N(mean, diag(sd^2)) in 2-D: float32 [n + 1, 2], closed (the first
    point repeated at the end)."""
    mean, sd = np.asarray(mean, np.float64), np.asarray(sd, np.float64)
    if mean.shape != (2,) or sd.shape != (2,):
        raise ValueError(f"an ellipse needs a 2-d mean and sd, got {mean.shape} and {sd.shape}")
    if np.any(sd <= 0) or not np.all(np.isfinite(sd)):
        raise ValueError("standard deviations must be positive and finite")
    angle = np.linspace(0.0, 2 * np.pi, n + 1)
    return (mean + k * sd * np.stack([np.cos(angle), np.sin(angle)], 1)).astype(np.float32)


def share_inside(k: float) -> float:
    """The share of a 2-D Gaussian's mass inside its k-sigma ellipse."""
    return float(1.0 - np.exp(-k * k / 2.0))


def mahalanobis(z, mean, sd) -> np.ndarray:
    """Distance of each code in z [N, k] from mean in units of the (diagonal) spread."""
    return np.sqrt((((np.asarray(z, np.float64) - mean) / sd) ** 2).sum(-1))


def sample(mean, sd, n: int, seed: int = 0) -> np.ndarray:
    """n codes z = mean + sd * eps, eps ~ N(0, I): the reparameterisation trick. float32 [n, k]."""
    mean, sd = np.asarray(mean, np.float64), np.asarray(sd, np.float64)
    eps = np.random.default_rng(seed).standard_normal((n, mean.shape[-1]))
    return (mean + sd * eps).astype(np.float32)


def kl_to_prior(mean, sd) -> float:
    """KL( N(mean, diag(sd^2)) || N(0, I) ) in nats: the term of the VAE's loss that pulls every
    image's cloud towards the prior."""
    mean, var = np.asarray(mean, np.float64), np.asarray(sd, np.float64) ** 2
    return float(0.5 * (var + mean**2 - 1.0 - np.log(var)).sum())
