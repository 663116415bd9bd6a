"""Find a dataset, or download it if it is not found: `python -m explorer.fetch mnist`.

Prints the folder it uses; `--where` only looks. Exit status 2, with instructions, when the
dataset is neither found nor downloadable (no network).
"""

from __future__ import annotations

import argparse
import sys

from . import data


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m explorer.fetch", description=__doc__.split("\n")[0])
    parser.add_argument("name", choices=sorted(data.DATASETS))
    parser.add_argument("--data-dir", help=f"folder holding mnist/ and fashion-mnist/ (else ${data.ENV_VAR})")
    parser.add_argument("--where", action="store_true", help="only say where it is; never download")
    args = parser.parse_args(argv)
    try:
        folder = data.find_dataset(args.name, args.data_dir)
        if folder is None and not args.where:
            print(f"{args.name} not found locally; downloading into {data.cache_dir() / args.name}")
            folder = data.download(args.name)
        if folder is None:
            raise data.DataError(data.missing_message(args.name, args.data_dir))
        if not args.where:
            for split in data.SPLITS:
                n = len(data.load_split(folder, split).labels)
                print(f"{args.name} {split}: {n:,} images, checked")
    except data.DataError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
