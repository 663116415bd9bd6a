"""Bytes per image: the shipped autoencoders' codes (8 and 16 bits a number) against JPEG and WebP
at the byte budgets that fit them, and PNG (lossless), on the first 1,000 MNIST test images
(explorer/teaching/compression.py). Quality, not speed: mean bytes, MSE per pixel and PSNR.

    python bench/compression.py [--data-dir DIR] [--record]

The decoder's weights (2-5 MB, shared by every image) are not counted, nor a format's own
tables; a 28x28 JPEG is mostly its headers.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import record  # noqa: E402
from explorer import data  # noqa: E402
from explorer.bundles import catalog  # noqa: E402
from explorer.teaching import compression  # noqa: E402

MODELS = ("mnist-ae-2", "mnist-ae-16", "mnist-ae-32", "mnist-vae-16", "mnist-conv-ae-16", "mnist-vq-vae")
N = 1000


def row(c) -> str:
    quality = f" (quality {c.quality.min()}-{c.quality.max()})" if c.quality is not None else ""
    return f"| {c.way}{quality} | {c.mean_bytes:.1f} | {c.mean_mse:.4f} | {c.psnr:.1f} |"


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data-dir")
    args, _ = p.parse_known_args(argv)
    images = data.load("mnist", "test", args.data_dir).images[:N]
    print(f"{N:,} MNIST test images; bytes per image, mean over them\n")
    print("| stored as | bytes | MSE per pixel | PSNR dB |\n|---|---|---|---|")
    for name in MODELS:
        model = catalog.load_model(name)
        if "codebook" in model.kind_info.offers:  # its grid of entries
            print(row(compression.by_indices(model, images)).replace("| ", f"| {name}: ", 1))
            continue
        for bits in compression.BITS:
            print(row(compression.by_code(model, images, bits)).replace("| ", f"| {name}: ", 1))
    for fmt in compression.FORMATS:
        least = compression.smallest(images, fmt)
        for budget in (least, 2 * least):
            print(row(compression.by_format(images, fmt, budget)).replace("| ", f"| budget {budget}: ", 1))
    print(row(compression.lossless(images)))


if __name__ == "__main__":
    with record.run(__file__):
        main()
