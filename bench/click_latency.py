"""Click-to-image latency of the running app in headless Chromium.

    python bench/click_latency.py [--model NAME] [--clicks N]

Starts `streamlit run app.py`, clicks N spots spread over the map (dots or empty plane) and times
each from the mouse press to the newly decoded image appearing in the page (the image's
``data-spot`` names the clicked spot). This is what a student waits for: browser event, Streamlit
rerun, decoding, figure update. Needs Chromium and Playwright.
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

def spot_text(page) -> str | None:
    """The spot the decoded image shows (its data-spot), or None before any click."""
    return page.evaluate("() => document.querySelector('img[data-spot]')?.dataset.spot ?? null")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=None, help="bundle to open (default: the first)")
    parser.add_argument("--clicks", type=int, default=20)
    args = parser.parse_args()
    if browser.missing():
        sys.exit(f"cannot run: {browser.missing()}")
    with browser.streamlit_server() as url, browser.chromium_page() as page:
        browser.open_app(page, url, "renderer=plotly")
        if args.model:
            browser.select_model(page, args.model)
        times, previous = [], None
        rng_points = [(0.08 + 0.84 * ((i * 0.618) % 1), 0.08 + 0.84 * ((i * 0.382) % 1)) for i in range(args.clicks)]
        for fx, fy in rng_points:
            start = time.perf_counter()
            browser.click_plot(page, fx, fy)
            start += 0.15  # click_plot pauses 150 ms between moving and pressing
            while True:
                now = spot_text(page)
                if now and now != previous:
                    break
                if time.perf_counter() - start > 20:
                    raise SystemExit("no new image within 20 s")
                time.sleep(0.005)
            times.append(time.perf_counter() - start)
            previous = now
            browser.wait_idle(page)
            time.sleep(0.3)
    times_ms = sorted(t * 1e3 for t in times)
    print(f"click -> decoded image, {len(times_ms)} clicks: median {statistics.median(times_ms):.0f} ms, "
          f"p90 {times_ms[int(0.9 * (len(times_ms) - 1))]:.0f} ms, max {times_ms[-1]:.0f} ms")


if __name__ == "__main__":
    with record.run(__file__):
        main()
