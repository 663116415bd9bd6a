"""The typed, immutable state of one view of the explorer, and its URL form.

A ``ViewState`` is what a user has chosen: the model, the map, the clicked spot, the two ends of
a walk, how to walk and where on the walk the slider is. The page keeps one in the session, the
address bar mirrors it, and a link restores it:

    ?model=mnist-vae-16&map=tsne&spot=12.5,-3.25&a=3&b=2&path=slerp&t=0.3

| parameter | value                                                         | when absent or ignored   |
|-----------|---------------------------------------------------------------|--------------------------|
| model     | a bundle's name                                               | the default model        |
| map       | a map kind that applies to the model (``direct``, ``pca``, ``tsne``) | the model's default map  |
| spot      | ``x,y``: a point of the map (map coordinates)                 | nothing clicked          |
| a, b      | a test image's index in the dataset's test split, or ``x,y``: a spot | the page's default ends  |
| path      | ``lerp`` or ``slerp``                                         | ``lerp``                 |
| t         | a number from 0 (A) to 1 (B)                                  | 0.5                      |
| renderer  | ``canvas`` (decoded in the browser) or ``plotly``             | ``canvas``               |
| layers    | drawn under the dots, comma-separated, of ``manifold`` (decoded thumbnails on a grid), ``regions`` (the class a classifier reads there), ``error`` (dots coloured by reconstruction error) and ``density`` (each class's densest half outlined) | none |

``from_query`` never raises on what a URL holds: a value that is not valid for its field (unknown
model, NaN, inf, a huge number, an index the model does not have, a path such as
``../../etc/passwd``, an overlong value, a repeated key) falls back to that field's default, and
each fallback is described in one short sentence for the page's notice. What is valid depends on
the models at hand, which a ``Catalog`` answers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Mapping, NamedTuple, Protocol, Sequence, Union

import numpy as np

from .generate import INTERPOLATIONS

PARAMS = ("model", "map", "spot", "a", "b", "path", "t", "renderer", "layers")  # read by tests, links and users' scripts
DEFAULT_PATH = "lerp"
DEFAULT_T = 0.5
RENDERERS = ("canvas", "plotly")  # who draws the map: our canvas in the browser, or Plotly
DEFAULT_RENDERER = "canvas"
LAYERS = ("manifold", "regions", "error", "density")  # what the browser map can draw under (or instead of) the class colours
MAX_VALUE_LENGTH = 100  # longer values are never valid: names are short, numbers shorter
SPOT_REACH = 1.0  # a spot may lie this many view-box widths outside the map's view box

Point = tuple[float, float]
Endpoint = Union[int, Point]  # a test image (its index in the test split) or a spot of the map


@dataclass(frozen=True)
class ViewState:
    model: str
    map: str
    spot: Point | None = None
    a: Endpoint | None = None  # None: the page's default start
    b: Endpoint | None = None
    path: str = DEFAULT_PATH
    t: float = DEFAULT_T
    renderer: str = DEFAULT_RENDERER
    layers: tuple[str, ...] = ()  # a subset of LAYERS, in LAYERS' order

    def updated(self, **changes) -> "ViewState":
        return replace(self, **changes)

    def to_query(self) -> dict[str, str]:
        """The URL parameters of this state; defaults of path and t are left out."""
        q = {"model": self.model, "map": self.map}
        if self.spot is not None:
            q["spot"] = format_point(self.spot)
        for end in ("a", "b"):
            value = getattr(self, end)
            if value is not None:
                q[end] = str(value) if isinstance(value, int) else format_point(value)
        if self.path != DEFAULT_PATH:
            q["path"] = self.path
        if self.t != DEFAULT_T:
            q["t"] = f"{self.t:.4g}"
        if self.renderer != DEFAULT_RENDERER:
            q["renderer"] = self.renderer
        if self.layers:
            q["layers"] = ",".join(self.layers)
        return q


def format_point(p: Point) -> str:
    """x,y with 7 significant digits: float32 coordinates come back within rounding."""
    return f"{float(p[0]):.7g},{float(p[1]):.7g}"


class ModelUnavailable(Exception):
    """A model named in the catalogue cannot be opened; the message says why."""


class Catalog(Protocol):
    """What validating a URL needs to know about the models at hand."""

    def names(self) -> Sequence[str]: ...  # every model offered, in the picker's order

    def default(self) -> str: ...  # the model a fresh page opens

    def maps(self, model: str) -> Sequence[str]: ...  # its map kinds, the default first; may raise ModelUnavailable

    def test_indices(self, model: str) -> np.ndarray: ...  # the test images its map shows

    def view_box(self, model: str, map_name: str) -> tuple[np.ndarray, np.ndarray]: ...


def open_first(catalog: Catalog, preferred: str) -> tuple[str | None, list[str]]:
    """``preferred`` if it opens, else the default model, else the first in the catalogue's
    order that does. Returns the name (None if none opens) and one sentence per model that failed."""
    failed = []
    names = list(catalog.names())
    order = list(dict.fromkeys([n for n in (preferred, catalog.default()) if n in names] + names))
    for name in order:
        try:
            catalog.maps(name)
            return name, failed
        except ModelUnavailable as e:
            failed.append(f"the model {name} cannot be opened: {e}")
    return None, failed


class Parsed(NamedTuple):
    state: ViewState | None  # None only when no model at all can be opened
    ignored: list[str]  # one sentence per part of the URL that was set back to its default
    failed: list[str]  # one sentence per model that was tried and could not be opened


def from_query(query: Mapping[str, str | Sequence[str]], catalog: Catalog) -> Parsed:
    """The state a URL's parameters describe, what of it was ignored, and which models failed.

    ``query`` maps a parameter to its value, or to all its values where the key was repeated
    (as ``st.query_params.get_all`` gives them).
    """
    notes: list[str] = []
    values: dict[str, str] = {}
    for key in PARAMS:
        raw = query.get(key)
        if raw is None:
            continue
        if not isinstance(raw, str):
            raw = list(raw)
            if len(raw) != 1:
                if raw:
                    notes.append(f"{key} was given {len(raw)} times")
                continue
            raw = raw[0]
        if len(raw) > MAX_VALUE_LENGTH:
            notes.append(f"{key} is too long ({len(raw):,} characters)")
            continue
        values[key] = raw.strip()

    requested = values.get("model")
    names = list(catalog.names())
    preferred = catalog.default()
    if requested is not None:
        if requested in names:
            preferred = requested
        else:
            notes.append(f"model {_quote(requested)} is not one of the models here")
    model, failed = open_first(catalog, preferred)
    if model is None:
        return Parsed(None, notes, failed)
    maps = list(catalog.maps(model))

    map_name = values.get("map", maps[0])
    if map_name not in maps:
        notes.append(f"map {_quote(map_name)} is not a map of {model} (it has {', '.join(maps)})")
        map_name = maps[0]

    def box():
        lo, hi = catalog.view_box(model, map_name)
        reach = (np.asarray(hi) - np.asarray(lo)).max() * SPOT_REACH
        return np.asarray(lo) - reach, np.asarray(hi) + reach

    spot = None
    if "spot" in values:
        spot, why = parse_point(values["spot"], box())
        if why:
            notes.append(f"spot {_quote(values['spot'])} {why}")
    ends = {}
    for end in ("a", "b"):
        ends[end] = None
        if end not in values:
            continue
        text = values[end]
        if "," in text:
            ends[end], why = parse_point(text, box())
        else:
            ends[end], why = parse_index(text, catalog.test_indices(model))
        if why:
            notes.append(f"{end} {_quote(text)} {why}")

    path = values.get("path", DEFAULT_PATH)
    if path not in INTERPOLATIONS:
        notes.append(f"path {_quote(path)} is not one of {', '.join(INTERPOLATIONS)}")
        path = DEFAULT_PATH
    t = DEFAULT_T
    if "t" in values:
        t = _number(values["t"])
        if t is None or not 0.0 <= t <= 1.0:
            notes.append(f"t {_quote(values['t'])} is not a number from 0 to 1")
            t = DEFAULT_T
    renderer = values.get("renderer", DEFAULT_RENDERER)
    if renderer not in RENDERERS:
        notes.append(f"renderer {_quote(renderer)} is not one of {', '.join(RENDERERS)}")
        renderer = DEFAULT_RENDERER
    layers: tuple[str, ...] = ()
    if "layers" in values:
        asked = [v.strip() for v in values["layers"].split(",") if v.strip()]
        unknown = [v for v in asked if v not in LAYERS]
        if unknown:
            notes.append(f"layers {_quote(', '.join(unknown))} are not among {', '.join(LAYERS)}")
        layers = tuple(v for v in LAYERS if v in asked)
    state = ViewState(model=model, map=map_name, spot=spot, a=ends["a"], b=ends["b"], path=path, t=t,
                      renderer=renderer, layers=layers)
    return Parsed(state, notes, failed)


def parse_point(text: str, box=None) -> tuple[Point | None, str | None]:
    """'x,y' -> ((x, y), None), or (None, why not). ``box`` (lo, hi): where a point may lie."""
    parts = text.split(",")
    if len(parts) != 2:
        return None, "is not two numbers x,y"
    xy = [_number(p) for p in parts]
    if any(v is None or not math.isfinite(v) for v in xy):
        return None, "is not two finite numbers x,y"
    if box is not None:
        lo, hi = box
        if not (lo[0] <= xy[0] <= hi[0] and lo[1] <= xy[1] <= hi[1]):
            return None, "lies far outside the map"
    return (xy[0], xy[1]), None


def parse_index(text: str, test_indices: np.ndarray) -> tuple[int | None, str | None]:
    """A test image's index -> (index, None), or (None, why not)."""
    if not text.isdigit() or len(text) > 9:
        return None, "is not the index of a test image"
    i = int(text)
    pos = np.searchsorted(test_indices, i)
    if pos >= len(test_indices) or test_indices[pos] != i:
        return None, "is not one of this model's test images"
    return i, None


def _number(text: str) -> float | None:
    try:
        v = float(text)
    except ValueError:
        return None
    return v if math.isfinite(v) else None


def _quote(text: str) -> str:
    """A value quoted for a notice, shortened: the notice must stay one readable line."""
    return repr(text if len(text) <= 40 else text[:37] + "...")
