"""The first page after a server starts (target: the command started -> the map drawn in <= 3 s),
and the time the server takes to be ready, for a plain `streamlit run app.py` and for `python -m
ui.serve` (the `latent-explorer` command: it listens at once and prepares the first page meanwhile).

    python bench/cold.py [--runs 3]

Each run starts a fresh server process (the browser files of the shipped bundles already on disk,
as after any restart) and, from a headless Chromium started beforehand, opens the app's first
page in a fresh context as the first student would, once the server answers /_stcore/health:
- ready: the process started -> /_stcore/health answers (what nginx and a readiness probe see);
- first page: the page asked for -> its latent map drawn in the browser ([data-latent-map][data-drawn]);
- second page: the same in another fresh context, right after (what every later student waits).
Under each run, each page's timeline from the browser's own timings (ms after the request): the HTML,
Streamlit's JavaScript, the document parsed, the map's element arriving (the page's Python reached
the map), the model's files fetched, the map drawn.
- command to map: the process started -> the first page's map drawn (ready + first page: the
  browser asks as soon as the health check answers).
The last line is ``warm_command_to_map_s=.. plain_command_to_map_s=.. plain_first_page_s=..
warm_first_page_s=.. warm_ready_s=.. plain_ready_s=.. warm_second_page_s=..`` (medians over the runs).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import record  # noqa: E402

from tests import browser  # noqa: E402

MAP = "[data-latent-map][data-drawn]"


# Where a first page's time goes, from the browser's own timings (ms after the request):
# the HTML; Streamlit's JavaScript fetched and the document parsed; the map's code asked for (its
# element has arrived: the page's Python reached the map); the model's files fetched; drawn.
TIMELINE = """() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const res = performance.getEntriesByType('resource');
  const first = (f) => Math.min(...res.filter(f).map(e => e.startTime));
  const last = (f) => Math.max(...res.filter(f).map(e => e.responseEnd));
  return {html: nav.responseEnd, parsed: nav.domContentLoadedEventEnd,
          app_js: last(e => e.name.includes('/static/js/')),
          map_code: first(e => e.name.includes('/app/static/') && !e.name.includes('/models/')),
          model_files: last(e => e.name.includes('/app/static/models/')),
          model_bytes: res.filter(e => e.name.includes('/app/static/models/')).reduce((a, e) => a + e.transferSize, 0),
          js_bytes: res.filter(e => e.name.includes('/static/js/')).reduce((a, e) => a + e.transferSize, 0)};
}"""


def first_map(b, url: str) -> tuple[float, dict]:
    context = b.new_context(viewport={"width": 1400, "height": 900})
    try:
        page = context.new_page()
        start = time.perf_counter()
        page.goto(url + "/")
        page.wait_for_selector(MAP, timeout=120_000)
        took = time.perf_counter() - start
        t = page.evaluate(TIMELINE)
        t = {k: (v if v is not None and abs(v) != float("inf") else None) for k, v in t.items()}
        return took, {**t, "drawn": took * 1000}  # as Playwright saw it (the element may be in a shadow root)
    finally:
        context.close()


def timeline(t: dict) -> str:
    ms = {k: "?" if v is None else f"{v:.0f}" for k, v in t.items()}  # None: no such request (e.g. from the cache)
    return (f"html {ms['html']} ms, Streamlit's JS {ms['app_js']} ({(t['js_bytes'] or 0) / 1e6:.1f} MB), "
            f"parsed {ms['parsed']}, the map's element {ms['map_code']}, model files {ms['model_files']} "
            f"({(t['model_bytes'] or 0) / 1e3:.0f} kB), drawn {ms['drawn']}")


def run(b, warm: bool) -> dict[str, float]:
    start = time.perf_counter()
    with browser.streamlit_process(timeout=240, warm=warm) as (url, _):
        ready = time.perf_counter() - start
        first, first_t = first_map(b, url)
        second, second_t = first_map(b, url)
    return {"ready": ready, "first": first, "second": second, "first_t": first_t, "second_t": second_t}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--runs", type=int, default=3)
    args = p.parse_args(argv)
    from playwright.sync_api import sync_playwright

    results: dict[str, list[dict]] = {"plain": [], "warm": []}
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=browser.CHROMIUM, args=browser.CHROMIUM_ARGS)
        for i in range(args.runs):
            for kind in ("plain", "warm"):
                r = run(b, kind == "warm")
                results[kind].append(r)
                print(f"{kind:5s} run {i + 1}: ready {r['ready']:.2f} s, first page {r['first']:.2f} s "
                      f"(command to map {r['ready'] + r['first']:.2f} s), "
                      f"second page {r['second']:.2f} s", flush=True)
                print(f"      first page: {timeline(r['first_t'])}\n      second page: {timeline(r['second_t'])}",
                      flush=True)
        b.close()

    def med(kind, key):
        return statistics.median(r[key] for r in results[kind])

    def to_map(kind):
        return statistics.median(r["ready"] + r["first"] for r in results[kind])

    print(f"warm_command_to_map_s={to_map('warm'):.2f} plain_command_to_map_s={to_map('plain'):.2f} "
          f"plain_first_page_s={med('plain', 'first'):.2f} warm_first_page_s={med('warm', 'first'):.2f} "
          f"warm_ready_s={med('warm', 'ready'):.2f} plain_ready_s={med('plain', 'ready'):.2f} "
          f"warm_second_page_s={med('warm', 'second'):.2f} (targets: command to map <= 3 s, a warm server's "
          "next page <= 1 s)")
    return 0


if __name__ == "__main__":
    with record.run(__file__):
        status = main()
    sys.exit(status)
