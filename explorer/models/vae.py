"""The variational autoencoder (Kingma & Welling, "Auto-Encoding Variational Bayes", ICLR 2014):
a Gaussian posterior per image, a standard normal prior, and the ELBO; beta weighs its KL term
(Higgins et al., ICLR 2017)."""

from __future__ import annotations

import numpy as np
import torch

from explorer.models.ae import Autoencoder
from explorer.models.base import Hyperparameter, ModelConfig, kind, reconstruction_loss


@kind("vae")
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
    short = "VAE"
    offers = frozenset({"posterior", "prior"})
    loss_terms = {"recon": "the Bernoulli negative log-likelihood of the image, from one sampled code",
                  "kl": "KL(q(z|x) || N(0, I)) per image, weighed by beta"}
    required_recon = "bce"  # the ELBO's reconstruction term is the Bernoulli log-likelihood
    prior_name = "the prior N(0, I)"
    note = ("A variational autoencoder learns a cloud of likely codes for each image and is pushed "
            "to keep all codes close to a standard normal distribution, N(0, I), so new codes can be "
            "drawn from it.")

    @staticmethod
    def n_encoder_outputs(cfg: ModelConfig) -> int:
        return 2 * cfg.latent_dim

    def prior_region(self, codes: np.ndarray) -> np.ndarray:
        """Whether each code lies where 95% of N(0, I)'s mass is: |z|^2 within the chi-squared
        distribution's 95% quantile for k degrees of freedom."""
        from scipy.stats import chi2

        codes = np.asarray(codes, np.float64)
        return (codes ** 2).sum(1) <= chi2.ppf(0.95, codes.shape[1])

    def prior_outline(self, points: int = 96) -> list[np.ndarray]:
        """2-D codes: the edge of the region holding 95% of the prior, as closed curves [n, 2]."""
        from scipy.stats import chi2

        t = np.linspace(0, 2 * np.pi, points)
        r = np.sqrt(chi2.ppf(0.95, 2))
        return [np.stack([r * np.cos(t), r * np.sin(t)], 1)]

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
