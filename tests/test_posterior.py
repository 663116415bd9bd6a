"""The VAE's posterior and prior (explorer/teaching/posterior.py): ellipses, sampling, the KL term, and the
shipped VAEs' posteriors."""

import numpy as np
import pytest

import explorer
from explorer.teaching import posterior


def test_every_point_of_a_k_sigma_ellipse_is_k_sigmas_away():
    mean, sd = np.array([0.5, -1.0]), np.array([0.3, 0.05])
    for k in (1, 2):
        e = posterior.ellipse(mean, sd, k)
        np.testing.assert_allclose(posterior.mahalanobis(e, mean, sd), k, rtol=1e-5)
        assert np.allclose(e[0], e[-1])  # closed
        # axis-aligned: as wide as k sd along each axis
        np.testing.assert_allclose(e.max(0) - e.min(0), 2 * k * sd, rtol=1e-3)
    with pytest.raises(ValueError):
        posterior.ellipse(mean, [0.3, 0.0])


def test_samples_follow_mu_and_sigma_and_the_ellipses_hold_their_share():
    mean, sd = np.array([1.5, -0.5]), np.array([0.2, 0.7])
    z = posterior.sample(mean, sd, 20_000, seed=3)
    assert (np.abs(z.mean(0) - mean) < 4 * sd / np.sqrt(20_000)).all()  # within 4 standard errors
    np.testing.assert_allclose(z.std(0), sd, rtol=0.03)
    d = posterior.mahalanobis(z, mean, sd)
    for k in (1, 2):
        assert abs((d <= k).mean() - posterior.share_inside(k)) < 0.01
    assert posterior.share_inside(1) == pytest.approx(0.3935, abs=1e-4)
    assert not np.array_equal(posterior.sample(mean, sd, 5, seed=1), posterior.sample(mean, sd, 5, seed=2))


def test_kl_is_zero_at_the_prior_and_grows_away_from_it():
    assert posterior.kl_to_prior([0, 0], [1, 1]) == pytest.approx(0)
    assert posterior.kl_to_prior([1, 0], [1, 1]) == pytest.approx(0.5)
    assert posterior.kl_to_prior([0, 0], [0.5, 0.5]) > 0


def test_a_shipped_vaes_posteriors_are_tight_clouds_inside_the_prior(images_dir):
    from explorer import data

    m = explorer.load_model("mnist-vae-2d")
    images = data.load("mnist", "test", images_dir).images[:500]
    mean, log_var = m.posterior(images)
    sd = np.exp(0.5 * log_var)
    np.testing.assert_allclose(mean, m.encode(images), atol=1e-5)  # the code shown is the mean
    assert (sd < 1).all() and np.median(sd) < 0.3  # each image is sure of its place...
    assert np.abs(mean).max() < 5 and 0.5 < mean.std() < 2  # ...and the places fill the prior
