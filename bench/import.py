"""How long importing an ONNX autoencoder takes on MNIST's 10,000 test images (targets
<= 30 s with the t-SNE map, <= 5 s without it), stage by stage.

    python bench/import.py [NAME ...]     # shipped bundles, exported to ONNX first (default below)
    python bench/import.py --own N        # an .npz of N images of one's own (up to 1,000,000)

Each bundle is exported with explorer.onnx.exporter, then imported as explorer.onnx.importer does:
the files checked and read (what they are), the test images encoded, the t-SNE map, the metrics.
Prints one line per model and stage, and ``total_with_tsne_s=.. total_without_tsne_s=..``;
then the import command itself, run once without t-SNE on the slowest model:
``command_without_tsne_s=..`` (what the command reports, from its start to the bundle written)
and ``command_wall_s=..`` (the process, Python's start and imports included).

``--own N``: mnist-ae-2d exported to ONNX and imported by the command on an .npz of N images of
one's own (MNIST's 70,000 training and test digits, then the same shifted by 1-2 pixels, as many
as asked), with its t-SNE where N is at most the layout limit (100,000); then the bundle opened and
the explore page's first run on it (AppTest). Last line: ``own_images=.. import_s=.. import_peak_mb=..
bundle_mb=.. open_s=.. first_page_s=..``.
"""

from __future__ import annotations

import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import record  # noqa: E402

import numpy as np  # noqa: E402
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


def shifted_digits(n: int) -> tuple[np.ndarray, np.ndarray]:
    """n MNIST digits: the 70,000 training and test images, then the same shifted by 1-2 pixels."""
    splits = [data.load("mnist", split) for split in ("train", "test")]
    images = np.concatenate([s.images for s in splits])
    labels = np.concatenate([s.labels for s in splits])
    out_images, out_labels, done = np.zeros((n, 28, 28), np.uint8), np.zeros(n, np.uint8), 0
    for dy, dx in [(dy, dx) for dy in (0, -2, 2, -1, 1) for dx in (0, -2, 2, -1, 1)]:
        k = min(len(images), n - done)
        if k <= 0:
            break
        shifted = np.roll(images[:k], (dy, dx), axis=(1, 2))  # MNIST keeps a blank border: little wraps round
        out_images[done:done + k], out_labels[done:done + k] = shifted, labels[:k]
        done += k
    return out_images, out_labels


def own(n: int) -> int:
    from streamlit.testing.v1 import AppTest

    with tempfile.TemporaryDirectory() as tmp:
        images, labels = shifted_digits(n)
        np.savez(f"{tmp}/mine.npz", images=images, labels=labels)
        del images
        onnx_export.main(["mnist-ae-2d", "--out", f"{tmp}/onnx"])
        cmd = [sys.executable, "-m", "explorer.onnx.importer", "--encoder", f"{tmp}/onnx/encoder.onnx",
               "--decoder", f"{tmp}/onnx/decoder.onnx", "--data", f"{tmp}/mine.npz", "--out", f"{tmp}/models/mine",
               "--threads", str(THREADS)] + (["--skip-tsne"] if n > 100_000 else [])
        start = time.perf_counter()
        done = subprocess.run(cmd, capture_output=True, text=True, cwd=Path(__file__).resolve().parent.parent)
        seconds = time.perf_counter() - start
        if done.returncode != 0:
            print(f"the import failed: {done.stderr[-500:]}")
            return 1
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        size = sum(f.stat().st_size for f in Path(f"{tmp}/models/mine").iterdir()) / 1e6
        wrote = [line for line in done.stdout.splitlines() if line.startswith("wrote ")]
        print(f"{n:,} images imported in {seconds:.0f} s (peak {peak:.0f} MB; {size:.0f} MB written): "
              f"{wrote[-1] if wrote else done.stdout.strip()[-200:]}", flush=True)
        start = time.perf_counter()
        m = catalog.open_bundle(Path(f"{tmp}/models/mine"))
        opened = time.perf_counter() - start
        sys.argv = ["app.py", "--models-dir", f"{tmp}/models"]
        at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "app.py"), default_timeout=900)
        at.query_params["model"] = "mine"
        start = time.perf_counter()
        at.run()
        page = time.perf_counter() - start
        problems = [e.message for e in at.exception] + [e.value for e in at.error]
        print(f"opened in {opened:.1f} s ({len(m.latents.codes):,} codes; maps {m.available_maps()}); the explore "
              f"page's first run {page:.1f} s{'; ' + '; '.join(problems)[:300] if problems else ''}", flush=True)
        drawn, rss = in_browser(f"{tmp}/models")
        print(f"in Chromium, a server started, ?model=mine: map drawn {drawn[0]:.1f} s (the server's first run of "
              f"it), then {drawn[1]:.1f} s (a warm server, a new browser); server memory {rss:.0f} MB", flush=True)
        print(f"own_images={n} import_s={seconds:.0f} import_peak_mb={peak:.0f} bundle_mb={size:.0f} "
              f"open_s={opened:.1f} first_page_s={page:.1f} browser_first_s={drawn[0]:.1f} "
              f"browser_warm_s={drawn[1]:.1f} server_mb={rss:.0f}")
        return 1 if problems else 0


def in_browser(models_dir: str) -> tuple[list[float], float]:
    """A server offering ``models_dir`` and a fresh browser opening ?model=mine twice: seconds to the
    map drawn each time, and the server's resident memory after."""
    from tests import browser

    drawn = []
    with browser.streamlit_process({"EXPLORER_MODELS_DIR": models_dir}, timeout=120) as (url, proc), \
            browser.chromium() as b:
        for _ in range(2):
            context = b.new_context(viewport={"width": 1400, "height": 900})
            page = context.new_page()
            start = time.perf_counter()
            page.goto(f"{url}/?model=mine")
            page.wait_for_selector("[data-latent-map][data-drawn]", timeout=600_000)
            drawn.append(time.perf_counter() - start)
            context.close()
        rss = next(int(line.split()[1]) for line in Path(f"/proc/{proc.pid}/status").read_text().splitlines()
                   if line.startswith("VmRSS")) / 1024
    return drawn, rss


if __name__ == "__main__":
    with record.run(__file__):
        if sys.argv[1:2] == ["--own"]:
            status = own(int(sys.argv[2]))
        else:
            status = main(sys.argv[1:] or DEFAULT)
    sys.exit(status)
