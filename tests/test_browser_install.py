"""A shared install and a read-only one, in a real browser: two app servers started at
once on one checkout with no browser files yet, and a read-only copy served by an unprivileged
user, where every page still shows its maps (drawn by the server) and nothing shows a traceback."""

import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

from . import browser
from .conftest import ROOT
from .deploy_files import copied, health_command, port

pytestmark = pytest.mark.skipif(browser.missing() is not None, reason=str(browser.missing()))

# what deploy/Dockerfile copies into its image, but the requirements (installed here already) and
# the shipped models (linked: read, never written)
CODE = [p for p in copied() if p not in ("requirements.txt", "pretrained")]
# A page of each way a map is shown (browser maps where files can be written, else the server's):
# explore's map (the lessons whose instrument is one latent map show the same component), compare's
# pair, beta's three, a replay and a PCA map (ae-vs-pca). test_static_files runs a lesson map's page
# with static/ unwritable in AppTest; test_lessons runs every lesson in the browser.
MAP_PAGES = ["?model=mnist-vae-2d", "compare", "beta"]
OTHER_PAGES = ["ae-vs-pca", "replay"]


def checkout_copy(parent: Path) -> Path:
    """The app's code copied (its own, empty static/), the shipped bundles linked."""
    root = parent / "checkout"
    root.mkdir()
    for name in CODE:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, root / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(src, root / name)
    (root / "pretrained").symlink_to(ROOT / "pretrained")
    return root


def open_all(ctx_pages, url, paths):
    """Go to every path, each in its own fresh browser context, without waiting in between."""
    for page, path in zip(ctx_pages, paths):
        page.goto(url + "/" + path, wait_until="commit")


def page_report(page, n_maps: int = 0, timeout=90) -> dict:
    """Once the page's script has run and its ``n_maps`` browser maps (or server-drawn charts, or
    the replay) are on it, drawn or failed: what it shows."""
    browser.wait_idle(page, timeout * 1000)
    deadline = time.time() + timeout
    while time.time() < deadline:
        maps = page.locator("[data-latent-map]")
        states = [(maps.nth(i).get_attribute("data-drawn"), maps.nth(i).get_attribute("data-error"))
                  for i in range(maps.count())]
        # the replay counts once its codes are in and a frame is drawn (data-epoch)
        shown = len(states) + page.locator(".js-plotly-plot").count() + page.locator("canvas[data-replay][data-epoch]").count()
        if shown >= n_maps and all(d or e for d, e in states):
            break
        time.sleep(0.3)
    return {"maps": states, "plotly": page.locator(".js-plotly-plot").count(),
            "replay": page.locator("canvas[data-replay][data-epoch]").count(),
            "exceptions": page.locator("[data-testid='stException']").all_inner_texts(),
            "text": page.locator("[data-testid='stMain']").inner_text()}


@pytest.mark.slow  # two servers' first pages at once: half a minute of both cores (test_static_files holds the files)
def test_two_servers_started_at_once_on_an_empty_folder_draw_every_map(images_dir):
    """Before: temporary files named NAME.tmp collided, and opening one bundle removed the files of
    every bundle whose name it prefixed (lesson 8: "manifest.json: HTTP 404")."""
    with tempfile.TemporaryDirectory() as tmp:
        root = checkout_copy(Path(tmp))
        env = {"EXPLORER_DATA_DIR": images_dir}
        started = [None, None]

        def start(i):
            cm = browser.streamlit_process(env, timeout=120, root=root)
            started[i] = (cm, cm.__enter__()[0])

        threads = [threading.Thread(target=start, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        try:
            assert all(started), "a server did not start"
            assert not (root / "static").exists() or not any((root / "static").rglob("manifest.json"))
            # Both servers export the same three bundles at once, in opposite orders; beta's
            # mnist-vae-2d-beta4 has mnist-vae-2d's name as its prefix (the second defect).
            paths = [["?model=mnist-vae-2d", "beta"], ["beta", "?model=mnist-vae-2d"]]
            n_maps = {"?model=mnist-vae-2d": 1, "beta": 3}
            from playwright.sync_api import sync_playwright

            with sync_playwright() as p:
                b = p.chromium.launch(executable_path=browser.CHROMIUM, args=browser.CHROMIUM_ARGS)
                pages = [b.new_context(viewport={"width": 1400, "height": 900}).new_page() for _ in range(4)]
                for i, (_, url) in enumerate(started):
                    open_all(pages[2 * i:2 * i + 2], url, paths[i])
                reports = [page_report(pg, n_maps[path], timeout=150) for pg, path in zip(pages, paths[0] + paths[1])]
                b.close()
        finally:
            for cm, _ in filter(None, started):
                cm.__exit__(None, None, None)
        for path, r in zip(paths[0] + paths[1], reports):
            assert not r["exceptions"], (path, r["exceptions"])
            assert r["maps"] and all(d and not e for d, e in r["maps"]), (path, r["maps"])
            assert len(r["maps"]) == n_maps[path], (path, r["maps"])
        models = list((root / "static" / "models").iterdir())
        assert not [m for m in models if m.name.startswith(".")], "a temporary folder was left"


def as_nobody() -> tuple[tuple, str | None]:
    """The command prefix that runs the server as an unprivileged user, or why it cannot be had.
    As root: a private mount namespace in which the Python under /root (a 0700 folder) is reachable,
    then `setpriv` to nobody. As another user already: no prefix, the copy is made read-only."""
    if os.geteuid() != 0:
        return (), None
    if not shutil.which("unshare") or not shutil.which("setpriv"):
        return (), "unshare and setpriv (util-linux) are needed to run the server as nobody"
    prefix = sys.prefix
    script = ("set -e; b=$(mktemp -d); mount --bind / $b; mount -t tmpfs -o mode=0755 tmpfs /root; "
              f"mkdir -p {prefix}; mount --bind $b{prefix} {prefix}; "
              'exec setpriv --reuid=65534 --regid=65534 --clear-groups "$@"')
    probe = subprocess.run(["unshare", "-m", "sh", "-c", script, "sh", sys.executable, "-c", "import streamlit, torch"],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        return (), f"cannot run Python as nobody here: {probe.stderr.strip()[-200:]}"
    return ("unshare", "-m", "sh", "-c", script, "sh"), None


def make_read_only(root: Path) -> Path:
    """No one but root can write the copy at ``root``; everyone can read it (and reach it)."""
    for p in [root, *root.rglob("*")]:
        if not p.is_symlink():
            p.chmod(0o555 if p.is_dir() else 0o444)
    for p in root.parents:
        if str(p).startswith(tempfile.gettempdir() + "/"):
            p.chmod(0o755)
    return root


def make_writable(root: Path) -> None:
    """Undo make_read_only, so the temporary copy can be removed by a user who is not root."""
    for p in [root, *root.rglob("*")]:
        if not p.is_symlink():
            p.chmod(0o755 if p.is_dir() else 0o644)


def readable_data(data_dir: str, tmp: Path) -> str:
    """The test images where the unprivileged user can read them (a test's own folders are private)."""
    out = tmp / "data"
    shutil.copytree(Path(data_dir) / "mnist", out / "mnist")
    for p in [out, *out.rglob("*")]:
        p.chmod(0o755 if p.is_dir() else 0o644)
    return str(out)


def home_for_nobody(tmp: Path) -> Path:
    home = tmp / "home"
    home.mkdir()
    home.chmod(0o777)
    return home


def test_a_read_only_copy_served_by_an_unprivileged_user_shows_every_page_with_a_map(images_dir):
    """Before: a read-only checkout showed a PermissionError traceback in place of every browser map."""
    prefix, why = as_nobody()
    if why:
        pytest.skip(why)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        root = make_read_only(checkout_copy(tmp))
        home = home_for_nobody(tmp)
        env = {"HOME": str(home), "EXPLORER_DATA_DIR": readable_data(images_dir, tmp), "XDG_CACHE_HOME": str(home / ".cache")}
        try:
            with browser.streamlit_process(env, timeout=120, root=root, prefix=prefix) as (url, proc):
                with browser.chromium_page(1400, 900) as page:
                    reports = {}
                    for path in MAP_PAGES + OTHER_PAGES:
                        page.goto(url + "/" + path)
                        reports[path] = page_report(page, 1)
            assert not (root / "static").exists()  # nothing could be written, and nothing was
        finally:
            make_writable(root)
        for path, r in reports.items():
            assert not r["exceptions"], (path, r["exceptions"])
            assert "Traceback" not in r["text"] and "PermissionError" not in r["text"], path
        for path in MAP_PAGES + OTHER_PAGES:
            assert reports[path]["plotly"] >= 1, (path, "no server-drawn map")
            assert not reports[path]["maps"], (path, "a browser map with no files to fetch")
        assert "Drawn by the server" in reports["?model=mnist-vae-2d"]["text"]


@pytest.mark.slow  # every bundle's files written, then a server as nobody: a minute of both cores
def test_browser_files_written_ahead_make_a_read_only_copy_decode_in_the_browser(images_dir):
    """`python -m ui.static_files` (the container image's build step) writes every bundle's files,
    so a read-only install still draws and decodes its maps in the browser: the Dockerfile's copy
    of the checkout and its build step, then its command's server (`python -m ui.serve`, on a
    port of the test's) as an unprivileged user, and its health check."""
    prefix, why = as_nobody()
    if why:
        pytest.skip(why)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        root = checkout_copy(tmp)
        done = subprocess.run([sys.executable, "-m", "ui.static_files"], cwd=root, capture_output=True, text=True,
                              env={**os.environ, "EXPLORER_DATA_DIR": images_dir})
        assert done.returncode == 0, done.stdout + done.stderr
        assert "mnist-vae-2d-beta0.5: app/static/models/" in done.stdout
        make_read_only(root)
        home = home_for_nobody(tmp)
        env = {"HOME": str(home), "EXPLORER_DATA_DIR": readable_data(images_dir, tmp)}
        try:
            with browser.streamlit_process(env, timeout=120, root=root, prefix=prefix, warm=True) as (url, _):
                health = subprocess.run(["sh", "-c", health_command().replace("python ", f"{sys.executable} ", 1)
                                         .replace(f"127.0.0.1:{port()}", url.removeprefix("http://"))],
                                        capture_output=True, text=True, timeout=30)
                assert health.returncode == 0, health.stderr
                with browser.chromium_page(1400, 900) as page:
                    reports = {}
                    for path, n in [("?model=mnist-vae-2d", 1), ("beta", 3), ("replay", 1)]:
                        page.goto(url + "/" + path)
                        reports[path] = page_report(page, n)
        finally:
            make_writable(root)
        for path, r in reports.items():
            assert not r["exceptions"], (path, r["exceptions"])
        assert [len(reports[p]["maps"]) for p in ("?model=mnist-vae-2d", "beta")] == [1, 3]
        assert all(d and not e for p in ("?model=mnist-vae-2d", "beta") for d, e in reports[p]["maps"])
        assert not [r for r in reports.values() if "Drawn by the server" in r["text"]]
        assert reports["replay"]["replay"], "the replay is not drawn in the browser"
