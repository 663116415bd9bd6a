"""`pip install .` and the `latent-explorer` command, timed as a user meets them: this working
tree copied as a clone holds it, built and installed into a fresh virtual environment (which sees
this machine's packages, so nothing is downloaded), the copy removed, then the command started
from an empty folder until the explore page's map is drawn in headless Chromium.

    python bench/install.py [--record]
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import record  # noqa: E402
from tests import browser  # noqa: E402
from tests.test_packaging import install_a_clone  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        empty = tmp / "empty"
        start = time.perf_counter()
        venv = install_a_clone(tmp)
        installed = time.perf_counter() - start
        site = next((venv / "lib").glob("python3*/site-packages"))
        size = sum(f.stat().st_size for d in ("explorer", "latent_explorer") for f in (site / d).rglob("*") if f.is_file())
        empty.mkdir()
        port = browser._free_port()
        start = time.perf_counter()
        proc = subprocess.Popen([str(venv / "bin/latent-explorer"), "--server.port", str(port), "--server.headless",
                                 "true", "--server.address", "127.0.0.1"], cwd=empty,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            url = f"http://127.0.0.1:{port}"
            assert browser.wait_healthy(url, proc, 240)
            healthy = time.perf_counter() - start
            with browser.chromium_page() as page:
                page.goto(url + "/")
                page.wait_for_selector("[data-latent-map][data-drawn]", state="attached", timeout=120_000)
            drawn = time.perf_counter() - start
        finally:
            browser.stop(proc)
    print(f"build and install into a fresh venv: {installed:.1f} s ({size / 1e6:.0f} MB installed)")
    print(f"latent-explorer from an empty folder: health after {healthy:.1f} s, explore map drawn after {drawn:.1f} s")


if __name__ == "__main__":
    with record.run(__file__):
        main()
