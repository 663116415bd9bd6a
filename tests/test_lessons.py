"""The course: every lesson page opens from its URL without an exception, keeps its
state in the URL (bad values named in one notice), and in a real browser its instrument answers."""

import itertools
import re
import time

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import explorer
from views.lessons import LESSONS

from . import browser
from .conftest import ROOT

PATHS = [lesson.path for lesson in LESSONS]


def open_lesson(path: str, query=None, data_dir=None, monkeypatch=None) -> AppTest:
    script = (f"import sys\nsys.path.insert(0, {str(ROOT)!r})\nimport app\nfrom views.lessons import LESSONS\n"
              f"app.pages()\ndict((l.path, l.render) for l in LESSONS)[{path!r}]()")
    at = AppTest.from_string(script, default_timeout=120)
    for k, v in (query or {}).items():
        at.query_params[k] = v
    return at.run()


def html_attrs(at, name: str) -> list[str]:
    return [v for h in at.get("html") for v in re.findall(rf'data-{name}="([^"]*)"', h.proto.body)]


@pytest.mark.usefixtures("pages_see_images")
@pytest.mark.parametrize("path", PATHS)
def test_every_lesson_opens_with_its_frame_and_no_error(path):
    at = open_lesson(path)
    assert not at.exception and not at.error, (at.exception, [e.value for e in at.error])
    number = PATHS.index(path) + 1
    assert at.caption[0].value == f"Lesson {number} of {len(PATHS)}"
    assert [h.value for h in at.header][0] == {lesson.path: lesson.title for lesson in LESSONS}[path]
    texts = [i.value for i in at.info]
    assert sum(t.startswith("**Try this.**") for t in texts) == 1
    assert any(c.value.startswith("Reference: ") for c in at.caption)


@pytest.mark.usefixtures("pages_see_images")
def test_the_bottleneck_lesson_rebuilds_the_linked_digit_at_every_k():
    at = open_lesson("bottleneck", {"digit": "123"})
    assert html_attrs(at, "digit") == ["123"] and html_attrs(at, "bottleneck") == ["2,4,8,16,32"]
    assert dict(at.query_params) == {"digit": "123"}
    at.button[0].click().run()  # another digit
    assert dict(at.query_params)["digit"] == html_attrs(at, "digit")[0]
    at = open_lesson("bottleneck", {"digit": "99999"})
    assert "digit=99999" in at.warning[0].value and dict(at.query_params) == {"digit": "0"}


@pytest.mark.usefixtures("pages_see_images")
def test_the_denoising_lesson_follows_the_noise_and_the_dae_wins_at_its_own_noise():
    at = open_lesson("denoising", {"digit": "7", "noise": "gaussian:0.5"})
    assert not at.warning and html_attrs(at, "noisy") == ["gaussian:0.5"]
    captions = [c for c in re.findall(r"<figcaption[^>]*>(.*?)</figcaption>", "".join(h.proto.body for h in at.get("html")))]
    plain, dae = (float(c.rsplit(" ", 1)[1]) for c in captions if "autoencoder: error" in c)
    assert dae < plain
    at.slider[0].set_value(0.2).run()
    assert dict(at.query_params) == {"digit": "7", "noise": "gaussian:0.2"}
    at = open_lesson("denoising", {"noise": "salt:3"})
    assert "noise=salt:3" in at.warning[0].value


@pytest.mark.usefixtures("pages_see_images")
def test_the_vae_lesson_computes_z_from_mu_sigma_and_eps():
    at = open_lesson("vae", {"digit": "3", "eps": "1,-0.5"})
    m = explorer.load_model("mnist-vae-2d")
    from explorer import data
    x = data.load("mnist", "test").images[3]
    mean, log_var = (a[0] for a in m.posterior(x[None]))
    z = mean + np.exp(0.5 * log_var) * np.array([1.0, -0.5])
    (shown,) = html_attrs(at, "z")
    np.testing.assert_allclose([float(v) for v in shown.split(",")], z, atol=1e-3)
    at = open_lesson("vae", {"eps": "9,9"})
    assert "eps=9,9" in at.warning[0].value and dict(at.query_params)["eps"] == "0,0"


@pytest.mark.usefixtures("pages_see_images")
def test_map_lessons_share_one_click_and_keep_it_in_the_url():
    at = open_lesson("beta", {"spot": "0.5,-0.25"})
    assert html_attrs(at, "spot") == ["0.5,-0.25"] * 3
    assert len([s for s in at.subheader if s.value.startswith("beta = ")]) == 3
    at = open_lesson("clusters", {"model": "mnist-ae-2d", "spot": "12"})
    assert dict(at.query_params) == {"model": "mnist-ae-2d", "spot": "12"}
    at = open_lesson("clusters", {"model": "nope"})
    assert "nope" in at.warning[0].value


@pytest.mark.usefixtures("pages_see_images")
def test_the_replay_lesson_names_a_model_without_a_replay():
    at = open_lesson("replay", {"model": "mnist-vae-16", "epoch": "3"})
    assert "mnist-vae-16 has no training replay" in at.warning[0].value
    assert dict(at.query_params)["model"] == "mnist-ae-2d" and dict(at.query_params)["epoch"] == "3"


# -- in a real browser ---------------------------------------------------------------------------

needs_browser = pytest.mark.skipif(browser.missing() is not None, reason=str(browser.missing()))


attr = browser.attribute


def wait_for(check, timeout=30.0, every=0.2):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every)
    return check()


def no_exception(page):
    assert page.locator("[data-testid='stException']").count() == 0


def click_map_centre(page, index=0):
    surface = page.locator("[data-latent-map]").nth(index)
    surface.wait_for(timeout=30_000)
    box = surface.bounding_box()
    # the model's files are in once a hover draws a preview; each try moves the pointer by a pixel
    # (up, down, up...) so that every try is a pointer move
    nudge = itertools.cycle((0, 1))
    assert wait_for(lambda: (page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5
                                             + next(nudge)) or attr(page, "[data-preview]", "data-preview")))
    page.mouse.down()
    page.mouse.up()


@needs_browser
@pytest.mark.parametrize("path", ["clusters", "generating", "beta"])
def test_a_click_on_a_lesson_map_decodes_on_every_map(app_url, path):
    n = {"clusters": 1, "generating": 2, "beta": 3}[path]
    with browser.chromium_page(width=1600) as page:
        page.goto(f"{app_url}/{path}")
        browser.wait_idle(page)
        click_map_centre(page)
        assert wait_for(lambda: page.locator("img[data-spot]").count() == n)
        browser.wait_idle(page)
        assert "spot" in browser.location_query(page)
        no_exception(page)


@needs_browser
def test_the_interpolation_lesson_scrubs_in_the_browser(app_url):
    with browser.chromium_page() as page:
        page.goto(f"{app_url}/interpolation?a=3&b=2")
        browser.wait_idle(page)
        click_map_centre(page)  # the model's files are in
        page.locator("[data-scrub]").first.scroll_into_view_if_needed()  # under a tall map, below the window
        scrub = page.locator("[data-scrub]").first.bounding_box()
        y = scrub["y"] + scrub["height"] / 2
        page.mouse.move(scrub["x"] + 4, y)
        page.mouse.down()
        page.mouse.move(scrub["x"] + scrub["width"] * 0.9, y, steps=6)
        page.mouse.up()
        assert float(wait_for(lambda: attr(page, "canvas[data-frame]", "data-frame"))) > 0.7
        no_exception(page)


@needs_browser
def test_the_replay_plays_and_the_pause_goes_into_the_url(app_url):
    with browser.chromium_page() as page:
        page.goto(f"{app_url}/replay?model=mnist-vae-2d")
        browser.wait_idle(page)
        canvas = page.locator("canvas[data-replay]")
        canvas.wait_for(timeout=30_000)
        assert canvas.get_attribute("data-replay") == "mnist-vae-2d"
        assert wait_for(lambda: canvas.get_attribute("data-epoch") == "0.00")
        page.locator("button[data-play]").click()
        assert wait_for(lambda: float(canvas.get_attribute("data-epoch")) > 2)
        page.locator("button[data-play]").click()  # pause
        paused = float(canvas.get_attribute("data-epoch"))
        assert page.locator("button[data-play]").get_attribute("data-play") == "paused"
        assert wait_for(lambda: abs(float(browser.location_query(page).get("epoch", -1)) - paused) < 0.5)
        no_exception(page)


SLIDER = "[data-testid='stSlider'] div[data-rac][data-orientation='horizontal'] >> nth=1"


@needs_browser
@pytest.mark.parametrize("path,hook,act", [
    ("bottleneck", "img[data-digit]", "button:has-text('Another digit')"),
    ("ae-vs-pca", "img[data-digit]", "[data-testid='stNumberInputStepUp']"),
    ("vae", "[data-z]", "button:has-text('Draw eps')"),
    ("denoising", "img[data-noisy]", SLIDER),
    ("anomalies", "[data-testid='stMarkdownContainer'] p:has-text('false alarms')", SLIDER),
])
def test_a_lesson_instrument_answers(app_url, path, hook, act):
    def state():
        el = page.locator(hook).first
        return (el.get_attribute("src") or el.get_attribute("data-z") or el.inner_text()) if el.count() else None

    with browser.chromium_page() as page:
        page.goto(f"{app_url}/{path}")
        browser.wait_idle(page)
        assert wait_for(state), f"{hook} never appeared on /{path}"
        before = state()
        control = page.locator(act).first
        if act == SLIDER:  # a click on the slider's track, a fifth of the way along
            box = control.bounding_box()
            page.mouse.click(box["x"] + box["width"] * 0.2, box["y"] + box["height"] / 2)
        else:
            control.click()
        assert wait_for(lambda: state() not in (None, before)), f"/{path} did not answer"
        browser.wait_idle(page)
        no_exception(page)


REPLAY_JS = ROOT / "ui" / "replay" / "component.js"


def browser_replay_values(q: np.ndarray, lo, hi, folder) -> np.ndarray:
    """What ui/replay/component.js reads from the int16 file of ``q`` [F, n, 2]: its own value()
    function, taken from the file, run under Node over the file's bytes as an Int16Array."""
    import json
    import shutil
    import subprocess

    if shutil.which("node") is None:
        pytest.skip("no node here (apt-get install nodejs) to run the replay's JavaScript")
    found = re.findall(r"^ *(function value\(f, i, d\) \{.*\})$", REPLAY_JS.read_text(), re.M)
    assert len(found) == 1, f"{REPLAY_JS} no longer reads its codes in one line 'function value(f, i, d) {{...}}'"
    (folder / "codes.i16").write_bytes(q.tobytes())
    frames, n, _ = q.shape
    script = f"""
        const b = require("fs").readFileSync(process.argv[1]);
        const codes = new Int16Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
        const [lo, hi] = {json.dumps([np.asarray(lo, float).tolist(), np.asarray(hi, float).tolist()])}, n = {n};
        {found[0]}
        const out = [];
        for (let f = 0; f < {frames}; f++) for (let i = 0; i < n; i++) out.push(value(f, i, 0), value(f, i, 1));
        process.stdout.write(JSON.stringify(out));"""
    done = subprocess.run(["node", "-e", script, str(folder / "codes.i16")], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return np.array(json.loads(done.stdout)).reshape(q.shape)


def test_replay_codes_survive_the_int16_file_the_browser_reads(tmp_path):
    from ui.replay import quantised

    codes = np.random.default_rng(0).normal(0, 5, (7, 300, 2)).astype(np.float32)
    q, lo, hi = quantised(codes)
    assert q.dtype == np.dtype("<i2") and q.shape == codes.shape
    back = browser_replay_values(q, lo, hi, tmp_path)
    assert lo.shape == hi.shape == (7, 2)  # each frame its own scale
    assert (np.abs(back - codes) <= (hi - lo)[:, None, :] / 65535 + 1e-9).all()  # within one step of its frame's scale
    # a frame a thousand times smaller than the others keeps its detail (epoch 0 was eight pixels)
    codes[0] *= 1e-3
    q, lo, hi = quantised(codes)
    back = browser_replay_values(q, lo, hi, tmp_path)
    assert len(np.unique(q[0, :, 0])) > 250 and np.abs(back[0] - codes[0]).max() < 1e-3 * 30 / 65535 * 2
    flat, lo, hi = quantised(np.zeros((2, 3, 2)))  # a replay that never moved still makes a file
    assert (flat == -32768).all() and (browser_replay_values(flat, lo, hi, tmp_path) == 0).all()


def test_every_lesson_is_one_unit_in_the_courses_one_list():
    """A lesson is its own file that registers itself; the course's order names each once. Fails if a
    lesson's file registers another path, quotes a bundle that is not shipped, gives no example link,
    or has a state without the page-state shape (from_query, to_query, updated)."""
    from explorer import list_pretrained
    from ui import course
    from views import lessons

    assert sorted(lessons.ORDER) == sorted(course.REGISTERED) and len(set(lessons.ORDER)) == len(lessons.ORDER)
    shipped = set(list_pretrained())
    for lesson in LESSONS:
        module = lesson.render.__module__
        assert module == f"views.lessons.{lesson.path.replace('-', '_')}", f"{lesson.path} is rendered from {module}"
        assert lesson.example and set(lesson.needs) <= shipped, (lesson.path, set(lesson.needs) - shipped)
        for method in ("from_query", "to_query", "updated"):
            assert callable(getattr(lesson.state, method, None)), f"{lesson.state.__name__} has no {method}"


PAINT = """([cell, entry]) => new Promise((resolve) => {
    const host = [...document.querySelectorAll('*')].find((e) => e.shadowRoot &&
        e.shadowRoot.querySelector('[data-paint-canvas]'));
    const root = host ? host.shadowRoot : document;
    const canvas = root.querySelector('[data-paint-canvas]');
    const LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const before = canvas.dataset.painted, pixels = () => canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    const was = pixels();
    const chosen = entry >= 0 ? entry : (LETTERS.indexOf(before[cell]) + 17) % 64;
    root.querySelector(`[data-entry="${chosen}"]`).click();
    const r = canvas.getBoundingClientRect(), at = {clientX: r.left + r.width * ((cell % 7) + 0.5) / 7,
        clientY: r.top + r.height * (Math.floor(cell / 7) + 0.5) / 7, pointerId: 1, bubbles: true};
    const start = performance.now();
    canvas.dispatchEvent(new PointerEvent('pointerdown', at));
    const took = performance.now() - start, now = pixels();  // before the next frame: drawn in the event itself
    canvas.dispatchEvent(new PointerEvent('pointerup', at));
    let changed = 0;
    for (let i = 0; i < now.length; i += 4) changed += now[i] !== was[i];
    resolve({before, after: canvas.dataset.painted, chosen, took, changed,
             pressed: root.querySelector(`[data-entry="${chosen}"]`).getAttribute('aria-pressed')});
})"""


@needs_browser
def test_painting_a_cell_of_the_vq_vaes_grid_redraws_the_digit_at_once_and_the_link_keeps_it(app_url, data_dir):
    from explorer import data
    from explorer.teaching.state import grid_text

    m = explorer.load_model("mnist-vq-vae")
    with browser.chromium_page() as page:
        page.goto(f"{app_url}/vq-vae?digit=18")
        browser.wait_idle(page)
        start = browser.wait_new_attribute(page, "[data-paint-canvas]", "data-painted")
        assert start is not None, "the painter never drew its grid"
        assert start == grid_text(m.encode_indices(data.load("mnist", "test", data_dir).images[18:19])[0])
        cell = 2 * 7 + 1  # row 2, column 1: the left side of the 3, where an 8 closes its loops
        done = page.evaluate(PAINT, [cell, -1])
        assert done["pressed"] == "true" and done["after"] != done["before"]
        assert done["after"][cell] != done["before"][cell] and done["after"][:cell] == done["before"][:cell]
        assert done["changed"] > 0, "painting a cell left the image as it was"
        assert done["took"] < 100, f"painting took {done['took']:.0f} ms to redraw"
        # the server hears the stroke: the link holds the painted grid, and the library decodes it alike
        assert wait_for(lambda: browser.location_query(page).get("grid") == done["after"])
        assert browser.location_query(page).get("digit") == "18"
        browser.wait_idle(page)
        no_exception(page)
        # the link opens the painted grid again
        page.goto(f"{app_url}/vq-vae?digit=18&grid={done['after']}")
        browser.wait_idle(page)
        assert browser.wait_new_attribute(page, "[data-paint-canvas]", "data-painted") == done["after"]
        # a grid that is not one is named, and the digit's own grid shown
        page.goto(f"{app_url}/vq-vae?digit=18&grid=%3Cb%3E")
        browser.wait_idle(page)
        assert browser.wait_new_attribute(page, "[data-paint-canvas]", "data-painted") == start
        assert page.get_by_text("is not 49 cells").count() >= 1
        no_exception(page)


@needs_browser
def test_the_sequence_decoder_writes_the_digit_row_by_row(app_url):
    with browser.chromium_page() as page:
        page.goto(f"{app_url}/sequence?digit=7")
        browser.wait_idle(page)
        canvas = page.locator("canvas[data-writer]")
        canvas.wait_for(timeout=30_000)
        assert canvas.get_attribute("data-writer") == "mnist-seq-ae-16"
        assert wait_for(lambda: canvas.get_attribute("data-rows-written") == "28")
        page.locator("button[data-play]").click()
        assert wait_for(lambda: int(canvas.get_attribute("data-rows-written")) < 28)  # started again from the top
        assert wait_for(lambda: canvas.get_attribute("data-rows-written") == "28", timeout=15)  # and wrote them all
        assert page.locator("button[data-play]").get_attribute("data-play") == "paused"
        scrub = page.locator("[data-scrub-rows]")
        scrub.fill("10")
        assert wait_for(lambda: canvas.get_attribute("data-rows-written") == "10")
        no_exception(page)
