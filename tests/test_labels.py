"""Labels in and under pictures are legible where a class sees them: presenting on a projector
(1400x900), every label drawn into a picture is 20 px or more as displayed (its data-label-px
scaled by how large the browser draws the picture, as tests/browser.py LEGIBILITY_JS measures it)
and so is every label under a picture of a row (ui/pictures.row); on a screen, 12 px or more.
Every page that shows such pictures is opened once, its closed panels with pictures opened."""

import time

import numpy as np
import pytest

import explorer

from . import browser

pytestmark = pytest.mark.skipif(browser.missing() is not None, reason=str(browser.missing()))

# Every label shown: drawn ones as displayed, row labels by their computed font size; pictures
# not drawn (a closed panel, width 0) are left out, and counted by the page's expectations instead.
LABELS_JS = r"""() => {
  const shown = (el) => el.getBoundingClientRect().width > 0;
  const drawn = [...document.querySelectorAll('img[data-label-px]')].filter(shown).map((img) =>
    Number(img.dataset.labelPx) * img.getBoundingClientRect().width / img.naturalWidth);
  const under = [...document.querySelectorAll('[data-tile-label]')].filter(shown).map((el) =>
    parseFloat(getComputedStyle(el).fontSize));
  const loading = [...document.querySelectorAll('img[data-label-px]')].some((img) => !img.complete || !img.naturalWidth);
  return {drawn, under, loading};
}"""


def explore_query() -> str:
    """A 16-number VAE (so the traversal is offered) on its PCA map, a test image clicked."""
    mp = explorer.load_model("mnist-vae-16").map("pca")
    x, y = (float(v) for v in mp.xy[7])
    return f"model=mnist-vae-16&map=pca&spot={x:.7g},{y:.7g}"


# path and query, the expanders to open, and how many labels each kind at least (drawn, under)
PAGES = [
    ("bottleneck", "", (), (1, 0)),  # the grid of k
    ("anomalies", "", (), (0, 12)),  # the 12 worst
    ("interpolation", "", (), (0, 10)),  # the walk's steps
    ("", explore_query, ("Nearest in the latent space", "One dimension at a time", "Anomalies:"),
     (1, 8 + 12 + 12)),  # the traversal; the nearest, the walk (with both originals), the 12 worst
]


def measure(page, path: str, query: str, expanders, least) -> dict:
    page.goto(f"{path}?{query}")
    browser.wait_idle(page)
    for name in expanders:
        page.get_by_text(name).first.click()
        time.sleep(0.5)
        browser.wait_idle(page)
    deadline = time.time() + 30
    while True:  # the panels' pictures arrive with their reruns
        seen = page.evaluate(LABELS_JS)
        if (not seen["loading"] and len(seen["drawn"]) >= least[0] and len(seen["under"]) >= least[1]) \
                or time.time() > deadline:
            return seen
        time.sleep(0.5)


def test_labels_of_pictures_are_legible_presenting_and_on_a_screen(app_url):
    wrong = []
    with browser.chromium() as b:
        page = b.new_page(viewport={"width": 1400, "height": 900})
        for path, query, expanders, least in PAGES:
            query = query() if callable(query) else query
            for present, smallest in ((True, 20), (False, 12)):
                if not present and path != "":  # on a screen the explore page has the smallest room
                    continue
                seen = measure(page, f"{app_url}/{path}", "&".join(filter(None, (query, "present=1" if present else ""))),
                               expanders, least)
                where = f"/{path} {'presenting' if present else 'on a screen'} at 1400x900"
                if len(seen["drawn"]) < least[0] or len(seen["under"]) < least[1]:
                    wrong.append(f"{where}: {len(seen['drawn'])} drawn and {len(seen['under'])} row labels, "
                                 f"expected at least {least}")
                labels = seen["drawn"] + seen["under"]
                if labels and min(labels) < smallest:
                    wrong.append(f"{where}: a label at {min(labels):.1f} px, under {smallest} "
                                 f"(drawn {np.round(seen['drawn'], 1).tolist()}, rows {sorted(set(seen['under']))})")
    assert not wrong, "\n".join(wrong)
