"""What measuring the pages' claims costs (explorer/teaching/facts.py), once per model and process: the
generation figures of each 2-D plane (1,600 decodes on its frame and 2,000 random codes, all read by
the classifier), random codes for the other models, and a map's neighbour agreement.

    python bench/facts.py

Prints one line per model: the time of each measure (ms, the best of 3 runs) and the figures.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import record  # noqa: E402
from explorer.bundles import catalog
from explorer.baselines import classifier
from explorer.teaching import facts  # noqa: E402


def best_ms(fn, runs: int = 3):
    times, out = [], None
    for _ in range(runs):
        start = time.perf_counter()
        out = fn()
        times.append((time.perf_counter() - start) * 1e3)
    return min(times), out


def main() -> None:
    torch.set_num_threads(2)
    worst = 0.0
    for name, path in catalog.find_bundles().items():
        model = catalog.load_model(path)
        if "labels" in model.kind_info.offers:  # a conditional model decodes a code as one of its classes
            model = model.given(model.classes[0])
        clf = classifier.load(model.dataset)
        if clf is None:
            continue
        if model.latent_dim == 2:
            t, g = best_ms(lambda: facts.generation(model, clf, model.map("direct")))
            tc, c = best_ms(lambda: facts.clusters(model.map("direct").xy, model.latents.labels, model.class_names))
            print(f"{name}: generation {t:.0f} ms (framed {g.framed:.0%}, between {g.between:.0%}, "
                  f"sampled {g.sampling.readable:.0%}), clusters {tc:.0f} ms (agreement {c.agreement:.0%})")
        else:
            t, s = best_ms(lambda: facts.sampling(model, clf))
            print(f"{name}: sampling {t:.0f} ms (readable {s.readable:.0%}, evenness {s.balance:.2f})")
        worst = max(worst, t)
    print(f"slowest measure per model: {worst:.0f} ms")


if __name__ == "__main__":
    with record.run(__file__):
        main()
