"""The AE vs VAE page (/compare): one click commits the same place in both frames, or the same
test image, in both models; links restore it; in a real browser both maps answer a click and scrub together."""

import re

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import explorer
from ui import session

from . import browser
from .conftest import ROOT

PAGE = f"import sys\nsys.path.insert(0, {str(ROOT)!r})\nfrom views import compare\ncompare.render()"
LEFT, RIGHT = (session.widget("compare", "map", side, name, "direct")
               for side, name in (("left", "mnist-ae-2d"), ("right", "mnist-vae-2d")))


def open_page(query=None) -> AppTest:
    at = AppTest.from_string(PAGE, default_timeout=60)
    for k, v in (query or {}).items():
        at.query_params[k] = v
    return at.run()


def spots(at) -> list[tuple[str, str]]:
    """(data-spot, caption up to the classifier's reading) of each decoded image, left then right."""
    out = []
    for h in at.get("html"):
        out += re.findall(r'<img [^>]*data-spot="([^"]*)"[^>]*><figcaption[^>]*>(.*?)</figcaption>', h.proto.body)
    return [(spot, caption.split("; the classifier reads")[0]) for spot, caption in out]


def test_a_click_on_either_map_commits_the_same_thing_in_both():
    at = open_page()
    assert not at.exception and spots(at) == []
    ae, vae = explorer.load_model("mnist-ae-2d"), explorer.load_model("mnist-vae-2d")
    # a test image clicked on the left: that image's own code in each model
    x, y = (float(v) for v in ae.map("direct").xy[5])
    at.session_state[LEFT] = {"spot": [x, y], "t": None}
    at.run()
    i = int(ae.latents.index[5])
    (l_spot, l_cap), (r_spot, r_cap) = spots(at)
    assert l_cap == r_cap.replace("mnist-vae-2d", "mnist-ae-2d") == f"mnist-ae-2d decodes test image #{i} (a 1)"
    row = int(vae.latents.rows_of(i)[0])
    np.testing.assert_allclose([float(v) for v in r_spot.split(",")], vae.latents.codes[row], rtol=1e-6)
    assert dict(at.query_params)["spot"] == str(i)
    # empty space on the right: the spot at the same place in the AE's frame (their scales differ)
    at.session_state[RIGHT] = {"spot": [0.5, -0.25], "t": None}
    at.run()
    (l_spot, _), (r_spot, _) = spots(at)
    assert r_spot == "0.5,-0.25"
    (lo_a, hi_a), (lo_v, hi_v) = ae.map("direct").view_box(), vae.map("direct").view_box()
    place = (np.array([0.5, -0.25]) - lo_v) / (hi_v - lo_v)
    np.testing.assert_allclose([float(v) for v in l_spot.split(",")], lo_a + place * (hi_a - lo_a), rtol=1e-5)
    assert dict(at.query_params)["spot"] == l_spot  # the URL holds the left plane's code
    assert not at.exception


def test_a_link_restores_the_pair_and_the_spot_and_bad_values_are_named():
    at = open_page({"left": "mnist-ae-16", "right": "mnist-vae-16", "spot": "42", "t": "0.25"})
    assert [h.value for h in at.header] == ["mnist-ae-16 and mnist-vae-16, side by side"]
    assert [c for _, c in spots(at)] == ["mnist-ae-16 decodes test image #42 (a 4)", "mnist-vae-16 decodes test image #42 (a 4)"]
    assert not at.warning
    at = open_page({"left": "mnist-ae-2d", "right": "nope", "spot": "1,2,3", "t": "7"})
    (notice,) = [w.value for w in at.warning]
    assert "nope" in notice and "spot=1,2,3" in notice and "t=7" in notice
    assert dict(at.query_params) == {"left": "mnist-ae-2d", "right": "mnist-vae-2d"}
    assert not at.exception


@pytest.mark.skipif(browser.missing() is not None, reason=str(browser.missing()))
def test_in_the_browser_a_click_changes_both_spots_and_the_walks_scrub_together(app_url):
    with browser.chromium_page(width=1500) as page:
        page.goto(app_url + "/compare")
        browser.wait_idle(page)
        maps = page.locator("[data-latent-map]")
        maps.first.wait_for(timeout=30_000)
        assert maps.count() == 2
        assert [maps.nth(i).get_attribute("data-latent-map") for i in range(2)] == ["mnist-ae-2d/direct", "mnist-vae-2d/direct"]
        for i in range(2):  # each map hides its "Loading the model" line once the model's files are in
            page.locator(".lm-status").nth(i).wait_for(state="hidden", timeout=30_000)
        box = maps.first.bounding_box()
        page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)
        page.mouse.down()
        page.mouse.up()
        page.locator("img[data-spot]").nth(1).wait_for(timeout=20_000)
        browser.wait_idle(page)
        canvas_spots = [page.locator("canvas[data-spot]").nth(i).get_attribute("data-spot") for i in range(2)]
        img_spots = [page.locator("img[data-spot]").nth(i).get_attribute("data-spot") for i in range(2)]
        assert None not in canvas_spots and canvas_spots == img_spots  # each map's own image for the spot
        # scrub the left walk: the right one moves with it
        scrub = page.locator("[data-scrub]").first.bounding_box()
        y = scrub["y"] + scrub["height"] / 2
        page.mouse.move(scrub["x"] + 4, y)
        page.mouse.down()
        page.mouse.move(scrub["x"] + scrub["width"] * 0.8, y, steps=6)
        frames = [page.locator("canvas[data-frame]").nth(i).get_attribute("data-frame") for i in range(2)]
        page.mouse.up()
        assert frames[0] == frames[1] and float(frames[0]) > 0.6
        assert page.locator("[data-testid='stException']").count() == 0
