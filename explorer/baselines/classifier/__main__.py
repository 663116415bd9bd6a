"""Train a dataset's classifier and write it: `python -m explorer.classifier --dataset mnist`.

The command around explorer/classifier (the library): it checks its options and that the output
folder can be written before reading any data, trains, and writes <dataset>.safetensors and
<dataset>.json atomically (each a unique temporary file, then renamed; nothing else in the folder
is touched).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from explorer import data
from explorer.files import outputs
from explorer.models.train import MAX_SEED
from explorer.baselines.classifier import FOLDER, path_of, save, train


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m explorer.classifier", description=__doc__.split("\n")[0])
    parser.add_argument("--dataset", choices=sorted(data.DATASETS), default="mnist")
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data-dir", help=f"folder holding mnist/ and fashion-mnist/ (else ${data.ENV_VAR})")
    parser.add_argument("--out", default=str(FOLDER), help="folder to write <dataset>.safetensors and .json into")
    return parser


def check_options(args) -> str | None:
    """Why these options cannot make a classifier, or None; checked before any data is read."""
    if args.epochs < 1:
        return f"--epochs must be at least 1 (got {args.epochs})"
    if not 0 <= args.seed <= MAX_SEED:
        return f"--seed must be between 0 and {MAX_SEED} (got {args.seed})"
    target = path_of(args.dataset, Path(args.out))
    return outputs.files_problem(args.data_dir, args.out, (target, target.with_suffix(".json")),
                                 "the classifier's file")


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    problem = check_options(args)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    start = time.time()
    try:
        clf = train(args.dataset, args.data_dir, args.epochs, args.seed)
    except data.DataError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    clf.info["command"] = "python -m explorer.classifier " + " ".join(argv if argv is not None else sys.argv[1:])
    clf.info["seconds"] = round(time.time() - start, 1)
    print(f"{clf.info['name']}: test accuracy {clf.info['test_accuracy']:.2%}", flush=True)
    try:
        path = save(clf, Path(args.out))
    except OSError as e:
        print(f"error: could not write the classifier into {args.out}: {outputs.write_failure(e)}", file=sys.stderr)
        return 1
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
