"""The view state's URL form: round trips, and every kind of bad parameter falls back with a note."""

import math

import numpy as np
import pytest

import explorer
from explorer.bundles import bundle
from explorer.teaching import state
from explorer.teaching.state import ModelUnavailable, ViewState, from_query
from explorer.bundles.catalog import BundleCatalog
from explorer.teaching.view import default_ends, pick_spot, resolve


@pytest.fixture(scope="module")
def catalog():
    return BundleCatalog.from_dirs([bundle.PRETRAINED_DIR], "mnist-vae-2d")


def test_a_full_state_round_trips(catalog):
    m = explorer.load_model("mnist-vae-16")
    mp = m.map("tsne")
    x, y = (float(v) for v in mp.xy[123] + 0.37)
    a, b = int(m.latents.index[5]), int(m.latents.index[77])
    original = ViewState(model="mnist-vae-16", map="tsne", spot=(x, y), a=a, b=(1.5, -2.25), path="slerp", t=0.3,
                         renderer="plotly", layers=("manifold", "error"))
    query = original.to_query()
    assert set(query) == set(state.PARAMS) - {"label"}  # a model that takes labels has one more
    assert query["layers"] == "manifold,error"
    back, notes, _ = from_query(query, catalog)
    assert notes == []
    assert back.model == original.model and back.map == original.map and back.path == "slerp"
    assert back.renderer == "plotly" and back.layers == ("manifold", "error")
    assert back.a == a and back.b == (1.5, -2.25) and back.t == pytest.approx(0.3)
    np.testing.assert_allclose(back.spot, (x, y), rtol=1e-6)
    # the other way round: a spot as A and a test image as B
    swapped = ViewState(model="mnist-vae-16", map="tsne", a=(1.5, -2.25), b=b)
    back, notes, _ = from_query(swapped.to_query(), catalog)
    assert (back.a, back.b, notes) == ((1.5, -2.25), b, [])


def test_defaults_are_left_out_and_restored(catalog):
    view = ViewState(model="mnist-ae-2d", map="pca")
    assert view.to_query() == {"model": "mnist-ae-2d", "map": "pca"}
    assert from_query(view.to_query(), catalog) == (view, [], [])


def test_an_empty_query_opens_the_default_model_on_its_default_map(catalog):
    view, notes, _ = from_query({}, catalog)
    assert (view.model, view.map, view.spot, view.a, view.t, notes) == ("mnist-vae-2d", "direct", None, None, 0.5, [])
    assert from_query({"model": "mnist-vae-16"}, catalog)[0].map == "tsne"


def test_a_clicked_test_point_comes_back_as_that_test_image():
    """A spot written to the URL from a click on a test point is that test image again, though
    its coordinates were rounded to 7 digits."""
    m = explorer.load_model("mnist-vae-16")
    mp = m.map("tsne")
    row = 4321
    query = ViewState(model=m.name, map="tsne", spot=tuple(float(v) for v in mp.xy[row])).to_query()
    x, y = state.parse_point(query["spot"])[0]
    pick = pick_spot(m, mp, (x, y))
    assert pick.row == row
    np.testing.assert_array_equal(pick.code, m.latents.codes[row])
    # a spot clearly off the point is a spot, with an estimated code
    off = pick_spot(m, mp, (x + 0.5, y))
    assert off.row is None and off.estimate is not None


BAD = [
    ({"model": "no-such-model"}, "model", lambda v: v.model == "mnist-vae-2d"),
    ({"model": "../../etc/passwd"}, "model", lambda v: v.model == "mnist-vae-2d"),
    ({"model": "mnist-vae-2d", "map": "tsne3d"}, "map", lambda v: v.map == "direct"),
    ({"model": "mnist-vae-16", "map": "direct"}, "map", lambda v: v.map == "tsne"),  # 2-D only
    ({"spot": "nan,1"}, "spot", lambda v: v.spot is None),
    ({"spot": "inf,0"}, "spot", lambda v: v.spot is None),
    ({"spot": "1e308,0"}, "spot", lambda v: v.spot is None),
    ({"spot": "1e6,2"}, "spot", lambda v: v.spot is None),  # far off the map
    ({"spot": "1,2,3"}, "spot", lambda v: v.spot is None),
    ({"spot": "x,y"}, "spot", lambda v: v.spot is None),
    ({"a": "99999"}, "a", lambda v: v.a is None),  # no such test image
    ({"a": "-1"}, "a", lambda v: v.a is None),
    ({"a": "1e3"}, "a", lambda v: v.a is None),
    ({"b": "../../etc/passwd"}, "b", lambda v: v.b is None),
    ({"path": "cubic"}, "path", lambda v: v.path == "lerp"),
    ({"renderer": "webgl9"}, "renderer", lambda v: v.renderer == "canvas"),
    ({"layers": "manifold,heatmap"}, "layers", lambda v: v.layers == ("manifold",)),  # the known one kept
    ({"layers": "<script>"}, "layers", lambda v: v.layers == ()),
    ({"t": "nan"}, "t", lambda v: v.t == 0.5),
    ({"t": "inf"}, "t", lambda v: v.t == 0.5),
    ({"t": "1.5"}, "t", lambda v: v.t == 0.5),
    ({"t": "-0.1"}, "t", lambda v: v.t == 0.5),
    ({"t": "1e400"}, "t", lambda v: v.t == 0.5),
    ({"t": "x" * 5000}, "t", lambda v: v.t == 0.5),
    ({"model": "m" * 5000}, "model", lambda v: v.model == "mnist-vae-2d"),
    ({"t": ["0.2", "0.4"]}, "t", lambda v: v.t == 0.5),  # a repeated key
    ({"model": ["mnist-ae-2d", "mnist-vae-16"]}, "model", lambda v: v.model == "mnist-vae-2d"),
]


@pytest.mark.parametrize("query,field,fell_back", BAD, ids=[f"{f}={str(q)[:30]}" for q, f, _ in BAD])
def test_a_bad_parameter_falls_back_with_one_note(catalog, query, field, fell_back):
    view, notes, _ = from_query(query, catalog)
    assert fell_back(view), view
    assert len(notes) == 1 and notes[0].startswith(field), notes
    assert len(notes[0]) < 200  # a readable notice, even for a 5,000-character value


def test_bad_parameters_leave_the_good_ones_alone(catalog):
    m = explorer.load_model("mnist-vae-16")
    a = int(m.latents.index[10])
    view, notes, _ = from_query({"model": "mnist-vae-16", "map": "pca", "a": str(a), "b": "oops",
                              "path": "slerp", "t": "NaN", "spot": "0.5,0.25", "utm_source": "mail"}, catalog)
    assert (view.model, view.map, view.a, view.b, view.path, view.t, view.spot) == \
        ("mnist-vae-16", "pca", a, None, "slerp", 0.5, (0.5, 0.25))
    assert [n.split()[0] for n in notes] == ["b", "t"]  # unknown keys are not mentioned


def test_an_index_of_another_class_is_refused_for_a_model_of_three_digits(catalog):
    m = explorer.load_model("mnist156-ae-2d")
    outside = next(i for i in range(10_000) if i not in set(m.latents.index.tolist()))
    view, notes, _ = from_query({"model": m.name, "a": str(outside), "b": str(m.latents.index[0])}, catalog)
    assert view.a is None and view.b == int(m.latents.index[0]) and notes[0].startswith("a ")


class FakeCatalog:
    """Three models, of which some fail to open."""

    def __init__(self, broken):
        self.broken = broken

    def names(self):
        return ["first", "second", "third"]

    def default(self):
        return "first"

    def maps(self, model):
        if model in self.broken:
            raise ModelUnavailable("weights.safetensors: it is not a safetensors file")
        return ["direct", "pca"]

    def test_indices(self, model):
        return np.arange(10)

    def view_box(self, model, map_name):
        return np.array([-1.0, -1.0]), np.array([1.0, 1.0])

    def labels(self, model):
        return None


def test_a_label_is_kept_for_a_model_that_takes_labels_and_named_when_wrong(catalog):
    query = ViewState(model="mnist-cvae-2d", map="direct", label=7).to_query()
    assert query["label"] == "7"
    back, notes, _ = from_query(query, catalog)
    assert back.label == 7 and notes == []
    for bad in ("12", "-1", "<b>3</b>", "3.0"):
        back, notes, _ = from_query({"model": "mnist-cvae-2d", "label": bad}, catalog)
        assert back.label == 0 and len(notes) == 1 and "is not one of mnist-cvae-2d's classes (0, 1, 2" in notes[0]
    back, notes, _ = from_query({"model": "mnist-vae-2d", "label": "3"}, catalog)
    assert back.label is None and notes == ["label '3' is for a model that takes labels; mnist-vae-2d takes none"]


def test_a_broken_default_model_opens_the_next_that_loads_and_says_why():
    view, ignored, failed = from_query({}, FakeCatalog({"first"}))
    assert view.model == "second" and ignored == []
    assert failed == ["the model first cannot be opened: weights.safetensors: it is not a safetensors file"]
    view, ignored, failed = from_query({"model": "third"}, FakeCatalog({"third"}))
    assert view.model == "first" and "third" in failed[0] and ignored == []
    view, ignored, failed = from_query({"model": "third"}, FakeCatalog({"first", "third"}))
    assert view.model == "second" and len(failed) == 2  # the one asked for, then the default
    view, ignored, failed = from_query({}, FakeCatalog({"first", "second", "third"}))
    assert view is None and len(failed) == 3


def test_spot_bounds_follow_the_map():
    cat = FakeCatalog(set())
    assert from_query({"spot": "2.5,-2.9"}, cat)[0].spot == (2.5, -2.9)  # within a box's width
    assert from_query({"spot": "3.5,0"}, cat)[0].spot is None


def test_states_are_immutable_and_updated_by_copy():
    view = ViewState(model="m", map="direct")
    with pytest.raises(AttributeError):
        view.t = 0.2
    moved = view.updated(t=0.2)
    assert view.t == 0.5 and moved.t == 0.2 and moved.model == "m"
    assert math.isclose(float(moved.to_query()["t"]), 0.2)


def test_resolve_gives_the_walk_between_the_ends_of_the_state():
    m = explorer.load_model("mnist-vae-2d")
    mp = m.map("direct")
    a, b = default_ends(m, mp)
    assert m.latents.labels[m.latents.rows_of(a)[0]] == m.classes[0]
    assert m.latents.labels[m.latents.rows_of(b)[0]] == m.classes[-1]
    v = resolve(ViewState(model=m.name, map="direct", a=a, b=(1.0, 1.0), t=0.25, path="slerp"), m, mp)
    np.testing.assert_array_equal(v.walk.codes[0], v.a.code)
    np.testing.assert_allclose(v.walk.codes[-1], [1.0, 1.0])
    assert v.b.row is None and v.walk.frame_at == 2  # 0.25 is nearest the third of ten frames (0.222)
