"""Browser maps in a row that answer one click and one walk together: the /compare page, and the
lessons built on the explorer's map (clusters, generating, interpolation, the KL weight).

A ``Board`` says which models go side by side (a few sets to choose from, the first the default),
what the URL calls them, and what the maps draw under their dots. A click on any map commits the
same thing on all: on a test image, that image's code in each model; on 2-D planes of VAEs, which
share the prior N(0, I), the same code z, all drawn in one frame; on other 2-D planes (an AE
beside a VAE), the spot at the same place in each model's frame, each framed around its own test
codes since their scales differ a hundredfold (explorer/teaching/facts.py ``same_place``); elsewhere (a t-SNE map)
only a click on a test image, since a spot between the dots has no counterpart on another model's map.
All walk from the same A to the same B, and scrubbing one walk moves the others (the maps share a
group in ui/latent_map/component.js).

The page's state is an ``explorer.teaching.state.BoardState`` (the models, the spot, A, B, t) kept by
ui/session.py under the board's key and written to the URL: the board's model names
(``params``), spot (a test image's index, or "z1,z2", a code of the first model's plane), a, b
(test image indices), t (0..1). Bad values fall back to defaults with one notice.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Callable

import numpy as np
import streamlit as st

from explorer.teaching import facts, frames
from explorer import maps as projection
from explorer.bundles.bundle import Model
from explorer.teaching.state import BoardState, ModelUnavailable, ViewState
from explorer.teaching.view import View, default_ends, keeps_test_image, pick_spot, resolve
from ui import map_component, pictures, present, resources, session
from ui.text import literal


@dataclass(frozen=True)
class Board:
    key: str  # the page's name: its state in the session (ui/session.py) and its widgets' keys
    sets: tuple[tuple[str, ...], ...]  # the model sets offered, the default first
    params: tuple[str, ...] = ()  # URL names of the models, one per map; () when fixed to sets[0]
    sides: tuple[str, ...] = ()  # a name per map for widget keys (default: params, or 0, 1, ...)
    picker: str | None = None  # the sidebar's label for choosing a set (None: no choice)
    layers: tuple[str, ...] = ()  # drawn under the dots (explorer.teaching.state.LAYERS)
    measured: bool = False  # under each plane, how much of it decodes to readable images (explorer/teaching/facts.py)
    # under the maps until a spot is chosen (not presenting); None: what a click does on this board, in
    # words that fit its frames (``click_note``). "{slider}" is replaced by where the walk's slider is.
    map_note: str | None = None
    # drawn on each map: (model, map) -> curves in map coordinates (ui/map_component.latent_map's)
    curves: Callable[[Model, object], list] | None = None

    @property
    def seen(self) -> str:  # what each map reported last, taken once
        return session.widget(self.key, "seen")

    @property
    def picker_key(self) -> str:
        return session.widget(self.key, "set")

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
         title: Callable[[Model], str] | None = None, menu=None) -> Shown | None:
    """Draw the board's maps in a row (after the page's own header); None when its models are
    missing (the page says so). ``menu``: where the choice of models goes (default: the sidebar,
    or above the maps in presentation mode, where the sidebar is hidden)."""
    sets = available_sets(board, catalog)
    if not sets:
        st.error(f"This page needs the shipped models {', '.join(board.sets[0])}; they are not among the "
                 "bundles found. Retrain them with the commands in the README.")
        return None
    try:
        state, notes = session.page_state(board.key, lambda query: from_query(board, query, catalog, sets))
        session.link_notice(notes)
        models = [session.drawn_as(catalog, n, None) for n in state.models]  # one that takes labels: its first
    except ModelUnavailable as e:
        session.drop_page_state(board.key)
        st.error(f"A model of this page cannot be opened: {literal(e)}. Retrain it with the command in the README.")
        return None
    if board.picker and len(sets) > 1:
        labels = [" | ".join(s) for s in sets]
        current = " | ".join(state.models)
        menu = menu or (st.container() if present.active() else st.sidebar)
        menu.selectbox(board.picker, labels, key=board.picker_key,
                       index=labels.index(current) if current in labels else 0,
                       on_change=on_set, args=(board, catalog))
    maps = [m.map(m.available_maps()[0]) for m in models]
    boxes = frames.boxes(models, maps)
    state = take_clicks(board, state, models, maps, boxes)
    session.set_page_state(board.key, state)
    session.write_query(state.to_query(board.params))
    originals, _ = resources.originals(models[0], args.data_dir)
    ends = default_ends(models[0], maps[0])  # the same A and B in all
    a = state.a if state.a is not None else ends[0]
    b = state.b if state.b is not None else ends[1]
    views = []
    sides = board.side_names(len(models))
    columns = st.columns(len(models), gap="large") if len(models) > 1 else [st.container()]
    for side, model, mp, box, column in zip(sides, models, maps, boxes, columns):
        with column:
            views.append(side_ui(board, side, model, mp, state, a, b, originals, detail, title,
                                 (boxes[0], box) if frames.planes(maps) else None, len(models)))
    # what to do, once under the row until a spot is chosen; presenting, the lesson's "Try this" says it
    if views[0].spot is None and not present.active():
        st.info(board.map_note.format(slider=map_component.slider_place(len(models))) if board.map_note
                else click_note(models, maps))
    return Shown(models, maps, views, originals)


def from_query(board: Board, query, catalog, sets) -> tuple[BoardState, list[str]]:
    """The page's state from its URL; what was ignored, in words."""
    def plane_box(names):  # the first plane's frame, without computing any map that is not a plane
        kinds = [catalog.model(n).available_maps()[0] for n in names]
        if not all(projection.kind(k).coordinates_are_codes for k in kinds):
            return None
        return catalog.model(names[0]).map(kinds[0]).view_box()

    return BoardState.from_query(query, board.params, sets, catalog.test_indices, plane_box)


def click_note(models: list[Model], maps: list) -> str:
    """What a click does on this board (``take_clicks``, ``spot_on``), in words true of its frames."""
    n = len(maps)
    if n == 1:
        return ("Click a dot (a test image) or anywhere between the dots: the decoder draws the code there."
                if frames.planes(maps) else "Click a dot (a test image): the decoder draws its code.")
    which, each = ("either map", "both decoders") if n == 2 else ("any map", f"all {n} decoders")
    dot = f"Click a dot on {which}: it is a test image, and each model decodes its own code of that image. "
    if not frames.planes(maps):  # two models' codes are different spaces: a spot between dots has no counterpart
        return dot + "Between the dots a spot has no counterpart on another model's map, so click the dots."
    if frames.shared_frame(models, maps):
        return dot + f"Click empty space: the maps share one frame, so {each} draw the same code."
    return dot + ("Click empty space: the spot lands at the same place in each map's frame. Each plane is "
                  f"framed around its own codes, so {each} draw different codes there.")


def on_set(board: Board, catalog) -> None:
    """Another set of models: the slider stays; A, B and a clicked test image stay where every new
    model has the same image (explorer.teaching.view.keeps_test_image: one dataset's, not left out of a
    model of some digits); a clicked code of the first plane goes to the same place in the new
    first plane's frame (as a click lands on planes side by side)."""
    models = tuple(st.session_state[board.picker_key].split(" | "))
    before = session.state_of(board.key) if session.has_state(board.key) else BoardState(models=models)
    try:
        old, new = (catalog.model(names[0]) for names in (before.models, models))
        others = [catalog.model(n) for n in models]
    except ModelUnavailable:  # the page says so in its run
        session.set_page_state(board.key, BoardState(models=models))
        return

    def has(test_index):  # the same image in every new model (explorer.teaching.view.keeps_test_image)
        return all(keeps_test_image(old, m, test_index) for m in others)

    spot = before.spot
    if spot is not None and not isinstance(spot, int):
        maps = [m.map(m.available_maps()[0]) for m in (old, new)]
        spot = _point(facts.same_place(np.asarray(spot)[None], maps[0].view_box(), maps[1].view_box())[0]) \
            if frames.planes(maps) else None
    elif not has(spot):
        spot = None
    session.set_page_state(board.key, before.updated(models=models, spot=spot, a=before.a if has(before.a) else None,
                                                     b=before.b if has(before.b) else None))
    st.session_state.pop(board.seen, None)


def key_of(board: Board, side: str, model: Model, mp) -> str:
    return session.widget(board.key, "map", side, model.name, mp.name)


def take_clicks(board: Board, state: BoardState, models: list[Model], maps: list, boxes: list) -> BoardState:
    """The state after a click (or a walk let go) on any map, each report taken once."""
    ss = st.session_state
    seen = ss.setdefault(board.seen, {})
    for side, model, mp, box in zip(board.side_names(len(models)), models, maps, boxes):
        key = key_of(board, side, model, mp)
        value = ss.get(key)
        if not value:
            continue
        changes = map_component.changes(value, seen.get(key))
        seen[key] = dict(value)
        if "spot" in changes:
            pick = pick_spot(model, mp, changes["spot"])
            if pick.row is not None:
                state = state.updated(spot=int(model.latents.index[pick.row]))
            elif frames.planes(maps):  # kept as the first plane's code at the same place in its frame
                state = state.updated(spot=_point(frames.moved(pick.code[None], box, boxes[0])[0]))
            # elsewhere a spot is a test image only (explorer.teaching.state.BoardState): a spot between the dots
            # of a t-SNE map has no place on another model's map, and its code is not two numbers
        if "t" in changes:
            state = state.updated(t=float(changes["t"]))
    return state


def _point(z) -> tuple[float, float]:
    return float(z[0]), float(z[1])


def spot_on(model: Model, mp, spot, frame=None):
    """Where the shared spot lies on this model's map; on a board of planes ``frame`` is (the
    first map's box, this map's box): the spot is a code of the first plane."""
    if spot is None:
        return None
    if isinstance(spot, int):
        row = int(model.latents.rows_of(spot)[0])
        return tuple(float(v) for v in mp.xy[row])
    z = np.asarray(spot, np.float32)[None]
    if frame is not None:
        z = frames.moved(z, *frame)
    return tuple(float(v) for v in mp.to_map(z)[0])


def set_code(board: Board, code) -> None:
    """Button callback: the spot at ``code`` of the first plane (and the same place on the others)."""
    if session.has_state(board.key):
        session.set_page_state(board.key, session.state_of(board.key).updated(spot=_point(code)))


def side_ui(board: Board, side: str, model: Model, mp, state: BoardState, a: int, b: int, originals,
            detail=None, title=None, frame=None, in_row: int = 1) -> View:
    view = ViewState(model=model.name, map=mp.name, spot=spot_on(model, mp, state.spot, frame), a=a, b=b,
                     t=state.t, layers=board.layers)
    v = resolve(view, model, mp)
    if in_row > 1 or not present.active():  # a map alone, presented, is named by the lesson's text
        st.subheader(title(model) if title else f"{literal(model.name)} ({model.kind_info.short})")
    map_component.latent_map(model, mp, v, key_of(board, side, model, mp), originals, group=board.key,
                             box=frame[1] if frame is not None else None, in_row=in_row,
                             curves=board.curves(model, mp) if board.curves else (),
                             dots_only=frame is None)  # off the planes a spot is a test image (take_clicks)
    if board.measured and mp.coordinates_are_codes and not present.active():  # presenting: in the text
        measured_ui(model)
    if detail is not None:
        detail(model, v)
    if v.spot is None:
        return v
    decoded = model.decode(v.spot.code[None])[0]
    where = ",".join(f"{c:.7g}" for c in v.state.spot)
    reading = map_component.usable_classifier(model.dataset) if board.measured else None
    data = {"spot": where}
    caption = f"{model.name} decodes {v.spot.describe(model)}"
    if reading is not None:
        p = reading.probabilities(decoded[None])[0]
        data["confidence"] = f"{p.max():.4f}"
        caption += f"; the classifier reads {model.class_names[int(p.argmax())]} (p = {p.max():.2f})"
    if present.active() and in_row >= 3:  # three maps in a row leave no room for their panels: the picture here
        pictures.show(decoded, caption, 112, **data)
    elif present.active():  # the map's own panel shows the picture; the first screen keeps one line for it
        st.html(f'<p data-spot="{html.escape(where)}" data-confidence="{html.escape(data.get("confidence", ""))}" '
                f'style="margin:0">{html.escape(caption)}</p>')
    else:
        pictures.show(decoded, caption, 168, **data)
    return v


def measured_ui(model: Model) -> None:
    """Under a plane: how much of its frame decodes to images the classifier reads."""
    g = resources.generation(model)
    if g is None:
        return
    st.caption(f"Measured on a {facts.GRID} x {facts.GRID} grid over this frame: the classifier reads a "
               f"{'digit' if model.dataset == 'mnist' else 'class'} (p >= {facts.CONFIDENT:g}) in "
               f"**{g.framed:.0%}** of it and in **{g.between:.0%}** of the {g.n_between} cells between "
               f"clusters; test codes fill {g.filled:.0%} of the frame.")


def measured_note(model: Model) -> str:
    """What the model's plane or random codes give, measured (explorer/teaching/facts.py), in the dataset's
    own words ("a digit", "a garment class")."""
    thing = "a digit" if model.dataset == "mnist" else "a class"
    g = resources.generation(model)
    if g is not None:
        return (f" Measured: the classifier reads {thing} (p >= {facts.CONFIDENT:g}) in {g.framed:.0%} of this "
                f"plane's frame, {g.between:.0%} between its clusters, and in {g.sampling.readable:.0%} of "
                f"codes drawn from {g.sampling.source}.")
    s = resources.sampling(model)
    if s is not None:
        return f" Measured: the classifier reads {thing} in {s.readable:.0%} of codes drawn from {s.source}."
    return ""


def _kind(model: Model) -> str:
    return model.kind_info.short


def generation_text(board: Board, shown: Shown, sides: tuple[str, str] = ("left", "right")) -> None:
    """What the board's models do when asked to generate, in measured sentences (explorer/teaching/facts.py),
    and a button to the spot where they differ most. ``sides`` say where each map is."""
    models, maps = shown.models, shown.maps
    clf = map_component.usable_classifier(models[0].dataset)
    if clf is None:
        st.caption("The same click goes to both models. The figures that say how much of each plane "
                   "decodes to digits need this dataset's classifier, which cannot be used here.")
        return
    names = [f"the {_kind(m)}" for m in models]
    digit = "digit" if models[0].dataset == "mnist" else "class"
    if frames.planes(maps):
        gens = [resources.generation(m) for m in models]
        widths = [float((g.box[1] - g.box[0]).max()) for g in gens]
        frame = ("The two planes share one frame, so a click on empty space is the same code in both. "
                 if frames.shared_frame(models, maps) else
                 "Each plane is framed around its own test codes, and a click on empty space lands at the same "
                 f"place in both frames: their scales differ ({names[0]}'s frame is {_width(widths[0])} wide, "
                 f"{names[1]}'s {_width(widths[1])}). ")
        st.markdown(
            f"{names[0][0].upper() + names[0][1:]} is on the {sides[0]}, {names[1]} on the {sides[1]}. {frame}"
            "Each decode is read by the dataset's classifier "
            f"({literal(clf.info.get('name', models[0].dataset))}); a decode counts as a {digit} when the "
            f"classifier gives it p >= {facts.CONFIDENT:g}.")
        a, b = gens
        st.markdown(
            f"- **The whole frame**: read as a {digit} in {a.framed:.0%} of {names[0]}'s and {b.framed:.0%} of "
            f"{names[1]}'s. Its test codes fill {a.filled:.0%} of {names[0]}'s frame and {b.filled:.0%} of "
            f"{names[1]}'s.\n"
            f"- **Between the clusters** ({a.n_between} and {b.n_between} cells with no test code near them): "
            f"{names[0]}'s decodes are read {facts.how_often(a.between, b.between)} {names[1]}'s "
            f"({a.between:.0%} against {b.between:.0%}).\n"
            + _sampling_line(models, [g.sampling for g in gens], names, digit))
        found = facts.clearest_difference(a, b)
        if found is not None:
            lo, hi = a.box
            code = lo + found.place * (hi - lo)
            st.button(f"Show the spot in {names[0]}'s frame, away from its test codes, where the two differ most",
                      on_click=set_code, args=(board, tuple(float(v) for v in code)),
                      icon=":material/my_location:", key=session.widget(board.key, "difference"))
            st.caption(f"There {names[0]}'s decode is read with p = {found.confidence[0]:.2f} and "
                       f"{names[1]}'s, at the same place, with p = {found.confidence[1]:.2f}.")
    else:
        samples = [resources.sampling(m) for m in models]
        st.markdown("The same click goes to both models: a click on a dot gives each model its own code of "
                    "that test image.\n\n"
                    + _sampling_line(models, samples, names, digit))


def _width(w: float) -> str:
    return f"{w:,.0f}" if w >= 100 else f"{w:.3g}"


def _sampling_line(models, samples, names, digit) -> str:
    parts = []
    for m, s, name in zip(models, samples, names):
        rare, share = s.rarest(m.class_names)
        parts.append(f"{name}'s, drawn from {s.source}, are read as a {digit} {s.readable:.0%} of the time, "
                     f"with the rarest {digit}, {literal(rare)}, {share:.1%} of those (evenness {s.balance:.2f}, "
                     f"1 when every {digit} comes equally often)")
    return "- **Codes drawn at random**, as one would to make new images: " + "; ".join(parts) + "."
