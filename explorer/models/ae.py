"""The plain autoencoder: z = f(x), x' = sigmoid(g(z)), trained to rebuild its input (Hinton &
Salakhutdinov, "Reducing the dimensionality of data with neural networks", Science 2006); with a
noise, a denoising autoencoder (Vincent et al. 2008); with ``code_penalty``, a regularised one."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from explorer.models.base import BACKBONES, Hyperparameter, ModelConfig, kind, reconstruction_loss


@kind("ae")
class Autoencoder(nn.Module):
    """A deterministic autoencoder: z = f(x), x' = sigmoid(g(z))."""

    # What this kind is and can do, for every screen and command (one place, no kind == checks)
    title = "autoencoder (AE)"
    hyperparameters: tuple[Hyperparameter, ...] = (
        Hyperparameter("code_penalty", 0.0, "pulls a plain autoencoder's codes towards 0 (code_penalty * |z|^2 / 2 "
                       "per image; a VAE's KL term already pulls its codes)", "Ghosh et al., ICLR 2020"),
    )
    short = "AE"  # in menus: "conv AE (32, 64), 16-number code"
    backbones: tuple[str, ...] | None = None  # the backbones it is built on (None: every one)
    latent_unit = 1  # its code's size is a multiple of this (a VQ-VAE: the cells of its grid)
    offers: frozenset[str] = frozenset()  # beyond encode and decode: words of explorer.models.base.OFFERS
    loss_terms = {"recon": "how far each rebuilt image is from its target, summed over pixels",
                  "code": "code_penalty's term: |z|^2 / 2 per image (only where code_penalty is set)"}
    required_recon: str | None = None  # the reconstruction loss its objective needs (None: any)
    # Figures of its own, measured on the test codes by ``measure`` and stored with the bundle's
    # metrics (explorer/bundles/metrics.py asks every kind): metric key -> what it is, for a table.
    figures: dict[str, str] = {}
    note = ("An autoencoder squeezes each image into a short code and rebuilds it from that code. "
            "Nothing asks its codes to fill the space evenly or to follow a distribution one could "
            "draw new codes from.")

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.config = cfg
        enc, dec = BACKBONES[cfg.backbone]
        self.encoder = enc(cfg, self.n_encoder_outputs(cfg))
        self.decoder = dec(cfg)

    @staticmethod
    def n_encoder_outputs(cfg: ModelConfig) -> int:
        return cfg.latent_dim

    @staticmethod
    def sizes_note(mismatch: str) -> str:
        """What a bundle loader adds to a weights-against-config mismatch: which of the model's
        fields set the sizes that disagree (the layers' sizes come from hidden and latent_dim)."""
        return ""

    def measure(self, images: torch.Tensor, codes: np.ndarray, labels: np.ndarray) -> dict[str, float]:
        """This kind's own figures (``figures``), from test images (float [n, 28, 28], a sample) and
        every test image's code [N, k] and label."""
        return {}

    def encode(self, x):
        return self.encoder(x)

    def decode_logits(self, z):
        return self.decoder(z)

    def decode(self, z):
        return torch.sigmoid(self.decoder(z))

    def loss(self, x, recon: str = "bce", generator=None, target=None,
             code_penalty: float = 0.0) -> dict[str, torch.Tensor]:
        """Mean over the batch of the per-image reconstruction loss of ``target`` (default: ``x``)
        rebuilt from ``x``; a denoising autoencoder gets the corrupted image as ``x`` and the clean
        one as ``target``. Its hyperparameters are keywords (``hyperparameters``). ``code_penalty`` adds
        code_penalty * ||z||^2 / 2 per image, the pull towards 0 that a VAE's KL term puts on its
        means (at 1), without the noise: a regularised deterministic autoencoder (Ghosh et al.,
        From variational to deterministic autoencoders, ICLR 2020)."""
        target = x if target is None else target
        z = self.encode(x)
        rec = reconstruction_loss(self.decode_logits(z), target, recon).mean()
        if not code_penalty:
            return {"loss": rec, "recon": rec}
        pull = 0.5 * (z ** 2).sum(1).mean()
        return {"loss": rec + code_penalty * pull, "recon": rec, "code": pull}
