"""Offline and the first run: every page asks the app's own server and nothing else, and nothing it
asks is missing (the tab's icon, ui/favicon.py; the server's base URL, ui/base_url.py); ``python -m
ui.serve`` says where it listens, then that its first page is ready, without Streamlit's bare-mode warning."""

import asyncio
import gzip
import os
import re
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from explorer.bundles import webexport
from ui import base_url, favicon, static_files

from . import browser
from .conftest import ROOT

STREAMLIT_INDEX = Path(__import__("streamlit").__file__).parent / "static" / "index.html"


def test_the_tab_icon_is_sent_inline_so_it_costs_no_request():
    from streamlit.commands.page_config import _get_favicon_string

    # what set_page_config(page_icon=FAVICON) sends the page: the file itself, as a data: URI
    assert _get_favicon_string(favicon.FAVICON).startswith("data:image/svg+xml;base64,")


@pytest.mark.parametrize("path, base, depth", [
    ("/", "", 0), ("/compare", "", 1), ("/compare/", "", 1), ("/a/b", "", 2),
    ("/class", "class", 0), ("/class/", "/class/", 0), ("/class/vae", "class", 1), ("/other/vae", "class", 0),
    ("/x/class/vae", "x/class", 1),
])
def test_a_pages_depth_counts_the_segments_below_the_apps_root(path, base, depth):
    assert base_url.page_depth(path, base) == depth


def test_the_script_goes_first_in_streamlits_own_page_and_nowhere_else():
    html = STREAMLIT_INDEX.read_bytes()
    page = base_url.with_base_url(html, 1)
    assert page is not None and page.replace(base_url.SCRIPT.format(depth=1).encode(), b"", 1) == html
    # before Streamlit's module script reads window.__streamlit
    assert page.index(b"BACKEND_BASE_URL") < page.index(b'<script type="module"')
    assert base_url.with_base_url(html, 0) is None and base_url.with_base_url(b"<p>no head</p>", 1) is None


def asgi(app, path: str, method: str = "GET") -> tuple[dict, bytes]:
    """The response start and body that ``app`` sends for one request."""
    sent = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    asyncio.run(app({"type": "http", "method": method, "path": path, "headers": []}, receive, send))
    return sent[0], b"".join(m.get("body", b"") for m in sent[1:])


def inner(body: bytes, content_type: bytes, gzipped: bool = False):
    """An ASGI app that answers every request with ``body`` (in two parts), as Streamlit's static
    files do: a length, a validator and, for gzip, an encoding."""
    sent = gzip.compress(body) if gzipped else body

    async def app(scope, receive, send):
        headers = [(b"content-type", content_type), (b"content-length", str(len(sent)).encode()),
                   (b"etag", b'"1"'), (b"last-modified", b"Tue, 01 Dec 2026 00:00:00 GMT"),
                   (b"cache-control", b"no-cache")] + ([(b"content-encoding", b"gzip")] if gzipped else [])
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": sent[:10], "more_body": True})
        await send({"type": "http.response.body", "body": sent[10:]})

    return app


@pytest.mark.parametrize("gzipped", [False, True])
def test_a_page_below_the_root_gets_the_script_with_its_own_length_and_no_validator(gzipped):
    html = STREAMLIT_INDEX.read_bytes()
    start, body = asgi(base_url.BaseURL(inner(html, b"text/html; charset=utf-8", gzipped), "class"), "/class/compare")
    headers = dict(start["headers"])
    assert body == base_url.with_base_url(html, 1)
    assert headers[b"content-length"] == str(len(body)).encode() and headers[b"cache-control"] == b"no-cache"
    assert not {b"etag", b"last-modified", b"content-encoding"} & set(headers)


@pytest.mark.parametrize("path, method, content_type, body", [
    ("/class", "GET", b"text/html", None),  # the root page: Streamlit's guess is right there
    ("/class/compare", "HEAD", b"text/html", None),
    ("/class/favicon.png", "GET", b"image/png", b"\x89PNG not html"),
    ("/class/compare", "GET", b"text/html", b"<p>an error page without a head</p>"),
])
def test_everything_else_goes_through_as_the_app_sent_it(path, method, content_type, body):
    body = body or STREAMLIT_INDEX.read_bytes()
    app = inner(body, content_type)
    assert asgi(base_url.BaseURL(app, "class"), path, method) == asgi(app, path, method)


def test_install_wraps_the_app_streamlit_run_builds_once(monkeypatch):
    from streamlit.web.server.starlette import starlette_server

    build = starlette_server.create_starlette_app
    monkeypatch.setattr(starlette_server, "create_starlette_app", build)  # restored after the test
    assert base_url.install() is None and base_url.install() is None
    wrapped = starlette_server.create_starlette_app
    assert wrapped is not build and wrapped.wraps_base_url


@pytest.fixture(scope="module")
def served(images_dir):
    """``python -m ui.serve`` on a free port: its URL, the lines it printed (seconds since its
    start, text) and when its health check first answered. Its own server, as the shared one
    (``app_url``) is ``streamlit run``'s, which does not set the base URL."""
    if browser.missing() is not None:
        pytest.skip(str(browser.missing()))
    port = browser._free_port()
    cmd = [sys.executable, "-m", "ui.serve", "--server.headless", "true", "--server.port", str(port),
           "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, "EXPLORER_DATA_DIR": images_dir},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[tuple[float, str]] = []
    # read as it comes (a pipe left unread would block the server), each line timed on arrival
    threading.Thread(target=lambda: [lines.append((time.perf_counter() - started, line.rstrip()))
                                     for line in proc.stdout], daemon=True).start()
    url = f"http://127.0.0.1:{port}"
    try:
        assert browser.wait_healthy(url, proc, 120), f"ui.serve did not start: {lines}"
        yield url, lines, time.perf_counter() - started
    finally:
        browser.stop(proc)


def ready_lines(served) -> list[tuple[float, str]]:
    """The server's "first page ready" lines, once one has come (within 2 minutes)."""
    url, lines, _ = served
    ready_line = rf"Latent Explorer: first page ready in [\d.]+ s; listening on {re.escape(url)}"
    deadline = time.perf_counter() + 120
    while not any(re.fullmatch(ready_line, line) for _, line in lines) and time.perf_counter() < deadline:
        time.sleep(0.2)
    return [(t, line) for t, line in lines if re.fullmatch(ready_line, line)]


def test_the_server_says_where_it_listens_then_that_its_first_page_is_ready(served):
    """It listens at once and prepares the first page meanwhile (ui/warming.py): the address
    first, the warm-up's end after, and neither a traceback nor Streamlit's bare-mode warning."""
    url, lines, healthy_at = served
    said = [line for t, line in lines if t <= healthy_at]
    assert said and said[0].startswith(f"Latent Explorer: starting on {url}; "), said
    ready = ready_lines(served)
    assert len(ready) == 1 and lines[0][0] < ready[0][0], lines
    assert not [line for _, line in lines if "ScriptRunContext" in line or "Traceback" in line
                or "warm-up stopped" in line], lines


def test_the_browsers_files_are_sent_cacheable_and_the_rest_as_streamlit_sends_it(served):
    """static_files.Immutable: a content-addressed folder's file may be kept a year; README.md in
    static/ (no digest in its path) and the page are left as Streamlit sends them."""
    url, _, _ = served
    assert ready_lines(served)  # its warm-up has written the default model's files
    folder = next(f for f in sorted((ROOT / "static" / "models").iterdir())
                  if (f / static_files.OWNER).is_file() and not f.name.startswith("."))
    with urllib.request.urlopen(f"{url}/app/static/models/{folder.name}/{webexport.MANIFEST}") as r:
        assert r.status == 200 and r.headers["Cache-Control"] == static_files.IMMUTABLE.decode()
    for path in ("/app/static/README.md", "/"):
        with urllib.request.urlopen(url + path) as r:
            assert "immutable" not in (r.headers.get("Cache-Control") or "")


def test_a_lesson_opened_by_its_link_asks_only_the_app_and_everything_it_asks_is_there(served):
    """Fails while app.py's set_page_config has no page_icon: each page's Material icon is then
    the tab's, fetched from fonts.gstatic.com."""
    url, _, _ = served
    app_host = urllib.parse.urlsplit(url).netloc
    with browser.chromium() as chromium:
        context = chromium.new_context(viewport={"width": 1400, "height": 1000})
        # each page opened by its link; from the last, another picked in the sidebar
        for path, pick, lands_on in (("", None, ""), ("compare", None, "compare"),
                                     ("bottleneck", "AE vs PCA", "ae-vs-pca")):
            page = context.new_page()
            elsewhere, failed = [], []
            page.on("request", lambda r: elsewhere.append(r.url) if urllib.parse.urlsplit(r.url).scheme
                    in ("http", "https", "ws", "wss") and urllib.parse.urlsplit(r.url).netloc != app_host else None)
            page.on("response", lambda r: failed.append((r.status, r.url)) if r.status >= 400 else None)
            page.on("requestfailed", lambda r: failed.append((r.failure, r.url)))
            page.goto(f"{url}/{path}")
            browser.wait_idle(page)
            if pick:  # the new page's icon must not become the tab's either
                page.locator("[data-testid='stSidebarNavLink']", has_text=pick).click()
                page.wait_for_function("p => location.pathname === p", arg=f"/{lands_on}")
                browser.wait_idle(page)
            time.sleep(1)  # the tab's icon is set once the page's navigation has arrived
            assert not elsewhere and not failed, (path, elsewhere, failed)
            assert page.evaluate("() => location.pathname") == f"/{lands_on}"  # not sent to the main page
            assert page.locator("[data-testid='stException']").count() == 0, path
            page.close()
