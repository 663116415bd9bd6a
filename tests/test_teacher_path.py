"""A teacher's path through the app in a real browser: presenting, the explore page, /compare
and the lessons are one tour, turned by the arrow keys and by the strip's own links; Back and
Forward go through the views made (pages, clicks) and never stay put; a switch of model keeps
the walk; the explore map is the page's largest thing at a projector's size and a large screen."""

import time

import numpy as np
import pytest

import explorer
from explorer.teaching.facts import same_place

from views.lessons import LESSONS

from . import browser

pytestmark = pytest.mark.skipif(browser.missing() is not None, reason=str(browser.missing()))


def path_and_query(page) -> tuple[str, dict]:
    return page.evaluate("location.pathname"), browser.location_query(page)


def wait_for(condition, timeout: float = 30.0, what: str = "") -> None:
    deadline = time.time() + timeout
    while not condition():
        assert time.time() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def click_map(page, fx: float, fy: float) -> str:
    """Click the browser map at the fractions (fx, fy) of its surface; returns the spot the
    address bar then holds."""
    before = browser.location_query(page).get("spot")
    box = page.locator("[data-latent-map][data-drawn]").bounding_box()
    x, y = box["x"] + fx * box["width"], box["y"] + fy * box["height"]
    page.mouse.move(x, y, steps=3)
    page.mouse.down()
    page.mouse.up()
    wait_for(lambda: browser.location_query(page).get("spot") not in (None, before), what="the click in the URL")
    browser.wait_idle(page)
    return browser.location_query(page)["spot"]


def shown_spot(page) -> str | None:
    """The spot the server's click panel shows (its image's data-spot)."""
    return browser.attribute(page, "img[data-spot]", "data-spot")


def test_presenting_the_tour_runs_from_the_explore_page_through_compare_into_the_lessons(app_url):
    with browser.chromium_page(1400, 900) as page:
        page.goto(f"{app_url}/?present=1")
        browser.wait_idle(page)
        page.locator("[data-latent-map][data-drawn]").wait_for(state="attached", timeout=60_000)
        strip = page.locator(".st-key-present_bar")
        # the strip is on the first screen: the next page by name, every page, the keys
        assert strip.get_by_role("link", name="Next: AE vs VAE, side by side").is_visible()
        assert strip.get_by_text("Keys: ← →").is_visible()
        steps = [("key", "ArrowRight", "/compare"), ("link", "Next: 1. The bottleneck", "/bottleneck"),
                 ("key", "ArrowRight", "/ae-vs-pca"), ("key", "ArrowLeft", "/bottleneck"),
                 ("link", "Previous: AE vs VAE, side by side", "/compare"), ("key", "ArrowLeft", "/")]
        for how, what, path in steps:
            if how == "key":
                page.keyboard.press(what)
            else:
                strip.get_by_role("link", name=what).click()
            wait_for(lambda: page.evaluate("location.pathname") == path, what=f"{what} to {path}")
            browser.wait_idle(page)
            assert browser.location_query(page).get("present") == "1", path
            assert not page.locator("[data-testid='stSidebar']").is_visible(), path
            # one line, and the page's title starts under it
            bottom = strip.bounding_box()["y"] + strip.bounding_box()["height"]
            title = page.locator("[data-testid='stMain'] h1, [data-testid='stMain'] h2").first.bounding_box()
            assert strip.bounding_box()["height"] < 70 and title["y"] >= bottom - 2, (path, bottom, title)
        # any page without the sidebar: the strip's menu of every page
        strip.get_by_role("button", name="All pages").click()
        page.get_by_role("link", name="6. Interpolation").click()
        wait_for(lambda: page.evaluate("location.pathname") == "/interpolation", what="the menu's page")
        page.get_by_text(f"lesson 6 of {len(LESSONS)}").wait_for(timeout=30_000)
        assert browser.location_query(page).get("present") == "1"
        # an arrow on the map's own walk slider (inside the component's shadow root) moves the slider
        scrub = page.locator("[data-scrub]")
        scrub.wait_for(timeout=30_000)
        before = scrub.input_value()
        scrub.focus()
        page.keyboard.press("ArrowRight")
        page.wait_for_timeout(1500)
        assert page.evaluate("location.pathname") == "/interpolation" and scrub.input_value() != before
        assert page.locator("[data-testid='stException']").count() == 0


def test_back_and_forward_go_through_clicks_and_pages_one_view_at_a_time(app_url):
    with browser.chromium_page(1400, 900) as page:
        page.goto(f"{app_url}/?model=mnist-vae-2d")
        browser.wait_idle(page)
        page.locator("[data-latent-map][data-drawn]").wait_for(state="attached", timeout=60_000)
        start = path_and_query(page)
        first = click_map(page, 0.3, 0.4)
        second = click_map(page, 0.65, 0.6)
        page.get_by_test_id("stSidebar").get_by_role("link", name="6. Interpolation").click()
        wait_for(lambda: page.evaluate("location.pathname") == "/interpolation", what="lesson 6")
        browser.wait_idle(page)
        lesson = path_and_query(page)
        views = [start, ("/", {**start[1], "spot": first}), ("/", {**start[1], "spot": second}), lesson]
        # each Back is the view before, shown as it was (the spot's image is the clicked one's)
        for i in (2, 1, 0):
            page.go_back()
            wait_for(lambda: path_and_query(page) == views[i], what=f"Back to {views[i]}, at {path_and_query(page)}")
            browser.wait_idle(page)
            time.sleep(0.5)  # a run that wrote the session's view over the address would show here
            assert path_and_query(page) == views[i]
            assert shown_spot(page) == views[i][1].get("spot")
        for i in (1, 2, 3):
            page.go_forward()
            wait_for(lambda: path_and_query(page) == views[i], what=f"Forward to {views[i]}, at {path_and_query(page)}")
            browser.wait_idle(page)
        time.sleep(0.5)
        assert path_and_query(page) == lesson
        assert page.locator("[data-testid='stException']").count() == 0


def test_a_model_switch_keeps_a_b_the_slider_and_the_spot_and_says_so(app_url):
    with browser.chromium_page(1400, 900) as page:
        page.goto(f"{app_url}/?model=mnist-vae-2d&a=5652&b=2147&t=0.29&spot=1.25,-2.5")
        browser.wait_idle(page)
        browser.select_model(page, "mnist-ae-2d")
        wait_for(lambda: browser.location_query(page).get("model") == "mnist-ae-2d", what="the switch")
        browser.wait_idle(page)
        q = browser.location_query(page)
        assert (q["a"], q["b"], q["t"]) == ("5652", "2147", "0.29")
        vae, ae = (explorer.load_model(n).map("direct") for n in ("mnist-vae-2d", "mnist-ae-2d"))
        expected = same_place(np.float32([[1.25, -2.5]]), vae.view_box(), ae.view_box())[0]  # the same place in the frame
        np.testing.assert_allclose([float(v) for v in q["spot"].split(",")], expected, rtol=1e-5)
        page.get_by_text("Kept on mnist-ae-2d's latent plane: A (test image #5652), B (test image #2147)").wait_for()
        assert page.locator("[data-testid='stException']").count() == 0


def test_back_inside_a_lesson_shows_the_address_it_went_back_to(app_url):
    """Back to a lesson's earlier view: its widgets show that view, not the values they last held."""
    with browser.chromium_page(1400, 900) as page:
        page.goto(f"{app_url}/bottleneck?digit=5")
        browser.wait_idle(page)
        field = page.get_by_label("Test image number")
        wait_for(lambda: field.input_value() == "5", what="the link's digit")  # the page's first draw settles
        page.get_by_role("button", name="Another digit").click()
        wait_for(lambda: browser.location_query(page).get("digit") not in (None, "5"), what="another digit")
        browser.wait_idle(page)
        other = browser.location_query(page)["digit"]
        page.go_back()
        wait_for(lambda: browser.location_query(page).get("digit") == "5", what="Back to digit 5")
        browser.wait_idle(page)
        time.sleep(0.5)  # a widget that kept its value would write it over the address here
        assert browser.location_query(page).get("digit") == "5"
        wait_for(lambda: field.input_value() == "5", timeout=5, what="the field showing Back's digit")
        page.go_forward()
        wait_for(lambda: browser.location_query(page).get("digit") == other, what="Forward")
        browser.wait_idle(page)
        wait_for(lambda: field.input_value() == other, timeout=5, what="the field showing Forward's digit")


def map_side(page) -> float:
    """The explore map's side as drawn (its points drawn, its layout settled)."""
    page.locator("[data-latent-map][data-drawn]").wait_for(state="attached", timeout=60_000)
    return page.locator("[data-latent-map]").bounding_box()["width"]


@pytest.mark.parametrize("present", [False, True], ids=["plain", "presenting"])
def test_the_explore_map_is_the_pages_hero_at_a_projectors_size_and_a_large_screen(app_url, present):
    """Presenting, the map's side is at least 80% of the window's height from its first draw (the
    walk's A and B lettered on the map at 20 px or more, the panel's pictures at least 160 px); with
    the sidebar open, at least 60%."""
    share = 0.8 if present else 0.6
    with browser.chromium_page(1400, 900) as page:
        for width, height in ((1400, 900), (1920, 1080)):
            page.set_viewport_size({"width": width, "height": height})
            page.goto(f"{app_url}/?model=mnist-vae-2d{'&present=1' if present else ''}")
            browser.wait_idle(page)
            first = map_side(page)  # at the moment its points are first drawn
            assert first >= share * height, f"{width}x{height}: first drawn at {first:.0f} px"
            if not present:
                assert page.get_by_test_id("stSidebar").is_visible()
                continue
            assert int(browser.attribute(page, "[data-latent-map]", "data-label-px")) >= 20
            for picture in (".lm-preview", ".lm-spot", ".lm-frame"):
                side = page.locator(picture).bounding_box()["width"]
                assert side >= 160, f"{width}x{height}: {picture} is {side:.0f} px"
            # the map and its panel are on the first screen
            panel = page.locator(".lm-panel").bounding_box()
            assert panel["y"] + panel["height"] <= height + 1, f"{width}x{height}: the panel ends at {panel}"
            assert page.locator("[data-latent-map]").bounding_box()["y"] + first <= height
