"""What every model kind shares: the images it takes, its saved description (``ModelConfig``), the
declaration of a hyperparameter, the reconstruction loss, and the two registries a kind or a
backbone joins with ``@kind(...)`` / ``@backbone(...)``."""

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

KINDS: dict[str, type] = {}  # name -> the kind's class: filled by each kind's module (explorer/models/*.py)
BACKBONES: dict[str, tuple[type, type]] = {}  # name -> (encoder, decoder) classes (backbones.py)
GENERAL: set[str] = set()  # the backbones every kind is built on unless it names its own (a sequence one is not)

# What a kind may offer beyond encode and decode, each a word a screen or command can ask about.
OFFERS = {
    "posterior": "a distribution over codes for each image (posterior(x): mean and log-variance)",
    "prior": "a distribution to draw new codes from, which its training pulled the codes towards",
    "labels": "encoding and decoding take each image's class (labels=...): the code keeps what the label does not",
    "codebook": "discrete codes: a grid of cells, each one of K codebook entries (encode_indices / decode_indices)",
}


def kind(name: str):
    """Register a model kind under ``name`` (``m.kind`` of its bundles)."""
    def register(cls):
        unknown = set(cls.offers) - set(OFFERS)
        if unknown:
            raise ValueError(f"kind {name!r} offers {sorted(unknown)}; known offers: {sorted(OFFERS)}")
        cls.name = name
        cls.has_posterior = "posterior" in cls.offers
        KINDS[name] = cls
        return cls
    return register


def backbone(name: str, general: bool = True):
    """Register an (encoder, decoder) pair under ``name``: ``backbone("mlp")(MLPEncoder, MLPDecoder)``.
    ``general``: every kind that names no backbones of its own is built on it (a backbone made for
    one kind, the sequence autoencoder's recurrent one, is not)."""
    def register(encoder, decoder):
        BACKBONES[name] = (encoder, decoder)
        if general:
            GENERAL.add(name)
        return encoder, decoder
    return register


def built_on(kind_cls) -> list[str]:
    """The backbones a kind is built on: those it names, or every general one."""
    return sorted(getattr(kind_cls, "backbones", None) or GENERAL)


@dataclass
class ModelConfig:
    """Everything needed to rebuild a model's layers; stored in the bundle's config.json."""

    kind: str = "ae"  # "ae" | "vae"  (KINDS)
    backbone: str = "mlp"  # "mlp" | "conv"  (BACKBONES)
    latent_dim: int = 2
    hidden: list[int] = field(default_factory=lambda: [512, 256])  # MLP widths / conv channels
    activation: str = "relu"
    codebook: int = 0  # a kind that offers "codebook": its number of entries K; 0 for the others

    def __post_init__(self):
        self.hidden = [int(h) for h in self.hidden]
        if self.has_codebook and not self.codebook:
            self.codebook = KINDS[self.kind].default_codebook
        on = built_on(KINDS.get(self.kind))  # the kind's backbones
        checks = {
            "kind": (self.kind in KINDS, f"one of {sorted(KINDS)}"),
            "backbone": (self.backbone in BACKBONES and self.backbone in on,
                         f"one of {on}" + (f" for kind {self.kind!r}" if self.kind in KINDS else "")),
            "activation": (self.activation in ACTIVATIONS, f"one of {sorted(ACTIVATIONS)}"),
            "latent_dim": (1 <= int(self.latent_dim) <= 1024, "between 1 and 1024"),
            "codebook": (0 <= int(self.codebook) <= self.MAX_CODEBOOK and (int(self.codebook) > 0) == self.has_codebook,
                         f"1-{self.MAX_CODEBOOK} entries for a kind with a codebook, 0 (left out) for the others"),
            "hidden": (bool(self.hidden) and min(self.hidden) > 0
                       and (self.backbone != "conv" or len(self.hidden) in (2, 3))
                       and (self.backbone != "gru" or len(self.hidden) == 1),
                       "positive layer sizes; for conv: channels, channels[, dense width]; for gru: its state's size"),
        }
        for name, (ok, expected) in checks.items():
            if not ok:
                raise ValueError(f"model config: {name}={getattr(self, name)!r}, expected {expected}")
        problem = getattr(KINDS[self.kind], "config_problem", lambda cfg: None)(self)  # the kind's own sizes
        if problem:
            raise ValueError(f"model config: {problem}")
        self.latent_dim = int(self.latent_dim)
        self.codebook = int(self.codebook)

    @property
    def has_codebook(self) -> bool:
        return "codebook" in getattr(KINDS.get(self.kind), "offers", ())

    def to_dict(self) -> dict:
        d = asdict(self)
        if not self.has_codebook:  # the field of a kind with a codebook only: other bundles' configs unchanged
            del d["codebook"]
        return d

    # What a stored description must hold: every field, of its JSON type (a file from a stranger
    # is checked here; nothing is filled in from defaults, so a model is rebuilt as it was saved).
    FIELD_TYPES = {"kind": str, "backbone": str, "latent_dim": int, "hidden": list, "activation": str}
    CODEBOOK_FIELD = "codebook"  # held by the description of a kind with a codebook, and by no other
    MAX_CODEBOOK = 65536  # entries; an index grid travels as 16-bit numbers
    MAX_LAYERS = 16
    MAX_WIDTH = 65536  # a layer or channel count; the parameter cap (bundle.py) bounds their product

    @classmethod
    def from_dict(cls, d: dict) -> "ModelConfig":
        if not isinstance(d, dict):
            raise TypeError("model config: expected a JSON object")
        types = dict(cls.FIELD_TYPES)
        if "codebook" in getattr(KINDS.get(d.get("kind")), "offers", ()):
            types[cls.CODEBOOK_FIELD] = int
        unknown = set(d) - set(types)
        if unknown:
            raise ValueError(f"model config: unknown fields {sorted(unknown)}")
        missing = [k for k in types if k not in d]
        if missing:
            raise ValueError(f"model config: missing fields {missing}")
        for k, kind in types.items():
            if type(d[k]) is not kind:
                raise TypeError(f"model config: {k} must be a {kind.__name__}, got {type(d[k]).__name__}")
        if not 1 <= len(d["hidden"]) <= cls.MAX_LAYERS or not all(type(h) is int for h in d["hidden"]):
            raise TypeError(f"model config: hidden must be 1-{cls.MAX_LAYERS} whole numbers")
        if not all(1 <= h <= cls.MAX_WIDTH for h in d["hidden"]):
            raise ValueError(f"model config: hidden sizes must be between 1 and {cls.MAX_WIDTH:,}")
        return cls(**d)


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

    @property
    def range(self) -> str:
        """Its range in words: "a positive number", "zero or positive", "at least 2"."""
        return "a positive number" if self.above_low and self.low == 0 else \
            "zero or positive" if self.low == 0 else f"at least {self.low:g}"

    def problem(self, value: float) -> str | None:
        """Why ``value`` is out of range, or None."""
        if math.isfinite(value) and (value > self.low or (value == self.low and not self.above_low)):
            return None
        return f"{self.flag} must be {self.range} (got {value:g})"


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
