"""Names and strings from outside are text, never Markdown or HTML: a bundle's name (its folder's
name, and config.json's "name"), an uploaded file's name, a value in the URL, and the error
messages that quote them (they name files, so folders).

The unit tests pin ui/text.py's escaping. The browser test serves bundles copied from the shipped
ones under hostile folder names and opens every page in headless Chromium with hostile names and
URL values. It fails if a script in a name runs (window.__pwned is set), if the browser asks for
an address written in a name (x or x.png), if a name's Markdown is rendered (<strong>bold</strong>,
a link, an image, a formula), if a page raises, or if the hostile string is not on the page as
the literal text it is."""

from __future__ import annotations

import io
import json
import re
import shutil
import time
import urllib.parse
from pathlib import Path

import pytest
from PIL import Image

from explorer.bundles import bundle
from explorer import data
from ui import text

from . import browser

# -- ui/text.py ------------------------------------------------------------------------------

CONTROL = r"[\x00-\x1f\x7f\x85\u2028\u2029]"


def unescape(markdown: str) -> str:
    """What CommonMark shows for backslash escapes: a backslash before ASCII punctuation is dropped."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown)


def unescaped_part(markdown: str) -> str:
    """The Markdown with every escaped character taken out: what is left for Markdown to read."""
    return re.sub(r"\\[!-/:-@\[-`{-~]", "", markdown)


HOSTILE = [
    "**bold**![i](x.png)", '<img src=x onerror="window.__pwned=1">', "[a](javascript:alert(1))", "`code` ~~s~~ __u__",
    ":red[red] :material/home: :smile: $x^2$ $$y$$ | a | b |", "# h\n- item\r\n> quote\u2028x", "\\*already\\*",
    "&lt;b&gt; &amp; &#42;", "www.example.com a@b.co http://x.png", "- a list", "+ a list", "12. a list", "3) a list",
    "  # indented heading", "---", "{attr} [^note]", "naïve café 数字 ✓", "",
]


@pytest.mark.parametrize("s", HOSTILE)
def test_literal_leaves_nothing_for_markdown_to_read(s):
    out = text.literal(s)
    spaced = re.sub(CONTROL, " ", s)
    # shown, it is the string itself (control characters as spaces, word joiners are invisible)
    assert unescape(out).replace(text.WORD_JOINER, "") == spaced
    assert not re.search(r"[\n\r\u2028\u2029]", out)
    left = unescaped_part(out)
    # nothing that opens or closes emphasis, code, a link, an image, HTML, an entity, a table cell,
    # strikethrough, LaTeX or a directive is left unescaped
    assert not set(left) & set("\\`*{}[]<>$&|~"), left
    assert not re.search(r"(?<![^\W_])_|_(?![^\W_])", left), left  # _ beside a space or punctuation
    # nor, unescaped, the mark of a heading, a list or a rule at the start of the line
    assert not re.match(r"\s*([#+-]|\d+[.)](\s|$))", out), out
    # nor an autolink or a shortcode as it would be found in the text
    shown = unescape(out)
    assert not re.search(r"(?i)www\.|://|[-.\w+]@|:[\w+/-]+:", shown), shown


@pytest.mark.parametrize("s", ["mnist-vae-2d", "fashion-mnist-vae-2d (VAE)", "digit=99999 is not a number from 0 to 9999",
                               "noise=salt:3", "test image #12 (a 7)", "the spot (0.50, -0.25)", "eps=9,9", "Oh! Yes?",
                               "/tmp/test_damaged_0/t10k-images-idx3-ubyte.gz"])
def test_literal_leaves_ordinary_text_as_it_reads(s):
    """Names and sentences with nothing for Markdown in them come out unchanged (readable source;
    tests that look for them in AppTest's Markdown find them)."""
    assert text.literal(s) == s


def test_literal_takes_any_value():
    assert text.literal(3.5) == "3.5"
    assert text.literal(ValueError("_a_b")) == "\\_a_b"


@pytest.mark.parametrize("s,fence", [("/tmp/data", "`"), ("a`b", "``"), ("``x", "```"), ("` x `", "``")])
def test_code_fences_longer_than_any_backticks_inside(s, fence):
    out = text.code(s)
    assert out.startswith(fence) and out.endswith(fence)
    inner = out[len(fence):-len(fence)]
    assert "`" * len(fence) not in inner
    # CommonMark strips one space from each side when both sides have one
    assert (inner[1:-1] if inner.startswith(" ") and inner.endswith(" ") else inner) == s


# -- in a real browser ---------------------------------------------------------------------------

# bundles copied from shipped ones under hostile folder names, config.json's "name" the same
HTML_NAME = 'x"><img src=x onerror="window.__pwned=1">'  # closes an attribute, then an element
MD_NAME = "**bold**![i](x.png) [link](javascript:window.__pwned=2) www.example.com $x^2$"
BROKEN_NAME = '<img src=x onerror="window.__pwned=3">**bold**![i](x.png)'  # cut weights: an error quotes its path
MISMATCH_FOLDER, MISMATCH_NAME = "config-name-differs", '<img src=x onerror="window.__pwned=4">**bold**![i](x.png)'
BUNDLES = {HTML_NAME: ("mnist-vae-2d", HTML_NAME), MD_NAME: ("mnist-ae-2d", MD_NAME),
           BROKEN_NAME: ("mnist-ae-2d", BROKEN_NAME), MISMATCH_FOLDER: ("mnist-vae-2d", MISMATCH_NAME)}
# URL values: what a lesson quotes back is cut at 40 characters, these fit
URL_MD, URL_HTML = "**bold**![i](x.png):smile:", "<img src=x onerror=window.__pwned=7>"
URL_CODES = ":material/home: $x^2$ www.example.com"  # an icon, a formula, a link
# uploads
GOOD_FILE = "<img src=x onerror=window.__pwned=5>**bold**.png"  # (Chromium sends a quote as %22)
BAD_FILE = "![i](x.png)<img src=x onerror=window.__pwned=6>.png"

SCAN = """() => {
  const found = {images: [], bold: [], links: [], formulas: []};
  const walk = (root) => {
    for (const el of root.querySelectorAll("*")) {
      const tag = el.tagName.toUpperCase();  // MathML's are lower case
      if (tag === "IMG" && ["x", "x.png"].includes(el.getAttribute("src"))) found.images.push(el.outerHTML);
      if ((tag === "STRONG" || tag === "B") && el.textContent.trim() === "bold") found.bold.push(el.outerHTML);
      if (tag === "A" && /^\\s*javascript:|example\\.com/i.test(el.getAttribute("href") || "")) found.links.push(el.outerHTML);
      if (tag === "ANNOTATION" && el.textContent.trim() === "x^2") found.formulas.push(el.textContent);
      if (el.shadowRoot) walk(el.shadowRoot);
    }
  };
  walk(document);
  found.pwned = window.__pwned === undefined ? null : String(window.__pwned);
  return found;
}"""


STATIC = Path(__file__).resolve().parent.parent / "static"


def _static_folders(models: Path) -> set[Path]:
    """What the app wrote under static/ for the bundles in ``models``: folders named after a
    bundle's folder, or recording it as their owner (a .owner file)."""
    out = set()
    for kind in ("models", "replays"):
        for p in (STATIC / kind).iterdir() if (STATIC / kind).is_dir() else ():
            owner = p / ".owner"
            if any(p.name.startswith(n + "-") for n in BUNDLES) or \
                    owner.is_file() and str(models) in owner.read_text(errors="replace"):
                out.add(p)
    return out


@pytest.fixture(scope="module")
def hostile_app(images_dir, tmp_path_factory):
    """A server whose extra bundles have hostile names; yields (url, {name: bundle folder})."""
    if browser.missing() is not None:
        pytest.skip(str(browser.missing()))
    models = tmp_path_factory.mktemp("hostile-models")
    folders = {}
    for folder, (source, name) in BUNDLES.items():
        dest = models / folder
        shutil.copytree(bundle.PRETRAINED_DIR / source, dest)
        config = json.loads((dest / bundle.CONFIG_FILE).read_text())
        config["name"] = name
        (dest / bundle.CONFIG_FILE).write_text(json.dumps(config))
        folders[folder] = dest
    weights = folders[BROKEN_NAME] / bundle.WEIGHTS_FILE
    weights.write_bytes(weights.read_bytes()[:1000])
    before = _static_folders(models)
    try:
        with browser.streamlit_server({"EXPLORER_DATA_DIR": images_dir, "EXPLORER_MODELS_DIR": str(models)}) as url:
            yield url, folders
    finally:
        for p in _static_folders(models) - before:
            shutil.rmtree(p, ignore_errors=True)


@pytest.fixture(scope="module")
def page(hostile_app):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=browser.CHROMIUM, args=browser.CHROMIUM_ARGS)
        try:
            page = chromium.new_page(viewport={"width": 1400, "height": 1000})
            page.requested = []
            page.on("request", lambda r: page.requested.append(r.url))
            yield page
        finally:
            chromium.close()


def visit(page, url: str, wait_for: str | None = None) -> list[str]:
    """Open ``url`` and wait for the run to finish (and for ``wait_for``); what never came."""
    page.requested.clear()
    page.goto(url)
    browser.wait_idle(page)
    missing = []
    if wait_for:
        try:
            page.locator(wait_for).first.wait_for(timeout=20_000)
        except Exception:  # Playwright's TimeoutError: reported with the rest, not instead of it
            missing.append(f"{url}: {wait_for} never appeared")
    time.sleep(0.5)  # images load and fail, components draw
    return missing


def problems(page, where: str) -> list[str]:
    """What went wrong on the page now, in words (empty: nothing)."""
    found = page.evaluate(SCAN)
    out = []
    if found["pwned"] is not None:
        out.append(f"{where}: a script from a name ran (window.__pwned = {found['pwned']})")
    fetched = [u for u in page.requested if urllib.parse.urlparse(u).path.rsplit("/", 1)[-1] in ("x", "x.png")]
    if fetched:
        out.append(f"{where}: the browser asked for an address from a name: {fetched}")
    for kind in ("images", "bold", "links", "formulas"):
        if found[kind]:
            out.append(f"{where}: a name's Markdown or HTML became {kind}: {found[kind][:3]}")
    if page.locator("[data-testid='stException']").count():
        out.append(f"{where}: the page raised: {page.locator('[data-testid=stException]').first.inner_text()[:300]}")
    return out


def shows(page, selector: str, literal: str, where: str) -> list[str]:
    """``literal`` is on the page, as that text, in an element matching ``selector``."""
    texts = [t.replace(text.WORD_JOINER, "") for t in page.locator(selector).all_inner_texts()]
    if any(literal in t for t in texts):
        return []
    return [f"{where}: {literal!r} is not shown as text in {selector} (found {[t[:120] for t in texts][:4]})"]


def chosen(page, name: str, where: str) -> list[str]:
    """The sidebar's model select shows ``name`` as it is (a select's options are plain text),
    before the bundle's description ("NAME: VAE (1024-512), ...")."""
    box = page.get_by_test_id("stSidebar").get_by_role("combobox").first
    value = box.input_value() if box.count() else None
    return [] if value is not None and value.startswith(name + ": ") else [f"{where}: the select shows {value!r}, not {name!r}"]


def q(**values) -> str:
    return urllib.parse.urlencode(values, quote_via=urllib.parse.quote)


HEADING, ALERT, CAPTION = "[data-testid='stHeading']", "[data-testid='stAlert']", "[data-testid='stCaptionContainer']"


def test_bundle_names_and_url_values_are_text_on_the_explore_page(hostile_app, page):
    url, _ = hostile_app
    wrong = []
    wrong += visit(page, f"{url}/?{q(model=HTML_NAME)}", "[data-latent-map]")
    wrong += problems(page, "explore, HTML name") + shows(page, HEADING, HTML_NAME + ": the", "explore, HTML name")
    wrong += chosen(page, HTML_NAME, "explore, the sidebar's model")
    wrong += visit(page, f"{url}/?{q(model=MD_NAME, map=URL_MD, t=URL_HTML)}", "[data-latent-map]")
    wrong += problems(page, "explore, Markdown name") + shows(page, HEADING, MD_NAME + ": the", "explore, Markdown name")
    wrong += chosen(page, MD_NAME, "explore, the sidebar's model")
    wrong += shows(page, ALERT, URL_MD, "explore, the link's notes")
    # a bundle that cannot be opened: the error quotes its path, so its folder's name
    visit(page, f"{url}/?{q(model=BROKEN_NAME)}")
    wrong += problems(page, "explore, broken bundle") + shows(page, ALERT, BROKEN_NAME, "explore, broken bundle")
    # config.json names it otherwise than its folder: opened under that name, or refused
    visit(page, f"{url}/?{q(model=MISMATCH_FOLDER)}")
    wrong += problems(page, "explore, config name differs")
    assert not wrong, "\n".join(wrong)


def test_an_uploaded_files_name_is_text(hostile_app, page, images_dir):
    url, _ = hostile_app
    assert not visit(page, f"{url}/?{q(model='mnist-vae-2d')}", "[data-latent-map]")
    buf = io.BytesIO()
    Image.fromarray(data.load("mnist", "test", images_dir).images[0]).save(buf, "PNG")
    uploader = page.locator("[data-testid='stFileUploaderDropzoneInput']")
    page.requested.clear()
    uploader.set_input_files(files=[{"name": GOOD_FILE, "mimeType": "image/png", "buffer": buf.getvalue()}])
    page.locator(CAPTION, has_text="From the file").first.wait_for(timeout=30_000)
    browser.wait_idle(page)
    time.sleep(1.0)
    wrong = problems(page, "upload of a picture") + shows(page, CAPTION, f"From the file {GOOD_FILE}", "upload")
    uploader.set_input_files(files=[{"name": BAD_FILE, "mimeType": "image/png", "buffer": b"not a picture"}])
    page.locator(ALERT, has_text="was not used").first.wait_for(timeout=30_000)
    browser.wait_idle(page)
    time.sleep(1.0)
    wrong += problems(page, "upload of a non-picture") + shows(page, ALERT, f"the file {BAD_FILE} was not used",
                                                              "refused upload")
    assert not wrong, "\n".join(wrong)


def test_names_are_text_on_the_replay_and_compare_pages(hostile_app, page):
    url, _ = hostile_app
    wrong = []
    for name in (HTML_NAME, MD_NAME):
        wrong += visit(page, f"{url}/replay?{q(model=name)}", "canvas[data-replay]")
        wrong += problems(page, f"replay of {name!r}") + shows(page, CAPTION, name + ":", f"replay of {name!r}")
        canvas = page.locator("canvas[data-replay]")
        marked = canvas.first.get_attribute("data-replay") if canvas.count() else None
        if marked != name:
            wrong.append(f"replay of {name!r}: the canvas is marked {marked!r}, not with the name")
    visit(page, f"{url}/replay?{q(model=MISMATCH_FOLDER)}")
    wrong += problems(page, "replay, config name differs")
    visit(page, f"{url}/compare?{q(left=MD_NAME, right=HTML_NAME)}")
    wrong += problems(page, "compare") + shows(page, ALERT, f"{MD_NAME} | {HTML_NAME}", "compare, the link's note")
    assert not wrong, "\n".join(wrong)


LESSON_QUERY = dict(digit=URL_MD, threshold=URL_MD, a=URL_MD, epoch=URL_MD, eps=URL_HTML, noise=URL_CODES, b=URL_CODES,
                    t=URL_HTML, spot=URL_HTML, label=URL_MD, labels=URL_MD, grid=URL_HTML)
QUOTE_CODES = ("clusters", "generating", "interpolation", "beta", "denoising")  # lessons that quote b or noise
MARKDOWN_ELEMENTS = ("markdown", "caption", "info", "warning", "error", "success", "header", "subheader", "title")


def shown(body: str) -> str:
    """What a Markdown body shows of escaped text: escapes read, word joiners gone."""
    return unescape(body).replace(text.WORD_JOINER, "")


@pytest.mark.usefixtures("pages_see_images")
@pytest.mark.parametrize("path", [lesson.path for lesson in __import__("views.lessons", fromlist=["LESSONS"]).LESSONS])
def test_url_values_are_text_in_every_lessons_markdown(path):
    """Every lesson opened with hostile URL values, read as the page's elements (no browser): no
    Markdown body holds a value as it came (only escaped, so Markdown reads nothing in it), no HTML
    of ours holds it unescaped, and the link's notes quote it as the text it is."""
    from .test_lessons import open_lesson

    at = open_lesson(path, LESSON_QUERY)
    assert not at.exception, [e.value for e in at.exception]
    bodies = [(kind, str(e.value)) for kind in MARKDOWN_ELEMENTS for e in at.get(kind)]
    html_bodies = [e.proto.body for e in at.get("html")]
    wrong = [f"{path}: a {kind} holds {v!r} as it came: {b[:200]!r}"
             for kind, b in bodies for v in (URL_MD, URL_HTML, URL_CODES) if v in b]
    wrong += [f"{path}: HTML holds {URL_HTML!r} unescaped" for b in html_bodies if URL_HTML in b]
    alerts = [shown(b) for kind, b in bodies if kind in ("info", "warning", "error", "success")]
    for v in (URL_MD, *((URL_CODES,) if path in QUOTE_CODES else ())):
        if not any(v in a for a in alerts):
            wrong.append(f"{path}: the link's notes do not quote {v!r} as text: {[a[:120] for a in alerts]}")
    assert not wrong, "\n".join(wrong)


def test_url_values_are_text_on_lessons_in_the_browser(hostile_app, page):
    """The same, rendered: a lesson with a map (clusters), one that quotes its noise (denoising) and
    the painter's grid (vq-vae), opened in Chromium with hostile URL values."""
    url, _ = hostile_app
    wrong = []
    for path in ("clusters", "denoising", "vq-vae"):
        wrong += visit(page, f"{url}/{path}?{q(**LESSON_QUERY)}")
        wrong += problems(page, path) + shows(page, ALERT, URL_MD, f"{path}, the link's notes")
        if path in QUOTE_CODES:
            wrong += shows(page, ALERT, URL_CODES, f"{path}, the link's notes")
    assert not wrong, "\n".join(wrong)
