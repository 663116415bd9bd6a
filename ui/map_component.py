"""The latent map drawn and decoded in the browser (``?renderer=canvas``).

A ``st.components.v2`` component (ui/latent_map/: decoder.js and component.js, inlined as one
module, and style.css). The model's decoder and maps go to the browser once, as files it fetches
and caches (explorer/webexport.py writes them under static/models/, served by Streamlit's static
file serving, .streamlit/config.toml); each rerun sends only the small ``data`` below. Hovering
decodes in the browser and sends nothing; a click shows its image at once and sets the
component's ``spot`` state, which the page takes into the ViewState on its next run.
"""

from __future__ import annotations

import functools
import hashlib
import math
import shutil
from pathlib import Path

import numpy as np
import streamlit as st

from explorer import classifier, figures, projection, webexport
from explorer.files import replace_file
from explorer.bundle import Model
from explorer.projection import LatentMap
from explorer.view import View
from ui import resources

ASSETS = Path(__file__).resolve().parent / "latent_map"
TRAVERSE = Path(__file__).resolve().parent / "traverse"
STATIC = Path(__file__).resolve().parent.parent / "static"  # served at app/static/ beside app.py
SIZE = 520  # CSS pixels a side: the map is square, as a plane is


# What Streamlit gets as the component's code: a few lines that import the real module from a
# static file. Streamlit sends a component's inline code with every rerun of it (50 KB of JS on
# every click); a static file is fetched once and cached by the browser. Its name carries the
# code's digest, so a browser never runs stale code. Resolved against the page, like the model
# files, so it works under a server.baseUrlPath too.
LOADER = """let real = null;
const loading = import(new URL("%s", document.baseURI).href).then((m) => (real = m));
export default function (component) {
  if (real) return real.default(component);
  let cleanup = null, gone = false;
  loading.then((m) => { if (!gone) cleanup = m.default(component); });
  return () => { gone = true; if (typeof cleanup === "function") cleanup(); };
}
"""


def _static_module(name: str, code: str) -> str:
    """Write ``code`` once as static/js/<name>-<digest>.js; its URL, relative to the page."""
    file = f"{name}-{hashlib.sha1(code.encode()).hexdigest()[:12]}.js"
    path = STATIC / "js" / file
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        replace_file(path, lambda f: f.write_text(code))
    return f"app/static/js/{file}"


@functools.cache
def _mount_traverse():
    code = (ASSETS / "decoder.js").read_text() + "\n" + (TRAVERSE / "component.js").read_text()
    return st.components.v2.component("traverse", js=LOADER % _static_module("traverse", code),
                                      css=(TRAVERSE / "style.css").read_text())


def traverse(model: Model, code, key: str) -> None:
    """Knobs, one per dimension of ``code``, decoded live in the browser (ui/traverse/)."""
    spread = model.latents.codes.std(0)
    _mount_traverse()(key=key, data={"url": model_url(model, browser_maps(model)), "code": [float(v) for v in code],
                                     "spread": [float(v) for v in spread]}, default={})


def browser_maps(model: Model, current: str | None = None) -> list[str]:
    """The maps that go into a model's browser files: every map it has (and ``current``, computed
    on demand). One list for every caller, so the map, /compare and the traversal knobs share one
    set of files per model instead of each writing and the browser fetching its own."""
    return [m for m in projection.available(model.latent_dim) if model.has_map(m) or m == current]


@functools.cache
def _mount():
    code = (ASSETS / "decoder.js").read_text() + "\n" + (ASSETS / "component.js").read_text()
    return st.components.v2.component("latent_map", js=LOADER % _static_module("latent_map", code),
                                      css=(ASSETS / "style.css").read_text())


@st.cache_resource(show_spinner=False)
def _classifier(dataset: str, mtime: float):
    return classifier.load(dataset)


def dataset_classifier(dataset: str):
    """The dataset's classifier (explorer/classifier.py), or None."""
    path = classifier.path_of(dataset)
    return _classifier(dataset, path.stat().st_mtime if path.is_file() else 0.0)


@st.cache_resource(show_spinner="Preparing the model for the browser...", max_entries=32)
def _files(path: str, mtime: float, maps: tuple[str, ...], _model: Model, clf_mtime: float = 0.0) -> str:
    """Write the model's browser files once per bundle version; their URL, relative to the page.
    The folder's name changes whenever the bundle does, so a browser never keeps stale weights."""
    key = f"{path}:{mtime}:{','.join(maps)}:v{webexport.FORMAT_VERSION}:{clf_mtime}"
    digest = hashlib.sha1(key.encode()).hexdigest()[:12]
    name = f"{Path(path).name}-{digest}"
    folder = STATIC / "models" / name
    if not (folder / "manifest.json").is_file():
        webexport.write(_model, folder, list(maps), dataset_classifier(_model.dataset))
        for old in folder.parent.glob(f"{Path(path).name}-*"):  # earlier versions of this bundle
            if old != folder and old.is_dir():
                shutil.rmtree(old, ignore_errors=True)
    return f"app/static/models/{name}/"


_IMAGE_URLS: dict[int, tuple] = {}  # id of a cached test-image array -> (the array, its URL)


def images_url(dataset: str, originals) -> str | None:
    """URL of the dataset's test images for the browser (written once per set of images, named by
    their digest, so a browser never keeps stale ones); None without them."""
    if originals is None:
        return None
    if id(originals) not in _IMAGE_URLS:  # the array itself is kept, so its id is never reused
        digest = hashlib.sha1(originals.tobytes()).hexdigest()[:12]
        folder = STATIC / "datasets" / f"{dataset}-{digest}"
        if not (folder / webexport.IMAGES).is_file():
            webexport.write_images(originals, folder)
        _IMAGE_URLS[id(originals)] = (originals, f"app/static/datasets/{dataset}-{digest}/{webexport.IMAGES}")
    return _IMAGE_URLS[id(originals)][1]


def model_url(model: Model, maps: list[str]) -> str:
    clf = classifier.path_of(model.dataset)
    return _files(str(model.path), resources.bundle_mtime(model.path), tuple(maps), model,
                  clf.stat().st_mtime if clf.is_file() else 0.0)


def changes(value, previous) -> dict:
    """The ViewState fields the component's state changed since ``previous``: ``spot`` when a click
    set one, ``t`` when the walk's scrub control was let go. Malformed values are ignored."""
    previous = previous or {}
    out = {}
    if value.get("spot") != previous.get("spot"):
        try:
            x, y = (float(v) for v in value.get("spot") or ())
            if math.isfinite(x) and math.isfinite(y):
                out["spot"] = (x, y)
        except (TypeError, ValueError):
            pass
    if value.get("t") != previous.get("t"):
        try:
            t = float(value.get("t"))
            if 0.0 <= t <= 1.0:
                out["t"] = t
        except (TypeError, ValueError):
            pass
    return out


def latent_map(model: Model, mp: LatentMap, v: View, key: str, originals=None,
               upload=None, curves=(), samples=None, group: str | None = None) -> None:
    """Mount the map; a click and a scrub reach the page as this component's state under ``key``
    (``spot``, ``t``), which the page takes in its next run (ui/session.take_changes)."""
    lo, hi = mp.view_box()
    w = v.walk
    data = {
        "url": model_url(model, browser_maps(model, mp.name)), "model": model.name, "map": mp.name, "size": SIZE,
        # the dataset's test images, so a hovered test point shows itself (None without the data)
        "images": images_url(model.dataset, originals),
        "box": [lo.tolist(), hi.tolist()],
        "colours": [figures.class_colour(c) for c in range(len(model.class_names))],
        "class_names": list(model.class_names), "classes": list(model.classes),
        "spot": list(v.state.spot) if v.state.spot is not None else None,
        "a": v.a.xy.tolist(), "b": v.b.xy.tolist(), "path": w.path.round(5).tolist(),
        "at": w.at_xy.tolist(),
        # an estimated spot's neighbours, ringed as on the Plotly map
        "ringed": mp.xy[v.spot.estimate[0]].tolist() if v.spot is not None and v.spot.estimate is not None else [],
        # where a drawn or uploaded digit lands (map coordinates), marked with a star
        "upload": [float(upload[0]), float(upload[1])] if upload is not None else None,
        # contours to draw (each {"points", "colour", "dash"}) and sampled codes, in map coordinates
        "curves": [{**c, "points": np.asarray(c["points"], np.float64).round(4).tolist()} for c in curves],
        "samples": np.asarray(samples).round(5).tolist() if samples is not None else [],
        "group": group,  # maps of one group scrub their walks together (the /compare page)
        "layers": list(v.state.layers),  # drawn under (or instead of) the class colours
        # the walk, for scrubbing it in the browser: its ends' codes, how to walk, where the slider is
        "walk": {"a": v.a.code.tolist(), "b": v.b.code.tolist(), "method": w.method, "t": w.at_t},
    }
    # the callbacks only declare the state keys: the page reads them in its run
    _mount()(key=key, data=data, default={"spot": None, "t": None}, on_spot_change=lambda: None,
             on_t_change=lambda: None)
