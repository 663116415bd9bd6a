"""The browser's decoder (ui/latent_map/decoder.js on the files explorer/bundles/webexport.py writes)
against the library, in real Chromium: for 200 random points of every shipped model's every map,
the decoded images differ by at most 2/255 per pixel."""

import base64
import contextlib
import gzip
import json
import time

import numpy as np
import pytest

import explorer
from explorer import maps as projection
from explorer.bundles import webexport

from . import browser
from .conftest import ROOT

DECODER_JS = ROOT / "ui" / "latent_map" / "decoder.js"
ORIGIN = "http://explorer.test/"
N_POINTS = 200
TOLERANCE = 2 / 255


@pytest.fixture(scope="module")
def chromium():
    """One browser for the module's many pages (a launch is most of a small test's time)."""
    with browser.chromium() as b:
        yield b


def test_export_describes_the_decoder_layer_by_layer(tmp_path):
    m = explorer.load_model("mnist-conv-vae-16")
    manifest, payload = webexport.export(m)
    types = [layer["type"] for layer in manifest["decoder"]]
    assert types == ["linear", "activation", "linear", "activation", "reshape", "conv_transpose",
                     "activation", "conv_transpose"]
    assert set(manifest["maps"]) == {"tsne", "pca"} and manifest["maps"]["tsne"]["kind"] == "neighbours"
    assert all(offset % 4 == 0 for offset, _, _ in manifest["arrays"].values())
    # every array comes back exactly, in the smallest type that holds it: the bundle's float16
    # weights as float16, the float32 codes as float32, the labels as bytes
    first = manifest["decoder"][0]["weight"]
    assert manifest["arrays"][first][2] == "f2"
    np.testing.assert_array_equal(webexport.read_array(payload, manifest["arrays"][first]).astype(np.float32),
                                  m.net.decoder.net[0].weight.detach().numpy().ravel())
    assert manifest["arrays"]["codes"][2] == "f4"
    np.testing.assert_array_equal(webexport.read_array(payload, manifest["arrays"]["codes"]).reshape(-1, 16),
                                  m.latents.codes)
    assert manifest["arrays"]["labels"][2] == "u1"
    np.testing.assert_array_equal(webexport.read_array(payload, manifest["arrays"]["labels"]), m.latents.labels)
    folder = webexport.write(m, tmp_path / "web")
    assert json.loads((folder / "manifest.json").read_text()) == json.loads(json.dumps(manifest))
    assert gzip.decompress((folder / webexport.BINARY).read_bytes()) == payload


def test_arrays_keep_the_smallest_exact_type():
    assert webexport.narrowest(np.array([0, 9, 255])) == "u1"
    assert webexport.narrowest(np.array([0, 9999])) == "u2"
    assert webexport.narrowest(np.array([-1, 70000])) == "i4"
    assert webexport.narrowest(np.array([0.5, -2.0, 1024.0], np.float32)) == "f2"
    assert webexport.narrowest(np.array([0.1], np.float32)) == "f4"  # not exact in float16
    assert webexport.narrowest(np.array([1e6], np.float32)) == "f4"  # beyond float16's range
    assert webexport.narrowest(np.array([np.nan], np.float32)) == "f4"
    arrays = webexport.Arrays()
    for key, a in {"a": np.arange(3), "b": np.array([0.1, 0.2], np.float32), "c": np.array([1.5], np.float32)}.items():
        arrays.add(key, a)
    payload = arrays.tobytes()
    np.testing.assert_array_equal(webexport.read_array(payload, arrays.index["b"]), np.array([0.1, 0.2], np.float32))
    assert webexport.read_array(payload, arrays.index["c"])[0] == 1.5


def random_points(mp, n, seed=0):
    """Half anywhere in the view box (mostly empty space), half right on test points."""
    rng = np.random.default_rng(seed)
    lo, hi = mp.view_box()
    anywhere = lo + rng.random((n // 2, 2)) * (hi - lo)
    on_points = mp.xy[rng.choice(len(mp.xy), n - n // 2, replace=False)]
    return np.concatenate([anywhere, on_points]).astype(np.float32)


# float32 numbers out of the page as base64 of their bytes: JSON lists of 150,000 numbers took
# most of a parity test's time
AS_BASE64 = """(a) => { const b = new Uint8Array(Float32Array.from(a).buffer); let s = '';
    for (let i = 0; i < b.length; i += 0x8000) s += String.fromCharCode.apply(null, b.subarray(i, i + 0x8000));
    return btoa(s); }"""


def floats_of(page, expression: str, arg=None) -> np.ndarray:
    """The numbers the page's ``expression`` (a function of ``arg`` giving an array) returns, as float32."""
    text = page.evaluate(f"(arg) => ({AS_BASE64})(({expression})(arg))", arg)
    return np.frombuffer(base64.b64decode(text), np.float32)


def browser_decodes(page, method: str, points: np.ndarray) -> np.ndarray:
    """window.model's decode of each of ``points`` on map ``method``, one row per point."""
    flat = floats_of(page, """([name, points]) => points.flatMap(([x, y]) =>
        Array.from(window.model.decode(window.model.toLatent(name, x, y))))""", [method, points.tolist()])
    return flat.reshape(len(points), -1)


def serve_model(page, folder) -> None:
    """Serve ``folder``'s files at ORIGIN in ``page`` and load them with decoder.js as window.model."""
    files = {f.name: f.read_bytes() for f in folder.iterdir()}
    page.route(ORIGIN + "**", lambda route: route.fulfill(
        status=200, body=files.get(route.request.url[len(ORIGIN):], b""),
        content_type="application/json" if route.request.url.endswith(".json") else "application/gzip"))
    page.route(ORIGIN, lambda route: route.fulfill(status=200, body="<html><body></body></html>",
                                                   content_type="text/html"))
    page.goto(ORIGIN)
    page.add_script_tag(content=DECODER_JS.read_text())
    page.evaluate("async () => { window.model = await LatentDecoder.load('/'); }")


@pytest.mark.skipif(browser.missing() is not None, reason=str(browser.missing()))
def test_float16_arrays_widen_exactly_without_float16array(tmp_path, chromium):
    """Browsers before Float16Array widen the weights with decoder.js's own table."""
    m = explorer.load_model("mnist-vae-2d")
    manifest, payload = webexport.export(m)
    folder = webexport.write(m, tmp_path / "web")
    with contextlib.closing(chromium.new_page()) as page:
        page.add_init_script("delete globalThis.Float16Array")
        serve_model(page, folder)
        assert page.evaluate("typeof Float16Array") == "undefined"
        for key, entry in manifest["arrays"].items():
            if entry[2] == "f2":
                got = floats_of(page, "(key) => window.model.array(key)", key)
                np.testing.assert_array_equal(got, webexport.read_array(payload, entry).astype(np.float32))


# Every kind on every backbone is held to the library by tests/test_conformance_kinds.py on its
# quick maps; these shipped bundles add what a short training there does not store: t-SNE maps
# (the neighbours' form) and weights kept as float16.
SHIPPED_PARITY = ["mnist-vae-2d", "mnist-vae-16", "mnist-conv-ae-16", "mnist-seq-ae-16", "mnist-vq-vae"]


@pytest.mark.skipif(browser.missing() is not None, reason=str(browser.missing()))
@pytest.mark.parametrize("name", SHIPPED_PARITY)
def test_the_browser_decodes_as_the_library_does(tmp_path, name, chromium):
    m = explorer.load_model(name)
    folder = webexport.write(m, tmp_path / name)
    maps = [k for k in projection.available(m.latent_dim) if m.has_map(k)]  # (UMAP: stored in mnist-vae-16)
    with contextlib.closing(chromium.new_page()) as page:
        serve_model(page, folder)
        for method in maps:
            mp = m.map(method)
            points = random_points(mp, N_POINTS)
            expected = m.decode(mp.to_latent(points))
            start = time.perf_counter()
            got = browser_decodes(page, method, points).reshape(expected.shape)
            assert time.perf_counter() - start < 60
            worst = np.abs(got - expected).max()
            assert worst <= TOLERANCE, f"{name} {method}: worst pixel differs by {worst * 255:.2f}/255"
            # and the way onto the map (a walk's path): codes between test codes, the test codes themselves
            rng = np.random.default_rng(1)
            codes = m.latents.codes
            rows = rng.integers(0, len(codes), (40, 2))
            z = np.concatenate([codes[rows[:, 0]] + rng.uniform(0, 1, (40, 1)) * (codes[rows[:, 1]] - codes[rows[:, 0]]),
                                codes[rows[:5, 0]]]).astype(np.float32)
            got_xy = np.array(page.evaluate("([m, zs]) => zs.map((z) => window.model.toMap(m, Float32Array.from(z)))",
                                            [method, z.tolist()]))
            spread = float(np.ptp(mp.xy, axis=0).max())
            assert np.abs(got_xy - mp.to_map(z)).max() <= 1e-4 * spread, f"{name} {method}: toMap"


@pytest.mark.skipif(browser.missing() is not None, reason=str(browser.missing()))
def test_the_browser_reads_decoded_images_with_the_datasets_classifier_as_the_library_does(tmp_path, chromium):
    from explorer.baselines import classifier

    m = explorer.load_model("mnist-vae-2d")
    clf = classifier.load("mnist")
    assert clf is not None
    folder = webexport.write(m, tmp_path / "web", classifier=clf)
    mp = m.map("direct")
    points = random_points(mp, N_POINTS)
    expected = clf.predict(m.decode(mp.to_latent(points)))
    with contextlib.closing(chromium.new_page()) as page:
        serve_model(page, folder)
        got = np.array(page.evaluate("""(points) => points.map(([x, y]) =>
            window.model.classify(window.model.decode(window.model.toLatent('direct', x, y))))""", points.tolist()))
    assert (got == expected).mean() >= 0.99  # float sums in another order may flip a near tie
    assert len(set(expected)) >= 5  # the plane generates many classes


@pytest.mark.skipif(browser.missing() is not None, reason=str(browser.missing()))
def test_the_browsers_walk_is_the_librarys(chromium):
    """decoder.js's LatentDecoder.walk (what the map scrubs) against explorer.teaching.generate's lerp and
    slerp, on random pairs of 2- to 32-number codes, the ends themselves and opposite codes."""
    from explorer.teaching import generate

    rng = np.random.default_rng(3)
    cases = [(rng.normal(size=k) * rng.uniform(0.1, 50), rng.normal(size=k), t)
             for k in (2, 2, 16, 32) for t in (0.0, 0.13, 0.5, 0.77, 1.0)]
    cases.append((np.array([1.0, 2.0]), np.array([-1.0, -2.0]), 0.4))  # opposite: slerp falls back to lerp
    with contextlib.closing(chromium.new_page()) as page:
        page.set_content("<html><body></body></html>")
        page.add_script_tag(content=DECODER_JS.read_text())
        for method in generate.INTERPOLATIONS:
            for a, b, t in cases:
                got = np.array(page.evaluate("([a, b, m, t]) => Array.from(LatentDecoder.walk(a, b, m, t))",
                                             [a.tolist(), b.tolist(), method, t]))
                want = generate.interpolate(a.astype(np.float32), b.astype(np.float32), [t], method)[0]
                np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5 * max(1.0, np.abs(want).max()),
                                           err_msg=f"{method} at t={t}, k={len(a)}")


def test_the_point_grid_finds_what_a_pass_over_every_point_finds(chromium):
    """decoder.js's PointGrid (how a map of many points answers hovers): the k nearest points of a
    spot, ties broken by the lower row, and the points in a box, as numpy finds them over every point,
    on clustered points with exact duplicates, for spots inside, between and far outside them."""
    rng = np.random.default_rng(5)
    centres = rng.normal(0, 20, (10, 2))
    xy = (centres[rng.integers(0, 10, 50_000)] + rng.normal(0, 1, (50_000, 2))).astype(np.float32)
    xy[1000:1100] = xy[7]  # a hundred copies of one point: ties broken by row
    xy[2000:2005, 1] = xy[2000:2005, 1].min()  # points sharing a line
    spots = np.concatenate([xy[rng.integers(0, len(xy), 40)] + rng.normal(0, 0.5, (40, 2)),
                            rng.uniform(-80, 80, (40, 2)), [[1e4, -1e4], [xy[7, 0], xy[7, 1]]]]).astype(np.float32)
    with contextlib.closing(chromium.new_page()) as page:
        page.set_content("<html><body></body></html>")
        page.add_script_tag(content=DECODER_JS.read_text())
        got = page.evaluate("""([flat, spots, k]) => {
            const xy = new Float32Array(flat), grid = new LatentDecoder.PointGrid(xy);
            return spots.map(([x, y]) => {
                const best = new Float64Array(k).fill(Infinity), rows = new Int32Array(k).fill(-1);
                grid.nearest(Math.fround(x), Math.fround(y), best, rows);
                const inside = [];
                grid.inBox(x - 1, y - 1, x + 1, y + 1, (i) => inside.push(i));
                return [Array.from(rows), inside];
            });
        }""", [xy.ravel().tolist(), spots.tolist(), 10])
    xy64 = xy.astype(np.float64)
    for (x, y), (rows, inside) in zip(spots.astype(np.float64), got):
        d = (xy64[:, 0] - x) ** 2 + (xy64[:, 1] - y) ** 2
        want = np.lexsort((np.arange(len(d)), d))[:10]  # by distance, then by row
        assert rows == want.tolist(), (x, y)
        boxed = np.flatnonzero((np.abs(xy64[:, 0] - x) <= 1) & (np.abs(xy64[:, 1] - y) <= 1))
        assert set(boxed) <= set(inside), (x, y)  # the cells the box touches hold every point in it
