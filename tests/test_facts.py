"""The measured facts the lessons state (explorer/teaching/facts.py), recomputed here another way on the
shipped models, and the pages that quote them. None of these needs the dataset: the shipped
bundles hold their test codes and the classifier ships beside them."""

import re

import numpy as np
import pytest
import torch
from scipy.spatial import ConvexHull
from streamlit.testing.v1 import AppTest

import explorer
from explorer.baselines import classifier
from explorer.teaching import facts

from . import browser
from .conftest import ROOT

AE, VAE = "mnist-ae-2d", "mnist-vae-2d"


@pytest.fixture(scope="module")
def clf():
    return classifier.load("mnist")


@pytest.fixture(scope="module")
def measured(clf):
    return {n: facts.generation(explorer.load_model(n), clf, explorer.load_model(n).map("direct")) for n in (AE, VAE)}


def test_same_place_takes_corners_to_corners_and_keeps_fractions():
    a, b = (np.array([-800.0, -1200.0]), np.array([850.0, 450.0])), (np.array([-4.0, -4.5]), np.array([4.0, 3.5]))
    np.testing.assert_allclose(facts.same_place([a[0], a[1]], a, b), [b[0], b[1]], rtol=1e-6)
    p = a[0] + np.array([0.25, 0.8]) * (a[1] - a[0])
    np.testing.assert_allclose(facts.same_place(p, a, b)[0], b[0] + np.array([0.25, 0.8]) * (b[1] - b[0]), rtol=1e-5)
    np.testing.assert_allclose(facts.same_place(facts.same_place(p, a, b), b, a)[0], p, rtol=1e-5)


@pytest.mark.parametrize("name", [AE, VAE])
def test_the_generation_figures_match_a_plain_recount(name, clf, measured):
    """Grid, classifier and region rebuilt here without explorer.teaching.facts: a brute-force distance to
    every test code and the convex hull's half-planes in place of the k-d tree and triangulation."""
    model = explorer.load_model(name)
    mp = model.map("direct")
    g = measured[name]
    lo, hi = mp.view_box()
    n = facts.GRID
    cell = (hi - lo)[0] / n
    xs, ys = lo[0] + (np.arange(n) + 0.5) * cell, lo[1] + (np.arange(n) + 0.5) * cell
    points = np.array([(x, y) for y in ys for x in xs], np.float32)
    images = model.decode(points)
    with torch.no_grad():
        p = torch.softmax(clf.net(torch.from_numpy(images.reshape(-1, 784))), 1).numpy()
    readable = p.max(1) >= 0.9
    assert g.framed == pytest.approx(readable.mean(), abs=1 / len(points))
    codes = mp.xy.astype(np.float64)
    nearest = np.array([np.sqrt(((codes - q) ** 2).sum(1)).min() for q in points.astype(np.float64)])
    hull = ConvexHull(codes)
    inside = (hull.equations[:, :2] @ points.T.astype(np.float64) + hull.equations[:, 2:]).max(0) <= 1e-9
    between = (nearest > 1.5 * cell) & inside
    assert g.n_between == between.sum() > 10
    assert g.between == pytest.approx(readable[between].mean(), abs=1e-9)
    assert g.filled == pytest.approx((nearest <= cell).mean(), abs=1e-9)


def test_the_spot_of_clearest_difference_decodes_as_the_page_says(clf, measured):
    ae, vae = explorer.load_model(AE), explorer.load_model(VAE)
    found = facts.clearest_difference(measured[AE], measured[VAE])
    assert found is not None
    boxes = [m.map("direct").view_box() for m in (ae, vae)]
    z = [lo + found.place * (hi - lo) for lo, hi in boxes]
    p = [clf.probabilities(m.decode(np.asarray(c, np.float32)[None]))[0].max() for m, c in zip((ae, vae), z)]
    assert p[0] < 0.5 <= 0.9 <= p[1]
    np.testing.assert_allclose(p, found.confidence, atol=1e-4)
    # and it is empty space on the AE's plane: no test code within 1.5 cells
    cell = (boxes[0][1] - boxes[0][0])[0] / facts.GRID
    assert np.sqrt(((ae.map("direct").xy - z[0]) ** 2).sum(1)).min() > 1.5 * cell
    # off the frame's edge, so the map's cross marking it (7 px each way and a 3 px stroke) is drawn
    # whole within the frame on the smallest map the browser draws (160 px a side)
    margin = np.minimum(found.place, 1 - found.place).min()
    assert margin >= (facts.EDGE + 0.5) / facts.GRID and margin * 160 > 7 + 1.5


class _Signs:
    """A stand-in model and classifier: class = which quadrant the code is in."""

    classes = [0, 1, 2, 3]
    latents = type("L", (), {"codes": np.random.default_rng(1).standard_normal((500, 2)) * [3.0, 0.5] + [10, 0]})()

    def __init__(self, vae):
        offers = frozenset({"posterior", "prior"}) if vae else frozenset()
        self.kind_info = type("K", (), {"has_posterior": vae, "offers": offers, "prior_name": "the prior N(0, I)"})()

    def prior_sample(self, n, seed=0):  # as a VAE's Model draws: N(0, I)
        return np.random.default_rng(seed).standard_normal((n, 2)).astype(np.float32)

    def decode(self, z):
        return np.asarray(z)

    def probabilities(self, z):
        c = (z[:, 0] > 0).astype(int) * 2 + (z[:, 1] > 0)
        return np.eye(4)[c]


def test_sampling_draws_a_kind_with_a_prior_from_it_and_an_ae_from_its_fitted_normal():
    vae = facts.sampling(_Signs(True), _Signs(True), samples=4000)
    assert vae.source == "the prior N(0, I)" and vae.readable == 1.0
    assert vae.balance > 0.99 and np.allclose(vae.class_shares, 0.25, atol=0.03)  # four quadrants alike
    ae = facts.sampling(_Signs(False), _Signs(False), samples=4000)
    # its codes sit around (10, 0): the fitted normal gives the two right quadrants only
    assert ae.source.startswith("a normal") and ae.class_shares[:2].sum() < 0.01
    assert 0.45 < ae.balance < 0.55  # two classes of four: log 2 / log 4
    assert ae.rarest(["a", "b", "c", "d"])[0] in ("a", "b")


def test_cluster_agreement_matches_a_brute_force_count():
    model = explorer.load_model(AE)
    rows = np.random.default_rng(0).choice(len(model.latents.labels), 1500, replace=False)
    xy, labels = model.map("direct").xy[rows].astype(np.float64), model.latents.labels[rows]
    c = facts.clusters(xy, labels, model.class_names, k=5)
    d = ((xy[:, None] - xy[None]) ** 2).sum(-1)
    np.fill_diagonal(d, np.inf)
    near = np.argsort(d, 1)[:, :5]
    assert c.agreement == pytest.approx((labels[near] == labels[:, None]).mean(), abs=2e-3)
    assert c.agreement > 3 * c.chance  # images of a digit do land together
    assert {c.mixed[0][0], c.mixed[0][1]} == {"4", "9"}  # the pair the clusters lesson may cite


def test_words_follow_the_numbers():
    assert facts.how_often(0.51, 0.86) == "less often than"
    assert facts.how_often(0.86, 0.51) == "more often than"
    assert facts.how_often(0.80, 0.83) == "about as often as"
    assert facts.trend([1, 2, 3]) == "rises" and facts.trend([3, 2, 1]) == "falls"
    assert facts.trend([1, 3, 2]) == "does not move one way"


def open_compare(query=None):
    page = f"import sys\nsys.path.insert(0, {str(ROOT)!r})\nfrom views import compare\ncompare.render()"
    at = AppTest.from_string(page, default_timeout=90)
    for k, v in (query or {}).items():
        at.query_params[k] = v
    return at.run()


def test_the_compare_page_quotes_the_measured_figures_and_its_button_shows_the_difference(measured):
    at = open_compare()
    assert not at.exception
    text = " ".join(m.value for m in at.markdown) + " ".join(c.value for c in at.caption)
    a, b = measured[AE], measured[VAE]
    for figure in (a.framed, b.framed, a.between, b.between, a.filled, b.filled,
                   a.sampling.readable, b.sampling.readable):
        assert f"{figure:.0%}" in text
    assert facts.how_often(a.between, b.between) in text  # between the clusters, in the words the figures give
    assert "smudges" not in text  # the old, unmeasured claim
    (button,) = [x for x in at.button if "differ most" in x.label]
    button.click().run()
    confidences = [float(c) for h in at.get("html") for c in re.findall(r'data-confidence="([^"]+)"', h.proto.body)]
    assert len(confidences) == 2 and confidences[0] < 0.5 and confidences[1] >= 0.9
    assert "spot" in dict(at.query_params) and not at.exception


@pytest.mark.skipif(browser.missing() is not None, reason=str(browser.missing()))
def test_in_the_browser_a_click_on_the_aes_empty_region_shows_the_measured_difference(app_url, measured):
    """Clicked where the library found the clearest hole: the AE's decode is unreadable (p < 0.5)
    and the VAE's at the same place in its frame is read (p >= 0.9), as the page says."""
    found = facts.clearest_difference(measured[AE], measured[VAE])
    with browser.chromium_page(width=1500) as page:
        page.goto(app_url + "/compare")
        browser.wait_idle(page)
        maps = page.locator("[data-latent-map]")
        maps.first.wait_for(timeout=30_000)
        for i in range(2):
            page.locator(".lm-status").nth(i).wait_for(state="hidden", timeout=30_000)
        box = maps.first.bounding_box()
        x = box["x"] + found.place[0] * box["width"]
        y = box["y"] + (1 - found.place[1]) * box["height"]
        page.mouse.move(x, y, steps=3)
        page.mouse.down()
        page.mouse.up()
        page.locator("img[data-confidence]").nth(1).wait_for(timeout=20_000)
        browser.wait_idle(page)
        p = [float(page.locator("img[data-confidence]").nth(i).get_attribute("data-confidence")) for i in range(2)]
        assert p[0] < 0.5 and p[1] >= 0.9, p
        assert page.locator("[data-testid='stException']").count() == 0
