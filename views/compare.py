"""AE vs VAE side by side (URL path /compare): two models of one dataset and latent size, each on
its own browser-drawn map. A click on either commits the same thing in both: on 2-D planes the
same code z; on a test image, that image's code in each model; elsewhere (a t-SNE map) the
clicked code, placed on the other map by its estimate. Both walk from the same A to the same B,
and scrubbing one walk moves the other (the maps share a group in ui/latent_map/component.js).

URL parameters: left, right (bundle names), spot (a test image's index, or "z1,z2" on 2-D
planes), a, b (test image indices), t (0..1). Bad values fall back to defaults with one notice.
"""

from __future__ import annotations

import math

import numpy as np
import streamlit as st

from explorer import projection
from explorer.bundle import Model
from explorer.state import ModelUnavailable, ViewState
from explorer.view import default_ends, pick_spot, resolve
from ui import map_component, pictures, resources

PAIRS = [("mnist-ae-2d", "mnist-vae-2d"), ("mnist-ae-16", "mnist-vae-16"), ("mnist-conv-ae-16", "mnist-conv-vae-16")]
STATE = "compare"  # this page's state in the session: {"left", "right", "spot", "a", "b", "t"}
SEEN = "compare_seen"  # the maps' component values last taken
W_PAIR = "w_compare_pair"


def render() -> None:
    args = resources.settings()
    catalog = resources.catalog(args)
    names = set(catalog.names())
    pairs = [p for p in PAIRS if p[0] in names and p[1] in names]
    st.sidebar.title("Latent Explorer")
    if not pairs:
        st.error("This comparison needs an AE and a VAE of the same size, e.g. the shipped mnist-ae-2d "
                 "and mnist-vae-2d; they are not among the bundles found.")
        return
    ss = st.session_state
    try:
        if STATE not in ss:
            ss[STATE], notes = from_query(st.query_params.to_dict(), catalog, pairs)
            if notes:
                st.warning("Part of the link was ignored: " + "; ".join(notes) + ".", icon=":material/link_off:")
        state = ss[STATE]
        models = [catalog.model(state["left"]), catalog.model(state["right"])]
    except ModelUnavailable as e:
        ss.pop(STATE, None)
        st.error(f"A model of this pair cannot be opened: {e}. Retrain it with the command in the README.")
        return
    st.sidebar.selectbox("Models side by side", [f"{a} | {b}" for a, b in pairs], key=W_PAIR,
                         index=[f"{a} | {b}" for a, b in pairs].index(f"{state['left']} | {state['right']}")
                         if (state["left"], state["right"]) in pairs else 0,
                         on_change=on_pair)
    maps = [m.map(projection.available(m.latent_dim)[0]) for m in models]
    take_clicks(models, maps)
    state = ss[STATE]
    sync_url(state)

    st.header(f"{models[0].name} and {models[1].name}, side by side")
    plane = all(mp.coordinates_are_codes for mp in maps)
    st.caption("The same click goes to both models: "
               + ("on these latent planes, the same code z is decoded by each decoder. "
                  if plane else "a test image's own code in each model, or the clicked code placed on the other "
                                "map by its estimate. ")
               + "The plain autoencoder (left) was only asked to rebuild its training images, so its plane "
                 "has empty regions that decode to smudges; the VAE (right) was also pushed to spread its "
                 "codes like N(0, I), so almost every spot decodes to a digit. Drag either walk slider: both "
                 "walk from the same A to the same B.")
    originals, _ = resources.test_images(models[0].dataset, args.data_dir)
    ends = default_ends(models[0], maps[0])  # the same A and B in both
    a = state["a"] if state["a"] is not None else ends[0]
    b = state["b"] if state["b"] is not None else ends[1]
    for side, (model, mp), column in zip(("left", "right"), zip(models, maps), st.columns(2, gap="large")):
        with column:
            side_ui(side, model, mp, state, a, b, originals)


def from_query(query: dict, catalog, pairs) -> tuple[dict, list[str]]:
    """The page's state from its URL; what was ignored, in words."""
    notes = []
    left, right = query.get("left"), query.get("right")
    if (left, right) not in pairs:
        if left or right:
            notes.append(f"the pair {left} | {right} is not one of those compared")
        left, right = pairs[0]
    models = [catalog.model(left), catalog.model(right)]
    state = {"left": left, "right": right, "spot": None, "a": None, "b": None, "t": 0.5}
    for end in ("a", "b"):
        if end in query:
            i = _int(query[end])
            if i is not None and all((m.latents.rows_of(i) >= 0).all() for m in models):
                state[end] = i
            else:
                notes.append(f"{end}={query[end][:40]} is not a test image both models have")
    if "t" in query:
        t = _float(query["t"])
        if t is not None and 0 <= t <= 1:
            state["t"] = t
        else:
            notes.append(f"t={query['t'][:40]} is not a position between 0 and 1")
    if "spot" in query:
        spot = parse_spot(query["spot"], models)
        if spot is None:
            notes.append(f"spot={query['spot'][:40]} is neither a test image both have nor a point of the plane")
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


def sync_url(state: dict) -> None:
    wanted = {"left": state["left"], "right": state["right"]}
    for key in ("a", "b"):
        if state[key] is not None:
            wanted[key] = str(state[key])
    if state["spot"] is not None:
        wanted["spot"] = spot_text(state["spot"])
    if state["t"] != 0.5:
        wanted["t"] = f"{state['t']:g}"
    if st.query_params.to_dict() != wanted:
        st.query_params.from_dict(wanted)


def on_pair() -> None:
    left, right = st.session_state[W_PAIR].split(" | ")
    st.session_state[STATE] = {"left": left, "right": right, "spot": None, "a": None, "b": None, "t": 0.5}
    st.session_state.pop(SEEN, None)


def key_of(side: str, model: Model, mp) -> str:
    return f"compare:{side}:{model.name}:{mp.name}"


def take_clicks(models: list[Model], maps: list) -> None:
    """A click (or a walk let go) on either map, taken once into the shared state."""
    ss = st.session_state
    seen = ss.setdefault(SEEN, {})
    for side, model, mp in zip(("left", "right"), models, maps):
        key = key_of(side, model, mp)
        value = ss.get(key)
        if not value:
            continue
        changes = map_component.changes(value, seen.get(key))
        seen[key] = dict(value)
        if "spot" in changes:
            pick = pick_spot(model, mp, changes["spot"])
            spot = ("image", int(model.latents.index[pick.row])) if pick.row is not None else ("code", pick.code)
            ss[STATE] = {**ss[STATE], "spot": spot}
        if "t" in changes:
            ss[STATE] = {**ss[STATE], "t": changes["t"]}


def spot_on(model: Model, mp, spot):
    """Where the shared spot lies on this model's map."""
    if spot is None:
        return None
    kind, value = spot
    if kind == "image":
        row = int(model.latents.rows_of(value)[0])
        return tuple(float(v) for v in mp.xy[row])
    return tuple(float(v) for v in mp.to_map(np.asarray(value, np.float32)[None])[0])


def side_ui(side: str, model: Model, mp, state: dict, a: int, b: int, originals) -> None:
    view = ViewState(model=model.name, map=mp.name, spot=spot_on(model, mp, state["spot"]), a=a, b=b,
                     t=state["t"])
    v = resolve(view, model, mp)
    st.subheader(f"{model.name} ({'VAE' if model.kind_info.has_posterior else 'AE'})")
    map_component.latent_map(model, mp, v, key_of(side, model, mp), originals, group="compare")
    if v.spot is None:
        st.info("Click anywhere on either map: both decoders show what they make of the same code.")
        return
    decoded = model.decode(v.spot.code[None])[0]
    where = ",".join(f"{c:.7g}" for c in v.state.spot)
    pictures.show(decoded, f"{model.name} decodes {v.spot.describe(model)}", 168, spot=where)
