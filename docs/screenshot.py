"""The README's picture of the explore page, made from this checkout: a server, headless Chromium
at 1400x900, a click on the map and the pointer over it; written small (1000 px wide, 128 colours).

    EXPLORER_DATA_DIR=DIR python docs/screenshot.py        # writes docs/explore.png
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PIL import Image  # noqa: E402

from tests import browser  # noqa: E402  (the tests' server and browser helpers)

OUT = ROOT / "docs" / "explore.png"


def main() -> None:
    with browser.streamlit_server() as url, browser.chromium_page(1400, 900) as page:
        page.goto(f"{url}/?model=mnist-vae-2d&spot=0.3,-0.9&a=3&b=2&t=0.4")
        browser.wait_idle(page)
        page.locator("[data-latent-map][data-drawn]").wait_for(state="attached", timeout=60_000)
        box = page.locator("[data-latent-map]").bounding_box()
        page.mouse.move(box["x"] + box["width"] * 0.62, box["y"] + box["height"] * 0.42, steps=5)
        time.sleep(1.5)
        with tempfile.TemporaryDirectory() as tmp:
            shot = Path(tmp) / "shot.png"
            page.screenshot(path=str(shot))
            picture = Image.open(shot).convert("RGB")
    picture = picture.resize((1000, round(picture.height * 1000 / picture.width)), Image.LANCZOS)
    picture.quantize(128).save(OUT, optimize=True)
    print(f"{OUT}: {OUT.stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()
