"""t-SNE of a model's 10,000 test codes: scikit-learn against openTSNE, and UMAP beside them, on
this machine.

    python bench/tsne.py [BUNDLE] [--threads N] [--only NAME]

UMAP runs twice in one process: its first fit pays umap-learn's numba compiling (what the first
UMAP a server computes waits for), the second is what every later one takes.

For each variant: wall time, and two quality figures of the resulting map:
- trustworthiness-style neighbour overlap: the share of each code's 10 nearest neighbours in the
  latent space that are also among its 10 nearest on the map (higher keeps more local structure);
- 10-NN label accuracy on the map (how well classes separate; leave-one-out).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.neighbors import NearestNeighbors

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import record  # noqa: E402
import explorer  # noqa: E402


def neighbour_overlap(codes, xy, k=10, sample=2000, seed=0) -> float:
    rows = np.random.default_rng(seed).choice(len(codes), size=min(sample, len(codes)), replace=False)
    a = NearestNeighbors(n_neighbors=k + 1).fit(codes).kneighbors(codes[rows], return_distance=False)[:, 1:]
    b = NearestNeighbors(n_neighbors=k + 1).fit(xy).kneighbors(xy[rows], return_distance=False)[:, 1:]
    return float(np.mean([len(set(x) & set(y)) / k for x, y in zip(a, b)]))


def knn_accuracy(xy, labels, k=10) -> float:
    idx = NearestNeighbors(n_neighbors=k + 1).fit(xy).kneighbors(xy, return_distance=False)[:, 1:]
    votes = labels[idx]
    predicted = np.array([np.bincount(v, minlength=10).argmax() for v in votes])
    return float((predicted == labels).mean())


def variants(threads: int):
    from openTSNE import TSNE as OpenTSNE
    from sklearn.manifold import TSNE as SkTSNE

    yield "scikit-learn (Barnes-Hut, defaults)", lambda X: SkTSNE(
        init="pca", random_state=0, n_jobs=threads).fit_transform(X)
    yield "openTSNE defaults (1 job)", lambda X: np.asarray(OpenTSNE(random_state=0).fit(X))
    yield f"openTSNE FFT, {threads} jobs", lambda X: np.asarray(OpenTSNE(
        negative_gradient_method="fft", n_jobs=threads, random_state=0).fit(X))
    yield f"openTSNE FFT, {threads} jobs, 250+250 iterations", lambda X: np.asarray(OpenTSNE(
        negative_gradient_method="fft", n_jobs=threads, random_state=0, n_iter=250).fit(X))
    yield f"openTSNE Barnes-Hut, {threads} jobs", lambda X: np.asarray(OpenTSNE(
        negative_gradient_method="bh", n_jobs=threads, random_state=0).fit(X))
    yield f"openTSNE Barnes-Hut, {threads} jobs, 250+250 iterations", lambda X: np.asarray(OpenTSNE(
        negative_gradient_method="bh", n_jobs=threads, random_state=0, n_iter=250).fit(X))
    from explorer.maps.umap_map import compute_umap

    yield "UMAP, the app's settings (first: compiling)", compute_umap
    yield "UMAP, the app's settings (compiled)", compute_umap


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("bundle", nargs="?", default="mnist-vae-16")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--only", help="run only variants whose name contains this")
    args = parser.parse_args()
    m = explorer.load_model(args.bundle)
    codes, labels = m.latents.codes, m.latents.labels
    print(f"{args.bundle}: {codes.shape[0]:,} codes of {codes.shape[1]} dimensions")
    print(f"{'variant':48s} {'seconds':>8s} {'10-NN kept':>11s} {'10-NN acc':>10s}")
    for name, fit in variants(args.threads):
        if args.only and args.only not in name:
            continue
        start = time.perf_counter()
        xy = fit(codes)
        seconds = time.perf_counter() - start
        print(f"{name:48s} {seconds:8.1f} {neighbour_overlap(codes, xy):11.3f} {knn_accuracy(xy, labels):10.3f}",
              flush=True)


if __name__ == "__main__":
    with record.run(__file__):
        main()
