import numpy as np
import pytest

from explorer.generate import class_middles, interpolate, lerp, slerp


@pytest.mark.parametrize("method", ["linear", "slerp"])
def test_endpoints_are_the_endpoints(method):
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=16), rng.normal(size=16)
    path = interpolate(a, b, np.linspace(0, 1, 64), method)
    assert path.shape == (64, 16)
    np.testing.assert_array_equal(path[0], a.astype(np.float32))
    np.testing.assert_array_equal(path[-1], b.astype(np.float32))


def test_lerp_midpoint():
    np.testing.assert_allclose(lerp([0, 0], [2, 4], 0.5), [[1, 2]])


def test_slerp_keeps_the_length_on_a_sphere():
    a, b = np.array([3.0, 0, 0]), np.array([0, 3.0, 0])
    path = slerp(a, b, np.linspace(0, 1, 11))
    np.testing.assert_allclose(np.linalg.norm(path, axis=1), 3.0, rtol=1e-6)
    np.testing.assert_allclose(path[5], [3 / np.sqrt(2), 3 / np.sqrt(2), 0], rtol=1e-6)


@pytest.mark.parametrize("a,b", [([1.0, 2.0], [1.0, 2.0]),      # identical
                                 ([1.0, 2.0], [-1.0, -2.0]),    # opposite
                                 ([0.0, 0.0], [1.0, 2.0]),      # zero length
                                 ([1.0, 2.0], [2.0, 4.0000001])])  # same direction
def test_slerp_degenerate_endpoints_are_finite(a, b):
    path = slerp(a, b, np.linspace(0, 1, 9))
    assert np.isfinite(path).all()
    np.testing.assert_allclose(path[0], a, rtol=1e-6)
    np.testing.assert_allclose(path[-1], b, rtol=1e-6)


def test_bad_arguments():
    with pytest.raises(ValueError, match="differ in size"):
        lerp([0, 0], [0, 0, 0], 0.5)
    with pytest.raises(ValueError, match="interpolation"):
        interpolate([0], [1], 0.5, "cubic")


def test_class_middles_are_medians():
    xy = np.array([[0, 0], [1, 1], [10, 10], [5, 5], [6, 6]], float)
    labels = np.array([0, 0, 0, 1, 1])
    middles = class_middles(xy, labels)
    np.testing.assert_allclose(middles[0], [1, 1])
    np.testing.assert_allclose(middles[1], [5.5, 5.5])
