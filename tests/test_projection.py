import numpy as np
import pytest

from explorer.projection import DirectMap, PCAMap, available, resolve


def test_direct_map_is_the_identity():
    codes = np.random.default_rng(0).normal(size=(50, 2)).astype(np.float32)
    mp = DirectMap(codes)
    np.testing.assert_array_equal(mp.xy, codes)
    np.testing.assert_array_equal(mp.to_latent(codes[:3]), codes[:3])
    assert mp.exact
    with pytest.raises(ValueError, match="2-d codes"):
        DirectMap(np.zeros((4, 3)))


def test_pca_round_trip_is_exact_on_the_plane():
    rng = np.random.default_rng(1)
    codes = rng.normal(size=(500, 16)) * np.linspace(3, 0.1, 16)
    mp = PCAMap(codes)
    points = rng.normal(size=(20, 2)) * 3
    np.testing.assert_allclose(mp.to_map(mp.to_latent(points)), points, atol=1e-4)
    np.testing.assert_allclose(mp.to_map(codes), mp.xy, atol=1e-4)
    # the first axis carries the most variance, and the ratios are honest fractions
    assert mp.xy[:, 0].var() > mp.xy[:, 1].var()
    assert 0 < sum(mp.extra["explained_variance_ratio"]) <= 1


def test_pca_of_codes_in_a_plane_inverts_them():
    rng = np.random.default_rng(2)
    basis = np.linalg.qr(rng.normal(size=(8, 2)))[0].T
    codes = rng.normal(size=(100, 2)) @ basis + 5.0
    mp = PCAMap(codes)
    np.testing.assert_allclose(mp.to_latent(mp.xy), codes, atol=1e-4)


def test_available_maps():
    assert available(2)[0] == "direct" and "pca" in available(16)
    assert resolve("auto", 16) == "pca"
    with pytest.raises(ValueError, match="does not apply"):
        resolve("direct", 16)
