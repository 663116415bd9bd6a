"""Every registered map kind, checked alike on a shipped model's codes (2-D and 16-D), so a new
kind is tested by registering it: its map has the right shapes both ways; a point of the map goes
back to a code and forward again to itself (exactly, or within a sliver of the map for an
estimate); it declares the words pages use for it (an estimated map says how its estimate is made);
and its browser form decodes in the browser's files, or, for a kind with none, the explore page
draws it on the server with a note instead of failing. Fails if a kind breaks any of these."""

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import explorer
from explorer import maps
from explorer.bundles import webexport
from explorer.maps.base import LatentMap, register
from explorer.teaching import facts

from .conftest import ROOT

MODELS = {2: "mnist-vae-2d", 16: "mnist-vae-16"}
CASES = [(name, k) for name in maps.MAPS for k in MODELS if maps.kind(name).applies_to(k)]


@pytest.fixture(scope="module")
def models():
    return {k: explorer.load_model(name) for k, name in MODELS.items()}


@pytest.mark.parametrize("method,k", CASES)
def test_a_maps_shapes_and_way_there_and_back(models, method, k):
    m = models[k]
    mp = m.map(method)
    n = len(m.latents.codes)
    assert mp.xy.shape == (n, 2) and np.isfinite(mp.xy).all()
    rows = np.random.default_rng(0).choice(n, 200, replace=False)
    codes = mp.to_latent(mp.xy[rows])
    assert codes.shape == (200, k) and codes.dtype == np.float32
    back = mp.to_map(codes)
    assert back.shape == (200, 2)
    lo, hi = mp.view_box()
    assert ((mp.xy >= lo) & (mp.xy <= hi)).all(1).mean() > 0.99, "the view box leaves points out"
    size = float((hi - lo).max())
    worst = float(np.abs(back - mp.xy[rows]).max())
    if mp.exact:
        assert worst < 1e-3 * size, f"{method}: a point goes to a code and back {worst:.3g} away"
    else:  # on a test point the estimate is that point's own code, which the map places on it
        np.testing.assert_allclose(codes, m.latents.codes[rows], atol=1e-5)
        assert worst < 0.02 * size, f"{method}: a point goes to a code and back {worst:.3g} away"
        idx, w = mp.estimate(mp.xy[rows] + 0.01 * size)
        assert idx.shape == w.shape and np.allclose(w.sum(1), 1)
    # a new code is placed as the kind places new codes (its own transform, UMAP's): a test code so
    # placed lands on or near its own point (a transform may move a few whose point lies apart
    # from their neighbours': 95 in 100 within a sliver)
    placed = mp.place(m.latents.codes[rows])
    near = float(np.quantile(np.abs(placed - mp.xy[rows]).max(1), 0.95))
    assert placed.shape == (200, 2) and near < 0.02 * size, f"{method}: a test code is placed {near:.3g} from its point"


@pytest.mark.parametrize("method,k", CASES)
def test_an_estimated_maps_error_is_measured_on_codes_it_never_held(models, method, k):
    """Every estimated map's figure on screen: a spot's estimated code, decoded, against the image
    truly there, on test codes left out of the estimate; far better than a code from elsewhere."""
    m = models[k]
    mp = m.map(method)
    e = facts.estimate_error(m, mp, held_out=300)
    if mp.exact:
        assert e is None
        return
    assert e.held_out == 300 and e.held == len(m.latents.codes) - 300
    assert 0 < e.mse < 0.1 and 0 < e.reconstruction < 0.1
    rows = np.random.default_rng(1).choice(len(m.latents.codes), 300, replace=False)
    chance = float(((m.decode(m.latents.codes[rows]) - m.decode(m.latents.codes[np.roll(rows, 1)])) ** 2).mean())
    assert e.mse < chance / 2, f"{method}: its estimate ({e.mse:.4f}) is hardly better than a random code ({chance:.4f})"
    assert f"{e.mse:.4f}" in e.sentence() and f"{e.reconstruction:.4f}" in e.sentence()


@pytest.mark.parametrize("method", list(maps.MAPS))
def test_a_map_kind_declares_its_words(method):
    cls = maps.kind(method)
    assert cls.label and cls.title and cls.help and any(cls.applies_to(k) for k in (2, 16))
    if not cls.exact:  # what the pages say of its estimate, in its own words
        assert cls.way_back and cls.grid_note and "{k}" in cls.placing
    if cls.stored:
        assert cls.settings(), f"{method}: a stored map records how it was made"


@pytest.mark.parametrize("method,k", CASES)
def test_a_maps_browser_form_goes_into_the_browsers_files(models, method, k):
    m = models[k]
    if not maps.kind(method).has_browser_form():
        pytest.skip(f"{method} has no browser form: test_a_map_without_a_browser_form_is_drawn_by_the_server")
    manifest, _ = webexport.export(m, [method])
    assert set(manifest["maps"]) == {method} and manifest["maps"][method]["exact"] == maps.kind(method).exact


class Halves(LatentMap):
    """A map kind with no browser form: each code's first two numbers, halved."""

    name, label, title, exact, help = "halves", "halves", "half of the first two numbers", True, "a test kind"

    @classmethod
    def applies_to(cls, latent_dim):
        return latent_dim == 2

    @classmethod
    def build(cls, codes, layout=None):
        return cls(codes[:, :2] / 2, ("z1 / 2", "z2 / 2"), "Each dot is {a} at half its code.")

    def to_latent(self, points):
        return np.asarray(points, np.float32) * 2

    def to_map(self, z):
        return np.asarray(z, np.float32) / 2


def test_a_map_without_a_browser_form_is_drawn_by_the_server(monkeypatch):
    monkeypatch.setitem(maps.MAPS, "halves", Halves)
    assert not Halves.has_browser_form() and "halves" in maps.available(2)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.query_params["model"], at.query_params["map"] = "mnist-vae-2d", "halves"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    notes = " ".join(c.value for c in at.caption)
    assert "Drawn by the server" in notes and "halves map" in notes, notes
    assert at.get("plotly_chart"), "the server's map is not there"
