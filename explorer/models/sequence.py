"""The sequence autoencoder (Srivastava, Mansimov & Salakhutdinov, "Unsupervised learning of video
representations using LSTMs", ICML 2015; Dai & Le, "Semi-supervised sequence learning", NeurIPS
2015): a recurrent encoder reads the input one step at a time into a code, and a recurrent decoder
writes it back one step at a time. Here the steps are a digit's 28 rows, top to bottom (the gru
backbone, backbones.py); the same models read text, speech and time series, where the order is
the data's own."""

from __future__ import annotations

from explorer.models.ae import Autoencoder
from explorer.models.base import kind


@kind("seq-ae")
class SequenceAutoencoder(Autoencoder):
    title = "sequence autoencoder"
    short = "sequence AE"
    backbones = ("gru",)
    hyperparameters = ()
    loss_terms = {"recon": "how far each image written back row by row is from its target, summed over pixels"}
    note = ("A sequence autoencoder reads the digit one row at a time, top to bottom, into its code, and "
            "writes it back one row at a time: the way such models read and write text, speech and time series.")

    def loss(self, x, recon: str = "bce", generator=None, target=None):
        return Autoencoder.loss(self, x, recon, generator, target)
