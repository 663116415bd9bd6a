"""The app in headless Chromium: a real click on empty space decodes that very spot, on the
latent plane of a 2-D model and on the t-SNE map of a 16-d one."""

import re
import time

import pytest

from explorer import figures

from . import browser

pytestmark = pytest.mark.skipif(browser.missing() is not None, reason=str(browser.missing()))

SPOT = re.compile(r"the spot \((-?\d+\.\d+), (-?\d+\.\d+)\)")


@pytest.fixture(scope="module")
def app_url(data_dir):
    with browser.streamlit_server({"EXPLORER_DATA_DIR": data_dir}) as url:
        yield url


def decoded_spot(page, previous=None, timeout: float = 20.0):
    """The spot named in the caption of the decoded image, once it differs from ``previous``."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        for text in page.locator("[data-testid='stCaptionContainer']").all_inner_texts():
            m = SPOT.search(text)
            if m and (float(m.group(1)), float(m.group(2))) != previous:
                return float(m.group(1)), float(m.group(2))
        time.sleep(0.05)
    return None


@pytest.mark.parametrize("model", ["mnist-vae-2d", "mnist-vae-16"])  # the latent plane; a t-SNE map
def test_click_on_empty_space_decodes_where_clicked(app_url, model):
    with browser.chromium_page() as page:
        browser.open_app(page, app_url)
        if model != "mnist-vae-2d":  # the app opens on mnist-vae-2d
            browser.select_model(page, model)
        got = None
        for fx, fy in [(0.1, 0.12), (0.85, 0.9)]:  # corners of the plane: empty space
            px, py = browser.click_plot(page, fx, fy)
            expected = browser.plot_to_data(page, px, py)
            got = decoded_spot(page, previous=got)
            assert got is not None, "no decoded spot appeared after the click"
            browser.wait_idle(page)
            # the spot snaps to the invisible grid: within one grid step (plus rounding) of the click
            xa = page.evaluate("() => document.querySelector('.js-plotly-plot')._fullLayout.xaxis.range")
            ya = page.evaluate("() => document.querySelector('.js-plotly-plot')._fullLayout.yaxis.range")
            step = max(abs(xa[1] - xa[0]), abs(ya[1] - ya[0])) / (figures.GRID_SIZE - 1)
            assert abs(got[0] - expected[0]) <= step + 0.01 and abs(got[1] - expected[1]) <= step + 0.01, \
                (got, expected, step)
            assert page.locator("[data-testid='stImage'] img").count() >= 1
            if model == "mnist-vae-16":  # t-SNE: the app says the code is an estimate
                assert page.get_by_text("This code is an estimate").count() == 1
        assert page.locator("[data-testid='stException']").count() == 0
