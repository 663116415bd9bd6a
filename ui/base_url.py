"""Tell Streamlit's page where its server is, so that a page opened by its own link (``/compare``,
``/bottleneck``) asks nothing of paths that do not exist.

Streamlit's page does not know the server's base path: it guesses it from its own address, trying
the whole path first and then the path without its last segment (Streamlit 1.67's frontend,
``index.*.js``, the list of base URLs its connection tries). On ``/compare`` it asks
``/compare/_stcore/health`` and ``/compare/_stcore/host-config`` first, which the server answers
404 on purpose (``starlette_static_routes.py``, its reserved paths), and only then ``/``: two
errors in every browser console and proxy log for a page opened by its link. The guess is skipped
when ``window.__streamlit.BACKEND_BASE_URL`` is set before Streamlit's script runs, which is what
the page's host sets when it embeds Streamlit.

``BaseURL`` wraps the server's ASGI app and, in the HTML of a page below the app's root, sets it
with a few lines of script before Streamlit's own. The server only says how many of the path's
segments name the page (1 for ``/compare``, under any ``server.baseUrlPath``); the browser strips
as many from the address it sees, so the base stays right behind a proxy that adds or strips a
prefix, and nothing from the request is written into the page. The root page, every file and every
other response go through untouched.

``install()`` puts it around the app that ``streamlit run`` builds (``python -m ui.serve`` calls it),
with ``static_files.Immutable`` inside it (the browser's content-addressed files sent cacheable).
A plain ``streamlit run app.py`` does not: there Streamlit's own guess stands, and a page opened by
its link logs the two 404s before it connects, as it always did.
"""

from __future__ import annotations

import gzip

# Object.assign keeps a value the page's host set itself; the script has no other effect.
SCRIPT = ('<script>(function(){{var s=location.pathname.split("/").filter(Boolean);'
          'if(s.length>={depth})window.__streamlit=Object.assign({{BACKEND_BASE_URL:'
          'location.origin+"/"+s.slice(0,s.length-{depth}).join("/")}},window.__streamlit)}})()</script>')
HEAD = b"<head>"
# the headers that describe the body as the app sent it; the new body has its own length and no
# validator, so a browser never revalidates a page against the unmodified file's
DROPPED = {b"content-length", b"content-encoding", b"etag", b"last-modified"}


def page_depth(path: str, base_url_path: str = "") -> int:
    """How many segments of ``path`` lie below the app's root (``server.baseUrlPath``): 0 for the
    root itself or a path outside it, 1 for ``/compare`` (or ``/BASE/compare``)."""
    parts = [p for p in path.split("/") if p]
    base = [p for p in (base_url_path or "").split("/") if p]
    if parts[:len(base)] != base:
        return 0
    return len(parts) - len(base)


def with_base_url(html: bytes, depth: int) -> bytes | None:
    """``html`` with the script that sets the base URL for a page ``depth`` segments below the
    root, placed first in its head; None when it has no head (not Streamlit's page)."""
    at = html.find(HEAD)
    if depth < 1 or at < 0:
        return None
    at += len(HEAD)
    return html[:at] + SCRIPT.format(depth=int(depth)).encode() + html[at:]


class BaseURL:
    """ASGI middleware: Streamlit's page, served for a path below the app's root, learns the base
    URL from its own address (see the module's docstring)."""

    def __init__(self, app, base_url_path: str = ""):
        self.app = app
        self.base_url_path = base_url_path

    async def __call__(self, scope, receive, send):
        depth = page_depth(scope.get("path", ""), self.base_url_path) if scope["type"] == "http" else 0
        if depth == 0 or scope["method"] != "GET":  # a HEAD keeps the file's length: no browser loads a page by it
            await self.app(scope, receive, send)
            return
        start: dict | None = None  # the response's start, held while an HTML body is read
        body: list[bytes] = []

        async def forward(message):
            nonlocal start
            if message["type"] == "http.response.start":
                headers = dict(message.get("headers", []))
                if headers.get(b"content-type", b"").startswith(b"text/html"):
                    start = message
                    return
            elif message["type"] == "http.response.body" and start is not None:
                body.append(message.get("body", b""))
                if message.get("more_body"):
                    return
                await self._send_page(start, b"".join(body), depth, send)
                return
            elif start is not None:  # a body sent some other way (a server's file extension): left as it is
                await send(start)
                start = None
            await send(message)

        await self.app(scope, receive, forward)

    @staticmethod
    async def _send_page(start: dict, sent: bytes, depth: int, send) -> None:
        headers = start.get("headers", [])
        gzipped = dict(headers).get(b"content-encoding") == b"gzip"
        page = with_base_url(gzip.decompress(sent) if gzipped else sent, depth)
        if page is None:  # some other HTML: as it came
            await send(start)
            await send({"type": "http.response.body", "body": sent})
            return
        headers = [(k, v) for k, v in headers if k.lower() not in DROPPED]
        headers.append((b"content-length", str(len(page)).encode()))
        await send({**start, "headers": headers})
        await send({"type": "http.response.body", "body": page})


def install() -> str | None:
    """Wrap the ASGI app that ``streamlit run`` builds in ``BaseURL``, from now on in this process;
    None once done, else why it cannot be (a Streamlit that builds its server elsewhere)."""
    from streamlit import config
    from streamlit.web.server.starlette import starlette_server

    from ui import static_files

    build = getattr(starlette_server, "create_starlette_app", None)
    if build is None:
        return "this Streamlit has no streamlit.web.server.starlette.starlette_server.create_starlette_app"
    if getattr(build, "wraps_base_url", False):
        return None

    def create_starlette_app(runtime):  # and the browser's files sent cacheable (ui/static_files.Immutable)
        base = config.get_option("server.baseUrlPath") or ""
        return BaseURL(static_files.Immutable(build(runtime), base), base)

    create_starlette_app.wraps_base_url = True
    starlette_server.create_starlette_app = create_starlette_app
    return None
