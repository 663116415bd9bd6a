"""The contractive autoencoder (Rifai, Vincent, Muller, Glorot & Bengio, "Contractive
auto-encoders: explicit invariance during feature extraction", ICML 2011): the loss adds the
squared Frobenius norm of the encoder's Jacobian, ||J_f(x)||_F^2 = sum_ij (dz_j / dx_i)^2, so a
small change of the image moves the code little, except along the directions the data varies in.

The norm is estimated without building the Jacobian: for v ~ N(0, I) over the code,
E ||J^T v||^2 = ||J||_F^2 (Hutchinson 1990), and J^T v is one backward pass through the encoder,
kept in the graph so the penalty trains the encoder. One draw per image per step: unbiased, and
for a 784 x k Jacobian far cheaper than its k rows.
"""

from __future__ import annotations

import numpy as np
import torch

from explorer.models.ae import Autoencoder
from explorer.models.base import Hyperparameter, kind, reconstruction_loss


def jacobian_norm2(encode, x: torch.Tensor, generator=None) -> torch.Tensor:
    """Per image, an unbiased one-draw estimate of ||J||_F^2 of ``encode`` at ``x`` [N, ...]: the
    squared norm of J^T v for v ~ N(0, I) over the code. Differentiable."""
    x = x.detach().requires_grad_(True)
    with torch.enable_grad():
        z = encode(x)
        v = torch.randn(z.shape, generator=generator, dtype=z.dtype, device=z.device)
        (g,) = torch.autograd.grad(z, x, grad_outputs=v, create_graph=True)
    return g.pow(2).flatten(1).sum(1)


def jacobian_norm(encode, x: torch.Tensor, draws: int = 8, seed: int = 0) -> np.ndarray:
    """||J||_F of ``encode`` at each image of ``x`` (mean of ``draws`` estimates of its square),
    float [N]: how far the code moves per unit of change of the image, over all directions."""
    gen = torch.Generator().manual_seed(seed)
    total = torch.zeros(len(x))
    for _ in range(draws):
        total += jacobian_norm2(encode, x, gen).detach()
    return (total / draws).sqrt().numpy()


def code_movement(encode, images: torch.Tensor, codes: np.ndarray) -> float:
    """Mean ||J||_F over ``images`` divided by the spread of ``codes`` (the root of their total
    variance): a nudge's effect on the code in units of how far codes lie apart, comparable
    between models whose codes have different scales."""
    spread = float(np.sqrt(np.asarray(codes, np.float64).var(0).sum()))
    return float(jacobian_norm(encode, images).mean() / max(spread, 1e-12))


@kind("contractive-ae")
class ContractiveAutoencoder(Autoencoder):
    title = "contractive autoencoder"
    short = "contractive AE"
    offers: frozenset[str] = frozenset()
    hyperparameters = (
        Hyperparameter("contraction", 1.0, "weighs a contractive autoencoder's penalty on its encoder's Jacobian "
                       "(contraction * ||J||_F^2 per image: how far the code moves when the image is nudged)",
                       "Rifai et al., ICML 2011"),
    )
    loss_terms = {"recon": "how far each rebuilt image is from its target, summed over pixels",
                  "jacobian": "||J_f(x)||_F^2 per image (one-draw estimate), weighed by contraction"}
    figures = {"code_movement": "how far the code moves per unit nudge of the image, over the codes' spread "
                                "(mean ||J||_F / the codes' standard deviation)"}
    note = ("A contractive autoencoder is charged for how much its code moves when the image is nudged, so "
            "it keeps the code still under small changes and lets it move only along the ways digits vary.")

    def measure(self, images: torch.Tensor, codes: np.ndarray, labels: np.ndarray) -> dict[str, float]:
        return {"code_movement": code_movement(self.encode, images, codes)}

    def loss(self, x, recon: str = "bce", generator=None, target=None,
             contraction: float = 1.0) -> dict[str, torch.Tensor]:
        """Mean over the batch of the reconstruction loss plus ``contraction`` times the encoder's
        squared Jacobian norm (estimated)."""
        target = x if target is None else target
        z = self.encode(x)
        rec = reconstruction_loss(self.decode_logits(z), target, recon).mean()
        jac = jacobian_norm2(self.encode, x, generator).mean()
        return {"loss": rec + contraction * jac, "recon": rec, "jacobian": jac}
