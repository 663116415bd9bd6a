"""The browser-drawn latent map (?renderer=canvas) in headless Chromium: hovering decodes under
the pointer and sends nothing to the server; a click shows its image at once and the server's
state and the address bar follow."""

import time

import numpy as np
import pytest

import explorer

from . import browser

pytestmark = pytest.mark.skipif(browser.missing() is not None, reason=str(browser.missing()))

# a model and map of each kind: the latent plane, t-SNE of an MLP VAE, PCA of a conv VAE, and the
# decoders that are not a chain of layers: the sequence autoencoder's GRU (its 28 steps in
# JavaScript under the pointer) and the VQ-VAE's grid snapped to its codebook
CASES = [("mnist-vae-2d", "direct"), ("mnist-vae-16", "tsne"), ("mnist-conv-vae-16", "pca"),
         ("mnist-seq-ae-16", "tsne"), ("mnist-vq-vae", "pca")]


attr = browser.attribute  # Playwright's locators see into the component's shadow root


def open_map(page, url, model, map_name, more: str = ""):
    sent = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda payload: sent.append(time.perf_counter())))
    browser.open_app(page, url, f"model={model}&map={map_name}{more}", plotly=False)  # canvas: the default
    surface = page.locator("[data-latent-map]")
    surface.wait_for(timeout=30_000)
    box = surface.bounding_box()
    # the model's files are in once the first hover draws a preview
    deadline = time.time() + 30
    while attr(page, "[data-preview]", "data-preview") is None and time.time() < deadline:
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2 + np.random.rand())
        time.sleep(0.2)
    assert attr(page, "[data-preview]", "data-preview") is not None, "the map never decoded under the pointer"
    return box, sent


@pytest.mark.parametrize("model,map_name", CASES)
def test_hover_decodes_in_the_browser_and_a_click_commits_the_spot(app_url, model, map_name):
    m = explorer.load_model(model)
    with browser.chromium_page() as page:
        box, sent = open_map(page, app_url, model, map_name)
        browser.wait_idle(page)
        time.sleep(0.5)
        before = len(sent)
        previews = set()
        for i in range(12):  # a sweep across the map
            page.mouse.move(box["x"] + box["width"] * (0.15 + 0.06 * i), box["y"] + box["height"] * (0.2 + 0.05 * i))
            time.sleep(0.05)
            previews.add(attr(page, "[data-preview]", "data-preview"))
        assert len(previews) >= 10  # the preview followed the pointer
        assert len(sent) == before, "hovering sent messages to the server"
        # the preview names the map point under the pointer
        x, y = (float(v) for v in attr(page, "[data-preview]", "data-preview").split(","))
        lo, hi = m.map(map_name).view_box()
        assert lo[0] <= x <= hi[0] and lo[1] <= y <= hi[1]

        # click: the image is there at once (measured in the page), then the server follows
        took = page.evaluate("""() => new Promise((resolve) => {
            const host = [...document.querySelectorAll('*')].find((e) => e.shadowRoot &&
                e.shadowRoot.querySelector('[data-latent-map]'));
            const root = host ? host.shadowRoot : document;
            const surface = root.querySelector('[data-latent-map]'), spot = root.querySelector('.lm-spot');
            const before = spot.dataset.spot;
            const r = surface.getBoundingClientRect();
            const at = {clientX: r.left + r.width * 0.62, clientY: r.top + r.height * 0.37, pointerId: 1, bubbles: true};
            const start = performance.now();
            surface.dispatchEvent(new PointerEvent('pointerdown', at));
            surface.dispatchEvent(new PointerEvent('pointerup', at));
            resolve([performance.now() - start, spot.dataset.spot !== before]);
        })""")
        assert took[1], "the clicked spot's image did not appear"
        assert took[0] < 100, f"the click took {took[0]:.0f} ms to show its image"
        spot = page.evaluate("""() => {
            const host = [...document.querySelectorAll('*')].find((e) => e.shadowRoot &&
                e.shadowRoot.querySelector('[data-spot]'));
            return (host ? host.shadowRoot : document).querySelector('canvas[data-spot]').dataset.spot;
        }""")
        deadline = time.time() + 20
        while time.time() < deadline:
            query = browser.location_query(page)
            if query.get("spot") == spot:
                break
            time.sleep(0.1)
        assert query.get("spot") == spot and "renderer" not in query
        browser.wait_idle(page)
        server_images = page.locator("img[data-spot]")
        assert server_images.first.get_attribute("data-spot") == spot
        assert page.locator("[data-testid='stException']").count() == 0


def test_a_click_reruns_only_the_map_and_its_panel_and_use_as_a_reruns_the_page(app_url):
    """A click reruns the map's fragment alone: the walk below is neither recomputed nor re-sent.
    "Use as start A" changes the walk, so it reruns the whole page."""
    with browser.chromium_page() as page:
        received = []
        page.on("websocket", lambda ws: ws.on("framereceived", lambda p: received.append(
            p if isinstance(p, bytes) else p.encode())))
        box, _ = open_map(page, app_url, "mnist-vae-2d", "direct")
        browser.wait_idle(page)
        time.sleep(0.5)
        assert any(b"evenly spaced steps" in p for p in received)  # the walk's caption, sent at first
        received.clear()
        page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.6)
        page.mouse.down()
        page.mouse.up()
        page.locator("img[data-spot]").wait_for(timeout=20_000)
        browser.wait_idle(page)
        spot = page.locator("img[data-spot]").first.get_attribute("data-spot")
        assert any(b"Decoded at your click" in p for p in received)
        assert not any(b"evenly spaced steps" in p for p in received), "the click re-sent the walk"
        assert sum(len(p) for p in received) < 50_000
        ends = lambda: [t for t in page.locator("p").all_inner_texts() if t.startswith("A: ")]  # noqa: E731
        before = ends()
        page.get_by_role("button", name="Use as start A").click()
        deadline = time.time() + 20
        while "a" not in browser.location_query(page) and time.time() < deadline:
            time.sleep(0.1)
        browser.wait_idle(page)
        a = browser.location_query(page)["a"]
        # A is the clicked spot, or the test image it landed on (a click near a dot takes the dot)
        assert ends() != before
        if "," in a:
            x, y = (float(v) for v in spot.split(","))
            assert a == spot and ends() == [f"A: the spot ({x:.2f}, {y:.2f})"]
        else:
            assert ends()[0].startswith(f"A: test image #{a} ")
        assert page.locator("[data-testid='stException']").count() == 0


def test_hovering_a_test_point_shows_what_the_decoder_draws_there_with_the_original_in_its_corner(app_url, images_dir):
    """Over a test point the preview is the decoder's image of that point's code (its
    reconstruction), and the dataset's own image sits in its corner, the caption saying which is
    which; over empty space, the decoder's image alone."""
    from explorer import data

    m = explorer.load_model("mnist-vae-2d")
    mp = m.map("direct")
    originals = data.load("mnist", "test", images_dir).images
    with browser.chromium_page() as page:
        box, _ = open_map(page, app_url, "mnist-vae-2d", "direct")
        lo, hi = (np.asarray(v, float) for v in mp.view_box())
        px = (mp.xy - lo) / (hi - lo) * [box["width"], -box["height"]] + [box["x"], box["y"] + box["height"]]
        # a test point with no other within 8 pixels, well inside the map
        d = np.hypot(*(px[:, None, :] - px[None, :500, :]).transpose(2, 0, 1))
        d[np.arange(500), np.arange(500)] = np.inf
        inside = (px[:500] > [box["x"] + 20, box["y"] + 20]).all(1) & (px[:500] < [box["x"] + box["width"] - 20, box["y"] + box["height"] - 20]).all(1)
        row = int(np.flatnonzero((d.min(0) > 8) & inside)[0])
        preview = """() => {
            const host = [...document.querySelectorAll('*')].find((e) => e.shadowRoot && e.shadowRoot.querySelector('.lm-preview'));
            const grey = (c) => Array.from(c.getContext('2d').getImageData(0, 0, 28, 28).data.filter((_, i) => i % 4 === 0));
            const original = host.shadowRoot.querySelector('.lm-original');
            return [grey(host.shadowRoot.querySelector('.lm-preview')), grey(original), original.dataset.original || null,
                    getComputedStyle(original).display, host.shadowRoot.querySelector('.lm-preview-caption').textContent];
        }"""
        deadline = time.time() + 20
        while time.time() < deadline:  # the images arrive after the model
            page.mouse.move(*px[row] + [0, 0.3 * np.random.rand()])
            time.sleep(0.1)
            decoded, original, index, shown, caption = page.evaluate(preview)
            if index is not None:
                break
        test_index = int(m.latents.index[row])
        assert caption == (f"decoded under the pointer: test image #{test_index} (a {m.latents.labels[row]}); "
                           "in the corner, the original")
        assert (index, shown) == (str(test_index), "block")
        np.testing.assert_array_equal(np.array(original, np.uint8).reshape(28, 28), originals[test_index])
        rebuilt = np.clip(m.decode(m.latents.codes[row][None])[0].reshape(28, 28), 0, 1) * 255
        assert np.abs(np.array(decoded, float).reshape(28, 28) - rebuilt).max() <= 3  # the decoder's image, not the original
        assert np.abs(rebuilt - originals[test_index]).max() > 30  # which would differ from it
        # empty space: the decoder's image, no test image named, no original
        page.mouse.move(box["x"] + 3, box["y"] + box["height"] - 3)
        time.sleep(0.3)
        _, _, index, shown, caption = page.evaluate(preview)
        assert caption.startswith("decoded under the pointer: the spot (") and (index, shown) == (None, "none")


def test_scrubbing_the_walk_shows_each_frame_and_the_server_hears_the_release(app_url):
    with browser.chromium_page() as page:
        open_map(page, app_url, "mnist-conv-vae-16", "tsne")
        browser.wait_idle(page)
        box = page.locator("[data-scrub]").bounding_box()
        y = box["y"] + box["height"] / 2
        page.mouse.move(box["x"] + 4, y)
        page.mouse.down()
        shown = []
        for i in range(1, 11):
            page.mouse.move(box["x"] + 4 + i * (box["width"] - 8) / 10, y)
            time.sleep(0.05)
            shown.append(attr(page, "canvas[data-frame]", "data-frame"))
        page.mouse.up()
        assert len(set(shown)) == 10, shown  # a new frame for every step of the drag
        assert [float(t) for t in shown] == sorted(float(t) for t in shown)
        deadline = time.time() + 20
        while time.time() < deadline:
            query = browser.location_query(page)
            if query.get("t") == shown[-1]:
                break
            time.sleep(0.1)
        assert query.get("t") == shown[-1]  # the final position reached the server and the link
        browser.wait_idle(page)
        assert page.locator("img[data-walk-t]").first.get_attribute("data-walk-t") == shown[-1]  # the steps follow


def test_switching_models_draws_the_new_models_map(app_url):
    with browser.chromium_page() as page:
        open_map(page, app_url, "mnist-vae-2d", "direct")
        assert attr(page, "[data-latent-map]", "data-latent-map") == "mnist-vae-2d/direct"
        page.get_by_test_id("stSidebar").get_by_role("combobox").first.click()
        browser.model_option(page, "mnist-ae-16").click()
        deadline = time.time() + 30
        while attr(page, "[data-latent-map]", "data-latent-map") != "mnist-ae-16/tsne" and time.time() < deadline:
            time.sleep(0.2)
        assert attr(page, "[data-latent-map]", "data-latent-map") == "mnist-ae-16/tsne"
        browser.wait_idle(page)  # the run is over: the old model's map, kept while it ran, is gone
        box = page.locator("[data-latent-map]").bounding_box()
        while attr(page, "[data-preview]", "data-preview") is None and time.time() < deadline:
            page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2 + np.random.rand())
            time.sleep(0.2)
        x, y = (float(v) for v in attr(page, "[data-preview]", "data-preview").split(","))
        lo, hi = explorer.load_model("mnist-ae-16").map("tsne").view_box()  # a point of the new map
        assert lo[0] <= x <= hi[0] and lo[1] <= y <= hi[1]
        assert browser.location_query(page)["model"] == "mnist-ae-16"


def test_layers_under_the_dots_round_trip_through_the_url(app_url):
    with browser.chromium_page() as page:
        browser.open_app(page, app_url, "model=mnist-vae-16&map=tsne&layers=manifold,error", plotly=False)
        page.locator("[data-latent-map]").wait_for(timeout=30_000)
        assert attr(page, "[data-latent-map]", "data-layers") == "manifold,error"
        deadline = time.time() + 60
        while attr(page, "[data-latent-map]", "data-manifold") != str(14 * 14) and time.time() < deadline:
            time.sleep(0.3)  # the 14 x 14 grid is decoded in idle time
        assert attr(page, "[data-latent-map]", "data-manifold") == str(14 * 14)
        assert page.get_by_text("dot colour: reconstruction error").count() == 1
        # class outlines: one contour per class of the model, drawn with the dots
        page.get_by_test_id("stSidebar").get_by_role("button", name="class outlines").click()
        deadline = time.time() + 20
        while attr(page, "[data-latent-map]", "data-density") != "10" and time.time() < deadline:
            time.sleep(0.2)
        assert attr(page, "[data-latent-map]", "data-density") == "10"
        assert browser.location_query(page).get("layers") == "manifold,error,density"
        # toggled off in the sidebar: gone from the map and from the link
        page.get_by_test_id("stSidebar").get_by_role("button", name="decoded images").click()
        deadline = time.time() + 20
        while browser.location_query(page).get("layers") != "error,density" and time.time() < deadline:
            time.sleep(0.2)
        assert browser.location_query(page).get("layers") == "error,density"
        browser.wait_idle(page)
        assert attr(page, "[data-latent-map]", "data-layers") == "error,density"


def test_class_regions_colour_each_cell_by_what_the_classifier_reads_there(app_url):
    from explorer.baselines import classifier

    m = explorer.load_model("mnist-vae-2d")
    mp = m.map("direct")
    with browser.chromium_page() as page:
        browser.open_app(page, app_url, "model=mnist-vae-2d&map=direct&layers=regions", plotly=False)
        page.locator("[data-latent-map]").wait_for(timeout=30_000)
        deadline = time.time() + 60
        while len(attr(page, "[data-latent-map]", "data-regions") or "") < 14 * 14 and time.time() < deadline:
            time.sleep(0.3)
        got = attr(page, "[data-latent-map]", "data-regions")
        size = page.locator("[data-latent-map]").bounding_box()["width"]
        assert page.get_by_text("Class regions are read by a classifier").count() == 1
    # the same cells, decoded and classified by the library
    lo, hi = mp.view_box()
    centres = (np.arange(14) + 0.5) / 14
    xs, ys = lo[0] + centres * (hi[0] - lo[0]), lo[1] + (1 - centres) * (hi[1] - lo[1])
    points = np.stack(np.meshgrid(xs, ys), -1).reshape(-1, 2).astype(np.float32)
    want = "".join(map(str, classifier.load("mnist").predict(m.decode(mp.to_latent(points)))))
    assert size > 0 and len(got) == 196
    assert np.mean([a == b for a, b in zip(got, want)]) >= 0.97, (got, want)
    assert len(set(got)) >= 8  # the VAE's plane generates nearly every digit somewhere


def test_the_plotly_renderer_stays_one_click_away(app_url):
    with browser.chromium_page() as page:
        open_map(page, app_url, "mnist-vae-2d", "direct")
        page.get_by_test_id("stSidebar").get_by_text("Plotly (server; decodes on click)").click()
        page.wait_for_selector(".js-plotly-plot .nsewdrag", timeout=30_000)
        time.sleep(1)
        assert "renderer=plotly" in page.evaluate("() => location.search")  # the link keeps the choice
        assert page.locator("[data-latent-map]").count() == 0


def test_a_traversal_knob_decodes_live_in_the_browser(app_url):
    m = explorer.load_model("mnist-vae-16")
    with browser.chromium_page() as page:
        browser.open_app(page, app_url, "model=mnist-vae-16&map=tsne", plotly=False)
        page.get_by_text("One dimension at a time: a traversal of the code").click()
        image = page.locator("canvas[data-traverse]")
        image.wait_for(timeout=30_000)
        assert image.get_attribute("data-traverse") == ",".join(["0"] * 16)
        knob = page.locator("input[data-dim='4']")
        knob.fill("2")  # range inputs take fill(); it fires input
        deadline = time.time() + 10
        while image.get_attribute("data-traverse").split(",")[4] != "2" and time.time() < deadline:
            time.sleep(0.1)
        assert image.get_attribute("data-traverse").split(",")[4] == "2"
        got = np.array(page.evaluate("""() => {
            const c = [...document.querySelectorAll('*')].map((e) => e.shadowRoot && e.shadowRoot.querySelector('canvas[data-traverse]'))
                .find(Boolean) || document.querySelector('canvas[data-traverse]');
            return Array.from(c.getContext('2d').getImageData(0, 0, 28, 28).data.filter((_, i) => i % 4 === 0));
        }"""), np.float32).reshape(28, 28) / 255
        # the start is the walk's A (nothing clicked): its code with z5 moved by 2 spreads
        a_text = [t for t in page.locator("p").all_inner_texts() if t.startswith("A: test image #")][0]
        index = int(a_text.split("#")[1].split(" ")[0])
        row = int(m.latents.rows_of(index)[0])
        z = m.latents.codes[row].copy()
        z[4] += 2 * m.latents.codes.std(0)[4]
        assert np.abs(got - m.decode(z[None])[0]).max() <= 2 / 255 + 1e-6


CANVAS_PIXELS = """(selector) => {
    const host = [...document.querySelectorAll('*')].find((e) => e.shadowRoot && e.shadowRoot.querySelector(selector));
    return [...(host ? host.shadowRoot : document).querySelectorAll(selector)].map((c) =>
        Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data.filter((_, i) => i % 4 === 0)));
}"""


@pytest.mark.parametrize("model,label", [("mnist-aae-2d", None), ("mnist-cvae-2d", 7)])
def test_a_click_on_a_new_kinds_plane_draws_the_librarys_decode(app_url, model, label):
    """The adversarial autoencoder's plane and the conditional VAE's (with the label chosen in the
    link): the clicked spot's image, drawn by the browser, is the library's decode of that code;
    the conditional one's strip writes the spot as every digit, each the library's decode with
    that label."""
    m = explorer.load_model(model)
    drawn = m.given(label) if label is not None else m
    with browser.chromium_page() as page:
        box, _ = open_map(page, app_url, model, "direct", f"&label={label}" if label is not None else "")
        browser.click_at(page, box["x"] + box["width"] * 0.62, box["y"] + box["height"] * 0.41)
        spot = browser.wait_new_attribute(page, "canvas[data-spot]", "data-spot")
        z = np.array([[float(v) for v in spot.split(",")]], np.float32)  # a plane: the point is the code
        (pixels,) = page.evaluate(CANVAS_PIXELS, "canvas.lm-spot")
        worst = np.abs(np.array(pixels) / 255 - drawn.decode(z)[0].ravel()).max()
        assert worst <= 2.5 / 255, f"the clicked image differs from the library's by {worst * 255:.1f}/255"
        if label is not None:
            assert browser.attribute(page, "[data-every-label]", "data-every-label") == spot
            strip = np.array(page.evaluate(CANVAS_PIXELS, "[data-every-label] canvas")) / 255
            expected = m.decode(np.repeat(z, len(m.classes), 0), labels=np.array(m.classes)).reshape(len(m.classes), -1)
            assert strip.shape == expected.shape and np.abs(strip - expected).max() <= 2.5 / 255
            deadline = time.time() + 20
            while browser.location_query(page).get("spot") != spot and time.time() < deadline:
                time.sleep(0.1)
            assert browser.location_query(page).get("label") == str(label)
        assert page.locator("[data-testid='stException']").count() == 0
