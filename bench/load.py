"""A class on one server: N browser sessions (default 10) hovering over the latent map and clicking
it at once, against one `streamlit run app.py`, in headless Chromium.

    python bench/load.py [--sessions 10] [--seconds 60] [--hover-seconds 15] [--idle-seconds 10]
    python bench/load.py --proxy [...]    # through nginx, two app servers (deploy/serve.sh 2)

Each session is a fresh browser context on one of the three maps of bench/latency.py (mnist-vae-2d
plane, mnist-vae-16 t-SNE, mnist-conv-vae-16 t-SNE, in turn). Inside each page a script moves the
pointer over the map every 30 ms (--hover-ms) and, every 2-4 s, clicks a random spot once the
previous click is answered. For each click, by the page's clock:
- digit: pointer down -> the decoded image for the spot drawn by the browser map itself;
- answer: pointer up -> the server's run for the click drawn (its img[data-spot] carries the
  clicked spot: original, reconstruction, neighbours); an answer not there in 10 s is unanswered;
- first message: pointer up -> the first websocket message back from the server.
Phases: 1. hover only (--hover-seconds): the server's CPU time and the websocket frames the pages
send; 2. hover and click (--seconds): the latencies above and the server's CPU per click. Server
memory is its resident set (Linux /proc) after a warm-up session per model, and after the N
sessions have done all that; growth per session is the difference over N. The browsers run on the
same machine as the server, and their CPU share is printed: on 2 cores, 10 Streamlit pages
redrawing after their clicks are much of the answer's latency.

Before the phases, the sessions sit open for --idle-seconds: the servers' CPU per idle session.
Memory per bundle is the servers' growth while the warm-up opens the models the first page had not
loaded, per model. With --proxy the servers are `deploy/serve.sh 2` (each started warm, nginx in
front), their CPU and memory summed, and ``per_server_sessions`` counts the sessions each server
holds (by nginx's affinity cookie).

The last line is
``sessions=.. clicks=.. unanswered=.. errors=.. digit_p95_ms=.. answer_p50_ms=.. answer_p95_ms=..
cpu_ms_per_click=.. hover_cpu_ms_per_s=.. hover_frames=.. mem_mb_per_session=.. idle_cpu_ms_per_session_s=..
mem_mb_per_bundle=..`` (and ``per_server_sessions=..`` with --proxy).
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import record  # noqa: E402
from latency import CASES, MAP_READY  # noqa: E402

from tests import browser  # noqa: E402
from ui.resources import DEFAULT_MODEL  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")

# In every page before its scripts: when each websocket message arrives (the last 200), so a
# click's latency splits into the server's answer arriving and the page drawing it.
WS_TIMES = """(() => {
    window.__wsIn = [];
    const Native = window.WebSocket;
    window.WebSocket = class extends Native {
        constructor(...args) {
            super(...args);
            this.addEventListener('message', () => {
                window.__wsIn.push(performance.now());
                if (window.__wsIn.length > 200) window.__wsIn.splice(0, 100);
            });
        }
    };
})()"""

# Runs inside a page for `seconds`: hovers every 30 ms, clicks every 2-4 s (never while the last
# click is unanswered), and resolves with what it measured.
DRIVE = """([seconds, clicking, seed, hoverMs]) => new Promise((resolve) => {
    let state = seed >>> 0;
    const rand = () => ((state = (state * 1664525 + 1013904223) >>> 0) / 4294967296);
    const host = [...document.querySelectorAll('.stElementContainer *')].find(
        (e) => e.shadowRoot && e.shadowRoot.querySelector('[data-latent-map]'));
    const root = host.shadowRoot, surface = root.querySelector('[data-latent-map]');
    const out = {clicks: [], shown: [], firstFrame: [], unanswered: 0, hovers: 0};
    let pending = null, nextClick = performance.now() + 2000 * rand();
    const answered = () => {
        const img = document.querySelector('img[data-spot]');
        if (pending && img && img.dataset.spot === pending.spot) {
            out.clicks.push(performance.now() - pending.at);
            const first = (window.__wsIn || []).find((t) => t > pending.at);
            if (first !== undefined) out.firstFrame.push(first - pending.at);
            pending = null;
            nextClick = performance.now() + 2000 + 2000 * rand();
        }
    };
    const watch = new MutationObserver(answered);
    watch.observe(document.body, {subtree: true, childList: true, attributes: true, attributeFilter: ['data-spot']});
    const at = () => {
        const r = surface.getBoundingClientRect();
        return {clientX: r.left + r.width * (0.1 + 0.8 * rand()), clientY: r.top + r.height * (0.1 + 0.8 * rand()),
                pointerId: 1, bubbles: true};
    };
    const end = performance.now() + seconds * 1000;
    let lastHover = 0;
    const timer = setInterval(() => {
        const now = performance.now();
        if (now > end) {
            clearInterval(timer);
            // a last click gets 10 s to be answered
            setTimeout(() => { watch.disconnect(); if (pending) out.unanswered++; resolve(out); }, pending ? 10000 : 0);
            return;
        }
        const p = at();
        if (hoverMs > 0 && now - lastHover >= hoverMs) {
            surface.dispatchEvent(new PointerEvent('pointermove', p));
            out.hovers++;
            lastHover = now;
        }
        if (clicking && !pending && now > nextClick) {
            surface.dispatchEvent(new PointerEvent('pointermove', p));
            const down = performance.now();
            surface.dispatchEvent(new PointerEvent('pointerdown', p));
            surface.dispatchEvent(new PointerEvent('pointerup', p));
            pending = {spot: root.querySelector('canvas[data-spot]').dataset.spot, at: performance.now()};
            out.shown.push(pending.at - down);  // the decoded digit, drawn by the browser itself
        } else if (pending && now - pending.at > 10000) {  // no answer in 10 s: counted, and move on
            out.unanswered++;
            pending = null;
        }
    }, 30);
})"""


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime


def browser_cpu_seconds() -> float:
    """CPU time of every Chromium process on this machine (the browsers' side of the load)."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        if "chrom" in text.split(")", 1)[0]:
            fields = text.rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / TICK
    return total


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def drive_all(pages, seconds: float, clicking: bool, hover_ms: float) -> list[dict]:
    """Every page drives itself at once; their results once all are done."""
    for i, page in enumerate(pages):  # started, not awaited: all run together
        page.evaluate(f"() => {{ window.__drive = ({DRIVE})([{seconds}, {str(clicking).lower()}, {i + 1}, {hover_ms}]); }}")
    return [page.evaluate("() => window.__drive") for page in pages]


@contextlib.contextmanager
def servers(proxy: bool, warm: bool = False):
    """The app's URL and its servers' pids: one `streamlit run app.py` (``warm``: `python -m
    ui.serve`), or deploy/serve.sh 2."""
    if not proxy:
        with browser.streamlit_process(timeout=240, warm=warm) as (url, server):
            yield url, [server.pid]
        return
    with tempfile.TemporaryDirectory() as tmp:
        deployment = browser.Deployment(2, {}, Path(tmp) / "serve.err")
        try:
            url = deployment.wait_ready(300)
            yield url, list(deployment.servers.values())
        finally:
            deployment.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--hover-seconds", type=float, default=15)
    parser.add_argument("--idle-seconds", type=float, default=10)
    parser.add_argument("--hover-ms", type=float, default=30, help="pointer moves this often in each session (0: none)")
    parser.add_argument("--proxy", action="store_true", help="through nginx in front of two app servers")
    parser.add_argument("--warm", action="store_true", help="one server started as `python -m ui.serve`")
    args = parser.parse_args()
    if browser.missing():
        sys.exit(f"cannot run: {browser.missing()}")
    from playwright.sync_api import sync_playwright

    with servers(args.proxy, args.warm) as (url, pids), sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=browser.CHROMIUM, args=browser.CHROMIUM_ARGS)
        errors = []
        cpu = lambda: sum(cpu_seconds(pid) for pid in pids)  # noqa: E731
        rss = lambda: sum(rss_mb(pid) for pid in pids)  # noqa: E731

        def open_session(i):
            model, map_name = CASES[i % len(CASES)]
            page = chromium.new_context(viewport={"width": 1400, "height": 1000}).new_page()
            page.add_init_script(WS_TIMES)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(f"{url}/?model={model}&map={map_name}", wait_until="commit")
            page.evaluate(MAP_READY, f"{model}/{map_name}")
            browser.wait_idle(page)
            return page

        time.sleep(2)
        mem_ready = rss()
        for _ in pids:  # warm up: every model loaded and its browser files written once, on every server
            for i in range(len(CASES)):
                open_session(i).context.close()
        time.sleep(2)
        mem_before = rss()
        # the models the first page had not loaded, on each server (a warm server holds the first page's)
        warm_first = args.proxy or args.warm  # servers that ran the first page before they listened
        new_bundles = len(pids) * len({m for m, _ in CASES} - ({DEFAULT_MODEL} if warm_first else set()))
        pages = [open_session(i) for i in range(args.sessions)]
        held = collections.Counter(next((c["value"] for c in page.context.cookies() if c["name"] == "explorer_server"),
                                        "direct") for page in pages)
        for page in pages:  # counts the frames each page sends to the server
            page.evaluate("""() => { window.__sent = 0; const send = WebSocket.prototype.send;
                WebSocket.prototype.send = function (...a) { window.__sent++; return send.apply(this, a); }; }""")

        cpu0, t0 = cpu(), time.perf_counter()
        time.sleep(args.idle_seconds)
        idle_cpu, idle_wall = cpu() - cpu0, time.perf_counter() - t0

        cpu0, t0 = cpu(), time.perf_counter()
        drive_all(pages, args.hover_seconds, clicking=False, hover_ms=args.hover_ms)
        hover_cpu, hover_wall = cpu() - cpu0, time.perf_counter() - t0
        hover_frames = sum(page.evaluate("() => window.__sent") for page in pages)

        cpu0, b0, t0 = cpu(), browser_cpu_seconds(), time.perf_counter()
        results = drive_all(pages, args.seconds, clicking=True, hover_ms=args.hover_ms)
        click_cpu = cpu() - cpu0
        browsers_busy = (browser_cpu_seconds() - b0) / (time.perf_counter() - t0)
        for page in pages:
            if page.locator("[data-testid='stException']").count():
                errors.append("exception shown on the page")
        time.sleep(2)
        mem_after = rss()
        chromium.close()

    clicks = np.concatenate([r["clicks"] for r in results]) if results else np.array([])
    first = np.concatenate([r["firstFrame"] for r in results]) if results else np.array([])
    shown = np.concatenate([r["shown"] for r in results]) if results else np.array([])
    unanswered = sum(r["unanswered"] for r in results)
    hovers = sum(r["hovers"] for r in results)
    per_click = 1000 * click_cpu / max(len(clicks), 1)
    print(f"{args.sessions} sessions, {args.hover_seconds:.0f} s hovering only: {hovers:,} pointer moves, "
          f"{hover_frames} websocket frames sent, server CPU {1000 * hover_cpu / hover_wall:.0f} ms per second")
    print(f"{args.seconds:.0f} s hovering and clicking: {len(clicks)} clicks answered, {unanswered} unanswered; "
          f"click -> server's image p50 {np.percentile(clicks, 50):.0f} ms, p95 {np.percentile(clicks, 95):.0f} ms, "
          f"max {clicks.max():.0f} ms; server CPU {click_cpu:.1f} s, {per_click:.0f} ms per click; the "
          f"browsers kept {browsers_busy:.2f} of the {os.cpu_count()} cores busy")
    print(f"  click -> the decoded digit shown by the browser: p50 {np.percentile(shown, 50):.1f} ms, "
          f"p95 {np.percentile(shown, 95):.1f} ms")
    print(f"  click -> the server's first message back: p50 {np.percentile(first, 50):.0f} ms, "
          f"p95 {np.percentile(first, 95):.0f} ms")
    mb_per_bundle, mb_per_session = (mem_before - mem_ready) / max(new_bundles, 1), (mem_after - mem_before) / args.sessions
    idle_ms = 1000 * idle_cpu / idle_wall / args.sessions
    print(f"server memory {mem_ready:.0f} MB once ready, {mem_before:.0f} MB after warm-up "
          f"({mb_per_bundle:.0f} MB per bundle opened"
          f"{'' if warm_first else ', its imports included'}), {mem_after:.0f} MB after "
          f"{args.sessions} sessions: {mb_per_session:.1f} MB per session; "
          f"idle: {idle_ms:.2f} ms of server CPU per session per second; "
          f"page errors: {len(errors)}")
    if os.environ.get("LOAD_DEBUG"):
        for i, r in enumerate(results):
            print(CASES[i % len(CASES)][0], [round(c) for c in r["clicks"]])
    for e in errors[:5]:
        print("  ", e)
    print(f"sessions={args.sessions} clicks={len(clicks)} unanswered={unanswered} errors={len(errors)} "
          f"digit_p95_ms={np.percentile(shown, 95):.1f} "
          f"answer_p50_ms={np.percentile(clicks, 50):.0f} answer_p95_ms={np.percentile(clicks, 95):.0f} "
          f"cpu_ms_per_click={per_click:.0f} hover_cpu_ms_per_s={1000 * hover_cpu / hover_wall:.0f} "
          f"hover_frames={hover_frames} mem_mb_per_session={mb_per_session:.1f} "
          f"idle_cpu_ms_per_session_s={idle_ms:.2f} "
          + (f"mem_mb_per_bundle={mb_per_bundle:.0f}" if warm_first
             else f"mem_mb_first_pages={mem_before - mem_ready:.0f}")  # a plain server imports in its first page
          + (f" per_server_sessions={','.join(str(n) for _, n in sorted(held.items()))}" if args.proxy else ""))


if __name__ == "__main__":
    with record.run(__file__):
        main()
