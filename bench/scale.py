"""The browser map at 100,000 points: hover still at display rate?

    python bench/scale.py [--points 100000] [--moves 200]

A synthetic map of N points (default 100,000, ten times a test set): each of a real model's
10,000 test codes repeated N/10,000 times with a small jitter, drawn by the real component
(ui/latent_map/, mounted in a bare page in headless Chromium, as Streamlit mounts it) on the
real decoder. Two cases: mnist-vae-2d on its latent plane (a hover decodes the spot, or shows the
test point under the pointer) and mnist-vae-16 on t-SNE (a hover also estimates the code from
the 10 nearest of the N points). Measured in the page with performance.now():
- hover: pointer event -> preview redrawn (data-preview rewritten), p50 and p95;
- redraw: every point drawn again (a zoom step), p50;
- load: the model files fetched, inflated and the points first drawn.
Last line: ``points=.. hover_p95_ms=.. redraw_ms=..`` (the worse case of the two).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import http.server
import sys
import tempfile
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import record  # noqa: E402
import explorer  # noqa: E402
from explorer.teaching import figures
from explorer import maps as projection
from explorer.bundles import webexport  # noqa: E402
from ui import map_component  # noqa: E402

from tests import browser  # noqa: E402

ASSETS = Path(__file__).resolve().parent.parent / "ui" / "latent_map"
PAGE = "<html><body style='margin:0'><div id=host style='width:900px'></div></body></html>"


def synthetic(name: str, map_name: str, n: int, seed: int = 0):
    """A stand-in for model ``name`` whose test set is ``n`` points: each real code repeated,
    jittered by 2% of its spread, and the map's layout likewise."""
    m = explorer.load_model(name)
    lat, mp = m.latents, m.map(map_name)
    rng = np.random.default_rng(seed)
    rows = np.arange(n) % len(lat.codes)
    codes = lat.codes[rows] + rng.normal(0, 0.02, (n, m.latent_dim)).astype(np.float32) * lat.codes.std(0)
    if map_name == "direct":
        big = projection.DirectMap(codes)
    else:
        xy = mp.xy[rows] + rng.normal(0, 0.02, (n, 2)).astype(np.float32) * mp.xy.std(0)
        big = projection.TSNEMap(codes, xy.astype(np.float32))
    fake = SimpleNamespace(name=f"{name}-x{n // len(lat.codes)}", latent_dim=m.latent_dim, net=m.net,
                           image_shape=m.image_shape, label=None,
                           latents=SimpleNamespace(codes=codes, labels=lat.labels[rows], index=np.arange(n),
                                                   recon_error=lat.recon_error[rows]),
                           map=lambda _: big)
    return m, fake, big


@contextlib.contextmanager
def served(root: Path):
    """``root`` on a local static file server (as the app's files are served), its URL."""
    handler = functools.partial(QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def measure(page, origin: str, m, fake, mp, moves: int) -> dict:
    page.goto(origin + "index.html")
    lo, hi = mp.view_box()
    data = {"url": "m/", "model": fake.name, "map": mp.name, "size": 520, "box": [lo.tolist(), hi.tolist()],
            "colours": [figures.class_colour(c) for c in range(len(m.class_names))],
            "class_names": list(m.class_names), "classes": list(m.classes), "spot": None,
            "a": mp.xy[0].tolist(), "b": mp.xy[1].tolist(), "path": [mp.xy[0].tolist(), mp.xy[1].tolist()],
            "at": mp.xy[0].tolist(), "ringed": [],
            "walk": {"a": fake.latents.codes[0].tolist(), "b": fake.latents.codes[1].tolist(), "method": "lerp", "t": 0.5}}
    js = map_component.map_code()
    load_ms = page.evaluate("""async ([js, css, data]) => {
        const host = document.getElementById('host'), root = host.attachShadow({mode: 'open'});
        const style = document.createElement('style'); style.textContent = css; root.appendChild(style);
        const mount = document.createElement('div'); root.appendChild(mount);
        const mod = await import(URL.createObjectURL(new Blob([js], {type: 'text/javascript'})));
        const start = performance.now();
        mod.default({parentElement: mount, data, key: 'bench', setStateValue: () => {}, setTriggerValue: () => {}});
        const surface = root.querySelector('[data-latent-map]'), r = surface.getBoundingClientRect();
        let drawn = null;
        while (!root.querySelector('[data-preview]')) {  // loaded once a hover decodes
            if (drawn === null && surface.dataset.drawn) drawn = performance.now() - start;
            surface.dispatchEvent(new PointerEvent('pointermove', {clientX: r.left + r.width / 2, clientY: r.top + r.height / 2, bubbles: true}));
            await new Promise((resolve) => setTimeout(resolve, 10));
        }
        return [drawn ?? performance.now() - start, performance.now() - start];
    }""", [js, (ASSETS / "style.css").read_text(), data])
    page.evaluate("""() => {
        const root = document.getElementById('host').shadowRoot;
        const surface = root.querySelector('[data-latent-map]'), preview = root.querySelector('[data-preview]');
        const probe = window.__probe = {hover: []};
        let movedAt = null;
        surface.addEventListener('pointermove', () => { if (movedAt === null) movedAt = performance.now(); }, true);
        new MutationObserver(() => { if (movedAt !== null) { probe.hover.push(performance.now() - movedAt); movedAt = null; } })
            .observe(preview, {attributes: true, attributeFilter: ['data-preview']});
    }""")
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
        for (let i = 0; i < 10; i++) {
            const start = performance.now();
            surface.dispatchEvent(new WheelEvent('wheel', {clientX: r.left + r.width / 2, clientY: r.top + r.height / 2,
                deltaY: i % 2 ? 40 : -40, bubbles: true, cancelable: true}));
            times.push(performance.now() - start);
        }
        return times;
    }""")
    return {"hover": hover, "redraw": redraw, "drawn": load_ms[0], "load": load_ms[1]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--moves", type=int, default=200)
    args = parser.parse_args()
    if browser.missing():
        sys.exit(f"cannot run: {browser.missing()}")
    worst = {"hover_p95_ms": 0.0, "redraw_ms": 0.0}
    for name, map_name in (("mnist-vae-2d", "direct"), ("mnist-vae-16", "tsne")):
        m, fake, mp = synthetic(name, map_name, args.points)
        with tempfile.TemporaryDirectory() as tmp, browser.chromium_page() as page:
            folder = webexport.write(fake, Path(tmp) / "m", [map_name])
            (Path(tmp) / "index.html").write_text(PAGE)
            size = (folder / webexport.BINARY).stat().st_size / 1e6
            with served(Path(tmp)) as origin:
                r = measure(page, origin, m, fake, mp, args.moves)
        hover, redraw = np.array(r["hover"]), np.array(r["redraw"])
        print(f"{name} ({map_name}), {args.points:,} points ({size:.1f} MB of model files): hover p50 "
              f"{np.percentile(hover, 50):.1f} ms, p95 {np.percentile(hover, 95):.1f} ms over {len(hover)} redraws; "
              f"all points redrawn in {np.median(redraw):.1f} ms (median of 10 zoom steps); "
              f"points drawn {r['drawn']:.0f} ms and first hover {r['load']:.0f} ms after the mount")
        worst["hover_p95_ms"] = max(worst["hover_p95_ms"], float(np.percentile(hover, 95)))
        worst["redraw_ms"] = max(worst["redraw_ms"], float(np.median(redraw)))
    print(f"points={args.points} hover_p95_ms={worst['hover_p95_ms']:.1f} redraw_ms={worst['redraw_ms']:.1f}")


if __name__ == "__main__":
    with record.run(__file__):
        main()
