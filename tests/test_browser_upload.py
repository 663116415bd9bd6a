"""A digit of your own, in headless Chromium: drawn on the pad or uploaded as a photo-style
picture, it is marked on the map where the model puts it; a file that is not a picture gets a
message and the digit already shown stays."""

import io

import numpy as np
import pytest
from PIL import Image

import explorer
from explorer import data
from explorer.data import preprocess

from . import browser

pytestmark = pytest.mark.skipif(browser.missing() is not None, reason=str(browser.missing()))


def marker(page) -> str | None:
    return browser.attribute(page, "[data-upload]", "data-upload")


def wait_marker(page, other_than=None, timeout=30) -> str:
    value = browser.wait_new_attribute(page, "[data-upload]", "data-upload", other_than, timeout, poll=0.2)
    if value is None:
        raise AssertionError(f"no new data-upload marker (still {other_than})")
    return value


def test_a_drawn_and_an_uploaded_digit_land_on_the_map(app_url, images_dir, tmp_path):
    m = explorer.load_model("mnist-vae-2d")
    with browser.chromium_page() as page:
        browser.open_app(page, app_url, "model=mnist-vae-2d&map=direct", plotly=False)
        page.locator("[data-latent-map]").wait_for(timeout=30_000)
        # draw a 7 with the mouse
        pad = page.locator("[data-draw-pad]")
        pad.scroll_into_view_if_needed()
        box = pad.bounding_box()
        at = lambda fx, fy: (box["x"] + fx * box["width"], box["y"] + fy * box["height"])  # noqa: E731
        page.mouse.move(*at(0.25, 0.2))
        page.mouse.down()
        for fx, fy in [(0.5, 0.2), (0.75, 0.2), (0.6, 0.5), (0.45, 0.85)]:
            page.mouse.move(*at(fx, fy), steps=8)
        page.mouse.up()
        drawn = wait_marker(page)
        x, y = (float(v) for v in drawn.split(","))
        # the caption comes in the same run as the marker, after the map: wait for it, then count
        page.get_by_text(f"It lands at ({x:.2f}, {y:.2f}) on this map (the star).").wait_for(timeout=20_000)
        assert page.get_by_text(f"It lands at ({x:.2f}, {y:.2f}) on this map (the star).").count() == 1
        assert page.get_by_text("From your drawing;").count() == 1
        # the marker sits where the map draws that point
        mp = m.map("direct")
        lo, hi = mp.view_box()
        surface = page.locator("[data-latent-map]").bounding_box()
        star = page.locator("[data-upload]").bounding_box()
        expect = (surface["x"] + (x - lo[0]) / (hi[0] - lo[0]) * surface["width"],
                  surface["y"] + (1 - (y - lo[1]) / (hi[1] - lo[1])) * surface["height"])
        assert abs(star["x"] + star["width"] / 2 - expect[0]) < 2 and abs(star["y"] + star["height"] / 2 - expect[1]) < 2

        # a photo-style upload: a test digit in dark ink on light grey paper, ten times the size
        digit = data.load("mnist", "test", images_dir).images[0]
        photo = Image.fromarray((230 - 0.85 * digit).astype(np.uint8)).resize((280, 280), Image.Resampling.BICUBIC)
        buf = io.BytesIO()
        photo.convert("RGB").save(buf, "JPEG", quality=92)
        (tmp_path / "seven.jpg").write_bytes(buf.getvalue())
        page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(tmp_path / "seven.jpg"))
        uploaded = wait_marker(page, other_than=drawn)
        want = m.encode(preprocess.prepare(buf.getvalue()).image[None])[0]
        got = np.array([float(v) for v in uploaded.split(",")])
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
        assert page.get_by_text("From the file seven.jpg; its light background was inverted").count() == 1

        # a file that is not a picture: a message, and the digit shown stays
        (tmp_path / "notes.png").write_text("this is not a picture")
        page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(tmp_path / "notes.png"))
        page.get_by_text("the file notes.png was not used: this file is not a picture").wait_for(timeout=20_000)
        browser.wait_idle(page)
        assert marker(page) == uploaded
        assert page.locator("[data-testid='stException']").count() == 0
