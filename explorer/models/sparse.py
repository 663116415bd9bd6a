"""The sparse autoencoder: many code units, few of them active for any one image.

The code is non-negative (a ReLU after the encoder's last layer), so a unit is either silent (0)
or fires with some strength, and the loss adds an L1 penalty on it, sparsity * sum_j z_j per
image: the cheapest way to rebuild an image is then to switch on only the units it needs. This is
the L1 form of sparse coding's penalty (Olshausen & Field, Nature 1996) as used for autoencoders
(Ng, "Sparse autoencoder", CS294A lecture notes, 2011, which also gives the KL form with a
target rate; Goodfellow, Bengio & Courville, "Deep Learning", 2016, section 14.2.1).
"""

from __future__ import annotations

import numpy as np
import torch

from explorer.models.ae import Autoencoder
from explorer.models.base import Hyperparameter, kind, reconstruction_loss


@kind("sparse-ae")
class SparseAutoencoder(Autoencoder):
    title = "sparse autoencoder"
    short = "sparse AE"
    offers: frozenset[str] = frozenset()
    hyperparameters = (
        Hyperparameter("sparsity", 0.5, "weighs a sparse autoencoder's L1 penalty on its codes (sparsity * sum of "
                       "the code units per image; 0: a plain autoencoder with non-negative codes)",
                       "Ng, Sparse autoencoder, CS294A lecture notes 2011"),
    )
    loss_terms = {"recon": "how far each rebuilt image is from its target, summed over pixels",
                  "l1": "the sum of the code units per image (all non-negative), weighed by sparsity"}
    figures = {"units_for_90": "code units carrying 90% of an image's code (median over test images)",
               "carried_by_quarter": "share of test images carried (90%) by at most a quarter of the units",
               "active_units": "code units switched on per image (mean)"}
    note = ("A sparse autoencoder has many code units but is charged for every unit it switches on, so each "
            "image is carried by the few units it needs and the rest stay silent.")

    def measure(self, images: torch.Tensor, codes: np.ndarray, labels: np.ndarray) -> dict[str, float]:
        """How few units carry each test image: the fewest units holding 90% of its code's sum, and
        how many units are on at all."""
        z = np.maximum(np.asarray(codes, np.float64), 0.0)
        k, mass = z.shape[1], z.sum(1)
        ranked = -np.sort(-z, axis=1)
        share = np.cumsum(ranked, 1) / np.maximum(mass, 1e-12)[:, None]
        units = np.minimum((share < 0.9).sum(1) + 1, k)
        units[mass <= 0] = 0  # an image no unit fires for is carried by none
        return {"units_for_90": float(np.median(units)), "carried_by_quarter": float((units <= k // 4).mean()),
                "active_units": float((z > 1e-6).sum(1).mean())}

    def encode(self, x):
        return torch.relu(self.encoder(x))

    def loss(self, x, recon: str = "bce", generator=None, target=None,
             sparsity: float = 0.5) -> dict[str, torch.Tensor]:
        """Mean over the batch of the reconstruction loss plus ``sparsity`` times the L1 norm of the
        (non-negative) code."""
        target = x if target is None else target
        z = self.encode(x)
        rec = reconstruction_loss(self.decode_logits(z), target, recon).mean()
        l1 = z.sum(1).mean()
        return {"loss": rec + sparsity * l1, "recon": rec, "l1": l1}
