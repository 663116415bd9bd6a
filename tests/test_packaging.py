"""`pip install .` and the `latent-explorer` command, as a user meets them: the project is built
from what a clone holds, installed into a fresh virtual environment outside the checkout, the
source removed, and the command run from an empty folder serves the explore page with its map
drawn in a real browser. Fails if a file the app needs is not in the package (a component's
script, the shipped bundles, the app's Streamlit settings), if the command only works inside a
checkout, or if a package of the library is missing from pyproject.toml's list."""

import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

import pytest

from . import browser
from .conftest import ROOT


def test_pyproject_installs_every_package_of_the_library():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "explorer").rglob("__init__.py")}
    assert found <= listed, f"add to pyproject.toml's packages: {sorted(found - listed)}"
    assert not listed - found - {"explorer.pretrained", "latent_explorer"}, sorted(listed - found)


def test_the_command_lists_its_commands_and_each_answers_help():
    from explorer import cli

    got = subprocess.run([sys.executable, "-m", "explorer.cli", "--help"], capture_output=True, text=True, timeout=60)
    assert got.returncode == 0 and all(f"  {name} " in got.stdout for name in cli.COMMANDS), got.stdout
    # each command's own --help: test_docs asks every one the docs name
    got = subprocess.run([sys.executable, "-m", "explorer.cli", "trian"], capture_output=True, text=True, timeout=60)
    assert got.returncode == 2 and "no command 'trian'" in got.stderr and "Traceback" not in got.stderr


def source_files() -> list[str]:
    """What a clone of this working tree holds: tracked files and new ones git does not ignore."""
    out = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout
    return [f for f in out.splitlines() if (ROOT / f).is_file()]


def install_a_clone(tmp: Path) -> Path:
    """Copy what a clone holds into ``tmp``/clone, build and install it into a fresh venv ``tmp``/venv
    (which sees this machine's packages, so nothing is downloaded), remove the copy; the venv."""
    src, venv = tmp / "clone", tmp / "venv"
    for f in source_files():
        (src / f).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / f, src / f)
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(venv)], check=True)
    done = subprocess.run([sys.executable, "-m", "pip", "--python", str(venv / "bin/python"), "install", "-q",
                           "--no-build-isolation", "--disable-pip-version-check", str(src)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    shutil.rmtree(src)  # the clone moved away: everything must come from the installed package
    return venv


@pytest.mark.skipif(browser.missing() is not None, reason=str(browser.missing()))
def test_an_installed_package_serves_the_explore_page_from_an_empty_folder():
    """The venv sees this machine's packages (--system-site-packages) so nothing is downloaded:
    what is tested is our package (its files, its entry point), built without network."""
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        venv, empty = install_a_clone(tmp), tmp / "empty"
        empty.mkdir()
        port = browser._free_port()
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH",)}
        env["HOME"] = str(tmp / "home")  # no user config or cache of ours
        proc = subprocess.Popen([str(venv / "bin/latent-explorer"), "--server.port", str(port), "--server.headless",
                                 "true", "--server.address", "127.0.0.1", "--server.fileWatcherType", "none"],
                                cwd=empty, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        url = f"http://127.0.0.1:{port}"
        try:
            assert browser.wait_healthy(url, proc, 240), "the installed command did not start"
            with browser.chromium_page() as page:
                page.goto(url + "/", wait_until="domcontentloaded")
                page.wait_for_selector("[data-latent-map][data-drawn]", state="attached", timeout=120_000)
                assert not page.locator("[data-testid='stException']").count()
                drawn_from = page.evaluate("() => performance.getEntriesByType('resource').map(e => e.name)"
                                           ".filter(n => n.includes('/app/static/models/'))")
                assert drawn_from, "the map's decoder did not come from the installed package's static/"
        finally:
            browser.stop(proc)
        log = proc.stdout.read()
        assert "Traceback" not in log, log[-3000:]
        site = next((venv / "lib").glob("python3*/site-packages"))
        assert (site / "latent_explorer/static/models").is_dir() and (site / "explorer/pretrained").is_dir()
