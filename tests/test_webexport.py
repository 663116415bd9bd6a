"""The browser's decoder (ui/latent_map/decoder.js on the files explorer/webexport.py writes)
against the library, in real Chromium: for 200 random points of every shipped model's every map,
the decoded images differ by at most 2/255 per pixel."""

import json
import time

import numpy as np
import pytest

import explorer
from explorer import projection, webexport

from . import browser
from .conftest import ROOT

DECODER_JS = ROOT / "ui" / "latent_map" / "decoder.js"
ORIGIN = "http://explorer.test/"
N_POINTS = 200
TOLERANCE = 2 / 255


def test_export_describes_the_decoder_layer_by_layer(tmp_path):
    m = explorer.load_model("mnist-conv-vae-16")
    manifest, payload = webexport.export(m)
    types = [layer["type"] for layer in manifest["decoder"]]
    assert types == ["linear", "activation", "linear", "activation", "reshape", "conv_transpose",
                     "activation", "conv_transpose"]
    assert set(manifest["maps"]) == {"tsne", "pca"} and manifest["maps"]["tsne"]["kind"] == "neighbours"
    total = sum(length for _, length in manifest["arrays"].values())
    assert len(payload) == 4 * total
    # every array comes back exactly: the decoder's first weight, the codes
    floats = np.frombuffer(payload, "<f4")
    offset, length = manifest["arrays"][manifest["decoder"][0]["weight"]]
    np.testing.assert_array_equal(floats[offset:offset + length], m.net.decoder.net[0].weight.detach().numpy().ravel())
    offset, length = manifest["arrays"][manifest["codes"]]
    np.testing.assert_array_equal(floats[offset:offset + length].reshape(-1, 16), m.latents.codes)
    folder = webexport.write(m, tmp_path / "web")
    assert json.loads((folder / "manifest.json").read_text()) == json.loads(json.dumps(manifest))


def random_points(mp, n, seed=0):
    """Half anywhere in the view box (mostly empty space), half right on test points."""
    rng = np.random.default_rng(seed)
    lo, hi = mp.view_box()
    anywhere = lo + rng.random((n // 2, 2)) * (hi - lo)
    on_points = mp.xy[rng.choice(len(mp.xy), n - n // 2, replace=False)]
    return np.concatenate([anywhere, on_points]).astype(np.float32)


@pytest.mark.skipif(browser.missing() is not None, reason=str(browser.missing()))
@pytest.mark.parametrize("name", explorer.list_pretrained())
def test_the_browser_decodes_as_the_library_does(tmp_path, name):
    m = explorer.load_model(name)
    folder = webexport.write(m, tmp_path / name)
    files = {f.name: f.read_bytes() for f in folder.iterdir()}
    maps = projection.available(m.latent_dim)
    with browser.chromium_page() as page:
        page.route(ORIGIN + "**", lambda route: route.fulfill(
            status=200, body=files.get(route.request.url[len(ORIGIN):], b""),
            content_type="application/json" if route.request.url.endswith(".json") else "application/octet-stream"))
        page.route(ORIGIN, lambda route: route.fulfill(status=200, body="<html><body></body></html>",
                                                       content_type="text/html"))
        page.goto(ORIGIN)
        page.add_script_tag(content=DECODER_JS.read_text())
        page.evaluate("async () => { window.model = await LatentDecoder.load('/'); }")
        for method in maps:
            mp = m.map(method)
            points = random_points(mp, N_POINTS)
            expected = m.decode(mp.to_latent(points))
            start = time.perf_counter()
            got = np.array(page.evaluate("""([name, points]) => points.map(([x, y]) =>
                Array.from(window.model.decode(window.model.toLatent(name, x, y))))""",
                                         [method, points.tolist()]), np.float32).reshape(expected.shape)
            assert time.perf_counter() - start < 60
            worst = np.abs(got - expected).max()
            assert worst <= TOLERANCE, f"{name} {method}: worst pixel differs by {worst * 255:.2f}/255"
