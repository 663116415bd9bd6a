"""The app driven the way a user drives it, under Streamlit's AppTest (no browser)."""

import json
import html
import re
import subprocess
import sys

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import explorer
from explorer.bundles import bundle, catalog, evaluate
from explorer import data, maps as projection
from explorer.maps import TSNEMap
from explorer.teaching.state import ViewState
from explorer.teaching import facts
from explorer.teaching.view import N_FRAMES
from ui import pictures, session
from ui.session import W_CLASS, W_EXAMPLE, W_MAP, W_MODEL, W_PATH, W_T

from .conftest import ROOT, find_or_fetch

APP = str(ROOT / "app.py")


def click(at, x, y, curve=0, point=0):
    """What the map widget stores when a user clicks (x, y), and the rerun: the browser map's
    state, or the Plotly chart's selection (where a click on a test point names its trace and
    index, ``curve`` and ``point``)."""
    v = at.session_state[session.VIEW]
    if v.renderer == "canvas":
        assert curve == 0, "the browser map reports a test point by its position"
        at.session_state[session.chart_key(v)] = {"spot": [x, y], "t": None}
    else:
        at.session_state[session.chart_key(v)] = {"selection": {
            "points": [{"x": x, "y": y, "curve_number": curve, "point_index": point}],
            "point_indices": [point], "box": [], "lasso": []}}
    return at.run()


def scrub(at, t):
    """Move along the walk with its one control, and the rerun: the browser map's own slider let go
    at ``t`` (its state keeps the spot it had), or the page's slider under a Plotly map."""
    v = at.session_state[session.VIEW]
    if v.renderer != "canvas":
        return at.slider(key=W_T).set_value(t).run()
    key = session.chart_key(v)
    value = dict(at.session_state[key]) if key in at.session_state else {"spot": None}
    at.session_state[key] = {**value, "t": t}
    return at.run()


def walk_at(at) -> str | None:
    """The position the walk's strip marks (data-walk-t), as the page last drew it."""
    found = [m for h in at.get("html") for m in re.findall(r'data-walk-t="([^"]*)"', h.proto.body)]
    return found[0] if found else None


def walk_strip(at) -> str:
    return next(img for caption, img in figures(at).items() if caption.startswith(f"{N_FRAMES} evenly spaced steps"))


def open_app(name=None, query=None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    for k, v in (query or {}).items():
        at.query_params[k] = v
    at.run()
    if name is not None:
        at.sidebar.selectbox(key=W_MODEL).set_value(name).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def view(at) -> ViewState:
    return at.session_state[session.VIEW]


def url(at) -> dict[str, str]:
    """The page's URL parameters as the address bar shows them."""
    return {k: v if isinstance(v, str) else ",".join(v) for k, v in dict(at.query_params).items()}


def captions(at):
    return " ".join(c.value for c in at.caption)


def link_notices(at) -> list[str]:
    """The notices naming what a link held that was ignored (a machine without the dataset also
    shows one saying so: that one is not about the link)."""
    return [w.value for w in at.warning if w.value.startswith("Part of the link was ignored")]


def figures(at) -> dict[str, str]:
    """Caption -> the <img> tag of every inline picture on the page, or the pictures and labels of
    a row of them (ui/pictures.row)."""
    out = {}
    for h in at.get("html"):
        for img, caption in re.findall(r"(<img [^>]*>)<figcaption[^>]*>(.*?)</figcaption>", h.proto.body):
            out[html.unescape(caption)] = img
        for tiles, caption in re.findall(r"<figure data-row[^>]*>(.*?)<figcaption[^>]*>(.*?)</figcaption>", h.proto.body):
            out[html.unescape(caption)] = tiles
    return out


@pytest.fixture(autouse=True)
def with_data(monkeypatch):
    """The dataset where it is found; tests that need it ask for it, the others run without."""
    d, _ = find_or_fetch()
    if d:
        monkeypatch.setenv(data.ENV_VAR, d)


@pytest.mark.parametrize("name", explorer.list_pretrained())
def test_every_bundle_opens_and_decodes_a_click_anywhere(name):
    at = open_app(name)
    m = explorer.load_model(name)
    for method in [k for k in projection.available(m.latent_dim) if m.has_map(k)]:  # (UMAP, where
        at.sidebar.radio(key=W_MAP).set_value(method).run()  # not stored, is computed on demand: below)
        mp = m.map(method)
        lo, hi = mp.bounds()
        x, y = lo + 0.37 * (hi - lo)  # a spot on the plane, most likely empty space
        click(at, float(x), float(y))
        assert not at.exception, [e.value for e in at.exception]
        assert view(at).spot == (float(x), float(y)) and view(at).map == method
        assert f"the spot ({x:.2f}, {y:.2f})" in captions(at), captions(at)[-400:]
        assert f'data-spot="{x:.7g},{y:.7g}"' in figures(at)["decoded"]
        assert url(at)["spot"] == f"{x:.7g},{y:.7g}"  # the address bar follows


def test_clicking_a_test_point_shows_original_and_reconstruction(images_dir, monkeypatch):
    monkeypatch.setenv(data.ENV_VAR, images_dir)
    name = "mnist-vae-2d"
    at = open_app(query={"model": name, "renderer": "plotly"})
    m = explorer.load_model(name)
    row = int(np.flatnonzero(m.latents.labels == m.classes[0])[3])
    x, y = m.latents.codes[row]
    click(at, 9.0, 9.0, curve=1, point=3)  # the reported x, y are not trusted: the point is
    assert f"Test image #{m.latents.index[row]} (a 0)" in captions(at)
    assert {"original", "reconstruction"} <= set(figures(at))
    assert view(at).spot == (float(x), float(y))
    # and its nearest test images in the latent space, itself first at distance 0: the strip
    # shown is the one drawn from the 8 codes nearest by brute force
    caption = "the 8 test images with the nearest codes: class and distance in the latent space"
    dist = np.linalg.norm(m.latents.codes.astype(np.float64) - m.latents.codes[row], axis=1)
    near = np.argsort(dist, kind="stable")[:8]
    assert near[0] == row and dist[row] == 0
    row = pictures.row_html(data.load("mnist", "test", images_dir).images[m.latents.index[near]],
                            [f"{m.class_names[m.latents.labels[r]]} d={dist[r]:.2f}" for r in near], caption)
    assert row in [h.proto.body for h in at.get("html")]


def test_the_caption_says_a_spot_once_on_the_plane_and_gives_the_code_elsewhere():
    at = open_app("mnist-vae-2d")
    click(at, 0.5, -0.25)
    text = captions(at)
    assert "the spot (0.50, -0.25)." in text and "Its code" not in text
    at.sidebar.radio(key=W_MAP).set_value("pca").run()
    click(at, 0.5, -0.25)
    assert "Its code: (" in captions(at)


def test_walk_controls_change_the_state_and_the_url():
    name = "mnist-ae-2d"
    at = open_app(name)
    m = explorer.load_model(name)
    scrub(at, 0.0)
    assert walk_at(at) == "0" and view(at).t == 0.0 and url(at)["t"] == "0"
    assert not [s for s in at.slider if s.key == W_T], "one walk control: the map's own slider"
    at.selectbox(key=W_CLASS["b"]).set_value(7).run()
    at.slider(key=W_EXAMPLE["b"]).set_value(2).run()
    row = int(np.flatnonzero(m.latents.labels == 7)[2])
    assert view(at).b == int(m.latents.index[row])
    assert f"test image #{m.latents.index[row]} (a 7)" in " ".join(md.value for md in at.markdown)
    assert url(at)["b"] == str(m.latents.index[row])
    # a clicked spot becomes the start
    click(at, 0.5, -0.25)
    next(b for b in at.button if b.label == "Use as start A").click().run()
    assert view(at).a == (0.5, -0.25)
    assert "**A**: the spot (0.50, -0.25)" in [md.value for md in at.markdown]
    # slerp and lerp give different frames at the same t between the same ends
    scrub(at, 0.5)
    lerp_steps = walk_strip(at)
    at.radio(key=W_PATH).set_value("slerp").run()
    assert view(at).path == "slerp" and url(at)["path"] == "slerp"
    assert walk_strip(at) != lerp_steps
    assert not at.exception


def test_a_link_restores_the_whole_view():
    m = explorer.load_model("mnist-vae-16")
    mp = m.map("tsne")
    a, b = int(m.latents.index[11]), int(m.latents.index[500])
    x, y = (float(v) for v in mp.xy[42] + np.float32(1.5))
    at = open_app(query={"model": "mnist-vae-16", "map": "tsne", "spot": f"{x:.7g},{y:.7g}", "a": str(a),
                         "b": str(b), "path": "slerp", "t": "0.3"})
    v = view(at)
    assert (v.model, v.map, v.a, v.b, v.path, v.t) == ("mnist-vae-16", "tsne", a, b, "slerp", 0.3)
    assert v.spot == pytest.approx((x, y), rel=1e-6)
    assert at.sidebar.selectbox(key=W_MODEL).value == "mnist-vae-16"
    assert at.sidebar.radio(key=W_MAP).value == "tsne" and at.radio(key=W_PATH).value == "slerp"
    assert walk_at(at) == "0.3"
    assert f"test image #{a} (a {m.latents.labels[11]})" in " ".join(md.value for md in at.markdown)
    assert any("estimate" in e.label for e in at.expander)
    measured = facts.estimate_error(m, mp)  # the estimate's error, measured, under the map
    assert any(measured.sentence() in c.value for c in at.caption)
    assert not link_notices(at)  # nothing in the link was ignored


def test_the_share_panel_gives_the_link_of_this_view_when_opened():
    at = open_app(query={"model": "mnist-vae-16", "map": "pca", "path": "slerp", "t": "0.3"})
    assert not at.code  # closed: nothing drawn inside it (the code block costs the browser 0.5 s)
    at.session_state[session.W_SHARE] = True
    at.run()
    (link,) = [c.value for c in at.code]
    query = dict(p.split("=") for p in link.split("?", 1)[1].split("&"))
    assert query == url(at) and query["model"] == "mnist-vae-16" and query["path"] == "slerp"


def test_the_share_link_uses_the_public_address_students_reach(monkeypatch):
    monkeypatch.setenv("EXPLORER_PUBLIC_URL", "https://explorer.school.example/class")
    at = open_app(query={"model": "mnist-vae-16", "map": "pca"})
    at.session_state[session.W_SHARE] = True
    at.run()
    (link,) = [c.value for c in at.code]
    assert link.startswith("https://explorer.school.example/class/") and "localhost" not in link
    assert "model=mnist-vae-16" in link and "map=pca" in link
    assert not any("EXPLORER_PUBLIC_URL" in c.value for c in at.caption)  # no advice once it is set


def test_a_bad_link_shows_one_notice_and_opens_the_rest():
    at = open_app(query={"model": "mnist-vae-2d", "map": "tsne", "spot": "nan,1", "t": "7", "a": "../../etc/passwd"})
    notices = link_notices(at)
    assert len(notices) == 1
    assert "spot" in notices[0] and "t '7'" in notices[0] and "a '../../etc/passwd'" in notices[0]
    v = view(at)
    assert (v.map, v.spot, v.t, v.a) == ("tsne", None, 0.5, None) and not at.exception
    assert url(at) == {"model": "mnist-vae-2d", "map": "tsne"}  # the URL is cleaned
    scrub(at, 0.2)
    assert not link_notices(at)  # the notice goes once the student works


def test_without_the_dataset_the_app_still_works(tmp_path, monkeypatch):
    monkeypatch.setenv(data.ENV_VAR, str(tmp_path / "empty"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(data, "SYSTEM_DIR", tmp_path / "system")
    at = open_app("mnist-vae-2d")
    assert any("not on this computer" in w.value for w in at.sidebar.warning)
    x, y = explorer.load_model("mnist-vae-2d").latents.codes[0]
    click(at, float(x), float(y))  # on a test point
    assert not at.exception
    assert "reconstruction" in figures(at) and "original" not in figures(at)
    assert any("original is not shown" in w.value for w in at.warning)


def test_damaged_dataset_files_are_not_called_missing(tmp_path, monkeypatch):
    folder = tmp_path / "data" / "mnist"
    folder.mkdir(parents=True)
    for f in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
              "t10k-labels-idx1-ubyte.gz"):
        (folder / f).write_bytes(b"\x1f\x8b\x08\x00damaged")
    monkeypatch.setenv(data.ENV_VAR, str(tmp_path / "data"))
    at = open_app("mnist-vae-2d")
    warning = " ".join(w.value for w in at.sidebar.warning)
    assert "cannot be read" in warning and "not on this computer" not in warning
    assert str(folder / "t10k-images-idx3-ubyte.gz") in warning


def broken_bundle(models_dir, name="broken-model"):
    broken = models_dir / name
    broken.mkdir(parents=True)
    config = bundle.read_config(bundle.PRETRAINED_DIR / "mnist-ae-2")  # a sound config, then a pickle
    (broken / bundle.CONFIG_FILE).write_text(json.dumps({**config, "name": name}))
    (broken / bundle.WEIGHTS_FILE).write_bytes(b"\x80\x04garbage")
    return broken


def test_a_broken_bundle_is_reported_and_the_shown_model_stays(tmp_path, monkeypatch):
    broken_bundle(tmp_path / "models")
    monkeypatch.setenv("EXPLORER_MODELS_DIR", str(tmp_path / "models"))
    at = open_app()
    at.sidebar.selectbox(key=W_MODEL).set_value("broken-model").run()
    assert not at.exception
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and "broken-model cannot be opened" in errors[0] and "pickled" in errors[0]
    assert view(at).model == "mnist-vae-2d" and at.sidebar.selectbox(key=W_MODEL).value == "mnist-vae-2d"
    at.sidebar.selectbox(key=W_MODEL).set_value("mnist-ae-2d").run()
    assert not at.error and "mnist-ae-2d" in at.header[0].value


def test_a_broken_default_bundle_opens_the_next_that_loads(tmp_path, monkeypatch):
    from ui import resources

    broken_bundle(tmp_path / "models", "aaa-default")
    monkeypatch.setenv("EXPLORER_MODELS_DIR", str(tmp_path / "models"))
    monkeypatch.setattr(resources, "DEFAULT_MODEL", "aaa-default")
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and errors[0].startswith("The model aaa-default cannot be opened")
    assert view(at).model == catalog.list_pretrained()[0] and at.header[0].value.startswith(view(at).model)


def test_download_failure_is_shown_not_raised(tmp_path, monkeypatch):
    monkeypatch.setenv(data.ENV_VAR, str(tmp_path / "empty"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(data, "SYSTEM_DIR", tmp_path / "system")
    info = data.DATASETS["mnist"]
    monkeypatch.setitem(data.DATASETS, "mnist", data.DatasetInfo(
        info.name, info.title, info.class_names, ("http://127.0.0.1:9/",), info.md5))
    at = open_app("mnist-vae-2d")
    next(b for b in at.sidebar.button if b.label.startswith("Download mnist")).click().run()
    assert not at.exception
    errors = [e.value for e in at.sidebar.error]
    assert len(errors) == 1 and errors[0].startswith("The download did not work. Could not download mnist")
    assert "urlopen" not in errors[0]


def test_tsne_click_is_an_estimate_with_its_neighbours():
    name = "mnist-vae-2d"
    at = open_app(name)
    at.sidebar.radio(key=W_MAP).set_value("tsne").run()
    mp = explorer.load_model(name).map("tsne")
    lo, hi = mp.bounds()
    x, y = (lo + hi) / 2 + 0.013
    click(at, float(x), float(y))
    assert not at.exception
    assert any("estimate" in e.label for e in at.expander)
    assert "nearest first, with the weight of each" in figures(at)


def test_switching_maps_keeps_test_images_and_shows_spots_by_their_codes():
    """Another map of the same model: test images stay, a spot is its code seen on the new map,
    and the page says so; another model of other images: A and B go back, and the page says why."""
    m = explorer.load_model("mnist-vae-2d")
    pca = m.map("pca")
    a = int(m.latents.index[3])
    at = open_app(query={"model": m.name, "map": "direct", "spot": "0.5,0.5", "a": str(a), "b": "1.0,1.0", "t": "0.3"})
    at.sidebar.radio(key=W_MAP).set_value("pca").run()
    v = view(at)
    assert (v.map, v.a, v.t) == ("pca", a, 0.3)
    np.testing.assert_allclose(v.spot, pca.to_map(np.float32([[0.5, 0.5]]))[0], rtol=1e-5)
    np.testing.assert_allclose(v.b, pca.to_map(np.float32([[1.0, 1.0]]))[0], rtol=1e-5)
    said = " ".join(c.value for c in at.caption)
    assert f"Kept on the PCA map: A (test image #{a}), B (its code's place on this map), the clicked spot (its code's place on this map)" in said
    at.sidebar.selectbox(key=W_MODEL).set_value("fashion-mnist-vae-2d").run()
    v = view(at)
    assert (v.model, v.a, v.t) == ("fashion-mnist-vae-2d", None, 0.3) and not at.exception
    assert "Not kept: A (fashion-mnist-vae-2d has other images)." in " ".join(c.value for c in at.caption)


def test_a_missing_tsne_map_is_computed_once_and_cached(tmp_path, monkeypatch):
    """A bundle without a stored t-SNE map still opens on it: computed with progress, then cached,
    and reruns and new processes do not compute it again."""
    from .test_bundle import small_bundle

    models = tmp_path / "models"
    small_bundle(models / "tiny-vae", latent_dim=4)
    monkeypatch.setenv("EXPLORER_MODELS_DIR", str(models))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    calls = []
    real = TSNEMap.compute_layout.__func__
    monkeypatch.setattr(TSNEMap, "compute_layout",
                        classmethod(lambda cls, c, progress=None: calls.append(1) or real(cls, c, progress)))
    at = open_app("tiny-vae")
    assert at.sidebar.radio(key=W_MAP).value == "tsne" and not at.exception
    click(at, 0.1, 0.1)
    scrub(at, 0.9)
    assert len(calls) == 1
    cached = list((tmp_path / "cache" / "latent-explorer" / "maps").glob("tsne-*.safetensors"))
    assert len(cached) == 1
    m = explorer.load_model(models / "tiny-vae")  # a fresh process finds it in the cache
    assert not m.has_map("tsne")
    m.map("tsne")
    assert len(calls) == 1


def test_a_umap_map_is_computed_when_first_asked_for_and_places_new_codes_by_its_transform(tmp_path, monkeypatch):
    """``?map=umap`` on a model without a stored UMAP: its layout computed once (cached), then
    clicked, walked, and new codes placed by UMAP's own transform, with no exception. (The layout
    here is a stand-in: umap-learn's first fit compiles for a minute; the real fit is tested slow.)"""
    from explorer.maps.umap_map import UMAPMap
    from .test_bundle import small_bundle

    models = tmp_path / "models"
    small_bundle(models / "tiny-vae", latent_dim=4)
    monkeypatch.setenv("EXPLORER_MODELS_DIR", str(models))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    calls = []
    monkeypatch.setattr(UMAPMap, "compute_layout", classmethod(
        lambda cls, c, progress=None: calls.append(1) or (c[:, :2] * 3).astype(np.float32)))
    at = open_app(query={"model": "tiny-vae", "map": "umap"})
    assert view(at).map == "umap" and not at.exception, [e.value for e in at.exception]
    click(at, 0.1, 0.1)
    scrub(at, 0.9)
    assert not at.exception and len(calls) == 1
    assert list((tmp_path / "cache" / "latent-explorer" / "maps").glob("umap-*.safetensors"))
    m = explorer.load_model(models / "tiny-vae")
    mp = m.map("umap")  # from the cache
    assert isinstance(mp, UMAPMap) and not mp.exact and len(calls) == 1
    placed = mp.to_map(m.latents.codes[:5] + 0.01)
    lo, hi = mp.view_box()
    assert placed.shape == (5, 2) and ((placed >= lo) & (placed <= hi)).all()


def test_pictures_are_inline_so_quick_switching_cannot_break_them():
    """The broken-image icon after quick PCA/t-SNE switching came from media files that Streamlit
    drops when the next run ends before the browser fetched them; pictures are now inline."""
    at = open_app("mnist-ae-16")
    for method in ("pca", "tsne", "pca", "tsne"):
        at.sidebar.radio(key=W_MAP).set_value(method).run()
        click(at, 0.5, 0.5)
        assert not at.get("imgs") and not at.image  # nothing served as a media file
        srcs = re.findall(r'src="([^"]{0,30})', " ".join(figures(at).values()))
        assert srcs and all(src.startswith("data:image/png;base64,") for src in srcs)


def test_the_browser_map_reports_clicks_as_its_spot_state():
    """?renderer=canvas: the component appears as an unknown element here; its state is what a
    click in the browser sets, and the page takes it as the spot (bad values are ignored)."""
    at = open_app(query={"model": "mnist-vae-16"})
    assert view(at).renderer == "canvas" and at.sidebar.radio(key=session.W_RENDERER).value == "canvas"
    key = session.chart_key(view(at))
    at.session_state[key] = {"spot": [12.5, -3.25], "t": None}
    at.run()
    assert view(at).spot == (12.5, -3.25) and url(at)["spot"] == "12.5,-3.25" and "renderer" not in url(at)
    assert 'data-spot="12.5,-3.25"' in figures(at)["decoded"]
    for bad in ({"spot": ["x", 1]}, {"spot": [float("nan"), 0]}, {"spot": [1]}, {"other": 1},
                {"spot": [12.5, -3.25], "t": 7}, {"spot": [12.5, -3.25], "t": "x"}):
        at.session_state[key] = bad
        at.run()
        assert not at.exception and view(at).spot == (12.5, -3.25) and view(at).t == 0.5, bad
    # letting go of the scrub control sets t; the spot, unchanged in the component, stays as it is
    at.session_state[key] = {"spot": [12.5, -3.25], "t": 0.8}
    at.run()
    assert view(at).t == 0.8 and url(at)["t"] == "0.8" and walk_at(at) == "0.8"
    at.sidebar.selectbox(key=W_MODEL).set_value("mnist-ae-2d").run()
    assert view(at).renderer == "canvas" and view(at).spot is None  # another model, drawn the same way
    at.sidebar.radio(key=session.W_RENDERER).set_value("plotly").run()
    assert view(at).renderer == "plotly" and url(at)["renderer"] == "plotly" and at.get("plotly_chart")


def test_malformed_selections_are_ignored():
    at = open_app(query={"model": "mnist-vae-2d", "renderer": "plotly"})
    click(at, 0.5, 0.5)
    key = session.chart_key(view(at))
    for bad in ({"x": "left", "y": 1, "curve_number": 0, "point_index": 0},
                {"curve_number": 1, "point_index": 10**9},
                {"x": float("nan"), "y": 0.0, "curve_number": 0, "point_index": 0},
                {"x": 0.1, "y": 0.1, "curve_number": 99, "point_index": 0}):
        at.session_state[key] = {"selection": {"points": [bad], "point_indices": [0], "box": [], "lasso": []}}
        at.run()
        assert not at.exception, bad
        assert view(at).spot == (0.5, 0.5)


def test_importing_the_app_and_its_pages_runs_nothing():
    code = "import app, views.explore, ui.session, ui.resources, ui.pictures; print('imported')"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "imported", done.stderr
    assert "ScriptRunContext" not in done.stderr  # a Streamlit command would have complained


def test_the_library_knows_no_screen():
    """As `grep -rl streamlit explorer/` would say."""
    offenders = [str(p.relative_to(ROOT)) for p in (ROOT / "explorer").rglob("*.py") if "streamlit" in p.read_text()]
    assert offenders == []


def test_no_dataset_file_is_committed():
    """Datasets are found or downloaded, never committed; nor are the test images the app writes
    for the browser (static/datasets/)."""
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    assert [f for f in files if f.startswith(("static/datasets/", "static/models/")) or "ubyte" in f
            or f.endswith(".u8.gz")] == []


def test_a_vae_shows_the_cloud_of_a_clicked_test_image_and_draws_from_it(images_dir, monkeypatch):
    monkeypatch.setenv(data.ENV_VAR, images_dir)
    m = explorer.load_model("mnist-vae-2d")
    mp = m.map("direct")
    at = open_app(query={"model": "mnist-vae-2d", "map": "direct"})
    assert any("Click a dot (a test image) or draw a digit" in i.value for i in at.info)
    x, y = (float(v) for v in mp.xy[7])
    click(at, x, y)
    mean, log_var = m.posterior(data.load("mnist", "test", images_dir).images[m.latents.index[7]][None])
    sd = np.exp(0.5 * log_var[0])
    text = " ".join(c.value for c in at.caption)
    assert f"mu = ({mean[0, 0]:.2f}, {mean[0, 1]:.2f}), sigma = ({sd[0]:.3f}, {sd[1]:.3f})" in text
    assert any(md.value.startswith(f"**Test image #{m.latents.index[7]}") and "KL from the prior" in md.value
               for md in at.markdown)
    next(b for b in at.button if b.label.startswith("Draw 8 codes")).click().run()
    assert "codes drawn from the cloud, decoded (red dots on the map)" in figures(at)
    first = figures(at)["codes drawn from the cloud, decoded (red dots on the map)"]
    next(b for b in at.button if b.label.startswith("Draw 8 codes")).click().run()
    assert figures(at)["codes drawn from the cloud, decoded (red dots on the map)"] != first  # new draws
    assert not at.exception
    # a plain autoencoder has no cloud
    at = open_app(query={"model": "mnist-ae-2d", "map": "direct"})
    assert not [s for s in at.subheader if "cloud" in s.value]


def test_the_anomaly_view_opens_on_request_and_flags_by_threshold(images_dir, monkeypatch):
    monkeypatch.setenv(data.ENV_VAR, images_dir)
    at = open_app(query={"model": "mnist-vae-2d"})
    assert not [s for s in at.slider if s.key == session.W_THRESHOLD]  # closed: nothing computed
    at.session_state[session.W_ANOMALY] = True
    at.run()
    m = explorer.load_model("mnist-vae-2d")
    errors = evaluate.reconstruction_errors(m, data.load("mnist", "test", images_dir).images)
    at.slider(key=session.W_THRESHOLD).set_value(0.05).run()
    assert f"Flagged: **{(errors > 0.05).sum():,}** of 10,000 test images" in " ".join(md.value for md in at.markdown)
    assert "the 12 worst rebuilt: class and error" in figures(at)
    assert not at.exception


def test_a_single_class_models_anomaly_view_reports_its_auc(images_dir, monkeypatch):
    monkeypatch.setenv(data.ENV_VAR, images_dir)
    at = open_app(query={"model": "mnist0-ae-4"})
    at.session_state[session.W_ANOMALY] = True
    at.run()
    text = " ".join(md.value for md in at.markdown)
    m = explorer.load_model("mnist0-ae-4")
    test = data.load("mnist", "test", images_dir)
    auc = evaluate.roc_auc(evaluate.reconstruction_errors(m, test.images), ~np.isin(test.labels, m.classes))
    assert "of the other digits" in text and "(ROC AUC)" in text
    assert f"**{auc:.3f}**" in text  # on MNIST, the bundle's own figure (tests/test_anomaly.py)
    assert not at.exception


def test_the_decoded_grid_and_the_traversal_open_on_request():
    at = open_app(query={"model": "mnist-vae-16", "map": "pca"})
    assert not [f for f in figures(at) if "rows: the code" in f]  # closed: nothing decoded
    at.session_state[session.W_GRID] = True
    at.session_state[session.W_TRAVERSAL] = True
    at.run()
    assert "mnist-vae-16, PCA of the codes" in figures(at)
    assert "rows: the code's dimensions; columns: how far each moves, in spreads" in figures(at)
    assert any("Starting from test image #" in c for c in (c.value for c in at.caption))
    assert not at.exception
    at = open_app(query={"model": "mnist-vae-2d"})  # two numbers: the map is the traversal already
    assert not [e for e in at.expander if "traversal" in e.label]


@pytest.mark.parametrize("lesson", ["denoising", "anomalies"])
def test_without_the_dataset_a_lesson_says_where_it_looked(tmp_path, monkeypatch, lesson):
    """Before: "was not found. Looked in:)" with the list cut off, on lessons 9 and 10."""
    monkeypatch.setenv(data.ENV_VAR, str(tmp_path / "empty"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(data, "SYSTEM_DIR", tmp_path / "system")
    script = (f"import sys\nsys.path.insert(0, {str(ROOT)!r})\nimport app\nfrom views.lessons import LESSONS\n"
              f"app.pages()\ndict((l.path, l.render) for l in LESSONS)[{lesson!r}]()")
    at = AppTest.from_string(script, default_timeout=120).run()
    assert not at.exception
    said = [w.value for w in at.warning if "test images are not available" in w.value]
    assert len(said) == 1 and f"looked in `{tmp_path / 'empty' / 'mnist'}`" in said[0]
    assert f"`{tmp_path / 'system' / 'mnist'}`" in said[0] and "Looked in:)" not in said[0]


def test_the_last_lesson_leads_back_to_the_first():
    script = (f"import sys\nsys.path.insert(0, {str(ROOT)!r})\nimport app\nfrom views.lessons import LESSONS\n"
              f"app.pages()\ndict((l.path, l.render) for l in LESSONS)['anomalies']()")
    at = AppTest.from_string(script, default_timeout=120).run()
    assert not at.exception
    links = [el for el in at.get("page_link")]
    assert any("Back to lesson 1: The bottleneck" in el.proto.label for el in links), [el.proto.label for el in links]
