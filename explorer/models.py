"""Autoencoders and variational autoencoders behind one small API.

Every model maps images x in [0,1]^(28x28) to a latent vector z in R^k and back:

- ``encode(x)``: the code of x (for a VAE, the posterior mean, the code one would plot);
- ``posterior(x)``: VAE only, the Gaussian posterior's mean and log-variance;
- ``decode_logits(z)`` / ``decode(z)``: Bernoulli logits / pixel intensities sigmoid(logits);
- ``loss(x)``: the training objective and its parts, in nats (or squared error) per image.

Encoders and decoders come from a backbone registry (an MLP or a small convolutional net), the
model kind from a kind registry, and both are chosen by a ``ModelConfig`` that is saved with the
weights so a model is always rebuilt from its own description (see bundle.py).

References: Hinton & Salakhutdinov, "Reducing the dimensionality of data with neural networks",
Science 2006 (autoencoders); Kingma & Welling, "Auto-Encoding Variational Bayes", ICLR 2014 (VAE).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

IMAGE_SHAPE = (28, 28)
N_PIXELS = 28 * 28

ACTIVATIONS = {"relu": nn.ReLU, "silu": nn.SiLU, "elu": nn.ELU, "tanh": nn.Tanh}


@dataclass
class ModelConfig:
    """Everything needed to rebuild a model's layers; stored in the bundle's config.json."""

    kind: str = "ae"  # "ae" | "vae"  (KINDS)
    backbone: str = "mlp"  # "mlp" | "conv"  (BACKBONES)
    latent_dim: int = 2
    hidden: list[int] = field(default_factory=lambda: [512, 256])  # MLP widths / conv channels
    activation: str = "relu"

    def __post_init__(self):
        self.hidden = [int(h) for h in self.hidden]
        checks = {
            "kind": (self.kind in KINDS, f"one of {sorted(KINDS)}"),
            "backbone": (self.backbone in BACKBONES, f"one of {sorted(BACKBONES)}"),
            "activation": (self.activation in ACTIVATIONS, f"one of {sorted(ACTIVATIONS)}"),
            "latent_dim": (1 <= int(self.latent_dim) <= 1024, "between 1 and 1024"),
            "hidden": (bool(self.hidden) and min(self.hidden) > 0
                       and (self.backbone != "conv" or len(self.hidden) in (2, 3)),
                       "positive layer sizes; for conv: channels, channels[, dense width]"),
        }
        for name, (ok, expected) in checks.items():
            if not ok:
                raise ValueError(f"model config: {name}={getattr(self, name)!r}, expected {expected}")
        self.latent_dim = int(self.latent_dim)

    def to_dict(self) -> dict:
        return asdict(self)

    # What a stored description must hold: every field, of its JSON type (a file from a stranger
    # is checked here; nothing is filled in from defaults, so a model is rebuilt as it was saved).
    FIELD_TYPES = {"kind": str, "backbone": str, "latent_dim": int, "hidden": list, "activation": str}
    MAX_LAYERS = 16
    MAX_WIDTH = 65536  # a layer or channel count; the parameter cap (bundle.py) bounds their product

    @classmethod
    def from_dict(cls, d: dict) -> "ModelConfig":
        if not isinstance(d, dict):
            raise TypeError("model config: expected a JSON object")
        unknown = set(d) - set(cls.FIELD_TYPES)
        if unknown:
            raise ValueError(f"model config: unknown fields {sorted(unknown)}")
        missing = [k for k in cls.FIELD_TYPES if k not in d]
        if missing:
            raise ValueError(f"model config: missing fields {missing}")
        for k, kind in cls.FIELD_TYPES.items():
            if type(d[k]) is not kind:
                raise TypeError(f"model config: {k} must be a {kind.__name__}, got {type(d[k]).__name__}")
        if not 1 <= len(d["hidden"]) <= cls.MAX_LAYERS or not all(type(h) is int for h in d["hidden"]):
            raise TypeError(f"model config: hidden must be 1-{cls.MAX_LAYERS} whole numbers")
        if not all(1 <= h <= cls.MAX_WIDTH for h in d["hidden"]):
            raise ValueError(f"model config: hidden sizes must be between 1 and {cls.MAX_WIDTH:,}")
        return cls(**d)


# --------------------------------------------------------------------------------------------
# Backbones: (config, n_out) -> encoder, (config) -> decoder producing logits [N, 28, 28]


def _mlp(sizes: list[int], activation: str) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(ACTIVATIONS[activation]())
    return nn.Sequential(*layers)


class MLPEncoder(nn.Module):
    def __init__(self, cfg: ModelConfig, n_out: int):
        super().__init__()
        self.net = _mlp([N_PIXELS, *cfg.hidden, n_out], cfg.activation)

    def forward(self, x):
        return self.net(x.flatten(1))


class MLPDecoder(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.net = _mlp([cfg.latent_dim, *reversed(cfg.hidden), N_PIXELS], cfg.activation)

    def forward(self, z):
        return self.net(z).view(-1, *IMAGE_SHAPE)


def _conv_sizes(cfg: ModelConfig) -> tuple[int, int, int | None]:
    """hidden = [channels 1, channels 2] or [channels 1, channels 2, dense width]."""
    c1, c2, *dense = cfg.hidden
    return c1, c2, (dense[0] if dense else None)


class ConvEncoder(nn.Module):
    """Two stride-2 convolutions (28 -> 14 -> 7), an optional dense layer, then the code."""

    def __init__(self, cfg: ModelConfig, n_out: int):
        super().__init__()
        c1, c2, dense = _conv_sizes(cfg)
        act = ACTIVATIONS[cfg.activation]
        head = [nn.Linear(c2 * 7 * 7, dense), act(), nn.Linear(dense, n_out)] if dense \
            else [nn.Linear(c2 * 7 * 7, n_out)]
        self.net = nn.Sequential(
            nn.Conv2d(1, c1, 4, stride=2, padding=1), act(),
            nn.Conv2d(c1, c2, 4, stride=2, padding=1), act(),
            nn.Flatten(), *head,
        )

    def forward(self, x):
        return self.net(x.view(-1, 1, *IMAGE_SHAPE))


class ConvDecoder(nn.Module):
    """The mirror image of ConvEncoder, with transposed convolutions (7 -> 14 -> 28)."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        c1, c2, dense = _conv_sizes(cfg)
        act = ACTIVATIONS[cfg.activation]
        stem = [nn.Linear(cfg.latent_dim, dense), act(), nn.Linear(dense, c2 * 7 * 7)] if dense \
            else [nn.Linear(cfg.latent_dim, c2 * 7 * 7)]
        self.net = nn.Sequential(
            *stem, act(), nn.Unflatten(1, (c2, 7, 7)),
            nn.ConvTranspose2d(c2, c1, 4, stride=2, padding=1), act(),
            nn.ConvTranspose2d(c1, 1, 4, stride=2, padding=1),
        )

    def forward(self, z):
        return self.net(z).view(-1, *IMAGE_SHAPE)


BACKBONES = {"mlp": (MLPEncoder, MLPDecoder), "conv": (ConvEncoder, ConvDecoder)}


# --------------------------------------------------------------------------------------------
# Kinds


def reconstruction_loss(logits: torch.Tensor, x: torch.Tensor, kind: str) -> torch.Tensor:
    """Per-image reconstruction loss summed over pixels: Bernoulli NLL ("bce") or squared error."""
    if kind == "bce":
        per_pixel = F.binary_cross_entropy_with_logits(logits, x, reduction="none")
    elif kind == "mse":
        per_pixel = (torch.sigmoid(logits) - x) ** 2
    else:
        raise ValueError(f"reconstruction loss {kind!r}: use 'bce' or 'mse'")
    return per_pixel.flatten(1).sum(1)


@dataclass(frozen=True)
class Hyperparameter:
    """A number a kind's objective takes, declared once by the kind: the training config's key and
    its loss's keyword (``name``), the command's option (``flag``), its default and range, what
    it does (one line, read after the option: "--beta weighs ...") and the paper it comes from.
    The training command, its checks and what a bundle stores are made from these."""

    name: str
    default: float
    does: str  # "weighs a VAE's KL term ..."
    paper: str
    low: float = 0.0
    above_low: bool = False  # the range is open at ``low`` (beta > 0)

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    def problem(self, value: float) -> str | None:
        """Why ``value`` is out of range, or None."""
        if math.isfinite(value) and (value > self.low or (value == self.low and not self.above_low)):
            return None
        bound = "a positive number" if self.above_low and self.low == 0 else \
            "zero or positive" if self.low == 0 else f"at least {self.low:g}"
        return f"{self.flag} must be {bound} (got {value:g})"


class Autoencoder(nn.Module):
    """A deterministic autoencoder: z = f(x), x' = sigmoid(g(z))."""

    # What this kind is and can do, for every screen and command (one place, no kind == checks)
    title = "autoencoder (AE)"
    hyperparameters: tuple[Hyperparameter, ...] = (
        Hyperparameter("code_penalty", 0.0, "pulls a plain autoencoder's codes towards 0 (code_penalty * |z|^2 / 2 "
                       "per image; a VAE's KL term already pulls its codes)", "Ghosh et al., ICLR 2020"),
    )
    has_posterior = False  # a distribution over codes per image, and a prior to sample from
    required_recon: str | None = None  # the reconstruction loss its objective needs (None: any)
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


class VariationalAutoencoder(Autoencoder):
    """A VAE with a diagonal Gaussian posterior q(z|x), a N(0, I) prior and a Bernoulli decoder.

    The loss is the negative evidence lower bound, -ELBO = E_q[-log p(x|z)] + KL(q(z|x) || p(z)),
    estimated with one reparameterised sample z = mu + sigma * eps (Kingma & Welling 2014, eq. 10).
    """

    title = "variational autoencoder (VAE)"
    hyperparameters = (
        Hyperparameter("beta", 1.0, "weighs a VAE's KL term (1: the ELBO itself; above 1 trades reconstruction "
                       "for codes closer to the prior)", "Higgins et al., ICLR 2017", above_low=True),
    )
    has_posterior = True
    required_recon = "bce"  # the ELBO's reconstruction term is the Bernoulli log-likelihood
    note = ("A variational autoencoder learns a cloud of likely codes for each image and is pushed "
            "to keep all codes close to a standard normal distribution, N(0, I), so new codes can be "
            "drawn from it.")

    @staticmethod
    def n_encoder_outputs(cfg: ModelConfig) -> int:
        return 2 * cfg.latent_dim

    def posterior(self, x):
        mean, log_var = self.encoder(x).chunk(2, dim=1)
        return mean, log_var

    def encode(self, x):
        return self.posterior(x)[0]

    @staticmethod
    def reparameterize(mean, log_var, generator=None):
        eps = torch.randn(mean.shape, generator=generator, dtype=mean.dtype, device=mean.device)
        return mean + torch.exp(0.5 * log_var) * eps

    @staticmethod
    def kl_divergence(mean, log_var):
        """KL(N(mean, exp(log_var)) || N(0, I)) per image; Kingma & Welling 2014, appendix B."""
        return 0.5 * (mean.pow(2) + log_var.exp() - 1.0 - log_var).sum(1)

    def loss(self, x, recon: str = "bce", generator=None, target=None, beta: float = 1.0,
             posterior=None) -> dict[str, torch.Tensor]:
        """The negative ELBO with the KL term weighted by ``beta`` (1: the ELBO itself; a beta
        above 1 trades reconstruction for a code closer to the prior, Higgins et al. 2017).
        ``posterior``: (mean, log_var) of ``x`` where the caller has them already."""
        target = x if target is None else target
        mean, log_var = self.posterior(x) if posterior is None else posterior
        z = self.reparameterize(mean, log_var, generator)
        rec = reconstruction_loss(self.decode_logits(z), target, recon).mean()
        kl = self.kl_divergence(mean, log_var).mean()
        return {"loss": rec + beta * kl, "recon": rec, "kl": kl}


KINDS = {"ae": Autoencoder, "vae": VariationalAutoencoder}


def hyperparameter_options() -> dict[str, tuple[Hyperparameter, list[str]]]:
    """Every kind's hyperparameters by name, with the kinds that take each: the training command's
    options, one per name."""
    out: dict[str, tuple[Hyperparameter, list[str]]] = {}
    for name, kind in KINDS.items():
        for h in kind.hyperparameters:
            out.setdefault(h.name, (h, []))[1].append(name)
    return out


def build(cfg: ModelConfig) -> Autoencoder:
    """A freshly initialised model of the kind and shape ``cfg`` describes."""
    return KINDS[cfg.kind](cfg)


def to_float_images(images, shape: tuple = IMAGE_SHAPE) -> torch.Tensor:
    """uint8 [N, *shape] in 0..255 or floats in [0,1] (numpy or torch) -> float32 tensor in [0,1];
    ``shape`` is (28, 28) for our models, (H, W) or (H, W, 3) for an imported one."""
    if isinstance(images, np.ndarray):  # possibly read-only (read_idx), which torch warns about
        images = images.astype(np.float32) / np.float32(255) if images.dtype == np.uint8 \
            else images.astype(np.float32, copy=not images.flags.writeable)
    t = torch.as_tensor(images)
    t = t.float() / 255.0 if t.dtype == torch.uint8 else t.float()
    if t.ndim == len(shape):
        t = t.unsqueeze(0)
    if t.ndim != len(shape) + 1 or tuple(t.shape[1:]) != tuple(shape):
        raise ValueError(f"images must have shape [N, {', '.join(map(str, shape))}], got {tuple(t.shape)}")
    return t
