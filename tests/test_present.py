"""Presentation mode (?present=1, ui/present.py) in a real browser, at a projector's 1400x900 and at
1920x1080: a lesson's map alone fills at least 80% of the window's height, every lesson's
instrument and its "Try this" are on the first screen, no text is under 20 px and no label drawn
in a picture is under 14 px; the arrow keys turn the lessons and keep the mode; the mode is left
and entered again; printing leaves the navigation out."""

import re
import time

import pytest

from views.lessons import LESSONS

from . import browser
from .test_browser_install import page_report

pytestmark = pytest.mark.skipif(browser.missing() is not None, reason=str(browser.missing()))

MAPS = {lesson.path: lesson.charts for lesson in LESSONS}  # what each lesson's instrument draws, by its own word
ALONE = ("clusters", "interpolation")  # lessons whose instrument is one latent map


SCREENS = [(1400, 900), (1920, 1080)]  # a projector, and a large screen: each lesson opened at the first, then resized


def settled_legibility(page, timeout: float = 5.0) -> dict:
    """``browser.legibility`` once two readings 200 ms apart agree: the maps' last layout (a map
    is fitted again to its window after it is drawn, and after a resize)."""
    seen, deadline = browser.legibility(page), time.time() + timeout
    while time.time() < deadline:
        page.wait_for_timeout(200)
        again = browser.legibility(page)
        if again == seen:
            break
        seen = again
    return seen


def first_screen_problems(page, path: str, width: int, height: int, report: dict) -> list[str]:
    wrong = []
    seen = settled_legibility(page)
    if report["exceptions"]:
        wrong.append(f"{path}: {report['exceptions']}")
    small = [t for t in seen["smallest"] if t[0] < 20]
    if small:
        wrong.append(f"{path} at {width}x{height}: text under 20 px: {small}")
    if any(px < 14 for px in seen["labels"]):
        wrong.append(f"{path} at {width}x{height}: a label drawn in a picture at {min(seen['labels']):.1f} px")
    for part in ("instrument", "tryThis"):
        if seen[part] is None or seen[part] > height:
            wrong.append(f"{path} at {width}x{height}: the {part} ends at {seen[part]} px, below the first screen")
    if path in ALONE and (not seen["maps"] or max(seen["maps"]) < 0.8 * height):
        wrong.append(f"{path} at {width}x{height}: the map is {seen['maps']} px, under 80% of {height}")
    if page.locator("[data-testid='stSidebar']").is_visible():
        wrong.append(f"{path}: the sidebar shows")
    if browser.location_query(page).get("present") != "1":
        wrong.append(f"{path}: the URL lost present=1: {browser.location_query(page)}")
    return wrong


def test_every_lesson_fits_its_first_screen_in_large_type_on_a_projector_and_a_large_screen(app_url):
    wrong = []
    with browser.chromium_page(*SCREENS[0]) as page:
        for path in [lesson.path for lesson in LESSONS]:
            page.set_viewport_size(dict(zip(("width", "height"), SCREENS[0])))
            page.goto(f"{app_url}/{path}?present=1")
            report = page_report(page, MAPS.get(path, 0))
            for i, (width, height) in enumerate(SCREENS):
                if i:
                    page.set_viewport_size({"width": width, "height": height})
                wrong += first_screen_problems(page, path, width, height, report)
    assert not wrong, "\n".join(wrong)


def test_the_arrow_keys_turn_the_lessons_and_the_mode_stays(app_url):
    with browser.chromium_page(1400, 900) as page:
        page.goto(f"{app_url}/clusters?present=1")
        page_report(page, 1)
        for key, number in (("ArrowRight", 4), ("ArrowLeft", 3), ("ArrowLeft", 2)):
            page.keyboard.press(key)
            page.get_by_text(f"lesson {number} of {len(LESSONS)}").wait_for(timeout=30_000)
            browser.wait_idle(page)
            path = LESSONS[number - 1].path
            assert f"/{path}" in page.evaluate("location.pathname")
            assert browser.location_query(page).get("present") == "1"
            assert not page.locator("[data-testid='stSidebar']").is_visible()
        # an arrow typed into a field is the field's: the lesson stays
        page.get_by_label("Test image number").click()
        page.keyboard.press("ArrowRight")
        page.wait_for_timeout(1500)
        assert page.get_by_text(f"lesson 2 of {len(LESSONS)}").is_visible()
        assert page.locator("[data-testid='stException']").count() == 0


def test_leaving_the_mode_brings_the_sidebar_back_and_takes_present_out_of_the_url(app_url):
    with browser.chromium_page(1400, 900) as page:
        page.goto(f"{app_url}/clusters?present=1")
        page_report(page, 1)
        assert not page.locator("[data-testid='stSidebar']").is_visible()
        page.get_by_role("button", name="Leave presentation mode").click()
        browser.wait_idle(page)
        page.locator("[data-testid='stSidebar']").wait_for(state="visible", timeout=20_000)
        assert "present" not in browser.location_query(page)
        # and the sidebar's toggle turns it on again, into the URL
        page.locator("[data-testid='stSidebar']").get_by_text("Presentation mode").click()
        browser.wait_idle(page)
        page.locator("[data-testid='stSidebar']").wait_for(state="hidden", timeout=20_000)
        # the address is written by the run that hid the sidebar, after it (under load, a moment later)
        page.wait_for_function("() => new URLSearchParams(location.search).get('present') === '1'", timeout=20_000)
        assert browser.location_query(page).get("present") == "1"
        assert page.locator("[data-testid='stException']").count() == 0


def test_a_printed_lesson_is_a_short_handout_without_navigation(app_url):
    with browser.chromium_page(1400, 900) as page:
        page.goto(f"{app_url}/denoising")
        page_report(page, 0)
        page.emulate_media(media="print")
        assert not page.locator("[data-testid='stSidebar']").is_visible()
        assert not page.locator("[data-testid='stPageLink']").first.is_visible()
        assert not page.get_by_role("button", name="Another digit").is_visible()
        pdf = page.pdf(format="A4")
        pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
        assert 1 <= pages <= 2, f"{pages} pages"
