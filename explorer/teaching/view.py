"""From a ViewState to what a page shows: the models at hand, the picked spot and its code, the
ends of the walk and the walk itself, a digit of the user's own placed on the map, and a VAE's
cloud of codes for an image. Screen-free, so the state logic is tested without a page.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
import numpy as np

from explorer.teaching import generate, posterior
from explorer import maps as projection
from explorer.teaching.facts import same_place
from explorer.bundles.bundle import Model
from explorer.teaching.state import DEFAULT_PATH, DEFAULT_T, Endpoint, Point, ViewState

N_FRAMES = 10  # frames of a walk shown in the strip and exported
# A spot this close to a test point, relative to the size of its coordinates, is that point: the
# URL writes 7 significant digits, a float32 holds about 7.2, so a clicked point comes back within this.
SAME_POINT = 2e-6


@dataclass(frozen=True)
class Pick:
    """A point chosen on a map: a spot of the plane, or a test image (``row`` of the latents)."""

    xy: np.ndarray  # [2] where it lies on the map
    code: np.ndarray  # [k] its latent vector
    row: int | None  # the test image it is, if any
    estimate: tuple[np.ndarray, np.ndarray] | None  # inexact maps: test rows and weights behind code

    def describe(self, model: Model) -> str:
        if self.row is not None:
            lat = model.latents
            what = "image" if model.own_data else "test image"  # a model's own images are not a test split
            return f"{what} #{lat.index[self.row]} (a {model.class_names[lat.labels[self.row]]})"
        return f"the spot ({self.xy[0]:.2f}, {self.xy[1]:.2f})"


def pick_row(model: Model, mp: projection.LatentMap, row: int) -> Pick:
    return Pick(xy=mp.xy[row], code=model.latents.codes[row], row=int(row), estimate=None)


def pick_spot(model: Model, mp: projection.LatentMap, xy: Point) -> Pick:
    """The spot ``xy``; if it is (to URL rounding) a test point, that test image."""
    row = mp.nearest_point(xy, SAME_POINT * max(abs(xy[0]), abs(xy[1])) + 1e-12)
    if row is not None:
        return pick_row(model, mp, row)
    p = np.asarray([xy], np.float32)
    estimate = mp.estimate(p)
    return Pick(xy=p[0], code=mp.to_latent(p)[0], row=None,
                estimate=None if estimate is None else (estimate[0][0], estimate[1][0]))


def pick_test_image(model: Model, mp: projection.LatentMap, test_index: int) -> Pick:
    row = int(model.latents.rows_of(test_index)[0])
    if row < 0:
        raise ValueError(f"test image #{test_index} is not among {model.name}'s test images")
    return pick_row(model, mp, row)


def pick_endpoint(model: Model, mp: projection.LatentMap, end: Endpoint) -> Pick:
    return pick_test_image(model, mp, end) if isinstance(end, int) else pick_spot(model, mp, end)


@functools.lru_cache(maxsize=64)
def default_ends(model: Model, mp: projection.LatentMap) -> tuple[int, int]:
    """Test indices of the images nearest the middles of the first and last class on this map:
    a walk across the map. A model of one class walks from the image nearest its middle to one
    far out (95th percentile of the distance)."""
    lat = model.latents
    middles = generate.class_middles(mp.xy, lat.labels)
    if len(model.classes) == 1:  # one class: from its most typical image to an unusual one
        c = model.classes[0]
        rows = np.flatnonzero(lat.labels == c)
        d = ((mp.xy[rows] - middles[c]) ** 2).sum(1)
        far = rows[np.argsort(d)[int(0.95 * (len(rows) - 1))]]
        return int(lat.index[rows[np.argmin(d)]]), int(lat.index[far])
    ends = []
    for c in (model.classes[0], model.classes[-1]):
        rows = np.flatnonzero(lat.labels == c)
        ends.append(int(lat.index[rows[np.argmin(((mp.xy[rows] - middles[c]) ** 2).sum(1))]]))
    return ends[0], ends[1]


@dataclass(frozen=True)
class View:
    """Everything the explorer page shows for one state."""

    state: ViewState
    spot: Pick | None
    a: Pick
    b: Pick
    walk: generate.Walk


def resolve(state: ViewState, model: Model, mp: projection.LatentMap, n_frames: int = N_FRAMES) -> View:
    """The picks and the walk of ``state`` on ``model``'s map ``mp`` (one batched decode)."""
    defaults = default_ends(model, mp) if state.a is None or state.b is None else (None, None)
    a = pick_endpoint(model, mp, state.a if state.a is not None else defaults[0])
    b = pick_endpoint(model, mp, state.b if state.b is not None else defaults[1])
    spot = pick_spot(model, mp, state.spot) if state.spot is not None else None
    walk = _walk(model, mp, np.float32(a.code).tobytes(), np.float32(b.code).tobytes(), state.path, n_frames, state.t)
    return View(state=state, spot=spot, a=a, b=b, walk=walk)


@functools.lru_cache(maxsize=256)
def _walk(model: Model, mp: projection.LatentMap, a: bytes, b: bytes, method: str, n_frames: int, t: float):
    """The walk, computed once per model, map, ends, method and position: a click changes none of
    them, so the page's runs after clicks (many students, one server) reuse it. Models and maps are
    shared read-only, and so is the walk (its arrays cannot be written)."""
    return generate.walk(model, mp, np.frombuffer(a, np.float32), np.frombuffer(b, np.float32), method, n_frames, t)


def endpoint_of(model: Model, pick: Pick) -> Endpoint:
    """How a pick is kept in the state (and the URL): a test image by its index, else the spot."""
    if pick.row is not None:
        return int(model.latents.index[pick.row])
    return (float(pick.xy[0]), float(pick.xy[1]))


def format_code(z: np.ndarray) -> str:
    """A code in a sentence: its first four numbers."""
    return "(" + ", ".join(f"{x:.2f}" for x in z[:4]) + (", ..." if len(z) > 4 else "") + ")"


# --------------------------------------------------------------------------------------------
# A digit of the user's own, and a VAE's cloud of codes


@dataclass(frozen=True)
class Placed:
    """A drawn or uploaded digit as a model sees it."""

    image: np.ndarray  # [28, 28], what the model receives
    code: np.ndarray  # the encoder's code (a VAE's posterior mean)
    recon: np.ndarray  # [28, 28], the decoder's image of that code
    error: float  # mean squared error per pixel
    percentile: float  # share of test images reconstructed better, in percent
    xy: np.ndarray  # where it lands on the map
    source: str
    notes: tuple[str, ...]


def place(model: Model, mp: projection.LatentMap, image: np.ndarray, source: str, notes=()) -> Placed:
    """Encode ``image`` (as explorer.data.preprocess prepares it), rebuild it, rank its error among the
    test images' and put its code on the map."""
    code = model.encode(image[None])[0]
    recon = model.decode(code[None])[0]
    error = float(((recon - image) ** 2).mean())
    return Placed(image=image, code=code, recon=recon, error=error,
                  percentile=float((model.latents.recon_error < error).mean() * 100),
                  xy=mp.place(code[None])[0], source=source, notes=tuple(notes))


N_SAMPLES = 8  # codes drawn from a cloud at one press
PRIOR_COLOUR, POSTERIOR_COLOUR = "#777", "#D00"


@dataclass(frozen=True)
class Cloud:
    """A VAE's posterior for one image: mean and spread, what to draw, and any samples."""

    what: str  # which image, in words
    mean: np.ndarray
    sd: np.ndarray
    curves: tuple  # for the browser map: the 1- and 2-sigma ellipses and the prior's circles
    samples: np.ndarray | None  # drawn codes [n, k]
    samples_xy: np.ndarray | None  # and where they land on the map


def cloud(model: Model, mp: projection.LatentMap, image: np.ndarray, what: str, seed: int | None = None,
          label: int | None = None) -> Cloud:
    """The posterior N(mu, sigma^2) of a VAE for ``image`` (Kingma & Welling, 2014): on a latent
    plane its 1- and 2-sigma ellipses beside the prior's 1-3 sigma circles; with ``seed``,
    N_SAMPLES codes drawn from it, z = mu + sigma * eps. ``label``: a conditional model is told
    the image's own class (else the class the page draws with)."""
    mean, log_var = (a[0] for a in model.posterior(image[None], **({"labels": [label]} if label is not None else {})))
    sd = np.exp(0.5 * log_var)
    curves = []
    if mp.coordinates_are_codes:  # the latent plane itself: the contours are exact
        curves += [{"points": posterior.ellipse(np.zeros(2), np.ones(2), k, 64), "colour": PRIOR_COLOUR, "dash": True}
                   for k in (1, 2, 3)]
        curves += [{"points": posterior.ellipse(mean, sd, k, 48), "colour": POSTERIOR_COLOUR, "dash": k == 2}
                   for k in (1, 2)]
    samples = posterior.sample(mean, sd, N_SAMPLES, seed) if seed is not None else None
    return Cloud(what=what, mean=mean, sd=sd, curves=tuple(curves), samples=samples,
                 samples_xy=mp.to_map(samples) if samples is not None else None)


@dataclass(frozen=True)
class Carried:
    """A view taken to another model or map: the new state, and a line saying what was kept and
    what was not (and why)."""

    state: ViewState
    note: str


def _same_images(old: Model, new: Model) -> bool:
    """Whether a test image's number names the same image in both models: one model (a map
    switch), or one dataset's test split."""
    return old.name == new.name or (not old.own_data and not new.own_data and old.dataset == new.dataset)


def keeps_test_image(old: Model, new: Model, test_index: int | None) -> bool:
    """Whether ``test_index`` of ``old`` is the same image among ``new``'s (a model of some
    digits has fewer; another dataset's number names another image)."""
    return test_index is not None and _same_images(old, new) and int(new.latents.rows_of(test_index)[0]) >= 0


def _carry_point(old: Model, old_mp: projection.LatentMap, new: Model, new_mp: projection.LatentMap,
                 xy: Point) -> tuple[Point | None, str]:
    """A spot of the old map on the new one and how it got there, or None and why not: a test
    image to that image's point; on the same model, its code seen on the other map; between two
    latent planes, the same place in each frame (as /compare places a click)."""
    pick = pick_spot(old, old_mp, xy)
    if pick.row is not None and keeps_test_image(old, new, int(old.latents.index[pick.row])):
        test_index = int(old.latents.index[pick.row])
        row = int(new.latents.rows_of(test_index)[0])
        return (float(new_mp.xy[row][0]), float(new_mp.xy[row][1])), f"test image #{test_index}"
    if old.name == new.name:
        z = new_mp.to_map(pick.code[None])[0]
        return (float(z[0]), float(z[1])), "its code's place on this map"
    if old_mp.coordinates_are_codes and new_mp.coordinates_are_codes:
        z = same_place(np.asarray(xy)[None], old_mp.view_box(), new_mp.view_box())[0]
        return (float(z[0]), float(z[1])), "the same place in the frame"
    return None, "a spot off the test images has no place on another model's map unless both are latent planes"


def carry(state: ViewState, old: Model, old_mp: projection.LatentMap, new: Model,
          new_mp: projection.LatentMap) -> Carried:
    """``state`` on another model or map (``new``/``new_mp``; the same model for a map switch):
    the path, the slider, the renderer and the layers stay; A and B stay when they are test images
    the new model has (one dataset's); spots, the clicked one and ends, move as ``_carry_point``
    says. The note says what was kept and what went back to its default, and why."""
    kept: list[str] = []
    lost: dict[str, list[str]] = {}  # why -> what
    moved = {}
    for name, label in (("a", "A"), ("b", "B"), ("spot", "the clicked spot")):
        value = getattr(state, name)
        if value is None:
            moved[name] = None
        elif isinstance(value, int):  # an end that is a test image
            has = keeps_test_image(old, new, value)
            moved[name] = value if has else None
            if has:
                kept.append(f"{label} (test image #{value})")
            else:
                lost.setdefault(f"{new.name} has other images" if not _same_images(old, new)
                                else f"test image #{value} is not among {new.name}'s", []).append(label)
        else:
            moved[name], how = _carry_point(old, old_mp, new, new_mp, value)
            if moved[name] is not None:
                kept.append(f"{label} ({how})")
            else:
                lost.setdefault(how, []).append(label)
    if state.t != DEFAULT_T:
        kept.append(f"the slider at {state.t:g}")
    if state.path != DEFAULT_PATH:
        kept.append(f"the {state.path} path")
    label = projection.kind(new_mp.name).label
    what = (f"{new.name}'s " if new.name != old.name else "the ") + label + ("" if new_mp.coordinates_are_codes else " map")
    sentences = [f"Kept on {what}: {_join(kept)}."] if kept else []
    sentences += [f"Not kept: {_join(labels)} ({why})." for why, labels in lost.items()]
    return Carried(replace(state, model=new.name, map=new_mp.name, label=new.label, **moved), " ".join(sentences))


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
