"""The latent map drawn and decoded in the browser (``?renderer=canvas``).

A ``st.components.v2`` component (ui/latent_map/: its JavaScript, one file per job, ``PARTS``,
joined into one module, and style.css). The model's decoder and maps go to the browser once, as files it fetches
and caches (explorer/bundles/webexport.py writes them under static/models/, served by Streamlit's static
file serving, .streamlit/config.toml); each rerun sends only the small ``data`` below. Hovering
decodes in the browser and sends nothing; a click shows its image at once and sets the
component's ``spot`` state, which the page takes into the ViewState on its next run.
"""

from __future__ import annotations

import functools
import hashlib
import math
from pathlib import Path

import numpy as np
import streamlit as st

from explorer.bundles import catalog, webexport
from explorer.baselines import classifier
from explorer.teaching import figures
from explorer.onnx import browser as onnx_browser
from explorer import maps as projection
from explorer.bundles.bundle import Model
from explorer.maps import LatentMap
from explorer.teaching.view import View
from ui import present, static_files
from ui.text import literal

ASSETS = Path(__file__).resolve().parent / "latent_map"
TRAVERSE = Path(__file__).resolve().parent / "traverse"
STATIC = static_files.STATIC  # served at app/static/ beside app.py
SIZE = 520  # CSS pixels a side: the map is square, as a plane is


# The map's JavaScript, one file per job, joined in this order into one module (one scope):
# the decoder and the walk's lerp/slerp, which the parity tests hold to the library
# (tests/test_webexport.py); what every map shares; drawing the points (WebGL2 for large maps, else the canvas); the decoded and density
# layers; the overlay; picking; the walk; input; and the component that mounts them.
PARTS = ("decoder.js", "shared.js", "glpoints.js", "points.js", "layers.js", "overlay.js", "picking.js", "walk.js",
         "input.js", "component.js")


def _code(*parts: Path) -> str:
    return "\n".join(p.read_text() for p in parts)


def map_code() -> str:
    return _code(*(ASSETS / p for p in PARTS))


def traverse_code() -> str:
    return _code(ASSETS / "decoder.js", TRAVERSE / "component.js")


def modules() -> None:
    """Publish the map's and the traversal's code (``python -m ui.static_files`` calls this)."""
    static_files.module("latent_map", map_code())
    static_files.module("traverse", traverse_code())


@functools.cache
def _mount_traverse():
    return static_files.component("traverse", traverse_code(), (TRAVERSE / "style.css").read_text())


def traverse(model: Model, code, key: str) -> None:
    """Knobs, one per dimension of ``code``, decoded live in the browser (ui/traverse/)."""
    spread = model.latents.codes.std(0)
    try:
        url, mount = model_url(model, browser_maps(model)), _mount_traverse()
    except NoBrowserDecoder as e:
        st.caption("The knobs decode in the browser, and this imported decoder uses an operation the browser's "
                   f"decoder does not run ({literal(str(e))}).")
        return
    except static_files.Unavailable as e:
        st.caption("The knobs decode in the browser, whose files this installation cannot write.", help=literal(str(e)))
        return
    mount(key=key, data={"url": url, "code": [float(v) for v in code], "spread": [float(v) for v in spread],
                         "label": model.label},
          default={})


def browser_maps(model: Model, current: str | None = None) -> list[str]:
    """The maps that go into a model's browser files: every map it has (and ``current``, computed
    on demand). One list for every caller, so the map, /compare and the traversal knobs share one
    set of files per model instead of each writing and the browser fetching its own."""
    return [m for m in model.available_maps()
            if (model.has_map(m) or m == current) and projection.kind(m).has_browser_form()]


@functools.cache
def _mount():
    return static_files.component("latent_map", map_code(), (ASSETS / "style.css").read_text())


@st.cache_resource(show_spinner=False)
def _classifier(dataset: str, version: tuple | None):
    return classifier.load(dataset)


def dataset_classifier(dataset: str):
    """The dataset's classifier (explorer/classifier), or None when it has none; a damaged one
    raises classifier.ClassifierError, which says why."""
    return _classifier(dataset, catalog.file_version(classifier.path_of(dataset)))


def usable_classifier(dataset: str):
    """The classifier for the browser's class-regions layer, or None (absent or damaged: the
    sidebar says which, through dataset_classifier)."""
    try:
        return dataset_classifier(dataset)
    except classifier.ClassifierError:
        return None


_MODELS = static_files.Published("models", made_by=(webexport.__file__, onnx_browser.__file__, __file__))


class NoBrowserMap(static_files.Unavailable):
    """The map's kind has no browser form (explorer/maps: ``web_form`` is None); the message says which."""


class NoBrowserDecoder(static_files.Unavailable):
    """The model's decoder has no browser form (an imported graph with an operator the browser's
    decoder does not run); the message says which."""


_NO_BROWSER_FORM: dict = {}  # model_url's key -> why its decoder has no browser form


def model_url(model: Model, maps: list[str]) -> str:
    """URL (relative to the page) of the folder of ``model``'s browser files with these maps:
    built once per version of the bundle and of the classifier, named by their content."""
    clf = classifier.path_of(model.dataset)
    key = (str(model.path), catalog.version(model.path), tuple(maps), webexport.FORMAT_VERSION,
           catalog.file_version(clf))

    if key in _NO_BROWSER_FORM:
        raise NoBrowserDecoder(_NO_BROWSER_FORM[key])

    def build():
        with st.spinner("Preparing the model for the browser..."):
            try:
                return webexport.files(model, list(maps), usable_classifier(model.dataset))
            except onnx_browser.NoBrowserForm as e:
                _NO_BROWSER_FORM[key] = str(e)
                raise NoBrowserDecoder(str(e)) from None

    # one owner per bundle and set of maps: the map (with a t-SNE computed on demand) and the
    # traversal knobs (the maps stored) may need different files of one bundle at once
    return _MODELS.get(key, f"bundle:{Path(model.path).absolute()}:{','.join(maps)}", build)


_IMAGE_URLS: dict[int, tuple] = {}  # id of a cached test-image array -> (the array, its URL)
# The test images go to the browser, so a hovered point shows its original, up to this many bytes:
# about 100,000 small grey images (MNIST's 10,000 are 7.8 MB, 1.6 MB compressed). A larger set (a
# bundle of a million of one's own images) stays on the server: a hover shows the decoded point.
BROWSER_IMAGE_BYTES = 80 * 2**20


def sends_images(originals) -> bool:
    """Whether the browser gets these test images (else a hovered point shows its decoded image only)."""
    return originals is not None and originals.nbytes <= BROWSER_IMAGE_BYTES
_IMAGES = static_files.Published("datasets", made_by=(webexport.__file__,))


def images_url(dataset: str, originals) -> str | None:
    """URL of the dataset's test images for the browser (published once per set of images, named
    by their content); None without them or where they cannot be written (a hovered test point
    then shows its decoded image)."""
    if not sends_images(originals):
        return None
    entry = _IMAGE_URLS.get(id(originals))  # the array itself is kept, so its id is never reused
    if entry is None or (entry[1] is not None and not static_files.published("datasets", entry[1].split("/")[-2])):
        # known by their content (15 ms for MNIST's 10,000), so a server started again finds them written
        key = (originals.shape, originals.dtype.str, hashlib.sha256(np.ascontiguousarray(originals)).hexdigest())
        try:
            url = _IMAGES.get(key, f"dataset:{dataset}", lambda: webexport.image_files(originals))
            entry = (originals, url + webexport.IMAGES)
        except static_files.Unavailable:
            entry = (originals, None)  # remembered: a read-only install does not gzip 8 MB per run
        _IMAGE_URLS[id(originals)] = entry
    return entry[1]


def changes(value, previous) -> dict:
    """The ViewState fields the component's state changed since ``previous``: ``spot`` when a click
    set one, ``t`` when the walk's scrub control was let go. Malformed values are ignored."""
    previous = previous or {}
    out = {}
    if "selection" in value:  # the server-drawn map that stands in where browser files cannot be written
        return _selection_changes(value, previous)
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


def _selection_changes(value, previous) -> dict:
    """``spot``: the point a click on the server-drawn map selected (its map coordinates)."""
    try:
        points = value["selection"]["points"]
        if points == (previous.get("selection") or {}).get("points") or not points:
            return {}
        x, y = float(points[0]["x"]), float(points[0]["y"])
    except (KeyError, IndexError, TypeError, ValueError):
        return {}
    return {"spot": (x, y)} if math.isfinite(x) and math.isfinite(y) else {}


def server_drawn(model: Model, mp: LatentMap, v: View, key: str, why: Exception) -> None:
    """The map drawn by the server (Plotly), where the browser's files cannot be had: a click on a
    dot selects it, as on the browser map; hovering decodes nothing."""
    if isinstance(why, NoBrowserMap):
        st.caption(f"Drawn by the server: click a dot to decode it here. Hover previews are off: {literal(str(why))}.")
    elif isinstance(why, NoBrowserDecoder):
        st.caption("Drawn by the server: click a dot to decode it here. Hover previews are off: this imported "
                   f"decoder uses an operation the browser's decoder does not run ({literal(str(why))}).")
    else:
        st.caption("Drawn by the server: click a dot. (Decoding under the pointer needs files that this "
                   "installation cannot write.)", help=literal(str(why)))
    lat = model.latents
    fig = figures.latent_map(mp, lat.labels, lat.index, model.class_names,
                             click=v.spot.xy if v.spot else None, path=v.walk.path, path_at=v.walk.at_xy,
                             endpoints={"A": v.a.xy, "B": v.b.xy})
    st.plotly_chart(fig, key=key, on_select="rerun", selection_mode="points",
                    config={"displaylogo": False, "scrollZoom": True})


def slider_place(in_row: int = 1) -> str:
    """Where the map's "Walk from A to B" slider is, in words (ui/latent_map/component.js ``fit``):
    under the map on a screen; presenting, in the panel beside the map where its column leaves
    room for the panel (one map, or two in a row, at a projector's 1400 px or wider), and under
    it in a narrower column (three in a row at 1400 px)."""
    if not present.active():
        return "under the map"
    return "in the panel beside the map" if in_row <= 2 else "beside each map, or under it where the column is narrow"


def latent_map(model: Model, mp: LatentMap, v: View, key: str, originals=None,
               upload=None, curves=(), samples=None, group: str | None = None, hint: str | None = None,
               box=None, in_row: int = 1, dots_only: bool = False, every_label: bool = False) -> None:
    """Mount the map; a click and a scrub reach the page as this component's state under ``key``
    (``spot``, ``t``), which the page takes in its next run (ui/session.take_changes). Where the
    browser's files cannot be written, the server draws the map instead (``server_drawn``); ``hint``
    is a caption for the browser map only; ``box`` (lo, hi) frames the map where not its own view box;
    ``in_row``: how many maps share the row (in presentation mode a map alone fills the height);
    ``dots_only``: a click keeps only a test point (maps in a row that are not all latent planes);
    ``every_label``: a conditional model's point under the pointer (else the clicked one) is drawn as
    every class, in a strip under the map."""
    try:
        if not projection.kind(mp.name).has_browser_form():
            raise NoBrowserMap(f"the browser cannot yet turn a point of the {projection.kind(mp.name).label} map "
                               "into a code")
        url = model_url(model, browser_maps(model, mp.name))
        mount = _mount()
    except static_files.Unavailable as e:
        server_drawn(model, mp, v, key, e)
        return
    if hint and not present.active():  # how to use the browser map, said only where it is the one drawn
        st.caption(hint)  # (presenting, the first screen belongs to the map; the teacher says it)
    lo, hi = box if box is not None else mp.view_box()
    w = v.walk
    data = {
        "url": url, "model": model.name, "map": mp.name, "size": SIZE,
        "label": model.label,  # a conditional model: the label every point is drawn as (None: none)
        # presentation mode: the share of the window's height the map's side may take (ui/present.py)
        "fill": present.map_fill(in_row),
        # the dataset's test images, so a hovered test point shows itself (None without the data)
        "images": images_url(f"bundle:{Path(model.path).absolute()}" if model.own_data else model.dataset, originals),
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
        "dots_only": dots_only,
        "every_label": every_label and model.label is not None,  # a click between the dots keeps nothing: it says so instead
        "layers": list(v.state.layers),  # drawn under (or instead of) the class colours
        # the walk, for scrubbing it in the browser: its ends' codes, how to walk, where the slider is
        "walk": {"a": v.a.code.tolist(), "b": v.b.code.tolist(), "method": w.method, "t": w.at_t},
    }
    # the callbacks only declare the state keys: the page reads them in its run
    mount(key=key, data=data, default={"spot": None, "t": None}, on_spot_change=lambda: None,
             on_t_change=lambda: None)
