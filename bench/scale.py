"""The browser map at 100,000 points: hover still at display rate?

    python bench/scale.py [--points 100000] [--moves 200]

A synthetic map of N points (default 100,000, ten times a test set): each of a real model's
10,000 test codes repeated N/10,000 times with a small jitter, drawn by the real component
(ui/latent_map/, mounted in a bare page in headless Chromium, as Streamlit mounts it) on the
real decoder. Two cases: mnist-vae-2d on its latent plane (a hover decodes the spot, or shows the
test point under the pointer) and mnist-vae-16 on t-SNE (a hover also estimates the code from
the 10 nearest of the N points). Measured in the page with performance.now():
- hover: pointer event -> preview redrawn (data-preview rewritten), p50 and p95;
- redraw: every point drawn again (a zoom step; WebGL2's drawing waited for), p50 and p95;
- load: the model files fetched, inflated and the points first drawn.
``--draw canvas|webgl2`` forces what draws the points (by default the map's own choice: WebGL2 on a
graphics card, the canvas where WebGL is rendered in software, as in headless Chromium here).
Last line: ``points=.. drawn_by=.. hover_p95_ms=.. redraw_ms=.. redraw_p95_ms=.. drawn_s=..`` (the worse case of
the two).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import record  # noqa: E402
from explorer.bundles import webexport  # noqa: E402

from tests import bigmap, browser  # noqa: E402


def measure(page, origin: str, m, fake, mp, moves: int) -> dict:
    load_ms = bigmap.mount(page, origin, m, fake, mp)
    bigmap.probe_hover(page, "#host")
    box = page.locator("[data-latent-map]").bounding_box()
    rng = np.random.default_rng(1)
    for _ in range(moves):
        fx, fy = rng.uniform(0.05, 0.95, 2)
        page.mouse.move(box["x"] + fx * box["width"], box["y"] + fy * box["height"])
        time.sleep(0.02)
    hover = page.evaluate("() => window.__probe.hover")
    # a full redraw of every point: wheel steps (zoom), timed around the handler
    redraw = page.evaluate("""() => {
        const surface = document.getElementById('host').shadowRoot.querySelector('[data-latent-map]');
        const r = surface.getBoundingClientRect(), times = [];
        // WebGL2 draws after the handler returns: reading a pixel back waits for the drawing
        const glCanvas = surface.parentElement.querySelector('.lm-gl:not([hidden])');
        const gl = glCanvas && glCanvas.getContext('webgl2'), pixel = new Uint8Array(4);
        for (let i = 0; i < 20; i++) {
            const start = performance.now();
            surface.dispatchEvent(new WheelEvent('wheel', {clientX: r.left + r.width / 2, clientY: r.top + r.height / 2,
                deltaY: i % 2 ? 40 : -40, bubbles: true, cancelable: true}));
            if (gl) gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, pixel);
            times.push(performance.now() - start);
        }
        return [times, surface.dataset.points];
    }""")
    return {"hover": hover, "redraw": redraw[0], "drawn_by": redraw[1], "drawn": load_ms[0], "load": load_ms[1]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--moves", type=int, default=200)
    parser.add_argument("--draw", choices=("auto", "canvas", "webgl2"), default="auto",
                        help="what draws the points: the map's own choice (WebGL2 on a graphics card, the canvas "
                             "where WebGL is rendered in software, as here), or either forced")
    args = parser.parse_args()
    if browser.missing():
        sys.exit(f"cannot run: {browser.missing()}")
    worst = {"hover_p95_ms": 0.0, "redraw_ms": 0.0}
    for name, map_name in (("mnist-vae-2d", "direct"), ("mnist-vae-16", "tsne")):
        m, fake, mp = bigmap.synthetic(name, map_name, args.points)
        with tempfile.TemporaryDirectory() as tmp, browser.chromium_page() as page:
            if args.draw != "auto":
                page.add_init_script(f"globalThis.latentMapPoints = {json.dumps(args.draw)}")
            folder = webexport.write(fake, Path(tmp) / "m", [map_name])
            size = (folder / webexport.BINARY).stat().st_size / 1e6
            with bigmap.served(Path(tmp)) as origin:
                r = measure(page, origin, m, fake, mp, args.moves)
        hover, redraw = np.array(r["hover"]), np.array(r["redraw"])
        print(f"{name} ({map_name}), {args.points:,} points ({size:.1f} MB of model files): hover p50 "
              f"{np.percentile(hover, 50):.1f} ms, p95 {np.percentile(hover, 95):.1f} ms over {len(hover)} redraws; "
              f"all points redrawn by {'WebGL2' if r['drawn_by'] == 'webgl2' else 'the canvas'} in {np.median(redraw):.1f} ms (p50 of 20 zoom steps; p95 "
              f"{np.percentile(redraw, 95):.1f} ms); "
              f"points drawn {r['drawn']:.0f} ms and first hover {r['load']:.0f} ms after the mount")
        worst["hover_p95_ms"] = max(worst["hover_p95_ms"], float(np.percentile(hover, 95)))
        worst["redraw_ms"] = max(worst["redraw_ms"], float(np.median(redraw)))
        worst["redraw_p95_ms"] = max(worst.get("redraw_p95_ms", 0.0), float(np.percentile(redraw, 95)))
        worst["drawn_s"] = max(worst.get("drawn_s", 0.0), r["drawn"] / 1000)
    print(f"points={args.points} drawn_by={r['drawn_by']} hover_p95_ms={worst['hover_p95_ms']:.1f} "
          f"redraw_ms={worst['redraw_ms']:.1f} redraw_p95_ms={worst['redraw_p95_ms']:.1f} drawn_s={worst['drawn_s']:.2f}")


if __name__ == "__main__":
    with record.run(__file__):
        main()
