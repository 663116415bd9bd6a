"""The static site (ui/site.py): two models written into a folder, served by a plain static file
server, opened in Chromium: each map hovers and clicks (the clicked image within 2/255 of the
library's decode), the walk's slider moves, a link's parameters open the view they name (and what
cannot be is said in one line), a conditional model draws every point as the class chosen, a damaged model file shows its error and leaves the other model,
and no request goes to another host or to a Streamlit endpoint. The command refuses a folder it
did not write."""

import contextlib
import functools
import http.server
import threading

import numpy as np
import pytest

import explorer
from ui import site

from . import browser

pytestmark = pytest.mark.skipif(browser.missing() is not None, reason=str(browser.missing()))
MODELS = ("mnist-vae-2d", "mnist-vae-16", "mnist-cvae-2d")
TOLERANCE = 2 / 255


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The site of MODELS, on a local static file server: its URL and folder."""
    out = tmp_path_factory.mktemp("site") / "site"
    assert site.main(["--out", str(out), "--models", ",".join(MODELS)]) == 0
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(out)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", out
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def opened(url: str, query: str):
    """A fresh page of the site at ``query``, once its map is drawn; the requests it made go in
    page.asked, its errors in page.errors."""
    with browser.chromium() as b:
        page = b.new_page(viewport={"width": 1400, "height": 900})
        page.asked, page.errors = [], []
        page.on("request", lambda r: page.asked.append(r.url))
        page.on("pageerror", lambda e: page.errors.append(str(e)))
        page.goto(url + "index.html" + query)
        page.wait_for_selector("[data-latent-map][data-drawn]", timeout=60_000)
        yield page


def spot_pixels(page) -> np.ndarray:
    return np.array(page.evaluate("""() => {
        const c = document.querySelector('.lm-spot');
        return Array.from(c.getContext('2d').getImageData(0, 0, 28, 28).data.filter((_, i) => i % 4 === 0));
    }""")).reshape(28, 28) / 255


def test_each_map_hovers_clicks_and_walks_with_no_server_but_the_files(served):
    url, _ = served
    for name, method in (("mnist-vae-2d", "direct"), ("mnist-vae-16", "tsne")):
        m = explorer.load_model(name)
        with opened(url, f"?model={name}&map={method}") as page:
            surface = page.locator("[data-latent-map]")
            assert surface.get_attribute("data-latent-map") == f"{name}/{method}"
            box = surface.bounding_box()
            page.mouse.move(box["x"] + box["width"] * 0.42, box["y"] + box["height"] * 0.47)
            page.wait_for_selector("[data-preview]", timeout=10_000)
            page.mouse.click(box["x"] + box["width"] * 0.61, box["y"] + box["height"] * 0.38)
            page.wait_for_selector(".lm-spot[data-spot]", timeout=10_000)
            x, y = map(float, page.locator(".lm-spot").get_attribute("data-spot").split(","))
            expected = m.decode(m.map(method).to_latent(np.array([[x, y]], np.float32)))[0]
            assert np.abs(spot_pixels(page) - expected).max() <= TOLERANCE
            assert f"spot={page.locator('.lm-spot').get_attribute('data-spot')}" in page.evaluate("location.search")
            before = page.locator(".lm-frame").get_attribute("data-frame")
            page.locator("[data-scrub]").fill("0.8")  # the walk's slider, moved
            page.wait_for_function("() => document.querySelector('.lm-frame').dataset.frame === '0.8'")
            assert before != "0.8"
            assert not page.errors
            here = url.rstrip("/")
            assert [u for u in page.asked if not u.startswith(here + "/")] == []
            assert not [u for u in page.asked if "_stcore" in u or "/stream" in u]


def test_a_link_opens_the_view_it_names_and_says_what_it_ignored(served):
    url, _ = served
    m = explorer.load_model("mnist-vae-16")
    query = "?model=mnist-vae-16&map=pca&spot=0.5,-1.25&a=3&b=2&path=slerp&t=0.3"
    with opened(url, query) as page:
        assert page.locator("[data-latent-map]").get_attribute("data-latent-map") == "mnist-vae-16/pca"
        page.wait_for_selector(".lm-spot[data-spot='0.5,-1.25']", timeout=10_000)
        expected = m.decode(m.map("pca").to_latent(np.array([[0.5, -1.25]], np.float32)))[0]
        assert np.abs(spot_pixels(page) - expected).max() <= TOLERANCE
        assert page.locator("[data-scrub]").input_value() == "0.3"
        assert page.locator("#paths input[value=slerp]").is_checked()
        assert page.locator("#notice").is_hidden()
        # the walk's frame at t: the library's slerp between test images 3 and 2
        frame = np.array(page.evaluate("""() => Array.from(document.querySelector('.lm-frame').getContext('2d')
            .getImageData(0, 0, 28, 28).data.filter((_, i) => i % 4 === 0))""")).reshape(28, 28) / 255
        from explorer.teaching import generate

        rows = m.latents.rows_of(np.array([3, 2]))
        z = generate.interpolate(m.latents.codes[rows[0]], m.latents.codes[rows[1]], [0.3], "slerp")
        assert np.abs(frame - m.decode(z)[0]).max() <= TOLERANCE
    with opened(url, "?model=nope<b>&map=umap&t=7&a=99999999") as page:
        notice = page.locator("#notice")
        assert notice.is_visible()
        text = notice.text_content()
        assert all(s in text for s in ('model "nope<b>"', 'map "umap"', 't "7"', 'a "99999999"')), text
        assert page.locator("#notice b").count() == 0  # text, never HTML
        assert page.locator("[data-latent-map]").get_attribute("data-latent-map") == "mnist-vae-2d/direct"


def test_a_conditional_model_draws_every_point_as_the_class_chosen(served):
    url, _ = served
    m = explorer.load_model("mnist-cvae-2d")
    with opened(url, "?model=mnist-cvae-2d&spot=0.5,-0.5&label=7") as page:
        assert page.locator("#label").input_value() == "7"
        page.wait_for_selector(".lm-spot[data-spot='0.5,-0.5']", timeout=10_000)
        expected = m.decode(np.array([[0.5, -0.5]], np.float32), labels=np.array([7]))[0]
        assert np.abs(spot_pixels(page) - expected).max() <= TOLERANCE
        page.locator("#label").select_option("2")
        page.wait_for_function("() => location.search.includes('label=2')")
    with opened(url, "?model=mnist-vae-2d&label=3") as page:  # a model given no labels: said, as text
        assert 'label "3"' in page.locator("#notice").text_content()
        assert page.locator("#label-choice").is_hidden()


def test_the_class_regions_are_read_by_the_datasets_one_shared_classifier(served):
    """Every model of a dataset reads its regions with the one classifier the site keeps for it,
    cell by cell as the library's classifier reads the library's decode of the cell's middle."""
    import json

    from explorer.baselines import classifier

    url, out = served
    entries = {m["name"]: m for m in json.loads((out / "site.json").read_text())["models"]}
    assert {entries[n]["classifier"] for n in MODELS} == {"classifiers/mnist/"}
    assert not (out / "models" / "mnist-vae-2d" / "manifest.json").read_text().count('"classifier"')
    m, clf = explorer.load_model("mnist-vae-2d"), classifier.load("mnist")
    (lo0, lo1), (hi0, hi1) = entries["mnist-vae-2d"]["maps"][0]["box"]
    g = (np.arange(14) + 0.5) / 14
    points = np.array([[lo0 + fx * (hi0 - lo0), lo1 + (1 - fy) * (hi1 - lo1)] for fy in g for fx in g], np.float32)
    expected = clf.predict(m.decode(m.map("direct").to_latent(points)))
    with opened(url, "?model=mnist-vae-2d&map=direct&layers=regions") as page:
        page.wait_for_function("() => (document.querySelector('[data-latent-map]').dataset.regions || '').length === 196",
                               timeout=60_000)
        got = np.array([int(c) for c in page.locator("[data-latent-map]").get_attribute("data-regions")])
    assert (got == expected).mean() >= 0.98 and len(set(expected)) >= 5


def test_a_damaged_model_file_shows_its_error_and_the_other_model_works(served, tmp_path):
    url, out = served
    binary = out / "models" / "mnist-vae-16" / "arrays.bin.gz"
    kept = binary.read_bytes()
    binary.write_bytes(kept[:1000])
    try:
        with opened(url, "?model=mnist-vae-2d") as page:  # the other model draws
            page.locator("#model").select_option("mnist-vae-16")
            page.wait_for_function("() => !document.getElementById('notice').hidden", timeout=30_000)
            assert "mnist-vae-16 could not be loaded" in page.locator("#notice").text_content()
            page.locator("#model").select_option("mnist-vae-2d")
            page.wait_for_selector("[data-latent-map='mnist-vae-2d/direct'][data-drawn]", timeout=30_000)
    finally:
        binary.write_bytes(kept)


def test_the_command_writes_only_a_new_or_empty_folder_or_its_own(served, tmp_path, capsys):
    _, out = served
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    (theirs / "notes.txt").write_text("mine")
    assert site.main(["--out", str(theirs), "--models", "mnist-vae-2d"]) == 2
    assert "did not write" in capsys.readouterr().err and (theirs / "notes.txt").read_text() == "mine"
    assert sorted(p.name for p in theirs.iterdir()) == ["notes.txt"]
    assert site.main(["--out", str(tmp_path / "again"), "--models", "mnist-vae-2d"]) == 0
    assert site.main(["--out", str(tmp_path / "again"), "--models", "mnist-vae-16"]) == 0  # its own: rewritten
    assert sorted(p.name for p in (tmp_path / "again" / "models").iterdir()) == ["mnist-vae-16"]
    assert site.main(["--out", str(tmp_path / "x"), "--models", "no-such-model"]) == 2
    assert "no bundle named no-such-model" in capsys.readouterr().err
