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
| label     | a model that takes labels (a conditional VAE): the class every point is drawn as, one of its classes | its first class |

``from_query`` never raises on what a URL holds: a value that is not valid for its field (unknown
model, NaN, inf, a huge number, an index the model does not have, a path such as
``../../etc/passwd``, an overlong value, a repeated key) falls back to that field's default, and
each fallback is described in one short sentence for the page's notice. What is valid depends on
the models at hand, which a ``Catalog`` answers.

Every other page has its own typed state here, read and written the same way (``from_query``
returns the state and one sentence per value set back; ``to_query`` gives the URL parameters):

| state          | page                                   | parameters                              |
|----------------|----------------------------------------|-----------------------------------------|
| BoardState     | /compare, clusters, generating, interpolation, beta | the board's model names, spot, a, b, t |
| DigitState     | bottleneck, ae-vs-pca                  | digit                                   |
| VaeState       | vae                                    | digit, eps (``e1,e2``, each in [-3, 3]) |
| StyleState     | cvae                                   | spot (``x,y`` on the style plane), label (a class) |
| BudgetState    | compression                            | budget (bytes per image, one of BUDGETS), digit |
| DenoisingState | denoising                              | digit, noise (``gaussian:S`` or ``mask:P``) |
| AnomalyState   | anomalies                              | threshold (0..1)                        |
| ReplayState    | replay                                 | model, epoch                            |

A board's spot is a test image's index or ``z1,z2``, a code of the first model's plane (where
all its maps are latent planes); a, b are test images every model of the board has.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Callable, Mapping, NamedTuple, Protocol, Sequence, Union

import numpy as np

from explorer.teaching.generate import INTERPOLATIONS
from explorer.data.noise import Noise, parse as parse_noise

PARAMS = ("model", "map", "spot", "a", "b", "path", "t", "renderer", "layers", "label")  # read by tests, links and users' scripts
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
    label: int | None = None  # a model that takes labels: the class every point is drawn as (None: others)

    def updated(self, **changes) -> "ViewState":
        return replace(self, **changes)

    def with_model(self, model: str, map_name: str) -> "ViewState":
        """Another model starts afresh (nothing clicked, its default ends), drawn and walked the
        same way."""
        return ViewState(model=model, map=map_name, path=self.path, renderer=self.renderer, layers=self.layers)

    def with_map(self, map_name: str) -> "ViewState":
        """Spots belong to a map: the clicked spot and ends that are spots are dropped, ends that
        are test images kept."""
        keep = {end: value if isinstance(value, int) else None for end, value in (("a", self.a), ("b", self.b))}
        return replace(self, map=map_name, spot=None, **keep)

    @classmethod
    def from_query(cls, query, catalog) -> "Parsed":
        """The state a URL describes (the module's ``from_query``): every page state reads its URL
        through a ``from_query`` of its class."""
        return from_query(query, catalog)

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
        if self.label is not None:
            q["label"] = str(self.label)
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

    def view_box(self, model: str, map_name: str) -> tuple[np.ndarray, np.ndarray] | None: ...  # None: not at hand

    def labels(self, model: str) -> Sequence[int] | None: ...  # the classes it is drawn as; None: it takes no labels


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
    values = single_values(query, PARAMS, notes)

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

    def box():  # None where the map is not at hand: reading a URL never computes one
        found = catalog.view_box(model, map_name)
        if found is None:
            return None
        lo, hi = found
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
    classes = catalog.labels(model)
    label = None if classes is None else classes[0]
    if "label" in values:
        if classes is None:
            notes.append(f"label {_quote(values['label'])} is for a model that takes labels; {model} takes none")
        elif _whole(values["label"], 3) and int(values["label"]) in classes:
            label = int(values["label"])
        else:
            notes.append(f"label {_quote(values['label'])} is not one of {model}'s classes "
                         f"({', '.join(map(str, classes))})")
    state = ViewState(model=model, map=map_name, spot=spot, a=ends["a"], b=ends["b"], path=path, t=t,
                      renderer=renderer, layers=layers, label=label)
    return Parsed(state, notes, failed)


def single_values(query: Mapping[str, str | Sequence[str]], keys: Sequence[str], notes: list[str]) -> dict[str, str]:
    """The URL's value of each of ``keys`` that is given once and not overlong, stripped; a key
    given several times or too long is left out, with one sentence in ``notes``."""
    values: dict[str, str] = {}
    for key in keys:
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
    return values


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
    if not _whole(text, 9):
        return None, "is not the index of a test image"
    i = int(text)
    pos = np.searchsorted(test_indices, i)
    if pos >= len(test_indices) or test_indices[pos] != i:
        return None, "is not one of this model's test images"
    return i, None


def _whole(text: str, digits: int) -> bool:
    """Whether ``text`` is a whole number of at most ``digits`` ASCII digits ("²" and "٣" are
    digits to str.isdigit, and not to int)."""
    return text.isascii() and text.isdigit() and len(text) <= digits


def _number(text: str) -> float | None:
    try:
        v = float(text)
    except ValueError:
        return None
    return v if math.isfinite(v) else None


def _quote(text: str) -> str:
    """A value quoted for a notice, shortened: the notice must stay one readable line."""
    return repr(text if len(text) <= 40 else text[:37] + "...")


# --------------------------------------------------------------------------------------------
# The other pages' states

Query = Mapping[str, Union[str, Sequence[str]]]
Box = tuple[np.ndarray, np.ndarray]


@dataclass(frozen=True)
class BoardState:
    """Maps side by side answering one click and one walk (ui/board.py)."""

    models: tuple[str, ...]  # one per map, a set the board offers
    spot: Endpoint | None = None  # a test image's index, or a code of the first model's plane
    a: int | None = None  # test images; None: the board's default ends
    b: int | None = None
    t: float = DEFAULT_T

    def updated(self, **changes) -> "BoardState":
        return replace(self, **changes)

    def to_query(self, params: Sequence[str] = ()) -> dict[str, str]:
        """``params`` name the models in the URL (none when the board's models are fixed)."""
        q = dict(zip(params, self.models))
        if self.spot is not None:
            q["spot"] = str(self.spot) if isinstance(self.spot, int) else format_point(self.spot)
        for end in ("a", "b"):
            if getattr(self, end) is not None:
                q[end] = str(getattr(self, end))
        if self.t != DEFAULT_T:
            q["t"] = f"{self.t:.4g}"
        return q

    @classmethod
    def from_query(cls, query: Query, params: Sequence[str], sets: Sequence[tuple[str, ...]],
                   test_indices: Callable[[str], np.ndarray],
                   plane_box: Callable[[tuple[str, ...]], Box | None]) -> tuple["BoardState", list[str]]:
        """``sets``: the model sets offered, the default first; ``test_indices(name)``: a model's
        test images, sorted; ``plane_box(models)``: the first map's view box when every map is a
        latent plane, else None (a spot is then only a test image)."""
        notes: list[str] = []
        values = single_values(query, (*params, "spot", "a", "b", "t"), notes)
        models = tuple(sets[0])
        if params:
            asked = tuple(values.get(p, "") for p in params)
            if asked in [tuple(s) for s in sets]:
                models = asked
            elif any(asked):
                notes.append(f"{' | '.join(asked)} is not one of the choices here")

        def image(text: str) -> tuple[int | None, str | None]:
            index, why = None, None
            for name in models:
                index, why = parse_index(text, test_indices(name))
                if why:
                    return None, "is not a test image these models have"
            return index, why

        ends = {}
        for end in ("a", "b"):
            ends[end] = None
            if end in values:
                ends[end], why = image(values[end])
                if why:
                    notes.append(f"{end}={values[end][:40]} {why}")
        spot = None
        if "spot" in values:
            text, why = values["spot"], None
            if "," in text:
                box = plane_box(models)
                if box is None:
                    why = "is not a test image (these maps are not latent planes)"
                else:
                    lo, hi = (np.asarray(v, np.float64) for v in box)
                    reach = (hi - lo).max() * SPOT_REACH
                    spot, why = parse_point(text, (lo - reach, hi + reach))
            else:
                spot, why = image(text)
            if why:
                notes.append(f"spot={text[:40]} {why}")
        t = _number_in(values, "t", DEFAULT_T, 0.0, 1.0, notes, float)
        return cls(models=models, spot=spot, a=ends["a"], b=ends["b"], t=t), notes


@dataclass(frozen=True)
class DigitState:
    """A lesson about one test image at a time (the bottleneck, AE vs PCA)."""

    digit: int = 0

    def updated(self, **changes) -> "DigitState":
        return replace(self, **changes)

    def to_query(self) -> dict[str, str]:
        return {"digit": str(self.digit)}

    @classmethod
    def from_query(cls, query: Query, n_images: int) -> tuple["DigitState", list[str]]:
        notes: list[str] = []
        values = single_values(query, ("digit",), notes)
        return cls(digit=_number_in(values, "digit", 0, 0, n_images - 1, notes, int)), notes


@dataclass(frozen=True)
class StyleState:
    """The style-and-content lesson: a spot of a conditional model's plane (a style) and the class
    the map writes in it."""

    spot: Point | None = None
    label: int = 0

    def updated(self, **changes) -> "StyleState":
        return replace(self, **changes)

    def to_query(self) -> dict[str, str]:
        q = {"label": str(self.label)}
        if self.spot is not None:
            q["spot"] = format_point(self.spot)
        return q

    @classmethod
    def from_query(cls, query: Query, classes: Sequence[int], box: Box) -> tuple["StyleState", list[str]]:
        notes: list[str] = []
        values = single_values(query, ("spot", "label"), notes)
        label = classes[0]
        if "label" in values:
            text = values["label"]
            if _whole(text, 3) and int(text) in classes:
                label = int(text)
            else:
                notes.append(f"label={text[:40]} is not one of the classes {', '.join(map(str, classes))}")
        spot = None
        if "spot" in values:
            spot, why = parse_point(values["spot"], box)
            if why:
                notes.append(f"spot={values['spot'][:40]} {why}")
        return cls(spot=spot, label=label), notes


BUDGETS = (2, 4, 8, 16, 32, 64, 128, 160, 192, 256, 320, 384, 512, 768)  # the compression lesson's byte budgets


@dataclass(frozen=True)
class BudgetState:
    """The compression lesson: bytes per image allowed, and the first of the test digits shown."""

    budget: int = 16
    digit: int = 0

    def updated(self, **changes) -> "BudgetState":
        return replace(self, **changes)

    def to_query(self) -> dict[str, str]:
        return {"budget": str(self.budget), "digit": str(self.digit)}

    @classmethod
    def from_query(cls, query: Query, n_images: int) -> tuple["BudgetState", list[str]]:
        notes: list[str] = []
        values = single_values(query, ("budget", "digit"), notes)
        budget = cls.budget
        if "budget" in values:
            if _whole(values["budget"], 4) and int(values["budget"]) in BUDGETS:
                budget = int(values["budget"])
            else:
                notes.append(f"budget={values['budget'][:40]} is not one of {', '.join(map(str, BUDGETS))} bytes")
        return cls(budget=budget, digit=_number_in(values, "digit", 0, 0, n_images - 1, notes, int)), notes


GRID_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"  # entry 0-63, one letter a cell


def grid_text(indices) -> str:
    """An index grid (entries 0-63), row by row, as the URL writes it: one letter per cell."""
    return "".join(GRID_LETTERS[int(i)] for i in np.asarray(indices).reshape(-1))


def grid_of_text(text: str, cells: int, entries: int) -> tuple[list[int] | None, str | None]:
    """The URL's grid -> entries row by row, or why it is not one: ``cells`` letters of
    GRID_LETTERS, each an entry below ``entries``."""
    shown = _quote(text)
    if len(text) != cells or any(ch not in GRID_LETTERS for ch in text):
        return None, (f"grid={shown} is not {cells} cells (one letter each, A-Z a-z 0-9 - _ for the entries "
                      f"0-{min(entries, len(GRID_LETTERS)) - 1})")
    values = [GRID_LETTERS.index(ch) for ch in text]
    if max(values) >= entries:
        return None, f"grid={shown} names entry {max(values)}; the codebook's entries are 0-{entries - 1}"
    return values, None


@dataclass(frozen=True)
class PaintState:
    """The VQ-VAE lesson: the test digit painted over, and its grid of entries as painted (None:
    the digit's own grid)."""

    digit: int = 18  # the first 3 of MNIST's test images: the lesson's task turns it into an 8
    grid: str | None = None

    def updated(self, **changes) -> "PaintState":
        return replace(self, **changes)

    def to_query(self) -> dict[str, str]:
        return {"digit": str(self.digit), **({"grid": self.grid} if self.grid else {})}

    @classmethod
    def from_query(cls, query: Query, n_images: int, cells: int = 49, entries: int = 64) -> tuple["PaintState", list[str]]:
        notes: list[str] = []
        values = single_values(query, ("digit", "grid"), notes)
        digit = _number_in(values, "digit", cls.digit, 0, n_images - 1, notes, int)
        grid = None
        if "grid" in values:
            parsed, problem = grid_of_text(values["grid"], cells, entries)
            if problem:
                notes.append(problem + "; the digit's own grid is shown")
            else:
                grid = values["grid"]
        return cls(digit=digit, grid=grid), notes


LABEL_COUNTS = (10, 100, 1000, 60_000)  # the front-end lesson's labelled training images (explorer/teaching/frontend.LABELS)


@dataclass(frozen=True)
class LabelsState:
    """The front-end lesson: how many labelled training images the linear classifier is given."""

    labels: int = 100

    def updated(self, **changes) -> "LabelsState":
        return replace(self, **changes)

    def to_query(self) -> dict[str, str]:
        return {"labels": str(self.labels)}

    @classmethod
    def from_query(cls, query: Query) -> tuple["LabelsState", list[str]]:
        notes: list[str] = []
        values = single_values(query, ("labels",), notes)
        labels = cls.labels
        if "labels" in values:
            if _whole(values["labels"], 5) and int(values["labels"]) in LABEL_COUNTS:
                labels = int(values["labels"])
            else:
                notes.append(f"labels={_quote(values['labels'])} is not one of {', '.join(map(str, LABEL_COUNTS))}")
        return cls(labels=labels), notes


EPS_LIMIT = 3.0  # the VAE lesson's noise eps, per dimension: a draw from N(0, 1) lies within 3 sds


@dataclass(frozen=True)
class VaeState:
    """The VAE lesson: a test image and the noise eps that moves its code, z = mu + sigma * eps."""

    digit: int = 0
    eps: Point = (0.0, 0.0)

    def updated(self, **changes) -> "VaeState":
        return replace(self, **changes)

    def to_query(self) -> dict[str, str]:
        return {"digit": str(self.digit), "eps": f"{self.eps[0]:g},{self.eps[1]:g}"}

    @classmethod
    def from_query(cls, query: Query, n_images: int) -> tuple["VaeState", list[str]]:
        notes: list[str] = []
        values = single_values(query, ("digit", "eps"), notes)
        digit = _number_in(values, "digit", 0, 0, n_images - 1, notes, int)
        eps = (0.0, 0.0)
        if "eps" in values:
            point, why = parse_point(values["eps"], ((-EPS_LIMIT,) * 2, (EPS_LIMIT,) * 2))
            if why:
                notes.append(f"eps={values['eps'][:40]} is not two numbers between -{EPS_LIMIT:g} and {EPS_LIMIT:g}")
            else:
                eps = point
        return cls(digit=digit, eps=eps), notes


@dataclass(frozen=True)
class DenoisingState:
    """The denoising lesson: a test image and the noise put on it."""

    digit: int
    noise: Noise

    def updated(self, **changes) -> "DenoisingState":
        return replace(self, **changes)

    def to_query(self) -> dict[str, str]:
        return {"digit": str(self.digit), "noise": str(self.noise)}

    @classmethod
    def from_query(cls, query: Query, n_images: int, trained: Noise,
                   limits: Mapping[str, float]) -> tuple["DenoisingState", list[str]]:
        """``trained``: the noise the denoising model learned with, the default; ``limits``: the
        strongest level the lesson offers, per kind of noise."""
        notes: list[str] = []
        values = single_values(query, ("digit", "noise"), notes)
        digit = _number_in(values, "digit", 0, 0, n_images - 1, notes, int)
        level = trained
        if "noise" in values:
            try:
                level = parse_noise(values["noise"])
                if level.kind not in limits or level.level > limits[level.kind]:
                    raise ValueError("too strong")
            except ValueError:
                notes.append(f"noise={values['noise'][:40]} is not "
                             + " or ".join(f"{k}:{'SIGMA' if k == 'gaussian' else 'P'} (0-{v:g})" for k, v in limits.items()))
                level = trained
        return cls(digit=digit, noise=level), notes


@dataclass(frozen=True)
class AnomalyState:
    """The anomalies lesson: the reconstruction error above which an image is flagged."""

    threshold: float | None = None  # None: the panel's default (ui/anomalies.py)

    def updated(self, **changes) -> "AnomalyState":
        return replace(self, **changes)

    def to_query(self) -> dict[str, str]:
        return {} if self.threshold is None else {"threshold": f"{self.threshold:g}"}

    @classmethod
    def from_query(cls, query: Query) -> tuple["AnomalyState", list[str]]:
        notes: list[str] = []
        values = single_values(query, ("threshold",), notes)
        return cls(threshold=_number_in(values, "threshold", None, 0.0, 1.0, notes, float)), notes


@dataclass(frozen=True)
class ReplayState:
    """The training replay: which model's, and the epoch shown."""

    model: str
    epoch: float = 0.0

    def updated(self, **changes) -> "ReplayState":
        return replace(self, **changes)

    def to_query(self) -> dict[str, str]:
        return {"model": self.model, **({"epoch": f"{self.epoch:g}"} if self.epoch else {})}

    @classmethod
    def from_query(cls, query: Query, names: Sequence[str]) -> tuple["ReplayState", list[str]]:
        """``names``: the models with a replay, the default first."""
        notes: list[str] = []
        values = single_values(query, ("model", "epoch"), notes)
        model = values.get("model", names[0])
        if model not in names:
            notes.append(f"model={model[:40]} has no training replay here (those that do: {', '.join(names)})")
            model = names[0]
        return cls(model=model, epoch=_number_in(values, "epoch", 0.0, 0.0, 1000.0, notes, float)), notes


def _number_in(values: Mapping[str, str], name: str, default, lo, hi, notes: list[str], kind=int):
    """``values[name]`` as an int (or float: ``kind``) within [lo, hi]; else ``default``, with the
    reason added to ``notes``."""
    if name not in values:
        return default
    text = values[name]
    try:
        value = kind(text)
        if math.isfinite(value) and lo <= value <= hi:
            return value
    except (ValueError, OverflowError):
        pass
    notes.append(f"{name}={text[:40]} is not a number from {lo:g} to {hi:g}")
    return default
