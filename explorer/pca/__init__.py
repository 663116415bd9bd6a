"""Principal component analysis of a dataset's training images: the linear reference for
autoencoders. `python -m explorer.pca --dataset mnist` writes pretrained/pca/<dataset>.safetensors.

PCA keeps the k directions of largest variance; reconstructing from them is the best any linear
encoder and decoder with a k-number code can do in squared error (Eckart & Young 1936), and a
linear autoencoder trained on squared error spans the same subspace (Baldi & Hornik 1989). So an
autoencoder's test error below PCA's at the same k is what its nonlinearity buys (Hinton &
Salakhutdinov 2006 showed it for MNIST). The components are nested: the first k of a fit with
more components are the fit with k, so one file serves every k up to its size.

Reconstructions are clipped to [0, 1], the range of the images, as a decoder's sigmoid keeps its
own; MSE is per pixel, as everywhere in this package.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file, save_file

from . import data
from .files import replace_file
from .models import to_float_images

DIR = Path(__file__).resolve().parent.parent / "pretrained" / "pca"
N_COMPONENTS = 32  # enough for the bottleneck series (k = 2 ... 32)


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


def path_of(dataset: str) -> Path:
    return DIR / f"{dataset}.safetensors"


def save(pca: PCA, path) -> None:
    tensors = {k: torch.from_numpy(np.ascontiguousarray(getattr(pca, k), np.float32))
               for k in ("mean", "components", "variance")}
    replace_file(Path(path), lambda f: save_file(tensors, str(f)))


def load(dataset: str) -> PCA | None:
    """The shipped PCA of ``dataset``'s training images, or None when there is none (or it is
    unreadable: the pages that use it say so)."""
    path = path_of(dataset)
    if not path.is_file():
        return None
    try:
        t = load_file(str(path))
        pca = PCA(mean=t["mean"].numpy(), components=t["components"].numpy(), variance=t["variance"].numpy())
    except Exception:  # a damaged file is reported as missing by the caller; never unpickled
        return None
    if pca.mean.shape != (784,) or pca.components.ndim != 2 or pca.components.shape[1] != 784:
        return None
    return pca


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m explorer.pca", description=__doc__.split("\n")[0])
    p.add_argument("--dataset", default="mnist", choices=sorted(data.DATASETS))
    p.add_argument("--components", type=int, default=N_COMPONENTS)
    p.add_argument("--data-dir", help=f"folder holding mnist/ and fashion-mnist/ (else ${data.ENV_VAR})")
    p.add_argument("--download", action="store_true", help="download the dataset if it is not found")
    args = p.parse_args(argv)
    if not 1 <= args.components <= 784:
        print(f"error: --components must be between 1 and 784 (got {args.components})", file=sys.stderr)
        return 2
    try:
        train = data.load(args.dataset, "train", args.data_dir, args.download)
        test = data.load(args.dataset, "test", args.data_dir, args.download)
    except data.DataError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    pca = fit(train.images, args.components)
    DIR.mkdir(parents=True, exist_ok=True)
    save(pca, path_of(args.dataset))
    for k in (2, 4, 8, 16, 32):
        if k <= pca.size:
            print(f"k = {k:2d}: test MSE {pca.mse(test.images, k):.4f}")
    print(f"wrote {path_of(args.dataset)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
