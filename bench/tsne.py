"""t-SNE of a model's 10,000 test codes: scikit-learn against openTSNE, and UMAP beside them, on
this machine.

    python bench/tsne.py [BUNDLE] [--threads N] [--only NAME]
    python bench/tsne.py [BUNDLE] --points 100000     # the app's own t-SNE and UMAP at scale

``--points N``: the app's own map computations (explorer/maps: openTSNE and umap-learn with the
app's settings, as an import or the page computes them) on N codes: the bundle's encoder on the
dataset's training and test images (70,000 for MNIST), repeated with a 1% jitter beyond that;
for each, the wall time and when its progress was heard (what the page's progress bar shows).

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
    parser.add_argument("--points", type=int, help="the app's own t-SNE and UMAP on this many codes")
    args = parser.parse_args()
    m = explorer.load_model(args.bundle)
    if args.points:
        at_scale(m, args.points)
        return
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


def at_scale(m, n: int) -> None:
    from explorer import data
    from explorer.maps.tsne import compute_tsne
    from explorer.maps.umap_map import compute_umap

    start = time.perf_counter()
    splits = [data.load(m.dataset, split) for split in ("train", "test")]
    images = np.concatenate([s.images for s in splits])
    labels = np.concatenate([s.labels for s in splits])
    codes = np.concatenate([m.encode(b) for b in np.array_split(images, max(1, len(images) // 5000))])
    rows = np.arange(n) % len(codes)
    rng = np.random.default_rng(0)
    jitter = rng.normal(0, 0.01, (n, codes.shape[1])).astype(np.float32) * codes.std(0)
    codes = codes[rows] + (np.arange(n) >= len(codes))[:, None] * jitter  # each code once as it is, then jittered
    print(f"{m.name}: {n:,} codes of {codes.shape[1]} dimensions ({len(images):,} images encoded in "
          f"{time.perf_counter() - start:.0f} s)", flush=True)
    figures = {}
    for name, fit in (("tsne", compute_tsne), ("umap", compute_umap)):
        heard = []
        start = time.perf_counter()
        xy = fit(codes, progress=lambda f: heard.append((time.perf_counter() - start, f)))
        seconds = time.perf_counter() - start
        gaps = np.diff([0.0] + [t for t, _ in heard] + [seconds])
        print(f"{name}: {seconds:.0f} s; progress heard {len(heard)} times, first after "
              f"{heard[0][0] if heard else 0:.0f} s, longest silence {gaps.max():.0f} s; 10-NN label accuracy on the map {knn_accuracy(xy, labels[rows]):.3f}",
              flush=True)
        figures[name] = seconds
    print(f"points={n} tsne_s={figures['tsne']:.0f} umap_s={figures['umap']:.0f}")


if __name__ == "__main__":
    with record.run(__file__):
        main()
