"""Making latent vectors to decode: walks between two codes, and the middles of class clusters.

Linear interpolation walks the straight segment between two codes. Spherical interpolation
(slerp; Shoemake 1985, used for generative models by White, "Sampling Generative Networks", 2016)
walks the great circle between their directions while the length changes linearly, which keeps
intermediate codes at a typical distance from the origin: under a Gaussian prior in many
dimensions almost all mass lies near a sphere, and the straight segment cuts inside it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Below this angle (radians) two directions count as the same and slerp is a straight line;
# within it of pi they are opposite and no great circle is singled out, so it is one too.
_ANGLE_EPS = 1e-6


def lerp(z0, z1, t) -> np.ndarray:
    """Points (1-t) z0 + t z1 for each t: [T, k]."""
    z0, z1, t = _prepare(z0, z1, t)
    return ((1.0 - t) * z0 + t * z1).astype(np.float32)


def slerp(z0, z1, t) -> np.ndarray:
    """Direction by spherical interpolation, length by linear interpolation: [T, k].

    Identical, zero-length or opposite endpoints have no single great circle between them; the
    path is then the straight segment, so the result is always finite and ends at z0 and z1.
    """
    z0, z1, t = _prepare(z0, z1, t)
    n0, n1 = np.linalg.norm(z0), np.linalg.norm(z1)
    if n0 == 0 or n1 == 0:
        return lerp(z0[0], z1[0], t[:, 0])
    u0, u1 = z0 / n0, z1 / n1
    omega = np.arccos(np.clip(float((u0 * u1).sum()), -1.0, 1.0))
    if omega < _ANGLE_EPS or np.pi - omega < _ANGLE_EPS:
        return lerp(z0[0], z1[0], t[:, 0])
    direction = (np.sin((1.0 - t) * omega) * u0 + np.sin(t * omega) * u1) / np.sin(omega)
    length = (1.0 - t) * n0 + t * n1
    out = direction * length
    out[t[:, 0] == 0] = z0[0]  # exact endpoints, not merely to rounding
    out[t[:, 0] == 1] = z1[0]
    return out.astype(np.float32)


INTERPOLATIONS = {"lerp": lerp, "slerp": slerp}  # the names are the URL's path= values


def interpolate(z0, z1, t, method: str = "lerp") -> np.ndarray:
    """Latent vectors between z0 and z1 at the fractions t (a number or an array) by ``method``."""
    try:
        fn = INTERPOLATIONS[method]
    except KeyError:
        raise ValueError(f"interpolation {method!r}: use one of {sorted(INTERPOLATIONS)}") from None
    return fn(z0, z1, t)


def _prepare(z0, z1, t):
    z0 = np.asarray(z0, dtype=np.float64).reshape(1, -1)
    z1 = np.asarray(z1, dtype=np.float64).reshape(1, -1)
    if z0.shape != z1.shape:
        raise ValueError(f"endpoints differ in size: {z0.shape[1]} and {z1.shape[1]}")
    t = np.atleast_1d(np.asarray(t, dtype=np.float64)).reshape(-1, 1)
    return z0, z1, t


@dataclass(frozen=True)
class Walk:
    """A walk from code A to code B, decoded and placed on a map.

    t [F]: the frames' positions, evenly spaced from 0 (A) to 1 (B); codes [F, k] and
    frames [F, 28, 28] there. path [P, 2]: the walk drawn on the map, finer than the frames.
    at_t, at_code, at_image, at_xy: the point of the walk at the slider's position.
    """

    method: str
    t: np.ndarray
    codes: np.ndarray
    frames: np.ndarray
    path: np.ndarray
    at_t: float
    at_code: np.ndarray
    at_image: np.ndarray
    at_xy: np.ndarray

    @property
    def frame_at(self) -> int:
        """The frame nearest the slider's position."""
        return int(np.argmin(np.abs(self.t - self.at_t)))


PATH_POINTS = 41  # points of the walk drawn on the map: smooth at any zoom a student uses


def walk(model, latent_map, za, zb, method: str = "lerp", n_frames: int = 10, t: float = 0.5) -> Walk:
    """Decode ``n_frames`` evenly spaced codes from ``za`` to ``zb`` and the code at ``t``, in one
    batch, and place the walk on ``latent_map`` (anything with ``to_map``)."""
    if n_frames < 2:
        raise ValueError(f"a walk needs at least 2 frames, got {n_frames}")
    ts = np.linspace(0.0, 1.0, n_frames)
    codes = interpolate(za, zb, np.append(ts, t), method)
    images = model.decode(codes)
    path = latent_map.to_map(interpolate(za, zb, np.linspace(0.0, 1.0, PATH_POINTS), method))
    arrays = dict(t=ts, codes=codes[:-1], frames=images[:-1], path=path, at_code=codes[-1],
                  at_image=images[-1], at_xy=latent_map.to_map(codes[-1:])[0])
    for a in arrays.values():
        a.flags.writeable = False  # a walk may be shared (explorer/teaching/view.py caches them)
    return Walk(method=method, at_t=float(t), **arrays)


def class_middles(xy: np.ndarray, labels: np.ndarray) -> dict[int, np.ndarray]:
    """The coordinate-wise median of each class's points: the middle of its cluster.

    The median, unlike the mean, is not dragged away by a class's stray points.
    """
    return {int(c): np.median(xy[labels == c], axis=0) for c in np.unique(labels)}


def decoded_grid(model, latent_map, lo, hi, n: int = 15) -> np.ndarray:
    """The classic figure of a 2-D latent space: the images decoded on an n x n grid over the box
    [lo, hi] of the map, top row first (highest y), as the map is drawn. float32 [n * n, 28, 28]."""
    xs = np.linspace(lo[0], hi[0], n)
    ys = np.linspace(hi[1], lo[1], n)
    points = np.stack(np.meshgrid(xs, ys), -1).reshape(-1, 2).astype(np.float32)
    return model.decode(latent_map.to_latent(points))


def traversal(model, z, spread, steps=np.linspace(-3, 3, 9)) -> np.ndarray:
    """Each latent dimension varied alone around the code ``z``, by ``steps`` times that
    dimension's spread over the test codes (Higgins et al. 2017 show beta-VAEs this way).
    float32 [k * len(steps), 28, 28], one row per dimension."""
    z = np.asarray(z, np.float32)
    k = len(z)
    codes = np.repeat(z[None], k * len(steps), 0).reshape(k, len(steps), k)
    for d in range(k):
        codes[d, :, d] = z[d] + np.asarray(steps, np.float32) * spread[d]
    return model.decode(codes.reshape(-1, k))
