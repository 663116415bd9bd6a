"""The app in headless Chromium: clicks decode where they land, links restore a view, the walk
downloads as a GIF."""

import io
import re
import time
import urllib.parse

import numpy as np
import pytest

import explorer
from explorer.teaching import figures

from . import browser

pytestmark = pytest.mark.skipif(browser.missing() is not None, reason=str(browser.missing()))

SPOT = re.compile(r"the spot \((-?\d+\.\d+), (-?\d+\.\d+)\)")
TEST_IMAGE = re.compile(r"Test image #(\d+) \(a ")


def caption_match(page, pattern, previous=None, timeout: float = 20.0):
    """The first match of ``pattern`` in the page's captions once it differs from ``previous``."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        for text in page.locator("[data-testid='stCaptionContainer']").all_inner_texts():
            m = pattern.search(text)
            if m and m.groups() != previous:
                return m.groups()
        time.sleep(0.05)
    return None


query_of = browser.location_query


@pytest.mark.parametrize("model", [  # the latent plane (the browser map's tests hold its clicks); a t-SNE map
    pytest.param("mnist-vae-2d", marks=pytest.mark.slow), "mnist-vae-16"])
def test_click_on_empty_space_decodes_where_clicked(app_url, model):
    with browser.chromium_page() as page:
        browser.open_app(page, app_url, "renderer=plotly")
        if model != "mnist-vae-2d":  # the app opens on mnist-vae-2d
            browser.select_model(page, model)
        got = None
        for fx, fy in [(0.1, 0.12), (0.85, 0.9)]:  # corners of the plane: empty space
            px, py = browser.click_plot(page, fx, fy)
            expected = browser.plot_to_data(page, px, py)
            got = caption_match(page, SPOT, previous=got)
            assert got is not None, "no decoded spot appeared after the click"
            got = tuple(float(v) for v in got)
            browser.wait_idle(page)
            # the spot snaps to the invisible grid: within one grid step (plus rounding) of the click
            xa = page.evaluate("() => document.querySelector('.js-plotly-plot')._fullLayout.xaxis.range")
            ya = page.evaluate("() => document.querySelector('.js-plotly-plot')._fullLayout.yaxis.range")
            step = max(abs(xa[1] - xa[0]), abs(ya[1] - ya[0])) / (figures.GRID_SIZE - 1)
            assert abs(got[0] - expected[0]) <= step + 0.01 and abs(got[1] - expected[1]) <= step + 0.01, \
                (got, expected, step)
            # the decoded image carries the spot, and the address bar holds it too
            spot = page.locator("img[data-spot]").first.get_attribute("data-spot")
            assert np.allclose([float(v) for v in spot.split(",")], got, atol=0.006)
            assert query_of(page)["spot"] == spot and query_of(page)["model"] == model
            assert query_of(page)["renderer"] == "plotly"
            got = tuple(f"{v:.2f}" for v in got)
            if model == "mnist-vae-16":  # t-SNE: the app says the code is an estimate
                assert page.get_by_text("This code is an estimate").count() == 1
        assert page.locator("[data-testid='stException']").count() == 0


@pytest.mark.slow  # the Plotly renderer's picking, aimed dot by dot: 20 s beside the other tests
def test_a_click_on_a_test_point_in_a_dense_cluster_selects_that_point(app_url):
    """Aimed at a dot, the page shows that test image (or one drawn within 1.5 pixels of it, the
    distance at which the test accepts Plotly's hover as being on the dot)."""
    m = explorer.load_model("mnist-vae-2d")
    xy = m.latents.codes
    # the densest spot: the test point with the most neighbours within 0.1
    sample = np.random.default_rng(0).choice(len(xy), 400, replace=False)
    counts = [(np.linalg.norm(xy - xy[i], axis=1) < 0.1).sum() for i in sample]
    targets = sample[np.argsort(counts)[-3:]]
    with browser.chromium_page() as page:
        browser.open_app(page, app_url, "renderer=plotly")
        previous = None
        for row in targets:
            px, py = browser.data_to_page(page, *xy[row])
            page.mouse.move(px, py, steps=5)
            browser.wait_plotly_hover(page, px, py)  # the hover on a dot drawn within 1.5 px
            browser.click_at(page, px, py, settle=0.4)
            got = caption_match(page, TEST_IMAGE, previous)
            assert got is not None, "the click on a dot did not select a test image"
            chosen = int(m.latents.rows_of(int(got[0]))[0])
            browser.wait_idle(page)
            # both dots where the chart draws them now (the click's rerun redraws the chart)
            (tx, ty), (cx, cy) = browser.data_to_page(page, *xy[row]), browser.data_to_page(page, *xy[chosen])
            assert np.hypot(cx - tx, cy - ty) <= 1.5, (row, chosen, cx - tx, cy - ty)
            previous = got
            browser.wait_idle(page)
            time.sleep(1.0)  # the click's rerun redraws the Plotly chart: let it finish before aiming again


def test_the_latent_plane_is_drawn_square(app_url):
    with browser.chromium_page() as page:
        browser.open_app(page, app_url, "renderer=plotly")
        scale = page.evaluate("""() => {
            const l = document.querySelector('.js-plotly-plot')._fullLayout;
            return [l.xaxis._length / (l.xaxis.range[1] - l.xaxis.range[0]),
                    l.yaxis._length / (l.yaxis.range[1] - l.yaxis.range[0])];
        }""")
        assert scale[0] == pytest.approx(scale[1], rel=0.01)  # pixels per unit, across and up


def test_a_link_opened_in_a_fresh_browser_restores_the_view(app_url):
    m = explorer.load_model("mnist-vae-16")
    mp = m.map("tsne")
    a, b = int(m.latents.index[11]), int(m.latents.index[500])
    x, y = (float(v) for v in mp.xy[42] + np.float32(1.5))
    query = {"model": "mnist-vae-16", "map": "tsne", "spot": f"{x:.7g},{y:.7g}", "a": str(a), "b": str(b),
             "path": "slerp", "t": "0.3"}
    with browser.chromium_page() as page:
        browser.open_app(page, app_url, urllib.parse.urlencode(query, safe=","), plotly=False)  # the default map
        assert page.get_by_role("heading", name="mnist-vae-16: the t-SNE of the codes").count() == 1
        assert page.locator("img[data-spot]").first.get_attribute("data-spot") == query["spot"]
        assert page.locator("img[data-walk-t]").first.get_attribute("data-walk-t") == "0.3"  # the steps' red frame
        assert page.get_by_text(f"test image #{a} (a {m.class_names[m.latents.labels[11]]})").count() >= 1
        assert page.get_by_text(f"test image #{b} (a {m.class_names[m.latents.labels[500]]})").count() >= 1
        slerp = page.get_by_test_id("stRadio").filter(has_text="Path").locator("input[value='1']")
        assert slerp.is_checked()
        assert page.locator("[data-scrub]").first.input_value() == "0.3"  # the walk's one control, the map's own
        assert page.get_by_test_id("stSlider").filter(has_text="Position between A (0) and B (1)").count() == 0
        assert query_of(page) == query
        assert page.locator("[data-testid='stException']").count() == 0
        assert page.locator("[data-testid='stAlertContentWarning']").count() == 0


def test_a_bad_link_shows_one_notice_and_no_traceback(app_url):
    with browser.chromium_page() as page:
        browser.open_app(page, app_url, "model=../../etc/passwd&t=nan&spot=1e999,0&a=abc&a=2", plotly=False)
        notices = page.locator("[data-testid='stAlertContentWarning']").all_inner_texts()
        assert len(notices) == 1 and "Part of the link was ignored" in notices[0]
        assert page.locator("[data-testid='stException']").count() == 0
        assert query_of(page) == {"model": "mnist-vae-2d", "map": "direct"}


def test_the_walk_downloads_as_a_gif_with_every_frame(app_url):
    from PIL import Image

    with browser.chromium_page() as page:
        browser.open_app(page, app_url, plotly=False)
        with page.expect_download(timeout=30_000) as info:
            page.get_by_role("button", name=re.compile("Walk as animated GIF")).click()
        download = info.value
        assert download.suggested_filename == "mnist-vae-2d-walk-lerp.gif"
        gif = Image.open(io.BytesIO(open(download.path(), "rb").read()))
        assert gif.format == "GIF" and gif.n_frames == 10
        assert gif.size[0] >= 28 * 6  # enlarged, not the model's 28 pixels
