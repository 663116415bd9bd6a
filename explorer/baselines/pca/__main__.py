"""Fit the PCA of a dataset's training images and write it: `python -m explorer.pca --dataset mnist`.

The command around explorer/pca (the library): it checks its options and that the output folder
can be written before reading any data, fits, writes <dataset>.safetensors atomically (a unique
temporary file, then renamed; nothing else in the folder is touched), and prints the test MSE at
a few k.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from explorer import data
from explorer.files import outputs
from explorer.baselines.pca import DIR, N_COMPONENTS, fit, path_of, save


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m explorer.pca", description=__doc__.split("\n")[0])
    p.add_argument("--dataset", default="mnist", choices=sorted(data.DATASETS))
    p.add_argument("--components", type=int, default=N_COMPONENTS)
    p.add_argument("--data-dir", help=f"folder holding mnist/ and fashion-mnist/ (else ${data.ENV_VAR})")
    p.add_argument("--download", action="store_true", help="download the dataset if it is not found")
    p.add_argument("--out", default=str(DIR), help="folder to write <dataset>.safetensors into")
    return p


def check_options(args) -> str | None:
    """Why these options cannot make a PCA file, or None; checked before any data is read."""
    target = path_of(args.dataset, Path(args.out))
    if not 1 <= args.components <= 784:
        return f"--components must be between 1 and 784 (got {args.components})"
    return outputs.files_problem(args.data_dir, args.out, (target,), "the PCA file")


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    problem = check_options(args)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    target = path_of(args.dataset, Path(args.out))
    try:
        train = data.load(args.dataset, "train", args.data_dir, args.download)
        test = data.load(args.dataset, "test", args.data_dir, args.download)
    except data.DataError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    pca = fit(train.images, args.components)
    for k in (2, 4, 8, 16, 32):
        if k <= pca.size:
            print(f"k = {k:2d}: test MSE {pca.mse(test.images, k):.4f}", flush=True)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        save(pca, target)
    except OSError as e:
        print(f"error: could not write {target}: {outputs.write_failure(e)}", file=sys.stderr)
        return 1
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
