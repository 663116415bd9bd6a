"""The conditional VAE (Sohn, Lee & Yan, "Learning structured output representation using deep
conditional generative models", NeurIPS 2015; Kingma, Rezende, Mohamed & Welling, "Semi-supervised
learning with deep generative models", NeurIPS 2014, whose M2 draws analogies this way): the
label goes into the encoder and the decoder, q(z|x, y) and p(x|z, y), with the prior N(0, I). The
decoder is told which digit to draw, so the code need not say it: it keeps what the label does
not, the style (slant, width, stroke), and one code drawn with each label writes every digit in
one hand.

The label enters as a one-hot vector beside the image (encoder) and beside the code (decoder), so
the decoder is an MLP whose first layer reads k + classes numbers: given a label, it is the plain
MLP decoder of k numbers with that label's column added to the first layer's bias (what the
browser runs, webexport.py). Encoding and decoding without labels is an error that says so;
``Conditioned`` fixes one label, for pages that encode and decode without knowing of labels.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from explorer.models.backbones import MLPDecoder, _mlp
from explorer.models.base import N_PIXELS, ModelConfig, kind, reconstruction_loss
from explorer.models.vae import VariationalAutoencoder

N_CLASSES = 10  # the one-hot's width: every dataset we train on has ten classes


class LabelError(ValueError):
    """Labels missing, or outside the classes a conditional model was trained on."""


class LabelledEncoder(nn.Module):
    """An MLP from the image and its label's one-hot to the posterior's mean and log-variance."""

    def __init__(self, cfg: ModelConfig, n_out: int):
        super().__init__()
        self.net = _mlp([N_PIXELS + N_CLASSES, *cfg.hidden, n_out], cfg.activation)

    def forward(self, x, labels):
        return self.net(ConditionalVAE.beside(x.flatten(1), labels))


@kind("cvae")
class ConditionalVAE(VariationalAutoencoder):
    title = "conditional VAE (CVAE)"
    short = "CVAE"
    offers = frozenset({"posterior", "prior", "labels"})
    backbones = ("mlp",)
    loss_terms = {"recon": "the Bernoulli negative log-likelihood of the image, given its label and one sampled code",
                  "kl": "KL(q(z|x, y) || N(0, I)) per image, weighed by beta"}
    prior_name = "the prior N(0, I), with a label chosen"
    note = ("A conditional VAE is told each image's label, in the encoder and in the decoder, so its code "
            "need not say which digit it is: the code keeps the style, and the label chosen on the page "
            "decides which digit is written in it.")

    def __init__(self, cfg: ModelConfig):
        nn.Module.__init__(self)  # not the backbones' layers: these take the label too
        self.config = cfg
        self.encoder = LabelledEncoder(cfg, self.n_encoder_outputs(cfg))
        self.decoder = MLPDecoder(replace(cfg, latent_dim=cfg.latent_dim + N_CLASSES))

    @staticmethod
    def one_hot(labels, n: int) -> torch.Tensor:
        """Labels (ints, one or one per row) -> float one-hot [n, N_CLASSES]; LabelError if missing
        or outside 0..N_CLASSES-1."""
        if labels is None:
            raise LabelError("a conditional VAE encodes and decodes with a label: pass labels= "
                             f"(class numbers 0-{N_CLASSES - 1}, one per image or one for all)")
        y = (labels if isinstance(labels, torch.Tensor) else torch.as_tensor(np.array(labels))).long().reshape(-1)
        if len(y) not in (1, n):
            raise LabelError(f"{len(y)} labels for {n} images; give one per image, or one for all")
        if len(y) and (y.min() < 0 or y.max() >= N_CLASSES):
            bad = int(y[(y < 0) | (y >= N_CLASSES)][0])
            raise LabelError(f"label {bad} is not a class; the classes are 0-{N_CLASSES - 1}")
        return F.one_hot(y, N_CLASSES).float()  # [1, N_CLASSES] for one label for all: see beside()

    @classmethod
    def beside(cls, t: torch.Tensor, labels) -> torch.Tensor:
        """[t, one-hot of the labels] row by row; one label is spread over the rows by the batch's
        own size, so an exported graph takes any batch (a traced len() would be a constant)."""
        one_hot = cls.one_hot(labels, t.shape[0])
        return torch.cat([t, one_hot.expand(t.shape[0], -1)], 1)

    def posterior(self, x, labels=None):
        mean, log_var = self.encoder(x, labels).chunk(2, dim=1)
        return mean, log_var

    def encode(self, x, labels=None):
        return self.posterior(x, labels)[0]

    def decode_logits(self, z, labels=None):
        return self.decoder(self.beside(z, labels))

    def decode(self, z, labels=None):
        return torch.sigmoid(self.decode_logits(z, labels))

    def loss(self, x, recon: str = "bce", generator=None, target=None, beta: float = 1.0,
             posterior=None, labels=None) -> dict[str, torch.Tensor]:
        """The negative conditional ELBO: E_q[-log p(x|z, y)] + beta KL(q(z|x, y) || N(0, I))."""
        target = x if target is None else target
        mean, log_var = self.posterior(x, labels) if posterior is None else posterior
        z = self.reparameterize(mean, log_var, generator)
        rec = reconstruction_loss(self.decode_logits(z, labels), target, recon).mean()
        kl = self.kl_divergence(mean, log_var).mean()
        return {"loss": rec + beta * kl, "recon": rec, "kl": kl}



class Conditioned(nn.Module):
    """A conditional model with its labels fixed (one for every image, or one per row of the
    batches it will see): encode, decode and the rest as any model's, so a page or measurement
    that knows nothing of labels writes every digit as ``label``."""

    def __init__(self, net: ConditionalVAE, label):
        super().__init__()
        net.one_hot(label, np.size(label))  # LabelError now for a label outside
        self.net, self.label, self.config = net, label, net.config
        self.offers = net.offers

    def posterior(self, x):
        return self.net.posterior(x, self.label)

    def encode(self, x):
        return self.net.encode(x, self.label)

    def decode_logits(self, z):
        return self.net.decode_logits(z, self.label)

    def decode(self, z):
        return self.net.decode(z, self.label)

    def loss(self, x, *args, **kwargs):
        return self.net.loss(x, *args, labels=self.label, **kwargs)

    @property
    def decoder(self):
        return self.net.decoder
