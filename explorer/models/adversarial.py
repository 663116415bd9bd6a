"""The adversarial autoencoder (Makhzani, Shlens, Jaitly, Goodfellow & Frey, "Adversarial
autoencoders", ICLR workshop 2016): a deterministic autoencoder whose codes are pushed, by a
discriminator, to be distributed like a prior one chooses, here a mixture of ten Gaussians
around a circle (their figure 4's shape, one Gaussian per digit's worth of room). Any prior one
can sample from will do: unlike a VAE's KL term, nothing needs its density.

Training is a two-player game in one loss, so the training command needs nothing of its own:
the discriminator D learns to tell prior samples (label 1) from codes (label 0), seeing the
codes detached; the encoder learns to make D call its codes prior samples, through a copy of D's
weights that takes no gradient. One optimiser step then moves each player along its own
objective (simultaneous gradient descent, as in Goodfellow et al. 2014's practice). The
discriminator is part of the network's weights (saved, checked and loaded like the rest); the
encoder and decoder are an autoencoder's, so the browser and ONNX read them as any other.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call

from explorer.models.ae import Autoencoder
from explorer.models.base import Hyperparameter, ModelConfig, kind, reconstruction_loss

N_MODES, RADIUS, SPREAD = 10, 4.0, 0.5  # the prior: ten Gaussians of std SPREAD on a circle of RADIUS
DISCRIMINATOR = (256, 256)  # hidden widths of D


def prior_sample(n: int, latent_dim: int, generator=None) -> torch.Tensor:
    """``n`` codes from the mixture of N_MODES Gaussians around a circle in the first two
    dimensions (any further dimensions: N(0, SPREAD^2))."""
    mode = torch.randint(N_MODES, (n,), generator=generator)
    angle = 2 * math.pi * mode.float() / N_MODES
    z = SPREAD * torch.randn(n, latent_dim, generator=generator)
    z[:, 0] += RADIUS * torch.cos(angle)
    if latent_dim > 1:
        z[:, 1] += RADIUS * torch.sin(angle)
    return z


@kind("aae")
class AdversarialAutoencoder(Autoencoder):
    title = "adversarial autoencoder (AAE)"
    short = "AAE"
    offers = frozenset({"prior"})
    hyperparameters = (
        Hyperparameter("adversarial", 5.0, "weighs an adversarial autoencoder's game: the discriminator's loss "
                       "and the encoder's loss for fooling it, in nats per image", "Makhzani et al., 2016",
                       above_low=True),
    )
    loss_terms = {"recon": "how far each rebuilt image is from its target, summed over pixels",
                  "discriminator": "how badly D tells prior samples from codes (binary cross-entropy)",
                  "fool": "how badly the encoder's codes fool D (binary cross-entropy against 'prior')"}
    figures = {"prior_fit": "share of test codes inside the region holding 95% of the prior"}
    prior_name = "its prior, ten Gaussians around a circle"
    note = ("An adversarial autoencoder has a second network judge whether a code looks drawn from a shape "
            "we chose, here ten blobs around a circle, and trains the encoder to fool it, so the codes take "
            "that shape and new codes can be drawn from it.")

    def __init__(self, cfg: ModelConfig):
        super().__init__(cfg)
        sizes = [cfg.latent_dim, *DISCRIMINATOR, 1]
        layers: list[nn.Module] = []
        for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers += [nn.Linear(a, b)] + ([nn.LeakyReLU(0.2)] if i < len(sizes) - 2 else [])
        self.discriminator = nn.Sequential(*layers)

    def prior_sample(self, n: int, generator=None) -> torch.Tensor:
        return prior_sample(n, self.config.latent_dim, generator)

    def prior_region(self, codes: np.ndarray) -> np.ndarray:
        """Whether each code lies where 95% of the prior's mass is: within the radius of its
        nearest mode that holds 95% of a Gaussian of std SPREAD (the chi distribution's quantile)."""
        from scipy.stats import chi2

        angles = 2 * np.pi * np.arange(N_MODES) / N_MODES
        centres = np.zeros((N_MODES, codes.shape[1]))
        centres[:, 0], centres[:, 1] = RADIUS * np.cos(angles), RADIUS * np.sin(angles)
        d2 = ((np.asarray(codes, np.float64)[:, None, :] - centres[None]) ** 2).sum(-1).min(1)
        return d2 <= SPREAD ** 2 * chi2.ppf(0.95, codes.shape[1])

    def prior_outline(self, points: int = 48) -> list[np.ndarray]:
        """2-D codes: the edges of the region holding 95% of the prior, one circle per mode."""
        from scipy.stats import chi2

        t = np.linspace(0, 2 * np.pi, points)
        r = SPREAD * np.sqrt(chi2.ppf(0.95, 2))
        return [np.stack([RADIUS * np.cos(a) + r * np.cos(t), RADIUS * np.sin(a) + r * np.sin(t)], 1)
                for a in 2 * np.pi * np.arange(N_MODES) / N_MODES]

    def measure(self, images: torch.Tensor, codes: np.ndarray, labels: np.ndarray) -> dict[str, float]:
        return {"prior_fit": float(self.prior_region(codes).mean())}

    def loss(self, x, recon: str = "bce", generator=None, target=None,
             adversarial: float = 5.0) -> dict[str, torch.Tensor]:
        """Reconstruction plus ``adversarial`` times the two players' losses (see the module)."""
        target = x if target is None else target
        z = self.encode(x)
        rec = reconstruction_loss(self.decode_logits(z), target, recon).mean()
        prior = self.prior_sample(len(z), generator).to(z)
        real, fake = self.discriminator(prior), self.discriminator(z.detach())
        d_loss = F.binary_cross_entropy_with_logits(real, torch.ones_like(real)) \
            + F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake))
        frozen = {k: v.detach() for k, v in self.discriminator.named_parameters()}
        judged = functional_call(self.discriminator, frozen, (z,))
        fool = F.binary_cross_entropy_with_logits(judged, torch.ones_like(judged))
        return {"loss": rec + adversarial * (d_loss + fool), "recon": rec, "discriminator": d_loss, "fool": fool}
