"""Browser maps in a row that answer one click and one walk together: the /compare page, and the
lessons built on the explorer's map (clusters, generating, interpolation, the KL weight).

A ``Board`` says which models go side by side (a few sets to choose from, the first the default),
what the URL calls them, and what the maps draw under their dots. A click on any map commits the
same thing on all: on 2-D planes the same code z; on a test image, that image's code in each
model; elsewhere (a t-SNE map) the clicked code, placed on the other maps by their estimates. All
walk from the same A to the same B, and scrubbing one walk moves the others (the maps share a
group in ui/latent_map/component.js).

URL parameters: the board's model names (``params``), spot (a test image's index, or "z1,z2" on
2-D planes), a, b (test image indices), t (0..1). Bad values fall back to defaults with one notice.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
import streamlit as st

from explorer import projection
from explorer.bundle import Model
from explorer.state import ModelUnavailable, ViewState
from explorer.view import View, default_ends, pick_spot, resolve
from ui import map_component, pictures, resources
from ui.session import name_key
from ui.text import literal


@dataclass(frozen=True)
class Board:
    key: str  # the page's state in the session, and its maps' widget keys
    sets: tuple[tuple[str, ...], ...]  # the model sets offered, the default first
    params: tuple[str, ...] = ()  # URL names of the models, one per map; () when fixed to sets[0]
    sides: tuple[str, ...] = ()  # a name per map for widget keys (default: params, or 0, 1, ...)
    picker: str | None = None  # the sidebar's label for choosing a set (None: no choice)
    layers: tuple[str, ...] = ()  # drawn under the dots (explorer.state.LAYERS)
    map_note: str = "Click anywhere on either map: both decoders show what they make of the same code."

    @property
    def seen(self) -> str:
        return f"{self.key}_seen"

    @property
    def picker_key(self) -> str:
        return f"w_{self.key}_set"

    def side_names(self, n: int) -> tuple[str, ...]:
        return self.sides or self.params or tuple(str(i) for i in range(n))


@dataclass
class Shown:
    """What the board put on the page, for the lesson around it."""

    models: list[Model]
    maps: list
    views: list[View]
    originals: np.ndarray | None


def available_sets(board: Board, catalog) -> list[tuple[str, ...]]:
    names = set(catalog.names())
    return [s for s in board.sets if all(n in names for n in s)]


def show(board: Board, catalog, args, detail: Callable[[Model, View], None] | None = None,
         title: Callable[[Model], str] | None = None) -> Shown | None:
    """Draw the board's maps in a row (after the page's own header); None when its models are
    missing (the page says so)."""
    sets = available_sets(board, catalog)
    if not sets:
        st.error(f"This page needs the shipped models {', '.join(board.sets[0])}; they are not among the "
                 "bundles found. Retrain them with the commands in the README.")
        return None
    ss = st.session_state
    try:
        if board.key not in ss:
            ss[board.key], notes = from_query(board, st.query_params.to_dict(), catalog, sets)
            if notes:
                st.warning("Part of the link was ignored: " + "; ".join(map(literal, notes)) + ".",
                           icon=":material/link_off:")
        state = ss[board.key]
        models = [catalog.model(n) for n in state["models"]]
    except ModelUnavailable as e:
        ss.pop(board.key, None)
        st.error(f"A model of this page cannot be opened: {literal(e)}. Retrain it with the command in the README.")
        return None
    if board.picker and len(sets) > 1:
        labels = [" | ".join(s) for s in sets]
        current = " | ".join(state["models"])
        st.sidebar.selectbox(board.picker, labels, key=board.picker_key,
                             index=labels.index(current) if current in labels else 0,
                             on_change=on_set, args=(board,))
    maps = [m.map(projection.available(m.latent_dim)[0]) for m in models]
    take_clicks(board, models, maps)
    state = ss[board.key]
    sync_url(board, state)
    originals, _ = resources.test_images(models[0].dataset, args.data_dir)
    ends = default_ends(models[0], maps[0])  # the same A and B in all
    a = state["a"] if state["a"] is not None else ends[0]
    b = state["b"] if state["b"] is not None else ends[1]
    views = []
    sides = board.side_names(len(models))
    columns = st.columns(len(models), gap="large") if len(models) > 1 else [st.container()]
    for side, model, mp, column in zip(sides, models, maps, columns):
        with column:
            views.append(side_ui(board, side, model, mp, state, a, b, originals, detail, title))
    return Shown(models, maps, views, originals)


def from_query(board: Board, query: dict, catalog, sets) -> tuple[dict, list[str]]:
    """The page's state from its URL; what was ignored, in words."""
    notes = []
    models = sets[0]
    if board.params:
        asked = tuple(query.get(p) for p in board.params)
        if asked in sets:
            models = asked
        elif any(asked):
            notes.append(f"{' | '.join(str(a) for a in asked)} is not one of the choices here")
    opened = [catalog.model(n) for n in models]
    state = {"models": models, "spot": None, "a": None, "b": None, "t": 0.5}
    for end in ("a", "b"):
        if end in query:
            i = _int(query[end])
            if i is not None and all((m.latents.rows_of(i) >= 0).all() for m in opened):
                state[end] = i
            else:
                notes.append(f"{end}={query[end][:40]} is not a test image these models have")
    if "t" in query:
        t = _float(query["t"])
        if t is not None and 0 <= t <= 1:
            state["t"] = t
        else:
            notes.append(f"t={query['t'][:40]} is not a position between 0 and 1")
    if "spot" in query:
        spot = parse_spot(query["spot"], opened)
        if spot is None:
            notes.append(f"spot={query['spot'][:40]} is neither a test image these models have nor a point of the plane")
        state["spot"] = spot
    return state, notes


def _int(text):
    try:
        return int(text)
    except (TypeError, ValueError):
        return None


def _float(text):
    try:
        v = float(text)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def parse_spot(text: str, models: list[Model]):
    """("image", index) or ("code", z) from the URL's spot, or None."""
    if "," not in text:
        i = _int(text)
        return ("image", i) if i is not None and all((m.latents.rows_of(i) >= 0).all() for m in models) else None
    parts = [_float(p) for p in text.split(",")]
    if len(parts) == 2 and None not in parts and all(m.latent_dim == 2 for m in models) and max(map(abs, parts)) < 1e3:
        return ("code", np.array(parts, np.float32))
    return None


def spot_text(spot) -> str | None:
    if spot is None:
        return None
    kind, value = spot
    return str(value) if kind == "image" else ",".join(f"{v:.7g}" for v in value)


def sync_url(board: Board, state: dict) -> None:
    wanted = dict(zip(board.params, state["models"]))
    for key in ("a", "b"):
        if state[key] is not None:
            wanted[key] = str(state[key])
    if state["spot"] is not None:
        wanted["spot"] = spot_text(state["spot"])
    if state["t"] != 0.5:
        wanted["t"] = f"{state['t']:g}"
    if st.query_params.to_dict() != wanted:
        st.query_params.from_dict(wanted)


def on_set(board: Board) -> None:
    models = tuple(st.session_state[board.picker_key].split(" | "))
    st.session_state[board.key] = {"models": models, "spot": None, "a": None, "b": None, "t": 0.5}
    st.session_state.pop(board.seen, None)


def key_of(board: Board, side: str, model: Model, mp) -> str:
    return f"{board.key}:{side}:{name_key(model.name)}:{mp.name}"


def take_clicks(board: Board, models: list[Model], maps: list) -> None:
    """A click (or a walk let go) on any map, taken once into the shared state."""
    ss = st.session_state
    seen = ss.setdefault(board.seen, {})
    for side, model, mp in zip(board.side_names(len(models)), models, maps):
        key = key_of(board, side, model, mp)
        value = ss.get(key)
        if not value:
            continue
        changes = map_component.changes(value, seen.get(key))
        seen[key] = dict(value)
        if "spot" in changes:
            pick = pick_spot(model, mp, changes["spot"])
            spot = ("image", int(model.latents.index[pick.row])) if pick.row is not None else ("code", pick.code)
            ss[board.key] = {**ss[board.key], "spot": spot}
        if "t" in changes:
            ss[board.key] = {**ss[board.key], "t": changes["t"]}


def spot_on(model: Model, mp, spot):
    """Where the shared spot lies on this model's map."""
    if spot is None:
        return None
    kind, value = spot
    if kind == "image":
        row = int(model.latents.rows_of(value)[0])
        return tuple(float(v) for v in mp.xy[row])
    return tuple(float(v) for v in mp.to_map(np.asarray(value, np.float32)[None])[0])


def side_ui(board: Board, side: str, model: Model, mp, state: dict, a: int, b: int, originals,
            detail=None, title=None) -> View:
    view = ViewState(model=model.name, map=mp.name, spot=spot_on(model, mp, state["spot"]), a=a, b=b,
                     t=state["t"], layers=board.layers)
    v = resolve(view, model, mp)
    st.subheader(title(model) if title else f"{literal(model.name)} ({'VAE' if model.kind_info.has_posterior else 'AE'})")
    map_component.latent_map(model, mp, v, key_of(board, side, model, mp), originals, group=board.key)
    if detail is not None:
        detail(model, v)
    if v.spot is None:
        st.info(board.map_note)
        return v
    decoded = model.decode(v.spot.code[None])[0]
    where = ",".join(f"{c:.7g}" for c in v.state.spot)
    pictures.show(decoded, f"{model.name} decodes {v.spot.describe(model)}", 168, spot=where)
    return v
