"""How fast the decoder answers: one point (a click) and a 64-frame interpolation.

    python bench/decode.py [BUNDLE ...] [--repeats N] [--threads N]

Prints the median and 95th percentile wall time per call for every shipped bundle (or those
named), after a warm-up, on this machine's CPU.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import record  # noqa: E402
import explorer  # noqa: E402
from explorer.teaching.generate import interpolate  # noqa: E402


def timed(fn, repeats: int) -> tuple[float, float]:
    for _ in range(5):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    times.sort()
    return statistics.median(times) * 1e3, times[int(0.95 * (len(times) - 1))] * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("bundles", nargs="*")
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (the app's server uses 1 per click)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {args.threads} thread(s), {args.repeats} repeats; times in ms")
    print(f"{'bundle':22s} {'one point p50':>14s} {'p95':>7s} {'64-frame path p50':>18s} {'p95':>7s}")
    for name in args.bundles or explorer.list_pretrained():
        m = explorer.load_model(name)
        if "labels" in m.kind_info.offers:  # a conditional model decodes a code as one of its classes
            m = m.given(m.classes[0])
        z0, z1 = m.latents.codes[0], m.latents.codes[1]
        one = timed(lambda: m.decode(z0[None]), args.repeats)
        path = timed(lambda: m.decode(interpolate(z0, z1, np.linspace(0, 1, 64), "slerp")), args.repeats)
        print(f"{name:22s} {one[0]:14.3f} {one[1]:7.3f} {path[0]:18.3f} {path[1]:7.3f}")


if __name__ == "__main__":
    with record.run(__file__):
        main()
