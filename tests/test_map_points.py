"""The browser map's points on a large map (tests/bigmap.py: 30,000 points, past the size where
WebGL2 may draw them): WebGL2 draws the picture the canvas draws, and the canvas draws wherever
WebGL2 is rendered in software or missing."""

import contextlib
import io

import numpy as np
import pytest
from PIL import Image

from explorer.bundles import webexport

from . import bigmap, browser

pytestmark = pytest.mark.skipif(browser.missing() is not None, reason=str(browser.missing()))
N = 30_000


@pytest.fixture(scope="module")
def big_map(tmp_path_factory):
    """The stand-in map's files on a local static server: (origin, model, stand-in, map)."""
    root = tmp_path_factory.mktemp("bigmap")
    m, fake, mp = bigmap.synthetic("mnist-vae-2d", "direct", N)
    webexport.write(fake, root / "m", ["direct"])
    with bigmap.served(root) as origin:
        yield origin, m, fake, mp


def drawn(b, big_map, choice: str | None, script: str = "") -> tuple[str, np.ndarray]:
    """The map mounted with the points drawn as ``choice`` asks (None: the map's own choice):
    which drew them (data-points), and the map's stage as RGB pixels."""
    with contextlib.closing(b.new_page(viewport={"width": 1000, "height": 800})) as page:
        if choice:
            page.add_init_script(f"globalThis.latentMapPoints = '{choice}'")
        if script:
            page.add_init_script(script)
        bigmap.mount(page, *big_map)
        page.mouse.move(0, 0)  # the pointer off the map: no preview floating over it
        surface = page.locator("[data-latent-map]")
        surface.dispatch_event("pointerleave")
        shot = page.locator(".lm-stage").screenshot()
        return surface.get_attribute("data-points"), np.asarray(Image.open(io.BytesIO(shot)).convert("RGB"), dtype=int)


def test_webgl2_draws_the_points_the_canvas_draws(big_map):
    with browser.chromium() as b:
        by_canvas, canvas = drawn(b, big_map, "canvas")
        by_gl, gl = drawn(b, big_map, "webgl2")
    assert (by_canvas, by_gl) == ("canvas", "webgl2")
    assert canvas.shape == gl.shape
    inked = (canvas < 230).any(-1)
    assert inked.mean() > 0.05, "the points cover a good part of the map"
    differ = (np.abs(canvas - gl) > 6).any(-1)
    # the same squares in the same places and colours; a square whose centre falls off the
    # canvas by less than its size is kept by the canvas and clipped by WebGL: a few at the edge
    assert differ.mean() < 0.002, f"{differ.mean():.2%} of the map's pixels differ"


def test_the_canvas_draws_where_webgl2_is_software_or_missing(big_map):
    no_webgl2 = """{const get = HTMLCanvasElement.prototype.getContext;
        HTMLCanvasElement.prototype.getContext = function (kind, ...rest) {
            return kind === 'webgl2' ? null : get.call(this, kind, ...rest); };}"""
    with browser.chromium() as b:
        by_default, _ = drawn(b, big_map, None)  # headless Chromium renders WebGL in software
        by_missing, pixels = drawn(b, big_map, "webgl2", no_webgl2)
    assert by_default == "canvas"
    assert by_missing == "canvas"
    assert (pixels < 230).any(-1).mean() > 0.05
