"""Principal component analysis of a dataset's training images: the linear reference for
autoencoders. `python -m explorer.pca --dataset mnist` (the command, in __main__.py) writes
pretrained/pca/<dataset>.safetensors; this module is the library the pages and metrics use.

PCA keeps the k directions of largest variance; reconstructing from them is the best any linear
encoder and decoder with a k-number code can do in squared error (Eckart & Young 1936), and a
linear autoencoder trained on squared error spans the same subspace (Baldi & Hornik 1989). So an
autoencoder's test error below PCA's at the same k is what its nonlinearity buys (Hinton &
Salakhutdinov 2006 showed it for MNIST). The components are nested: the first k of a fit with
more components are the fit with k, so one file serves every k up to its size.

Reconstructions are clipped to [0, 1], the range of the images, as a decoder's sigmoid keeps its
own; MSE is per pixel, as everywhere in this package. A missing file is None from ``load``; a
damaged one raises PCAError naming the file and what is wrong with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from explorer.bundles import PRETRAINED_DIR
from explorer.models import N_PIXELS, to_float_images
from explorer.files.outputs import write_file

DIR = PRETRAINED_DIR / "pca"
N_COMPONENTS = 32  # enough for the bottleneck series (k = 2 ... 32)
FIELDS = ("mean", "components", "variance")


class PCAError(RuntimeError):
    """A PCA file is there but cannot be used (not safetensors, wrong arrays). The message names
    the file, says why, and how to make it again."""


@dataclass(frozen=True)
class PCA:
    mean: np.ndarray  # float32 [784]
    components: np.ndarray  # float32 [K, 784], orthonormal rows, largest variance first
    variance: np.ndarray  # float32 [K]: the variance along each component

    @property
    def size(self) -> int:
        return len(self.components)

    def _k(self, k: int) -> int:
        if not 1 <= k <= self.size:
            raise ValueError(f"this PCA has {self.size} components; asked for {k}")
        return k

    def encode(self, images, k: int) -> np.ndarray:
        """Images -> their first ``k`` principal coordinates, float32 [N, k]."""
        x = to_float_images(images).flatten(1).numpy()
        return (x - self.mean) @ self.components[:self._k(k)].T

    def decode(self, z) -> np.ndarray:
        """Coordinates [N, k] -> images float32 [N, 28, 28], clipped to [0, 1]."""
        z = np.atleast_2d(np.asarray(z, np.float32))
        x = self.mean + z @ self.components[:self._k(z.shape[1])]
        return np.clip(x, 0.0, 1.0).reshape(-1, 28, 28).astype(np.float32)

    def reconstruct(self, images, k: int) -> np.ndarray:
        return self.decode(self.encode(images, k))

    def mse(self, images, k: int, batch_size: int = 5000) -> float:
        """Test MSE per pixel of the reconstruction from ``k`` components."""
        total, n = 0.0, len(images)
        for start in range(0, n, batch_size):
            x = to_float_images(images[start:start + batch_size]).numpy()
            total += float(((self.reconstruct(x, k) - x) ** 2).mean(axis=(1, 2)).sum())
        return total / n


def fit(images, n_components: int = N_COMPONENTS) -> PCA:
    """PCA of ``images`` (uint8 or float [N, 28, 28]) by the eigenvectors of their covariance."""
    x = to_float_images(images).flatten(1).double()
    mean = x.mean(0)
    centred = x - mean
    cov = centred.T @ centred / (len(x) - 1)
    values, vectors = torch.linalg.eigh(cov)  # ascending
    order = torch.argsort(values, descending=True)[:n_components]
    components = vectors[:, order].T
    # a sign convention, so that a refit gives the same file: each component's largest entry positive
    signs = torch.sign(components.gather(1, components.abs().argmax(1, keepdim=True)))
    return PCA(mean=mean.float().numpy(), components=(components * signs).float().numpy(),
               variance=values[order].clamp_min(0).float().numpy())


def path_of(dataset: str, folder: Path = DIR) -> Path:
    return Path(folder) / f"{dataset}.safetensors"


def save(pca: PCA, path) -> Path:
    """Write ``pca`` to ``path`` atomically (a unique temporary file beside it, then renamed)."""
    tensors = {k: torch.from_numpy(np.ascontiguousarray(getattr(pca, k), np.float32)) for k in FIELDS}
    return write_file(Path(path), lambda f: save_file(tensors, str(f)))


def load(dataset: str, folder: Path = DIR) -> PCA | None:
    """The shipped PCA of ``dataset``'s training images, or None when there is no file for it.
    A file that is there but cannot be used raises PCAError (never unpickled: safetensors only)."""
    path = path_of(dataset, folder)
    if not path.exists():
        return None
    again = f"make it again with `python -m explorer.pca --dataset {dataset}`"
    try:
        t = load_file(str(path))
    except (SafetensorError, OSError, ValueError, RuntimeError) as e:
        raise PCAError(f"{path}: not a readable safetensors file ({e}); {again}") from e
    missing = [k for k in FIELDS if k not in t]
    if missing:
        raise PCAError(f"{path}: missing the arrays {missing}; {again}")
    mean, components, variance = (t[k].float().numpy() for k in FIELDS)
    k = components.shape[0] if components.ndim == 2 else -1
    if mean.shape != (N_PIXELS,) or components.shape != (k, N_PIXELS) or variance.shape != (k,) or k < 1:
        raise PCAError(f"{path}: arrays of the wrong shapes (mean {tuple(mean.shape)}, components "
                       f"{tuple(components.shape)}, variance {tuple(variance.shape)}; expected [{N_PIXELS}], "
                       f"[K, {N_PIXELS}], [K]); {again}")
    if not all(np.isfinite(a).all() for a in (mean, components, variance)):
        raise PCAError(f"{path}: holds values that are not finite numbers; {again}")
    return PCA(mean=mean, components=components, variance=variance)
