"""The app driven the way a user drives it, under Streamlit's AppTest (no browser)."""

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import explorer
from explorer import bundle, data, projection

from .conftest import ROOT

APP = str(ROOT / "app.py")


def click(at, chart_key, x, y, curve=0, point=0):
    """What Streamlit stores when a user clicks a point of the Plotly chart."""
    at.session_state[chart_key] = {"selection": {
        "points": [{"x": x, "y": y, "curve_number": curve, "point_index": point}],
        "point_indices": [point], "box": [], "lasso": []}}
    return at.run()


def open_app(name=None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60).run()
    if name is not None:
        at.sidebar.selectbox(key="model_name").set_value(name).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def captions(at):
    return " ".join(c.value for c in at.caption)


def image_captions(at):
    return [c for img in at.get("image") for c in getattr(img, "proto").imgs for c in [c.caption]]


@pytest.fixture(autouse=True)
def with_data(data_dir, monkeypatch):
    monkeypatch.setenv(data.ENV_VAR, data_dir)


@pytest.mark.parametrize("name", explorer.list_pretrained())
def test_every_bundle_opens_and_decodes_a_click_anywhere(name):
    at = open_app(name)
    m = explorer.load_model(name)
    for method in projection.available(m.latent_dim):
        at.sidebar.radio(key=f"map_{name}").set_value(method).run()
        mp = m.map(method)
        lo, hi = mp.bounds()
        x, y = lo + 0.37 * (hi - lo)  # a spot on the plane, most likely empty space
        click(at, f"chart:{name}:{method}", float(x), float(y))
        assert not at.exception, [e.value for e in at.exception]
        assert f"the spot ({x:.2f}, {y:.2f})" in captions(at), captions(at)[-400:]
        assert "decoded" in image_captions(at)
        clicked = at.session_state[f"click:{name}:{method}"]
        np.testing.assert_allclose(clicked["z"], mp.to_latent(np.array([[x, y]]))[0], rtol=1e-5)


def test_clicking_a_test_point_shows_original_and_reconstruction():
    name = "mnist-vae-2d"
    at = open_app(name)
    m = explorer.load_model(name)
    first_class = m.classes[0]
    row = int(np.flatnonzero(m.latents.labels == first_class)[3])
    x, y = m.latents.codes[row]
    click(at, f"chart:{name}:direct", float(x), float(y), curve=1, point=3)
    assert f"test image #{m.latents.index[row]}" in captions(at)
    assert {"original", "reconstruction"} <= set(image_captions(at))


def test_interpolation_controls():
    name = "mnist-ae-2d"
    at = open_app(name)
    ends_key = f"ends:{name}:direct"
    at.slider(key=f"{ends_key}_t").set_value(0.0).run()
    assert "decoded at 0.00" in image_captions(at)
    # pick the third test "7" as the end point
    at.selectbox(key=f"{ends_key}_B_class").set_value(7).run()
    at.number_input(key=f"{ends_key}_B_n").set_value(2).run()
    m = explorer.load_model(name)
    row = int(np.flatnonzero(m.latents.labels == 7)[2])
    assert at.session_state[ends_key]["B"]["row"] == row
    # a clicked spot becomes the start
    click(at, f"chart:{name}:direct", 0.5, -0.25)
    at.button[0].click().run()
    assert at.session_state[ends_key]["A"]["z"] == pytest.approx([0.5, -0.25])
    at.radio(key=f"{ends_key}_method").set_value("slerp").run()
    assert not at.exception


def test_without_the_dataset_the_app_still_works(tmp_path, monkeypatch):
    monkeypatch.setenv(data.ENV_VAR, str(tmp_path / "empty"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(data, "SYSTEM_DIR", tmp_path / "system")
    at = open_app("mnist-vae-2d")
    assert any("not found" in w.value for w in at.sidebar.warning)
    click(at, "chart:mnist-vae-2d:direct", 0.0, 0.0, curve=1, point=0)
    assert not at.exception
    assert "reconstruction" in image_captions(at)
    assert any("original is not shown" in w.value for w in at.warning)


def test_a_broken_bundle_is_reported_and_the_others_still_work(tmp_path, monkeypatch):
    broken = tmp_path / "models" / "broken-model"
    broken.mkdir(parents=True)
    (broken / bundle.CONFIG_FILE).write_text('{"model": {"kind": "ae"}, "dataset": "mnist", "classes": [1]}')
    (broken / bundle.WEIGHTS_FILE).write_bytes(b"\x80\x04garbage")
    monkeypatch.setenv("EXPLORER_MODELS_DIR", str(tmp_path / "models"))
    at = open_app("broken-model")
    assert any("cannot be opened" in e.value for e in at.sidebar.error)
    at.sidebar.selectbox(key="model_name").set_value("mnist-vae-2d").run()
    assert not at.exception and not at.sidebar.error
    assert "mnist-vae-2d" in at.header[0].value


def test_download_failure_is_shown_not_raised(tmp_path, monkeypatch):
    monkeypatch.setenv(data.ENV_VAR, str(tmp_path / "empty"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(data, "SYSTEM_DIR", tmp_path / "system")
    info = data.DATASETS["mnist"]
    monkeypatch.setitem(data.DATASETS, "mnist", data.DatasetInfo(
        info.name, info.title, info.class_names, ("http://127.0.0.1:9/",), info.md5))
    at = open_app("mnist-vae-2d")
    at.sidebar.button[0].click().run()
    assert not at.exception
    assert any("Could not download" in e.value for e in at.sidebar.error)


def test_tsne_click_is_an_estimate_with_its_neighbours():
    name = "mnist-vae-2d"
    at = open_app(name)
    at.sidebar.radio(key=f"map_{name}").set_value("tsne").run()
    m = explorer.load_model(name)
    mp = m.map("tsne")
    lo, hi = mp.bounds()
    x, y = (lo + hi) / 2 + 0.013
    click(at, f"chart:{name}:tsne", float(x), float(y))
    assert not at.exception
    assert any("estimate" in e.label for e in at.expander)
    clicked = at.session_state[f"click:{name}:tsne"]
    np.testing.assert_allclose(clicked["z"], mp.to_latent(np.array([[x, y]]))[0], rtol=1e-5)


def test_a_missing_tsne_map_is_computed_once_and_cached(tmp_path, monkeypatch):
    """A bundle without a stored t-SNE map still opens on it: computed with progress, then cached."""
    from .test_bundle import small_bundle

    models = tmp_path / "models"
    small_bundle(models / "tiny-vae", latent_dim=4)
    monkeypatch.setenv("EXPLORER_MODELS_DIR", str(models))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    at = open_app("tiny-vae")
    assert at.sidebar.radio(key="map_tiny-vae").value == "tsne"
    assert not at.exception
    cached = list((tmp_path / "cache" / "latent-explorer" / "maps").glob("tsne-*.safetensors"))
    assert len(cached) == 1
    m = explorer.load_model(models / "tiny-vae")  # a fresh process would find it in the cache
    assert not m.has_map("tsne")
    np.testing.assert_array_equal(m.map("tsne").xy, projection.slow_map_xy("tsne", m.latents.codes, {}))


def test_malformed_selections_are_ignored():
    at = open_app("mnist-vae-2d")
    key = "chart:mnist-vae-2d:direct"
    click(at, key, 0.5, 0.5)
    for bad in ({"x": "left", "y": 1, "curve_number": 0, "point_index": 0},
                {"curve_number": 1, "point_index": 10**9},
                {"x": float("nan"), "y": 0.0, "curve_number": 0, "point_index": 0}):
        at.session_state[key] = {"selection": {"points": [bad], "point_indices": [0], "box": [], "lasso": []}}
        at.run()
        assert not at.exception, bad
        assert at.session_state["click:mnist-vae-2d:direct"]["xy"] == [0.5, 0.5]
