import numpy as np
import pytest

import explorer
from explorer.teaching import generate
from explorer.teaching.generate import class_middles, interpolate, lerp, slerp


@pytest.mark.parametrize("method", ["lerp", "slerp"])
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


class Identity:
    """A stand-in model and map: decoding returns the code tiled, the map is the first 2 numbers."""

    def decode(self, z):
        self.calls = getattr(self, "calls", 0) + 1
        return np.repeat(np.asarray(z)[:, :1, None], 28, 1).repeat(28, 2)

    def to_map(self, z):
        return np.asarray(z)[:, :2]


def test_a_walk_is_one_batched_decode_with_its_path_and_point():
    from explorer.teaching.generate import walk

    model = Identity()
    a, b = np.array([3.0, 0.0, 0.0]), np.array([0.0, 3.0, 0.0])
    w = walk(model, model, a, b, "slerp", n_frames=5, t=0.5)
    assert model.calls == 1 and w.frames.shape == (5, 28, 28) and w.codes.shape == (5, 3)
    np.testing.assert_allclose(w.t, [0, 0.25, 0.5, 0.75, 1])
    np.testing.assert_allclose(w.at_code, slerp(a, b, 0.5)[0], rtol=1e-6)
    np.testing.assert_allclose(w.at_xy, w.at_code[:2])
    assert w.path.shape == (41, 2) and w.frame_at == 2
    # slerp keeps the length at 3 on the way; lerp cuts inside the circle
    assert np.linalg.norm(w.at_code) == pytest.approx(3.0)
    assert np.linalg.norm(walk(model, model, a, b, "lerp", 5, 0.5).at_code) == pytest.approx(3 / np.sqrt(2))


def test_the_decoded_grid_runs_top_left_to_bottom_right_as_the_map_is_drawn():
    m = explorer.load_model("mnist-vae-2d")
    mp = m.map("direct")
    grid = generate.decoded_grid(m, mp, np.array([-2.0, -1.0]), np.array([2.0, 3.0]), n=5)
    assert grid.shape == (25, 28, 28)
    np.testing.assert_allclose(grid[0], m.decode(np.array([[-2.0, 3.0]]))[0], atol=1e-6)  # top left
    np.testing.assert_allclose(grid[4], m.decode(np.array([[2.0, 3.0]]))[0], atol=1e-6)  # top right
    np.testing.assert_allclose(grid[24], m.decode(np.array([[2.0, -1.0]]))[0], atol=1e-6)  # bottom right


def test_a_traversal_moves_one_dimension_per_row():
    m = explorer.load_model("mnist-vae-16")
    z = m.latents.codes[3]
    spread = m.latents.codes.std(0)
    steps = np.linspace(-3, 3, 7)
    out = generate.traversal(m, z, spread, steps)
    assert out.shape == (16 * 7, 28, 28)
    codes = np.repeat(z[None], 7, 0)
    codes[:, 5] = z[5] + steps * spread[5]
    np.testing.assert_allclose(out[5 * 7:6 * 7], m.decode(codes), atol=1e-6)
    np.testing.assert_allclose(out[5 * 7 + 3], m.decode(z[None])[0], atol=1e-6)  # step 0: z itself
