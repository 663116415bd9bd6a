"""Decoding in the browser: how long ui/latent_map/decoder.js takes in headless Chromium to turn
a map point into an image, per shipped model and map, and how far its images are from the
library's.

    python bench/browser_decode.py [--points 200]

Times are measured inside the page with performance.now() (map point -> latent vector -> image),
after 20 warm-up decodes; "worst" is the largest per-pixel difference from explorer's decode of
the same points, in 1/255 steps. Needs Chromium and Playwright.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import record  # noqa: E402
import explorer  # noqa: E402
from explorer.bundles import webexport  # noqa: E402
from tests import browser  # noqa: E402
from tests.test_webexport import DECODER_JS, ORIGIN, random_points  # noqa: E402

TIMED = """([name, points]) => {
    const m = window.model, times = [], images = [];
    for (let i = 0; i < 20; i++) m.decode(m.toLatent(name, points[0][0], points[0][1]));
    for (const [x, y] of points) {
        const t = performance.now();
        const image = m.decode(m.toLatent(name, x, y));
        times.push(performance.now() - t);
        images.push(Array.from(image));
    }
    return [times, images];
}"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--points", type=int, default=200)
    args = parser.parse_args()
    if browser.missing():
        sys.exit(f"cannot run: {browser.missing()}")
    import tempfile

    print(f"{'bundle':22s} {'map':7s} {'params':>9s} {'p50 ms':>7s} {'p95 ms':>7s} {'worst /255':>10s}")
    with tempfile.TemporaryDirectory() as tmp, browser.chromium_page() as page:
        files: dict[str, bytes] = {}
        page.route(ORIGIN + "**", lambda route: route.fulfill(status=200, body=files.get(route.request.url[len(ORIGIN):], b"")))
        page.route(ORIGIN, lambda route: route.fulfill(status=200, body="<html></html>", content_type="text/html"))
        page.goto(ORIGIN)
        page.add_script_tag(content=DECODER_JS.read_text())
        for name in explorer.list_pretrained():
            m = explorer.load_model(name)
            folder = webexport.write(m, Path(tmp) / name)
            files.clear()
            files.update({f.name: f.read_bytes() for f in folder.iterdir()})
            page.evaluate("async () => { window.model = await LatentDecoder.load('/'); }")
            params = sum(p.numel() for p in m.net.decoder.parameters())
            for method in m.open_maps():
                mp = m.map(method)
                points = random_points(mp, args.points)
                times, images = page.evaluate(TIMED, [method, points.tolist()])
                worst = np.abs(np.array(images, np.float32).reshape(-1, 28, 28) - m.decode(mp.to_latent(points))).max()
                t = np.array(times)
                print(f"{name:22s} {method:7s} {params:9,d} {np.percentile(t, 50):7.2f} {np.percentile(t, 95):7.2f} "
                      f"{worst * 255:10.2f}")


if __name__ == "__main__":
    with record.run(__file__):
        main()
