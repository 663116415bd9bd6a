"""A map of many points, for the browser map's scale: a real model's test codes repeated with a
small jitter, written as the app writes a model's browser files, served by a local static file
server and mounted in a bare page as Streamlit mounts the map component. Shared by
tests/test_map_points.py and bench/scale.py (bench/site.py times hovers with probe_hover too)."""

from __future__ import annotations

import contextlib
import functools
import http.server
import threading
from pathlib import Path
from types import SimpleNamespace

import numpy as np

import explorer
from explorer import maps as projection
from explorer.teaching import figures
from ui import map_component

ASSETS = Path(__file__).resolve().parent.parent / "ui" / "latent_map"
PAGE = "<html><body style='margin:0'><div id=host style='width:900px'></div></body></html>"


def synthetic(name: str, map_name: str, n: int, seed: int = 0):
    """(the model ``name``, a stand-in for it whose test set is ``n`` points, the stand-in's map):
    each real code repeated, jittered by 2% of its spread, and the map's layout likewise."""
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


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@contextlib.contextmanager
def served(root: Path):
    """``root`` (with PAGE as its index.html) on a local static file server, as the app's files are
    served; its URL."""
    (root / "index.html").write_text(PAGE)
    handler = functools.partial(QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def probe_hover(page, shadow_host: str | None = None) -> None:
    """Time each hover from then on, as the benches do: the pointer event -> the preview redrawn
    (its data-preview rewritten), in ms, collected in window.__probe.hover. ``shadow_host``: the
    selector of the element whose shadow root holds the map (else the map is in the document)."""
    page.evaluate("""(host) => {
        const root = host ? document.querySelector(host).shadowRoot : document;
        const surface = root.querySelector('[data-latent-map]'), preview = root.querySelector('.lm-preview');
        const probe = window.__probe = {hover: []};
        let movedAt = null;
        surface.addEventListener('pointermove', () => { if (movedAt === null) movedAt = performance.now(); }, true);
        new MutationObserver(() => { if (movedAt !== null) { probe.hover.push(performance.now() - movedAt); movedAt = null; } })
            .observe(preview, {attributes: true, attributeFilter: ['data-preview']});
    }""", shadow_host)


def mount(page, origin: str, m, fake, mp, folder: str = "m/") -> list[float]:
    """The map component mounted on the stand-in's files (under ``folder`` of ``origin``); once it
    has drawn and a hover decodes: [ms to the points drawn, ms to the first hover decoded]."""
    page.goto(origin + "index.html")
    lo, hi = mp.view_box()
    data = {"url": folder, "model": fake.name, "map": mp.name, "size": 520, "box": [lo.tolist(), hi.tolist()],
            "colours": [figures.class_colour(c) for c in range(len(m.class_names))],
            "class_names": list(m.class_names), "classes": list(m.classes), "spot": None,
            "a": mp.xy[0].tolist(), "b": mp.xy[1].tolist(), "path": [mp.xy[0].tolist(), mp.xy[1].tolist()],
            "at": mp.xy[0].tolist(), "ringed": [],
            "walk": {"a": fake.latents.codes[0].tolist(), "b": fake.latents.codes[1].tolist(), "method": "lerp", "t": 0.5}}
    return page.evaluate("""async ([js, css, data]) => {
        const host = document.getElementById('host'), root = host.attachShadow({mode: 'open'});
        const style = document.createElement('style'); style.textContent = css; root.appendChild(style);
        const mount = document.createElement('div'); root.appendChild(mount);
        const mod = await import(URL.createObjectURL(new Blob([js], {type: 'text/javascript'})));
        const start = performance.now();
        mod.default({parentElement: mount, data, key: 'bench', setStateValue: () => {}, setTriggerValue: () => {}});
        const surface = root.querySelector('[data-latent-map]'), r = surface.getBoundingClientRect();
        let drawn = null;
        while (!root.querySelector('[data-preview]')) {  // loaded once a hover decodes
            if (surface.dataset.error) throw new Error(surface.dataset.error);
            if (drawn === null && surface.dataset.drawn) drawn = performance.now() - start;
            surface.dispatchEvent(new PointerEvent('pointermove', {clientX: r.left + r.width / 2, clientY: r.top + r.height / 2, bubbles: true}));
            await new Promise((resolve) => setTimeout(resolve, 10));
        }
        return [drawn ?? performance.now() - start, performance.now() - start];
    }""", [map_component.map_code(), (ASSETS / "style.css").read_text(), data])
