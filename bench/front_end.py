"""The encoder as a front end: test accuracy of a linear classifier (logistic regression) trained on
10, 100, 1,000 and all 60,000 labelled MNIST training images, on every shipped MNIST encoder's codes,
the raw pixels and PCA of the same sizes (explorer/teaching/frontend.py; the figures the
/front-end lesson draws, from the same cache). Quality, not speed; the seconds each column took.

    python bench/front_end.py [--data-dir DIR] [--labels 10,100] [--record]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import record  # noqa: E402
from explorer import data  # noqa: E402
from explorer.baselines import pca  # noqa: E402
from explorer.bundles import catalog  # noqa: E402
from explorer.teaching import frontend  # noqa: E402


def encoders():
    """Every shipped MNIST bundle of all ten digits that encodes an image alone (as the lesson)."""
    out = []
    for name in sorted(catalog.list_pretrained()):
        m = catalog.load_model(name)
        if m.dataset == "mnist" and len(m.classes) == 10 and "labels" not in m.kind_info.offers:
            out.append(m)
    return out


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data-dir")
    p.add_argument("--labels", default=",".join(map(str, frontend.LABELS)))
    args, _ = p.parse_known_args(argv)
    train, test = data.load("mnist", "train", args.data_dir), data.load("mnist", "test", args.data_dir)
    models, reference = encoders(), pca.load("mnist")
    counts = [int(n) for n in args.labels.split(",")]
    table, took = {}, {}
    for n in counts:
        start = time.perf_counter()
        for probe in frontend.measure(models, reference, train, test, n,
                                      reference_version=catalog.file_version(pca.path_of("mnist"))):
            table.setdefault(probe.source, {})[n] = probe
        took[n] = time.perf_counter() - start
    print(f"{len(test.labels):,} MNIST test images; mean over {frontend.DRAWS} seeded draws of the labelled images "
          f"below the whole training split (spread: their standard deviation)\n")
    print("| features | numbers | " + " | ".join(f"{n:,} labels" for n in counts) + " |")
    print("|---|---|" + "---|" * len(counts))
    for source, row in sorted(table.items(), key=lambda kv: -kv[1][counts[0]].accuracy):
        cells = [f"{row[n].accuracy:.1%}" + (f" ± {row[n].spread:.1%}" if row[n].draws > 1 else "") for n in counts]
        print(f"| {source} | {row[counts[0]].features} | " + " | ".join(cells) + " |")
    print()
    for n in counts:
        print(frontend.summary([row[n] for row in table.values()], n))
    print("\nseconds per column (cached results are read, not measured again): "
          + ", ".join(f"{n:,}: {took[n]:.0f}" for n in counts))


if __name__ == "__main__":
    with record.run(__file__):
        main()
