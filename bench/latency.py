"""Latency of the browser-drawn latent map (?renderer=canvas) in headless Chromium, measured inside
the page with performance.now().

    python bench/latency.py [--moves 200] [--clicks 20]

For mnist-vae-2d (latent plane), mnist-vae-16, mnist-conv-vae-16, mnist-seq-ae-16 (a GRU decoder's 28
steps) and mnist-vq-vae (its grid snapped to the codebook) on their t-SNE maps (``--cases`` picks
some, as model:map,...):
- hover: pointer event -> preview redrawn (its data-preview rewritten), and the websocket frames
  the page sent while only hovering;
- click: pointer up -> the clicked spot's image shown (data-spot), and the bytes the server sent
  back for the click's rerun;
- scrub: the walk's slider dragged end to end, input event -> that frame shown (data-frame);
- cold start: a fresh browser (nothing cached) opening the page -> the map decoding under the
  pointer; switch: choosing another model -> its map decoding under the pointer. Both timed by
  the page's own clock. The server is started once and its first page (Python importing torch,
  the first bundle loading) is timed apart, as server_first_page_s: a class's first student pays
  it once, the others never.

Then the same for imported models (targets hover p95 <= 16 ms, click p50 <= 50 ms): an
MLP and a conv decoder, our mnist-vae-2d and mnist-conv-vae-16 exported to ONNX and imported with
``python -m explorer.onnx_import`` (so what the browser runs is the translated ONNX graph), their
figures printed as ``imported_hover_p95_ms=.. imported_click_p50_ms=..`` (``--no-imported`` skips them).

The last line is
``hover_p95_ms=.. click_p50_ms=.. click_p95_ms=.. scrub_p95_ms=.. cold_start_s=.. switch_s=.. ws_kb_per_click=..``
(the worst model's figure for each). Needs Chromium and Playwright.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import record  # noqa: E402
from tests import browser  # noqa: E402

CASES = [("mnist-vae-2d", "direct"), ("mnist-vae-16", "tsne"), ("mnist-conv-vae-16", "tsne"),
         ("mnist-seq-ae-16", "tsne"), ("mnist-vq-vae", "tsne")]  # the last two: a GRU's 28 steps, a codebook
IMPORTED = [("mnist-vae-2d", "imported-mlp-vae-2d", "direct"), ("mnist-conv-vae-16", "imported-conv-vae-16", "pca")]


def import_cases(folder: Path) -> list[tuple[str, str]]:
    """IMPORTED, exported and imported into ``folder``: (bundle name, map) of each."""
    import subprocess
    import tempfile

    cases = []
    for shipped, name, map_name in IMPORTED:
        files = Path(tempfile.mkdtemp(dir=folder, prefix=".onnx-"))
        for cmd in (["explorer.onnx.exporter", shipped, "--out", str(files)],
                    ["explorer.onnx.importer", "--encoder", str(files / "encoder.onnx"), "--decoder",
                     str(files / "decoder.onnx"), "--data", "mnist", "--out", str(folder / name), "--skip-tsne"]):
            done = subprocess.run([sys.executable, "-m", *cmd], capture_output=True, text=True,
                                  cwd=Path(__file__).resolve().parent.parent)
            if done.returncode:
                sys.exit(f"cannot prepare {name}: {done.stderr.strip()}")
        cases.append((name, map_name))
    return cases

# Installs listeners inside the page that time each pointer event to the redraw it causes.
PROBE = """() => {
    const host = [...document.querySelectorAll('*')].find((e) => e.shadowRoot && e.shadowRoot.querySelector('[data-latent-map]'));
    const root = host ? host.shadowRoot : document;
    const surface = root.querySelector('[data-latent-map]');
    const preview = root.querySelector('[data-preview]') || root.querySelector('.lm-preview');
    const spot = root.querySelector('.lm-spot');
    const scrub = root.querySelector('[data-scrub]'), frame = root.querySelector('.lm-frame');
    const probe = window.__probe = {hover: [], click: [], scrub: []};
    let movedAt = null, upAt = null, scrubAt = null;
    scrub.addEventListener('input', () => { if (scrubAt === null) scrubAt = performance.now(); }, true);
    new MutationObserver(() => {
        if (scrubAt !== null) { probe.scrub.push(performance.now() - scrubAt); scrubAt = null; }
    }).observe(frame, {attributes: true, attributeFilter: ['data-frame']});
    surface.addEventListener('pointermove', () => { if (movedAt === null) movedAt = performance.now(); }, true);
    surface.addEventListener('pointerup', () => { upAt = performance.now(); }, true);
    new MutationObserver(() => {
        if (movedAt !== null) { probe.hover.push(performance.now() - movedAt); movedAt = null; }
    }).observe(preview, {attributes: true, attributeFilter: ['data-preview']});
    new MutationObserver(() => {
        if (upAt !== null) { probe.click.push(performance.now() - upAt); upAt = null; }
    }).observe(spot, {attributes: true, attributeFilter: ['data-spot']});
}"""


def pct(values, q):
    return float(np.percentile(values, q)) if len(values) else float("nan")


# Resolves, inside the page, at the performance.now() when the map of `want` ("model/map", or a
# prefix of it) first
# decodes under the pointer: every animation frame it moves a pointer to the map's centre and looks
# for the preview. Measured in the page, so the figure has no Playwright round trips in it.
MAP_READY = """(want) => new Promise((resolve) => {
    const tick = () => {
        for (const host of document.querySelectorAll('.stElementContainer *')) {
            const root = host.shadowRoot;
            const surface = root && root.querySelector(`[data-latent-map^="${want}"]`);
            if (!surface) continue;
            if (root.querySelector('[data-preview]')) return resolve(performance.now());
            const r = surface.getBoundingClientRect();
            surface.dispatchEvent(new PointerEvent('pointermove', {clientX: r.left + r.width / 2,
                clientY: r.top + r.height / 2 + Math.random(), pointerId: 1, bubbles: true}));
        }
        requestAnimationFrame(tick);
    };
    tick();
})"""


def open_cold(page, url, model, map_name) -> float:
    """Open the page in ``page`` (a fresh browser: nothing cached); seconds from navigation
    start to the map decoding under the pointer, by the page's own clock."""
    page.goto(f"{url}/?model={model}&map={map_name}&renderer=canvas", wait_until="commit")
    return page.evaluate(MAP_READY, f"{model}/{map_name}") / 1000


def switch_model(page, other: str) -> float:
    """Choose ``other`` in the sidebar; seconds from the choice (the pointer going down on its
    option) to its map decoding under the pointer, by the page's clock."""
    page.get_by_test_id("stSidebar").get_by_role("combobox").first.click()
    option = page.get_by_role("option", name=re.compile("^" + re.escape(other) + ":"))  # "name: what it is"
    option.wait_for()
    page.evaluate("""() => document.addEventListener('pointerdown', () => { window.__chosenAt = performance.now(); },
                                                    {capture: true, once: true})""")
    option.click()
    ready = page.evaluate(MAP_READY, f"{other}/")
    return (ready - page.evaluate("() => window.__chosenAt")) / 1000


def measure(page, url, model, map_name, moves, clicks):
    sent, received = [], []
    page.on("websocket", lambda ws: (ws.on("framesent", lambda p: sent.append(len(p))),
                                     ws.on("framereceived", lambda p: received.append(len(p)))))
    cold = open_cold(page, url, model, map_name)
    box = page.locator("[data-latent-map]").bounding_box()
    browser.wait_idle(page)
    page.evaluate(PROBE)
    rng = np.random.default_rng(0)
    before = len(sent)
    for _ in range(moves):
        fx, fy = rng.uniform(0.05, 0.95, 2)
        page.mouse.move(box["x"] + fx * box["width"], box["y"] + fy * box["height"])
        time.sleep(0.02)
    hover_frames = len(sent) - before
    kb = []
    for _ in range(clicks):
        fx, fy = rng.uniform(0.1, 0.9, 2)
        page.mouse.move(box["x"] + fx * box["width"], box["y"] + fy * box["height"])
        time.sleep(0.05)
        mark = sum(received)
        page.mouse.down()
        page.mouse.up()
        time.sleep(0.1)
        browser.wait_idle(page)
        kb.append((sum(received) - mark) / 1024)
    # scrub: drag the walk's slider end to end in 50 steps, then let go
    sbox = page.locator("[data-scrub]").bounding_box()
    y = sbox["y"] + sbox["height"] / 2
    page.mouse.move(sbox["x"] + 4, y)
    page.mouse.down()
    for i in range(1, 51):
        page.mouse.move(sbox["x"] + 4 + i * (sbox["width"] - 8) / 50, y)
        time.sleep(0.02)
    page.mouse.up()
    browser.wait_idle(page)
    probe = page.evaluate("() => window.__probe")
    # switch: another model from the sidebar, until its map has decoded under the pointer
    switch = switch_model(page, "mnist-ae-16" if model != "mnist-ae-16" else "mnist-vae-16")
    return {"hover": probe["hover"], "click": probe["click"], "scrub": probe["scrub"], "hover_frames": hover_frames, "kb": kb,
            "cold": cold, "switch": switch}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--moves", type=int, default=200)
    parser.add_argument("--clicks", type=int, default=20)
    parser.add_argument("--no-imported", action="store_true", help="skip the imported models")
    parser.add_argument("--cases", help="model:map,... to measure (default: every case above)")
    args = parser.parse_args()
    cases = [tuple(c.split(":", 1)) for c in args.cases.split(",")] if args.cases else CASES
    if browser.missing():
        sys.exit(f"cannot run: {browser.missing()}")
    import os
    import tempfile

    worst, worst_imported = {}, {}
    folder = Path(tempfile.mkdtemp(prefix="latency-imported-"))
    imported = [] if args.no_imported else import_cases(folder)
    with browser.streamlit_server({"EXPLORER_MODELS_DIR": os.pathsep.join(
            [str(folder), *filter(None, [os.environ.get("EXPLORER_MODELS_DIR")])])}) as url:
        with browser.chromium_page() as page:
            first = open_cold(page, url, *cases[0])
        print(f"server's first page (imports, bundle loading): {first:.2f} s")
        for model, map_name in cases + imported:
            with browser.chromium_page() as page:
                r = measure(page, url, model, map_name, args.moves, args.clicks)
            figures = {"hover_p95_ms": pct(r["hover"], 95), "click_p50_ms": pct(r["click"], 50),
                       "scrub_p95_ms": pct(r["scrub"], 95),
                       "click_p95_ms": pct(r["click"], 95), "cold_start_s": r["cold"], "switch_s": r["switch"],
                       "ws_kb_per_click": float(np.median(r["kb"]))}
            print(f"{model} ({map_name}): hover p50 {pct(r['hover'], 50):.1f} ms, p95 {figures['hover_p95_ms']:.1f} ms "
                  f"over {len(r['hover'])} redraws, {r['hover_frames']} websocket frames sent while hovering; "
                  f"click p50 {figures['click_p50_ms']:.1f} ms, p95 {figures['click_p95_ms']:.1f} ms; "
                  f"scrub p95 {figures['scrub_p95_ms']:.1f} ms over {len(r['scrub'])} frames; "
                  f"{figures['ws_kb_per_click']:.0f} KB received per click (median); cold start "
                  f"{r['cold']:.2f} s; switch to another model {r['switch']:.2f} s")
            for k, v in figures.items():
                into = worst_imported if (model, map_name) in imported else worst
                into[k] = max(into.get(k, v), v)
    if worst_imported:
        print(f"imported_hover_p95_ms={worst_imported['hover_p95_ms']:.1f} "
              f"imported_click_p50_ms={worst_imported['click_p50_ms']:.1f} "
              f"imported_click_p95_ms={worst_imported['click_p95_ms']:.1f} (targets 16 and 50)")
    print(f"hover_p95_ms={worst['hover_p95_ms']:.1f} click_p50_ms={worst['click_p50_ms']:.1f} "
          f"click_p95_ms={worst['click_p95_ms']:.1f} scrub_p95_ms={worst['scrub_p95_ms']:.1f} cold_start_s={worst['cold_start_s']:.2f} "
          f"switch_s={worst['switch_s']:.2f} ws_kb_per_click={worst['ws_kb_per_click']:.0f} "
          f"server_first_page_s={first:.2f}")


if __name__ == "__main__":
    with record.run(__file__):
        main()
