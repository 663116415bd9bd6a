"""Find a dataset, or download it if it is not found: `python -m explorer.fetch mnist`.

Prints the folder it uses; `--where` only looks. A dataset already here is checked and never
downloaded again. Exit status 2, with instructions, when the dataset is neither found nor
downloadable (no network), unless `--optional`: then it says so and exits 0, so that
`python -m explorer.fetch mnist --optional && python -m ui.serve` starts the app offline too (the
app runs from the shipped models and shows the dataset's own images once it finds them). A copy
that is found but damaged is an error either way (exit status 2, naming the file).
"""

from __future__ import annotations

import argparse
import sys

from explorer import data


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m explorer.fetch", description=__doc__.split("\n")[0])
    parser.add_argument("name", choices=sorted(data.DATASETS))
    parser.add_argument("--data-dir", help=f"folder holding mnist/ and fashion-mnist/ (else ${data.ENV_VAR})")
    parser.add_argument("--where", action="store_true", help="only say where it is; never download")
    parser.add_argument("--optional", action="store_true",
                        help="a dataset neither found nor downloadable is not an error: say so and exit 0")
    args = parser.parse_args(argv)
    try:
        folder = data.find_dataset(args.name, args.data_dir)
        if folder is None and not args.where:
            print(f"{args.name} not found locally; downloading into {data.cache_dir() / args.name}")
            try:
                folder = data.download(args.name)
            except data.DataError as e:
                if not args.optional:
                    raise
                return without(args.name, str(e))
        if folder is None:
            if args.optional:
                return without(args.name, data.missing_message(args.name, args.data_dir))
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


def without(name: str, why: str) -> int:
    """``--optional``'s answer to a dataset that cannot be had: why, what runs without it, and 0."""
    print(f"note: {why.rstrip()}", file=sys.stderr)
    print(f"Continuing without {name} (--optional): the app runs from the models in pretrained/ and shows "
          "the dataset's own images once it finds them; run it again when online to download it.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
