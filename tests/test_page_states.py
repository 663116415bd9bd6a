"""Every page's typed state (explorer/teaching/state.py) round-trips through its URL: a state written as
URL parameters reads back as the same state, a link with every parameter set opens the page in
that state and the page writes the very same link back, and a bad value falls back to its
default with a sentence naming it."""

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from explorer.data import noise
from explorer.teaching.state import (AnomalyState, BoardState, BudgetState, DenoisingState, DigitState, PaintState,
                                     ReplayState, VaeState, ViewState, from_query, grid_text)
from ui import session
from views.lessons import LESSONS

from .conftest import ROOT

INDICES = np.arange(0, 10_000, 3)  # the test images a model of these unit tests has, sorted
BOX = (np.array([-4.0, -3.0]), np.array([4.0, 5.0]))
SETS = (("ae", "vae"), ("ae-16", "vae-16"))
TRAINED = noise.Noise("gaussian", 0.5)
LIMITS = {"gaussian": 1.0, "mask": 0.9}


def board(query, params=("left", "right"), box=BOX):
    return BoardState.from_query(query, params, SETS, lambda name: INDICES, lambda models: box)


# (parse, states that must come back equal from their own URL)
ROUND_TRIPS = {
    "board": (board, [BoardState(models=("ae", "vae")),
                      BoardState(models=("ae-16", "vae-16"), spot=12, a=3, b=6, t=0.25),
                      BoardState(models=("ae", "vae"), spot=(0.5, -2.75), a=9999, t=1.0),
                      BoardState(models=("ae", "vae"), spot=(-11.5, 12.0), t=0.0)]),
    "digit": (lambda q: DigitState.from_query(q, 10_000), [DigitState(), DigitState(9999), DigitState(123)]),
    "vae": (lambda q: VaeState.from_query(q, 10_000), [VaeState(), VaeState(5, (-3.0, 2.95)), VaeState(0, (0.05, 0.0))]),
    "denoising": (lambda q: DenoisingState.from_query(q, 10_000, TRAINED, LIMITS),
                  [DenoisingState(0, TRAINED), DenoisingState(42, noise.Noise("mask", 0.9)),
                   DenoisingState(7, noise.Noise("gaussian", 0.0))]),
    "anomaly": (AnomalyState.from_query, [AnomalyState(), AnomalyState(0.0321), AnomalyState(1.0)]),
    "budget": (lambda q: BudgetState.from_query(q, 9_800), [BudgetState(), BudgetState(768, 9_799), BudgetState(2, 0)]),
    "replay": (lambda q: ReplayState.from_query(q, ["a", "b"]), [ReplayState("a"), ReplayState("b", 3.5), ReplayState("a", 12.0)]),
    "paint": (lambda q: PaintState.from_query(q, 10_000, 49, 64),
              [PaintState(), PaintState(0, grid_text(np.arange(49) % 64)), PaintState(9999, "_" * 49)]),
}


@pytest.mark.parametrize("kind", ROUND_TRIPS)
def test_each_state_reads_back_from_its_own_url(kind):
    parse, states = ROUND_TRIPS[kind]
    for state in states:
        query = state.to_query(("left", "right")) if kind == "board" else state.to_query()
        assert all(isinstance(v, str) for v in query.values())
        back, notes = parse(query)
        assert (back, notes) == (state, []), query


# (parse, a bad URL, the sentence's start, the state it falls back to)
BAD = [
    (board, {"left": "ae", "right": "nope"}, "ae | nope is not one of the choices", BoardState(("ae", "vae"))),
    (board, {"spot": "4"}, "spot=4 is not a test image", BoardState(("ae", "vae"))),
    (board, {"spot": "1e9,0"}, "spot=1e9,0 lies far outside", BoardState(("ae", "vae"))),
    (board, {"spot": "nan,1"}, "spot=nan,1 is not two finite", BoardState(("ae", "vae"))),
    (board, {"a": "-3"}, "a=-3 is not a test image", BoardState(("ae", "vae"))),
    (board, {"t": "1.5"}, "t=1.5 is not a number from 0 to 1", BoardState(("ae", "vae"))),
    (board, {"t": ["0.2", "0.3"]}, "t was given 2 times", BoardState(("ae", "vae"))),
    (lambda q: board(q, box=None), {"spot": "1,2"}, "spot=1,2 is not a test image (these maps are not",
     BoardState(("ae", "vae"))),
    (lambda q: DigitState.from_query(q, 100), {"digit": "100"}, "digit=100 is not a number from 0 to 99", DigitState()),
    (lambda q: DigitState.from_query(q, 100), {"digit": "9" * 400}, "digit is too long", DigitState()),
    (lambda q: DigitState.from_query(q, 100), {"digit": "1e3"}, "digit=1e3 is not a number", DigitState()),
    (lambda q: VaeState.from_query(q, 100), {"eps": "9,9"}, "eps=9,9 is not two numbers between -3 and 3", VaeState()),
    (lambda q: VaeState.from_query(q, 100), {"eps": "1"}, "eps=1 is not two numbers", VaeState()),
    (ROUND_TRIPS["denoising"][0], {"noise": "mask:0.95"}, "noise=mask:0.95 is not gaussian:SIGMA (0-1) or mask:P (0-0.9)",
     DenoisingState(0, TRAINED)),
    (ROUND_TRIPS["denoising"][0], {"noise": "<b>x</b>"}, "noise=<b>x</b> is not", DenoisingState(0, TRAINED)),
    (AnomalyState.from_query, {"threshold": "inf"}, "threshold=inf is not a number from 0 to 1", AnomalyState()),
    (ROUND_TRIPS["budget"][0], {"budget": "17"}, "budget=17 is not one of 2, 4, 8", BudgetState()),
    (ROUND_TRIPS["budget"][0], {"budget": "³"}, "budget=³ is not one of", BudgetState()),
    (ROUND_TRIPS["replay"][0], {"model": "c"}, "model=c has no training replay here", ReplayState("a")),
    (ROUND_TRIPS["replay"][0], {"epoch": "-1"}, "epoch=-1 is not a number", ReplayState("a")),
    (ROUND_TRIPS["paint"][0], {"grid": "A" * 48}, "grid='AAAA", PaintState()),  # a cell short
    (ROUND_TRIPS["paint"][0], {"grid": "A" * 48 + "!"}, "grid=", PaintState()),  # not a letter of the grid
    (ROUND_TRIPS["paint"][0], {"grid": "<b>" * 16 + "A"}, "grid='<b><b>", PaintState()),
    (lambda q: PaintState.from_query(q, 10_000, 49, 32), {"grid": "A" * 48 + "g"},  # entry 32 of a 32-entry codebook
     "grid='AAAA", PaintState()),
]


@pytest.mark.parametrize("parse, query, said, fallback", BAD, ids=[str(b[1])[:30] for b in BAD])
def test_a_bad_value_falls_back_to_its_default_with_one_sentence(parse, query, said, fallback):
    state, notes = parse(query)
    assert state == fallback
    assert len(notes) == 1 and notes[0].startswith(said), notes


def test_a_board_spot_code_comes_back_within_url_rounding():
    state = BoardState(models=("ae", "vae"), spot=(0.123456789, -3.14159265358979))
    back, notes = board(state.to_query(("left", "right")))
    assert not notes and np.allclose(back.spot, state.spot, rtol=1e-6)
    assert back.to_query(("left", "right")) == state.to_query(("left", "right"))  # and the URL is stable


# --------------------------------------------------------------------------------------------
# Every page, opened from a link with each of its parameters set, writes the same link back and
# a new session opened from that link holds the same state.

LINKS = {
    "explore": {"model": "mnist-vae-16", "map": "pca", "spot": "0.5,-0.25", "a": "3", "b": "2", "path": "slerp",
                "t": "0.3", "layers": "manifold"},
    "compare": {"left": "mnist-ae-16", "right": "mnist-vae-16", "spot": "12", "a": "3", "b": "2", "t": "0.3"},
    # every lesson, by the example link it registers (ui/course.Lesson)
    **{lesson.path: lesson.example for lesson in LESSONS},
}


def open_page(path: str, query: dict) -> AppTest:
    if path == "explore":
        render = "from views import explore\nexplore.render()"
    elif path == "compare":
        render = "from views import compare\ncompare.render()"
    else:
        render = f"from views.lessons import LESSONS\ndict((l.path, l.render) for l in LESSONS)[{path!r}]()"
    script = f"import sys\nsys.path.insert(0, {str(ROOT)!r})\nimport app\napp.pages()\n{render}"
    at = AppTest.from_string(script, default_timeout=120)
    for k, v in query.items():
        at.query_params[k] = v
    return at.run()


def page_state(at: AppTest, path: str):
    if path == "explore":
        return at.session_state[session.VIEW]
    return at.session_state[session.state_key(path)]


@pytest.mark.usefixtures("pages_see_images")
@pytest.mark.parametrize("path", LINKS)
def test_every_page_opens_from_its_link_and_writes_the_same_link(path):
    link = LINKS[path]
    at = open_page(path, link)
    assert not at.exception, [e.value for e in at.exception]
    assert not [w.value for w in at.warning if "link" in w.value], "no part of a good link is ignored"
    url = {k: v if isinstance(v, str) else ",".join(v) for k, v in dict(at.query_params).items()}
    assert url == link
    state = page_state(at, path)
    again = open_page(path, url)  # a student opening the shared link
    assert page_state(again, path) == state
    if path != "explore":
        assert type(state).__name__.endswith("State") and type(state).__dataclass_params__.frozen


def test_the_explore_state_is_the_one_its_link_describes():
    """The table above, for the explore page, read by the library alone."""
    class Catalog:
        def names(self):
            return ["m"]

        def default(self):
            return "m"

        def maps(self, model):
            return ["direct", "pca"]

        def test_indices(self, model):
            return INDICES

        def view_box(self, model, map_name):
            return BOX

        def labels(self, model):
            return None

    state = ViewState(model="m", map="pca", spot=(0.5, -0.25), a=3, b=(1.0, 2.0), path="slerp", t=0.3,
                      layers=("manifold", "density"))
    parsed = from_query(state.to_query(), Catalog())
    assert (parsed.state, parsed.ignored, parsed.failed) == (state, [], [])


def test_reading_a_url_never_computes_a_map(monkeypatch):
    """A link to a t-SNE map that its bundle does not store: the spot is read without the minute
    of t-SNE (the page computes it afterwards, with a progress bar)."""
    import explorer
    from explorer.bundles import catalog
    from explorer import maps as projection

    def fresh(path):
        import dataclasses

        model = explorer.load_model(path)
        model.latents = dataclasses.replace(model.latents, maps={})  # as a bundle that stores no t-SNE
        return model

    found, _ = catalog.scan([catalog.PRETRAINED_DIR])
    cat = catalog.BundleCatalog(found, "mnist-vae-16", load=fresh)
    monkeypatch.setattr(projection, "make_map", lambda *a, **k: pytest.fail("a map was computed"))
    assert cat.view_box("mnist-vae-16", "tsne") is None
    parsed = from_query({"model": "mnist-vae-16", "map": "tsne", "spot": "1.5,-2", "a": "3"}, cat)
    assert parsed.ignored == [] and parsed.state.spot == (1.5, -2.0) and parsed.state.a == 3


def test_each_bundle_is_looked_at_once_per_run(monkeypatch):
    """However many parts of the page ask for the model (the URL, the sidebar, the map, the
    click), each bundle's files are stat-ed once per run and each model opened once."""
    import collections

    from explorer.bundles import catalog

    looked = collections.Counter()
    real = catalog._key
    monkeypatch.setattr(catalog, "_key", lambda path: (looked.update([path.name]), real(path))[1])
    at = open_page("explore", {"model": "mnist-vae-2d", "spot": "0.5,0.5"})
    looked.clear()
    at.run()  # a run like any click's
    assert not at.exception
    assert looked and max(looked.values()) == 1, looked.most_common(3)
    assert set(catalog.find_bundles([catalog.PRETRAINED_DIR])) <= set(looked)  # the menu checks every one


def test_every_page_state_has_one_shape():
    """Every page's state is a frozen dataclass read from its URL by ``from_query`` (giving the state
    and the sentences naming what was ignored), written by ``to_query`` and changed by ``updated``.
    Fails if a state class is added without one of them."""
    import dataclasses

    from explorer.teaching import state as states

    found = [c for c in vars(states).values() if isinstance(c, type) and c.__name__.endswith("State")
             and c.__module__ == states.__name__]
    assert len(found) >= 7, [c.__name__ for c in found]
    for cls in found:
        assert dataclasses.is_dataclass(cls) and cls.__dataclass_params__.frozen, cls.__name__
        assert isinstance(vars(cls)["from_query"], classmethod), f"{cls.__name__}.from_query is not a classmethod"
        assert callable(getattr(cls, "to_query", None)) and callable(getattr(cls, "updated", None)), cls.__name__
