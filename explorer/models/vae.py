"""The variational autoencoder (Kingma & Welling, "Auto-Encoding Variational Bayes", ICLR 2014):
a Gaussian posterior per image, a standard normal prior, and the ELBO; beta weighs its KL term
(Higgins et al., ICLR 2017)."""

from __future__ import annotations

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
