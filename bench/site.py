"""The static site (ui/site.py): its size, and each model's map in headless Chromium from a local
static file server (targets: the folder of the default models <= 40 MB, a map drawn <= 1 s after
the page is asked for, hover p95 <= 16 ms).

    python bench/site.py [--models A,B,...] [--moves 100]

Writes the site (default: every shipped bundle) into a temporary folder, serves it with Python's
http.server, and for each model opens a fresh page at ?model=NAME: the time to its map drawn
([data-latent-map][data-drawn]), then ``--moves`` pointer moves over the map, each timed from the
event to the preview redrawn (data-preview rewritten). Last line: ``site_mb=.. models=..
drawn_p95_s=.. drawn_max_s=.. hover_p95_ms=..``.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import record  # noqa: E402

from tests import bigmap, browser  # noqa: E402
from ui import site  # noqa: E402

class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--models", default="")
    p.add_argument("--moves", type=int, default=100)
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "site"
        start = time.perf_counter()
        status = site.main(["--out", str(out), *(["--models", args.models] if args.models else [])])
        if status not in (0, 1):
            return status
        size = sum(f.stat().st_size for f in out.rglob("*") if f.is_file()) / 1e6
        print(f"site written in {time.perf_counter() - start:.0f} s: {size:.1f} MB", flush=True)
        import json

        names = [m["name"] for m in json.loads((out / "site.json").read_text())["models"]]
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(out)))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        drawn, hovers = [], []
        rng = np.random.default_rng(0)
        with browser.chromium() as b:
            for name in names:
                page = b.new_page(viewport={"width": 1400, "height": 900})
                start = time.perf_counter()
                page.goto(f"{url}index.html?model={name}")
                page.wait_for_selector("[data-latent-map][data-drawn]", timeout=60_000)
                drawn.append(time.perf_counter() - start)
                box = page.locator("[data-latent-map]").bounding_box()
                page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
                page.wait_for_selector("[data-preview]", timeout=10_000)
                bigmap.probe_hover(page)
                for _ in range(args.moves):
                    fx, fy = rng.uniform(0.05, 0.95, 2)
                    page.mouse.move(box["x"] + fx * box["width"], box["y"] + fy * box["height"])
                    time.sleep(0.02)
                hover = np.array(page.evaluate("() => window.__probe.hover"))
                hovers.extend(hover.tolist())
                print(f"{name}: drawn {drawn[-1]:.2f} s; hover p50 {np.percentile(hover, 50):.1f} ms, p95 "
                      f"{np.percentile(hover, 95):.1f} ms ({len(hover)} redraws)", flush=True)
                page.close()
        server.shutdown()
    print(f"site_mb={size:.1f} models={len(names)} drawn_p95_s={np.percentile(drawn, 95):.2f} "
          f"drawn_max_s={max(drawn):.2f} hover_p95_ms={np.percentile(hovers, 95):.1f}")
    return 0


if __name__ == "__main__":
    with record.run(__file__):
        status = main()
    sys.exit(status)
