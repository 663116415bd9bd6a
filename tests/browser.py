"""Running the real app in a real browser: a Streamlit server on a free port and headless
Chromium driven by Playwright. Shared by the browser tests and bench/click_latency.py."""

from __future__ import annotations

import contextlib
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("EXPLORER_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def missing() -> str | None:
    """Why a browser test cannot run here, or None. With EXPLORER_REQUIRE_BROWSER=1 (CI) a
    missing browser is an error, so browser tests are never silently skipped there."""
    reason = _missing()
    if reason and os.environ.get("EXPLORER_REQUIRE_BROWSER") == "1":
        raise RuntimeError(f"browser tests required but {reason}")
    return reason


def _missing() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install playwright)"
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        return f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def streamlit_server(env: dict | None = None, timeout: float = 60.0):
    """Start `streamlit run app.py` and yield its URL once it answers its health check."""
    with streamlit_process(env, timeout) as (url, _):
        yield url


@contextlib.contextmanager
def streamlit_process(env: dict | None = None, timeout: float = 60.0, root: Path = ROOT, prefix: tuple = (),
                      warm: bool = False):
    """Start `streamlit run app.py` (of the checkout at ``root``, under the command ``prefix``, e.g.
    one that switches user; ``warm``: `python -m ui.serve`, which prepares the first page while
    it listens); yield its URL, once it answers its health check, and the process (bench/load.py
    reads its CPU time and memory)."""
    port = _free_port()
    start = ["-m", "ui.serve"] if warm else ["-m", "streamlit", "run", str(root / "app.py")]
    cmd = [*prefix, sys.executable, *start, "--server.headless", "true",
           "--server.port", str(port), "--server.address", "127.0.0.1",
           "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
    log = tempfile.TemporaryFile()  # a file, not a pipe: a long run's output never blocks the server
    proc = subprocess.Popen(cmd, cwd=root, env={**os.environ, **(env or {})}, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        if not wait_healthy(url, proc, timeout):
            log.seek(0)
            raise RuntimeError("streamlit did not start:\n" + log.read().decode(errors="replace"))
        yield url, proc
    finally:
        stop(proc)
        log.close()


def wait_healthy(url: str, proc, timeout: float) -> bool:
    """Until the server at ``url`` answers its health check (True), or its process ends or
    ``timeout`` seconds pass (False)."""
    deadline = time.time() + timeout
    while True:
        try:
            if urllib.request.urlopen(url + "/_stcore/health", timeout=2).read() == b"ok":
                return True
        except OSError:
            pass
        if proc.poll() is not None or time.time() > deadline:
            return False
        time.sleep(0.1)


def stop(proc) -> None:
    """Terminate a server we started, killing it if it does not end within 10 s."""
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


@contextlib.contextmanager
def chromium():
    """Debian's Chromium, headless, closed at the end (pages and contexts of its own are the caller's)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextlib.contextmanager
def chromium_page(width: int = 1400, height: int = 1000):
    """A fresh browser (no cookies, no session) and a page in it."""
    with chromium() as browser:
        yield browser.new_page(viewport={"width": width, "height": height}, accept_downloads=True)


def wait_idle(page, timeout_ms: int = 60_000) -> None:
    """Until the script has finished a run. Streamlit's page says 'notRunning' before its first
    run too, so a page is idle only once a run has drawn something in the main area."""
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning'] [data-testid='stMain'] "
                           "[data-testid='stElementContainer']", state="attached", timeout=timeout_ms)


def open_app(page, url: str, query: str = "", plotly: bool = True) -> None:
    page.goto(url + ("/?" + query if query else ""))
    wait_idle(page)
    if plotly:
        page.wait_for_selector(".js-plotly-plot .nsewdrag", timeout=30_000)
        time.sleep(0.5)  # let Plotly finish its first draw


def attribute(page, selector: str, name: str) -> str | None:
    """``name`` of the first element ``selector`` finds, or None when there is none."""
    found = page.locator(selector)
    return found.first.get_attribute(name) if found.count() else None


def wait_new_attribute(page, selector: str, name: str, other_than=None, timeout: float = 30,
                       poll: float = 0.1) -> str | None:
    """The first value of ``attribute(page, selector, name)`` that is set and not ``other_than``
    within ``timeout`` seconds, else None."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = attribute(page, selector, name)
        if value is not None and value != other_than:
            return value
        time.sleep(poll)
    return None


def location_query(page) -> dict[str, str]:
    """The address bar's parameters, read from location itself: Playwright's page.url can lag
    behind a replaceState."""
    import urllib.parse

    return dict(urllib.parse.parse_qsl(page.evaluate("() => location.search").lstrip("?")))


def data_to_page(page, x: float, y: float) -> tuple[float, float]:
    """The page pixel where the data point (x, y) is drawn, computed by Plotly itself."""
    return tuple(page.evaluate("""([x, y]) => {
        const gd = document.querySelector('.js-plotly-plot');
        const r = gd.getBoundingClientRect(), xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
        return [r.left + xa._offset + xa.d2p(x), r.top + ya._offset + ya.d2p(y)];
    }""", [float(x), float(y)]))


def wait_plotly_hover(page, x: float, y: float, within: float = 1.5, timeout: float = 5.0) -> bool:
    """Until Plotly's own hover point (the point a click selects) is drawn within ``within`` pixels
    of the page pixel (x, y); False if it never gets there. Under CPU load Plotly's hover lags the
    pointer by a second or more, and a click then selects wherever the hover still is."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        at = page.evaluate("""() => {
            const gd = document.querySelector('.js-plotly-plot');
            const h = gd && gd._hoverdata && gd._hoverdata[0];
            if (!h || h.x === undefined) return null;
            const r = gd.getBoundingClientRect(), xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
            return [r.left + xa._offset + xa.d2p(h.x), r.top + ya._offset + ya.d2p(h.y)];
        }""")
        if at is not None and ((at[0] - x) ** 2 + (at[1] - y) ** 2) ** 0.5 <= within:
            return True
        page.mouse.move(x + 1, y)
        page.mouse.move(x, y)
        time.sleep(0.1)
    return False


def click_at(page, x: float, y: float, settle: float = 0.15) -> None:
    """Click the page pixel (x, y), moving there first (see click_plot). Plotly picks the point
    under its last hover, which lags the pointer on a busy machine: ``settle`` seconds, and a
    one-pixel nudge, let it catch up."""
    page.mouse.move(x, y, steps=5)
    time.sleep(settle)
    if settle > 0.15:
        page.mouse.move(x + 1, y)
        page.mouse.move(x, y)
        time.sleep(settle)
    page.mouse.down()
    page.mouse.up()


def plot_to_data(page, px: float, py: float) -> tuple[float, float]:
    """Data coordinates under the page pixel (px, py), computed by Plotly itself."""
    return tuple(page.evaluate("""([px, py]) => {
        const gd = document.querySelector('.js-plotly-plot');
        const r = gd.getBoundingClientRect(), xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
        return [xa.p2d(px - r.left - xa._offset), ya.p2d(py - r.top - ya._offset)];
    }""", [px, py]))


def click_plot(page, fx: float, fy: float) -> tuple[float, float]:
    """Click at the fractions (fx, fy) of the plot area; returns the page pixel clicked.
    Moving first and pausing lets Plotly settle its hover point (a bare click can hit a stale one)."""
    box = page.locator(".js-plotly-plot .nsewdrag").first.bounding_box()
    x, y = box["x"] + fx * box["width"], box["y"] + fy * box["height"]
    click_at(page, x, y)
    return x, y


def model_option(page, name: str):
    """The model menu's option for bundle ``name``: "NAME: its description"."""
    return page.get_by_role("option", name=re.compile("^" + re.escape(name) + ": "))


def select_model(page, name: str) -> None:
    """Pick a bundle in the sidebar and wait until its map is drawn."""
    page.get_by_test_id("stSidebar").get_by_role("combobox").first.click()
    model_option(page, name).click()
    page.get_by_role("heading", name=f"{name}: ").wait_for(timeout=60_000)
    wait_idle(page)
    time.sleep(1.5)  # let Plotly draw the new model's map


# What a projector shows of the page at its first screen (scrolled to the top): the smallest text
# drawn (computed font size of every visible text node's element, shadow roots included), each map's
# side, where the instrument (st.container key "instrument") and the "Try this" end, and each
# picture's drawn labels as displayed (img[data-label-px]: the label's height in the image's own
# pixels, scaled by how large the browser draws the image).
LEGIBILITY_JS = r"""() => {
  const seen = [];
  const visit = (root) => {
    for (const el of root.querySelectorAll('*')) {
      if (el.shadowRoot) visit(el.shadowRoot);
      for (const n of el.childNodes) {
        if (n.nodeType !== 3 || !n.textContent.replace(/[\s\u200b]/g, '')) continue;  // zero-width spaces are not text
        const r = el.getBoundingClientRect(), cs = getComputedStyle(el);
        if (r.width < 1 || r.height < 1 || cs.visibility === 'hidden' || Number(cs.opacity) === 0) continue;
        if (r.bottom < 0 || r.top > innerHeight * 4) continue;
        seen.push([parseFloat(cs.fontSize), el.tagName + ': ' + n.textContent.trim().slice(0, 50)]);
      }
    }
  };
  visit(document);
  seen.sort((a, b) => a[0] - b[0]);
  const rect = (el) => el ? el.getBoundingClientRect() : null;
  const deep = (root, sel, out = []) => {
    out.push(...root.querySelectorAll(sel));
    for (const el of root.querySelectorAll('*')) if (el.shadowRoot) deep(el.shadowRoot, sel, out);
    return out;
  };
  const maps = deep(document, '[data-latent-map], canvas[data-replay]').map((m) => m.getBoundingClientRect().width);
  const tryThis = [...document.querySelectorAll('[data-testid="stAlert"]')].find((a) => a.innerText.includes('Try this'));
  const labels = deep(document, 'img[data-label-px]').map((img) =>
    Number(img.dataset.labelPx) * img.getBoundingClientRect().width / img.naturalWidth);
  return {vh: innerHeight, vw: innerWidth, smallest: seen.slice(0, 5), maps,
          instrument: rect(document.querySelector('.st-key-instrument'))?.bottom ?? null,
          tryThis: rect(tryThis)?.bottom ?? null, labels, scrollHeight: document.documentElement.scrollHeight};
}"""


def legibility(page) -> dict:
    return page.evaluate(LEGIBILITY_JS)


class Deployment:
    """`deploy/serve.sh N PORT` in the foreground, its stdout read line by line: the
    app servers' ports and pids, nginx's URL and its access log (cookie and upstream of each
    request). The servers' and nginx's own output goes to the file ``errors``."""

    def __init__(self, n: int, env: dict, errors: Path):
        self.port = _free_port()
        self.errors = errors  # the servers' and nginx's own output, for a failure's message
        self.proc = subprocess.Popen([str(ROOT / "deploy" / "serve.sh"), str(n), str(self.port)], cwd=ROOT,
                                     env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=errors.open("w"),
                                     text=True)
        self.lines: queue.Queue = queue.Queue()
        threading.Thread(target=lambda: [self.lines.put(line.strip()) for line in self.proc.stdout], daemon=True).start()
        self.servers: dict[int, int] = {}  # port -> pid
        self.nginx_pid: int | None = None
        self.said: list[str] = []
        self.run_dir = None

    def wait_ready(self, timeout: float) -> str:
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                line = self.lines.get(timeout=1)
            except queue.Empty:
                assert self.proc.poll() is None, f"deploy/serve.sh exited ({self.proc.returncode}): {self.said}"
                continue
            self.said.append(line)
            if m := re.fullmatch(r"server (\d+) (\d+)", line):
                self.servers[int(m[1])] = int(m[2])
            if m := re.fullmatch(r"nginx (\d+) (\d+)", line):
                self.nginx_pid = int(m[2])
            if m := re.match(r"ready (\S+) \(nginx's files and logs: (.+)\)$", line):
                self.run_dir = Path(m[2])
                return m[1].rstrip("/")
        raise AssertionError(f"deploy/serve.sh not ready in {timeout} s: {self.said}")

    def wait_line(self, pattern: str, timeout: float) -> str | None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            found = next((line for line in self.said if re.fullmatch(pattern, line)), None)
            if found:
                return found
            try:
                self.said.append(self.lines.get(timeout=0.5))
            except queue.Empty:
                pass
        return None

    def log(self) -> list[dict]:
        rows = []
        for line in (self.run_dir / "access.log").read_text().splitlines():
            m = re.match(r'(\S+) (\d+) "(\S+) (\S+) [^"]*" cookie=(\S+) upstream=(.*)$', line)
            if m:
                rows.append({"status": int(m[2]), "method": m[3], "path": m[4], "cookie": m[5],
                             "upstream": m[6].split(", ")})
        return rows

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(30)
