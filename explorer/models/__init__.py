"""Autoencoders and variational autoencoders behind one small API.

Every model maps images x in [0,1]^(28x28) to a latent vector z in R^k and back:

- ``encode(x)``: the code of x (for a VAE, the posterior mean, the code one would plot);
- ``posterior(x)``: VAE only, the Gaussian posterior's mean and log-variance;
- ``decode_logits(z)`` / ``decode(z)``: Bernoulli logits / pixel intensities sigmoid(logits);
- ``loss(x)``: the training objective and its parts, in nats (or squared error) per image.

Encoders and decoders come from a backbone registry (backbones.py: an MLP or a small
convolutional net), the model kind from a kind registry (one module per kind: ae.py, vae.py),
and both are chosen by a ``ModelConfig`` (base.py) that is saved with the weights so a model is
always rebuilt from its own description (see explorer/bundles/bundle.py). A new kind is one new
module here: it is found and registered when this package is imported.

References: Hinton & Salakhutdinov, "Reducing the dimensionality of data with neural networks",
Science 2006 (autoencoders); Kingma & Welling, "Auto-Encoding Variational Bayes", ICLR 2014 (VAE).
"""

from __future__ import annotations

import importlib
import pkgutil

from explorer.models import backbones  # noqa: F401 - registers the backbones
from explorer.models.ae import Autoencoder
from explorer.models.base import (ACTIVATIONS, BACKBONES, GENERAL, IMAGE_SHAPE, KINDS, N_PIXELS, OFFERS,  # noqa: F401
                                  built_on, Hyperparameter, ModelConfig, reconstruction_loss, to_float_images)
from explorer.models.vae import VariationalAutoencoder  # noqa: F401

NOT_KINDS = {"base", "backbones", "train"}  # this package's modules that are not a kind
for _module in pkgutil.iter_modules(__path__):
    if _module.name not in NOT_KINDS:
        importlib.import_module(f"{__name__}.{_module.name}")  # a kind registers itself with @kind


def hyperparameter_options() -> dict[str, tuple[Hyperparameter, list[str]]]:
    """Every kind's hyperparameters by name, with the kinds that take each: the training command's
    options, one per name."""
    out: dict[str, tuple[Hyperparameter, list[str]]] = {}
    for name, cls in KINDS.items():
        for h in cls.hyperparameters:
            out.setdefault(h.name, (h, []))[1].append(name)
    return out


def set_apart(kind_cls, training: dict) -> list[str]:
    """What sets a bundle apart from its kind's defaults, in words: each of the kind's
    hyperparameters its ``training`` settings hold at another value ("beta 4", "code penalty 0.5")."""
    return [f"{h.name.replace('_', ' ')} {training[h.name]:g}" for h in getattr(kind_cls, "hyperparameters", ())
            if isinstance(training.get(h.name), (int, float)) and training[h.name] != h.default]


def build(cfg: ModelConfig) -> Autoencoder:
    """A freshly initialised model of the kind and shape ``cfg`` describes."""
    return KINDS[cfg.kind](cfg)
