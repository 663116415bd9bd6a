"""How long importing an ONNX autoencoder takes on MNIST's 10,000 test images (targets
<= 30 s with the t-SNE map, <= 5 s without it), stage by stage.

    python bench/import.py [NAME ...]     # shipped bundles, exported to ONNX first (default below)

Each bundle is exported with explorer.onnx.exporter, then imported as explorer.onnx.importer does:
the files checked and read (what they are), the test images encoded, the t-SNE map, the metrics.
Prints one line per model and stage, and ``total_with_tsne_s=.. total_without_tsne_s=..``;
then the import command itself, run once without t-SNE on the slowest model:
``command_without_tsne_s=..`` (what the command reports, from its start to the bundle written)
and ``command_wall_s=..`` (the process, Python's start and imports included).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import record  # noqa: E402

import torch  # noqa: E402

from explorer.bundles import catalog, metrics
from explorer import data, maps as projection
from explorer.onnx import exporter as onnx_export, importer as onnx_import  # noqa: E402
from explorer.bundles.bundle import Model  # noqa: E402

DEFAULT = ["mnist-vae-16", "mnist-conv-vae-16", "mnist-ae-2d"]
THREADS = max(1, min(4, os.cpu_count() or 1))  # the import command's default --threads


def measure(name: str) -> dict[str, float]:
    files = onnx_export.export(catalog.load_model(name))
    metrics._PCA_FITS.clear()  # each model as if imported alone (the import command's own process)
    times = {}
    start = time.perf_counter()
    test = data.load("mnist", "test")
    train = data.load("mnist", "train")
    times["read data"] = time.perf_counter() - start
    t = time.perf_counter()
    net = onnx_import.build_net(files["encoder.onnx"], files["decoder.onnx"], test, threads=THREADS)
    times["check and read the files"] = time.perf_counter() - t
    model = Model(net, {"dataset": "mnist", "classes": list(range(10)), "metrics": {}}, None, None)
    t = time.perf_counter()
    model.latents, losses = metrics.latents_and_losses(model, test, list(range(len(test.images))))
    times["encode, decode and losses"] = time.perf_counter() - t
    t = time.perf_counter()
    metrics.evaluate(model, test, train, full_test=test, denoising=False,  # as onnx_import does
                     reference=onnx_import._shipped_pca("mnist", list(range(10))), losses=losses)
    times["metrics"] = time.perf_counter() - t
    t = time.perf_counter()
    if "tsne" in projection.available(model.latent_dim):
        model.latents = projection.with_stored_maps(model.latents, recompute=True)
    times["t-SNE"] = time.perf_counter() - t
    return times


def main(names) -> int:
    torch.set_num_threads(THREADS)
    worst_with, worst_without = 0.0, 0.0
    for name in names:
        times = measure(name)
        for stage, s in times.items():
            print(f"{name}: {stage:28s} {s:6.2f} s")
        total = sum(times.values())
        without = total - times["t-SNE"]
        print(f"{name}: import_with_tsne_s={total:.1f} import_without_tsne_s={without:.1f}", flush=True)
        worst_with, worst_without = max(worst_with, total), max(worst_without, without)
    print(f"total_with_tsne_s={worst_with:.1f} total_without_tsne_s={worst_without:.1f} (the slowest model; "
          f"targets 30 and 5)", flush=True)
    slowest = "mnist-conv-vae-16" if "mnist-conv-vae-16" in names else names[0]
    with tempfile.TemporaryDirectory() as tmp:
        onnx_export.main([slowest, "--out", f"{tmp}/onnx"])
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "explorer.onnx.importer", "--encoder", f"{tmp}/onnx/encoder.onnx",
                               "--decoder", f"{tmp}/onnx/decoder.onnx", "--data", "mnist", "--out", f"{tmp}/bundle",
                               "--skip-tsne"], capture_output=True, text=True, cwd=Path(__file__).resolve().parent.parent)
        wall = time.perf_counter() - start
    said = re.search(r"wrote .* in ([0-9.]+) s", done.stdout)
    if done.returncode != 0 or said is None:
        print(f"the import command failed: {done.stderr[-500:]}")
        return 1
    print(f"{slowest}: command_without_tsne_s={float(said.group(1)):.1f} command_wall_s={wall:.1f}")
    return 0


if __name__ == "__main__":
    with record.run(__file__):
        status = main(sys.argv[1:] or DEFAULT)
    sys.exit(status)
