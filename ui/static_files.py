"""The files our components fetch: each model's decoder and maps, the replays, the datasets' test
images and the components' own code, served by Streamlit from static/ beside app.py (at
app/static/, see .streamlit/config.toml).

Every set of files is a folder named by the SHA-256 of what it holds, so a browser never keeps a
stale version and two writers of the same content write the same folder. A folder is written
under a unique hidden name and renamed into place once complete: any number of sessions and
server processes sharing one checkout can publish at once, and a folder that exists is whole.
Each folder records its owner (a model's bundle folder, a dataset, a component); publishing a new
version removes the earlier folders of exactly that owner and nothing else.

Where static/ cannot be written (a read-only checkout, a container running as another user) and
the files are not already there, ``Unavailable`` says why; pages then draw the map on the server.
``python -m ui.prepare`` (or ``python -m ui.static_files``) writes every bundle's files ahead of
time (a container image's build step), so such an installation still decodes in the browser. This
module imports nothing of ours: every component publishes through it.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import threading
from pathlib import Path

STATIC = Path(__file__).resolve().parent.parent / "static"
OWNER = ".owner"  # in each folder: who published it, one line
MADE = ".made"  # static/<kind>/.made/<key's digest>: the folder that key was built into, for the next process


class Unavailable(RuntimeError):
    """The browser's files cannot be written here; the message says where and why."""


def digest_of(files: dict[str, bytes]) -> str:
    h = hashlib.sha256()
    for name in sorted(files):
        h.update(name.encode() + b"\0" + len(files[name]).to_bytes(8, "little") + files[name])
    return h.hexdigest()[:20]


def url_of(kind: str, digest: str) -> str:
    return f"app/static/{kind}/{digest}/"


def published(kind: str, digest: str) -> bool:
    return (STATIC / kind / digest / OWNER).is_file()


def publish(kind: str, owner: str, files: dict[str, bytes]) -> str:
    """Put ``files`` (name -> bytes) in static/<kind>/<digest>/ unless they are there; the folder's
    URL relative to the page. Earlier folders of ``owner`` are removed. Unavailable if the folder
    cannot be written."""
    digest = digest_of(files)
    if published(kind, digest):
        return url_of(kind, digest)
    parent = STATIC / kind
    try:
        parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{digest}.", dir=parent))
    except OSError as e:
        raise Unavailable(f"{parent} cannot be written ({e.strerror or e})") from e
    try:
        for name, content in files.items():
            (tmp / name).write_bytes(content)
            (tmp / name).chmod(0o644)
        (tmp / OWNER).write_text(owner + "\n")  # last: a folder with an owner is complete
        (tmp / OWNER).chmod(0o644)
        tmp.chmod(0o755)  # mkdtemp makes a private folder; these are for the web server to read
        tmp.rename(parent / digest)
    except OSError as e:
        shutil.rmtree(tmp, ignore_errors=True)
        if not published(kind, digest):  # not another writer's identical folder: a real failure
            raise Unavailable(f"{parent} cannot be written ({e.strerror or e})") from e
    remove_earlier(kind, owner, digest)
    return url_of(kind, digest)


def owner_of(folder: Path) -> str | None:
    try:
        return (folder / OWNER).read_text().rstrip("\n")
    except OSError:
        return None


def remove_earlier(kind: str, owner: str, keep: str) -> None:
    """Remove the folders of static/<kind>/ that ``owner`` published, except ``keep``: only those
    whose owner record is exactly ``owner`` (never a prefix, never a folder without a record)."""
    for folder in (STATIC / kind).iterdir():
        if folder.name != keep and not folder.name.startswith(".") and owner_of(folder) == owner:
            shutil.rmtree(folder, ignore_errors=True)


# what a content-addressed folder's files may be cached as: they never change under their name
IMMUTABLE = b"public, max-age=31536000, immutable"


class Immutable:
    """ASGI middleware: the files of static/'s content-addressed folders (app/static/KIND/DIGEST/...)
    are sent cacheable for a year and immutable, where Streamlit's static route says no-cache: a
    student's browser that has a model's files does not ask for them again."""

    def __init__(self, app, base_url_path: str = ""):
        self.app = app
        base = "/".join(p for p in (base_url_path or "").split("/") if p)
        self.prefix = "/" + (base + "/" if base else "") + "app/static/"

    async def __call__(self, scope, receive, send):
        path = scope.get("path", "") if scope["type"] == "http" else ""
        parts = path[len(self.prefix):].split("/") if path.startswith(self.prefix) else []
        if len(parts) < 3 or len(parts[1]) != 20 or not parts[1].isalnum() or not parts[-1]:
            await self.app(scope, receive, send)
            return

        async def forward(message):
            if message["type"] == "http.response.start" and message.get("status") == 200:
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"cache-control"]
                message = {**message, "headers": [*headers, (b"cache-control", IMMUTABLE)]}
            await send(message)

        await self.app(scope, receive, forward)


def _key_file(kind: str, key) -> Path:
    return STATIC / kind / MADE / hashlib.sha256(repr(key).encode()).hexdigest()[:24]


def made_from(kind: str, key) -> str | None:
    """The digest of the folder ``key`` (a tuple of plain values that names everything its files
    are built from) was built into, by this process or an earlier one, if that folder is there:
    a server started again serves its files without building them (0.1-0.2 s each)."""
    try:
        digest = _key_file(kind, key).read_text().strip()
    except OSError:
        return None
    return digest if len(digest) == 20 and digest.isalnum() and published(kind, digest) else None


def remember(kind: str, key, digest: str) -> None:
    """Record that ``key`` was built into folder ``digest`` (nothing where static/ is read-only)."""
    f = _key_file(kind, key)
    try:
        f.parent.mkdir(exist_ok=True)
        tmp = f.with_name(f".{f.name}.{threading.get_ident()}")
        tmp.write_text(digest + "\n")
        tmp.replace(f)
    except OSError:
        pass


class Published:
    """What was published for a key (a bundle's version, say), so a page's run does not build the
    files again: ``get(key, build)`` gives the URL, building and publishing ``build()`` only when
    the key is new (to this process and to static/'s record, ``made_from``) or its folder has gone
    (another process removed an older version). ``made_by``: the source files of the code that
    builds them, whose content joins the key in static/'s record (a changed builder builds anew)."""

    def __init__(self, kind: str, made_by: tuple[str, ...] = ()):
        self.kind = kind
        self.made_by = made_by
        self._code: str | None = None
        self._urls: dict = {}
        self._failed: dict = {}  # key -> Unavailable: a read-only install builds nothing twice
        self._lock = threading.Lock()

    def code(self) -> str:
        if self._code is None:
            h = hashlib.sha256()
            for f in self.made_by:
                h.update(Path(f).read_bytes())
            self._code = h.hexdigest()[:20]
        return self._code

    def get(self, key, owner: str, build) -> str:
        with self._lock:
            digest, failed = self._urls.get(key), self._failed.get(key)
        if failed is not None:
            raise Unavailable(str(failed))
        if digest is not None and published(self.kind, digest):
            return url_of(self.kind, digest)
        digest = made_from(self.kind, (key, self.code()))
        if digest is not None:
            with self._lock:
                self._urls[key] = digest
            return url_of(self.kind, digest)
        files = build()
        try:
            url = publish(self.kind, owner, files)
        except Unavailable as e:
            with self._lock:
                self._failed[key] = e
            raise
        digest = digest_of(files)
        remember(self.kind, (key, self.code()), digest)
        with self._lock:
            if len(self._urls) > 256:
                self._urls.clear()
            self._urls[key] = digest
        return url


# What Streamlit gets as a component's code: a few lines that import the real module from a
# static file. Streamlit sends a component's inline code with every rerun of it (50 KB of JS on
# every click); a static file is fetched once and cached by the browser. Its name carries the
# code's digest, so a browser never runs stale code. Resolved against the page, like the model
# files, so it works under a server.baseUrlPath too.
# The page's data comes as a list of one (``component``, below): taken out of it here.
LOADER = """let real = null;
const loading = import(new URL("%s", document.baseURI).href).then((m) => (real = m));
export default function (listed) {
  const component = Array.isArray(listed.data) ? {...listed, data: listed.data[0]} : listed;
  if (real) return real.default(component);
  let cleanup = null, gone = false;
  loading.then((m) => { if (!gone) cleanup = m.default(component); });
  return () => { gone = true; if (typeof cleanup === "function") cleanup(); };
}
"""


def module(name: str, code: str) -> str:
    """Publish a component's ``code`` as static/js/<digest>/<name>.js; its URL, relative to the
    page. Unavailable where static/ cannot be written."""
    return publish("js", f"component:{name}", {f"{name}.js": code.encode()}) + f"{name}.js"


def component(name: str, code: str, css: str):
    """A ``st.components.v2`` component whose code is published once (``module``) and loaded by
    the browser from there; Unavailable where it cannot be written."""
    import streamlit as st

    return listed(st.components.v2.component(name, js=LOADER % module(name, code), css=css))


def listed(mount):
    """``mount`` (a ``st.components.v2`` component) sending its ``data`` as a list of one, which the
    component's code takes out (LOADER does it for ``component``'s). Streamlit looks into a dict's
    values for dataframes, importing pandas and pyarrow for it (1.1 s of a server's first page, before
    its map could go out); a list it sends as JSON as it is."""
    def mount_listed(*args, data=None, **kwargs):
        return mount(*args, data=None if data is None else [data], **kwargs)

    return mount_listed


if __name__ == "__main__":  # the command lives in ui/prepare.py; this name is kept for scripts and images
    import runpy  # (by name, not an import: this module imports nothing of ours, so nothing can cycle back)

    runpy.run_module("ui.prepare", run_name="__main__", alter_sys=True)
