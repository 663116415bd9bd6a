"""The explorer page: a model's latent map where a click anywhere decodes, and a walk from A to B.

Importing this module runs nothing; ``render()`` draws the page (app.py hands it to
st.navigation). It gathers input into the ViewState (ui/session.py), asks the library what that
state shows (explorer.view.resolve) and renders it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import streamlit as st

from explorer import classifier, data, facts, figures, generate, images, posterior, preprocess, projection
from explorer.bundle import Model
from explorer.state import ModelUnavailable, ViewState, format_point
from explorer.view import N_FRAMES, Pick, View, endpoint_of, resolve
from explorer.state import LAYERS, RENDERERS
from ui import anomalies, draw_pad, map_component, pictures, resources, session
from ui.text import code as code_span, literal
from ui.session import W_CLASS, W_EXAMPLE, W_MAP, W_MODEL, W_PATH, W_RENDERER, W_T

LAYER_NAMES = {"manifold": "decoded images", "regions": "class regions", "error": "reconstruction error",
               "density": "class outlines"}
RENDERER_NAMES = {"canvas": "in the browser (instant previews)", "plotly": "Plotly (server; decodes on click)"}

PATH_HELP = {"lerp": "linear: the straight line between the two codes.",
             "slerp": "slerp: along the sphere, keeping the length of the code typical, which matters "
                      "in many dimensions (most of a high-dimensional Gaussian lies near a sphere)."}


def render() -> None:
    args = resources.settings()
    catalog = resources.catalog(args)
    st.sidebar.title("Latent Explorer")
    st.sidebar.caption("See what an autoencoder learns: every image becomes a point, every point an image.")
    course_link()
    if not catalog.names():
        st.error("No model bundles found. Train one with `python -m explorer.train --out pretrained/NAME` "
                 "(see the README).")
        return
    view = session.current(catalog)
    errors_ui()
    if view is None:
        st.error("None of the model bundles can be opened (reasons above). Retrain one with "
                 "`python -m explorer.train` (see the README).")
        return
    model = catalog.model(view.model)
    mp = open_map(model, view.map)
    session.sync_url(view)

    notices = st.container()  # above the map, filled once the sidebar has looked for the data
    st.header(f"{literal(model.name)}: the {projection.kind(view.map).title}")
    st.caption(f"{mp.explanation} Colours are classes; the model never saw them while learning. "
               "Hover a dot to see which test image it is, click anywhere to decode that spot.")
    pca_limit_ui(model, view.map)
    st.session_state[session.FULL_RUN] = True
    try:
        v = map_and_click(catalog, args.data_dir)
    finally:
        st.session_state[session.FULL_RUN] = False
    sync_widgets(v, model)
    model_sidebar_ui(catalog, model, v.state)
    originals = dataset_ui(model, args.data_dir)
    with notices:
        link_notes_ui()
    st.divider()
    walk_ui(model, mp, v, originals)
    grid_ui(model, mp)
    traversal_ui(model, v)
    anomaly_ui(model, originals, args.data_dir)
    share_ui(v.state)


@st.fragment
def map_and_click(catalog, data_dir: str | None) -> View:
    """The map and what a click on it shows. A click reruns only this (a fragment): the map's
    files are already in the browser, and the walk and the sidebar do not depend on the spot, so
    they are neither recomputed nor re-sent. What does change them (a scrub let go, "Use as
    start A") asks for a run of the whole page."""
    ss = st.session_state
    view = ss[session.VIEW]
    model = catalog.model(view.model)
    mp = open_map(model, view.map)
    before = view
    view = session.take_changes(view, session.chart_key(view), map_component.changes if view.renderer == "canvas"
                                else lambda selection, _: plotly_changes(selection, mp, model.latents.labels))
    walk_changed = ss.pop(session.WALK_CHANGED, False) or view.t != before.t
    if walk_changed and not ss.get(session.FULL_RUN):
        st.rerun()  # the whole page, so the walk below follows
    session.sync_url(view)
    v = resolve(view, model, mp)
    originals, _ = resources.test_images(model.dataset, data_dir)  # the sidebar says why if None
    take_inputs()
    drawn = placed(model, mp)
    cloud = cloud_of(model, mp, v, originals, drawn)
    col_map, col_click = st.columns([5, 3], gap="large")
    # The browser map goes out first, so the browser fetches the model's files while the rest of
    # the page arrives. The Plotly figure goes out last: it is the largest message and the slowest
    # to redraw, so the decoded image is on screen before it (bench/click_latency.py).
    if view.renderer == "canvas":
        with col_map:
            map_ui(model, mp, v, originals, drawn, cloud)
    with col_click:
        click_ui(model, mp, v, originals)
    if view.renderer != "canvas":
        with col_map:
            map_ui(model, mp, v, originals, drawn, cloud)
    upload_ui(model, mp, originals, drawn)
    posterior_ui(model, mp, cloud)
    return v


def course_link() -> None:
    from views.lessons import common  # here, not at the top: the lessons import this module

    first = common.COURSE[0][0] if common.COURSE else None
    if first in common.PAGES_BY_PATH:
        st.sidebar.page_link(common.PAGES_BY_PATH[first], label="Start the course", help="Ten lessons, from what an autoencoder is to anomaly detection.",
                             icon=":material/school:")


# --------------------------------------------------------------------------------------------
# Notices


def errors_ui() -> None:
    for message in st.session_state.get(session.MODEL_ERRORS, []):
        st.error(literal(f"{message[0].upper()}{message[1:]}. Showing another model instead."))


def link_notes_ui() -> None:
    notes = st.session_state.get(session.LINK_NOTES, [])
    if notes:
        st.warning("Part of the link was ignored, so those settings are at their defaults: "
                   + "; ".join(map(literal, notes)) + ".", icon=":material/link_off:")


def pca_limit_ui(model: Model, map_name: str) -> None:
    by_map = model.metrics.get("class_middles_by_map", {})
    if map_name == "pca" and model.latent_dim > 2 and "pca" in by_map:
        st.caption(f"An honest limit of a flat view: decoding the middle of each class's cloud here "
                   f"gives a digit of that class for {literal(by_map['pca'])} of "
                   f"{literal(model.metrics['class_middles_total'])} classes (t-SNE map: "
                   f"{literal(by_map.get('tsne', '?'))}). Classes that are apart along the "
                   f"{model.latent_dim - 2} hidden directions overlap in this picture, and their middles "
                   "decode to a blend.")


# --------------------------------------------------------------------------------------------
# Sidebar


def model_sidebar_ui(catalog, model: Model, view) -> None:
    names = catalog.names()
    st.sidebar.selectbox("Model", names, key=W_MODEL, on_change=on_model, args=(catalog,),
                         format_func=lambda n: f"{n}: {catalog.description(n)}",
                         help="Every bundle in pretrained/ and in --models-dir folders.")
    problems = catalog.problems()
    if problems:  # each listed once, with its reason; every other bundle works
        with st.sidebar.expander(f"{len(problems)} bundle{'s' * (len(problems) > 1)} cannot be opened"):
            for name, why in problems.items():
                st.text(f"{name}: {why}")
    info = data.dataset_info(model.dataset)
    kind = model.kind_info
    st.sidebar.markdown(f"**{kind.title}** trained on **{info.title}**, classes "
                        f"{literal(', '.join(model.class_names[c] for c in model.classes))}; each image "
                        f"becomes **{model.latent_dim} numbers**.")
    st.sidebar.caption(kind.note + measured_note(model))
    maps = projection.available(model.latent_dim)
    st.sidebar.radio("Map", maps, key=W_MAP, horizontal=True, on_change=on_map,
                     format_func=lambda m: projection.kind(m).label,
                     help=" ".join(f"{projection.kind(m).label}: {projection.kind(m).help}." for m in maps))
    st.sidebar.radio("Map drawn by", RENDERERS, key=W_RENDERER, format_func=RENDERER_NAMES.get,
                     on_change=lambda: session.update(renderer=st.session_state[W_RENDERER]),
                     help="In the browser: the map decodes the spot under the pointer as you move, "
                          "without asking the server. Plotly: the classic chart; decodes on click.")
    if view.renderer == "canvas":
        st.sidebar.pills("Under the dots", LAYERS, selection_mode="multi", key=session.W_LAYERS,
                         format_func=LAYER_NAMES.get, on_change=on_layers,
                         help="Decoded images: a grid of images decoded across the visible part of the map (on "
                              "t-SNE maps through the estimate), so you see what every region generates. "
                              "Class regions: each cell tinted with the class a classifier reads in the image "
                              "decoded there: where on the map each class is generated. "
                              "Reconstruction error: each dot coloured by how well its image is rebuilt. "
                              "Class outlines: the line around the densest half of each class's dots.")
        clf = map_component.dataset_classifier(model.dataset)
        if "regions" in view.layers:
            st.sidebar.caption(f"Class regions are read by a classifier, {literal(clf.info['name'])}, trained on the "
                               f"training images: {clf.info['test_accuracy']:.1%} right on the test images."
                               if clf is not None else "Class regions cannot be shown: this dataset's classifier "
                               f"is {literal(classifier.problem(model.dataset))}.")
    metrics_table(model)


def on_layers() -> None:
    chosen = st.session_state[session.W_LAYERS] or []
    session.update(layers=tuple(layer for layer in LAYERS if layer in chosen))


def metrics_table(model: Model) -> None:
    m = model.metrics
    rows = [("test images", f"{m['n_test']:,}")] if "n_test" in m else []
    if "test_mse" in m:
        rows.append(("reconstruction MSE per pixel", f"{m['test_mse']:.4f}"))
    if "test_neg_elbo" in m:
        rows.append(("negative ELBO (nats/image)", f"{m['test_neg_elbo']:.1f}"))
    for method, count in m.get("class_middles_by_map", {}).items():
        if method in projection.MAPS:
            rows.append((f"class middles recognised, {projection.kind(method).label}",
                         literal(f"{count}/{m['class_middles_total']}")))
    if rows:
        st.sidebar.markdown("**Measured on the test set**\n\n| metric | value |\n|---|---|\n"
                            + "\n".join(f"| {a} | {b} |" for a, b in rows))
        st.sidebar.caption("Lower is better for the errors. A class middle is recognised when the "
                           "image decoded at the middle of that class's cluster is classified as "
                           "that class by its nearest training images.")


def dataset_ui(model: Model, data_dir: str | None) -> np.ndarray | None:
    """The test images, or a sidebar message saying what happened and the one thing to do."""
    originals, error = resources.test_images(model.dataset, data_dir)
    failed = st.session_state.pop("download_error", None)
    if failed is not None:
        st.sidebar.error(f"The download did not work. {literal(first_line(failed))}")
        with st.sidebar.expander("Details"):
            st.code(str(failed), language=None, wrap_lines=True)
    if error is None:
        return originals
    if isinstance(error, data.DataMissing):
        st.sidebar.warning(f"The {model.dataset} test images are not on this computer, so originals "
                           "are not shown; everything else works from the model's stored codes.")
    else:
        st.sidebar.warning(f"The {model.dataset} files were found but cannot be read, so originals are "
                           f"not shown. {literal(first_line(error))}")
    with st.sidebar.expander("How to add the dataset"):
        st.markdown(f"Put its four IDX files in a folder `DIR/{model.dataset}/` and start the app with "
                    f"`{data.ENV_VAR}=DIR`, or download it now:")
        st.button(f"Download {model.dataset} (about 11 MB)", on_click=resources.download_dataset,
                  args=(model.dataset,))
        st.caption("Looked in: " + ", ".join(code_span(d) for d in data.candidate_dirs(model.dataset, data_dir)))
    return None


def first_line(error: Exception) -> str:
    return str(error).split("\n")[0]


def measured_note(model: Model) -> str:
    """What the model's plane or random codes give, measured (explorer/facts.py), in the dataset's
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


def share_ui(view) -> None:
    # drawn only while open: the code block's highlighter costs the browser half a second
    share = st.sidebar.expander("Share this view", key=session.W_SHARE, on_change="rerun")
    if not share.open:
        return
    with share:
        st.caption("The address bar always holds this view; this link opens it anywhere: the model, "
                   "the map, the clicked spot, A, B, the path and the slider.")
        public = resources.settings().public_url
        st.code(resources.share_link(view.to_query(), public), language=None, wrap_lines=True)
        if not public:
            st.caption(f"The link uses this browser's address. Set {resources.PUBLIC_URL_VAR} (or "
                       "`--public-url`) to the address students reach.")


# --------------------------------------------------------------------------------------------
# Callbacks: widgets change the state; the state is what the page shows


def on_model(catalog) -> None:
    name = st.session_state[W_MODEL]
    try:
        maps = catalog.maps(name)
    except ModelUnavailable as e:
        st.session_state[session.MODEL_ERRORS] = [f"the model {name} cannot be opened: {e}"]
        return
    view = st.session_state[session.VIEW]  # a new model starts afresh, drawn and walked the same way
    session.set_view(ViewState(model=name, map=maps[0], path=view.path, renderer=view.renderer, layers=view.layers))


def on_map() -> None:
    """Spots belong to a map: the clicked spot and spot ends are dropped, test images kept."""
    view = st.session_state[session.VIEW]
    keep = {end: getattr(view, end) if isinstance(getattr(view, end), int) else None for end in ("a", "b")}
    session.update(map=st.session_state[W_MAP], spot=None, **keep)


def on_end(end: str, model: Model) -> None:
    c, n = st.session_state[W_CLASS[end]], int(st.session_state[W_EXAMPLE[end]] or 0)
    rows = np.flatnonzero(model.latents.labels == c)
    session.update(**{end: int(model.latents.index[rows[n % len(rows)]])})


def use_as(end: str, model: Model, pick: Pick) -> None:
    session.update(**{end: endpoint_of(model, pick)})
    st.session_state[session.WALK_CHANGED] = True  # the walk is outside the click's fragment


def sync_widgets(v: View, model: Model) -> None:
    """Widgets show the state (set before they are drawn in this run)."""
    ss = st.session_state
    ss[W_MODEL], ss[W_MAP], ss[W_PATH], ss[W_T] = v.state.model, v.state.map, v.state.path, v.state.t
    ss[W_RENDERER] = v.state.renderer
    ss[session.W_LAYERS] = list(v.state.layers)
    for end, pick in (("a", v.a), ("b", v.b)):
        if pick.row is not None:
            c = int(model.latents.labels[pick.row])
            ss[W_CLASS[end]] = c
            ss[W_EXAMPLE[end]] = int(np.searchsorted(np.flatnonzero(model.latents.labels == c), pick.row))
        else:
            ss.setdefault(W_CLASS[end], model.classes[0])
            ss.setdefault(W_EXAMPLE[end], 0)


# --------------------------------------------------------------------------------------------
# The map and the click


def open_map(model: Model, method: str) -> projection.LatentMap:
    """The model's map; a stored kind missing from the bundle is computed once, with a progress bar."""
    if model.has_map(method):
        return model.map(method)
    bar = st.progress(0.0, text=f"Computing the {projection.kind(method).title} of "
                                f"{len(model.latents.codes):,} test codes, once (about a minute); it is "
                                "cached afterwards.")
    mp = model.map(method, progress=lambda f: bar.progress(f))
    bar.empty()
    return mp


def plotly_changes(selection, mp: projection.LatentMap, labels: np.ndarray) -> dict:
    xy = figures.clicked_point(selection, mp, labels)
    return {"spot": xy} if xy is not None else {}


def map_ui(model: Model, mp: projection.LatentMap, v: View, originals: np.ndarray | None, drawn: "Placed | None",
           cloud: "Cloud | None") -> None:
    lat = model.latents
    if v.state.renderer == "canvas":
        map_component.latent_map(model, mp, v, session.chart_key(v.state), originals,
                                 drawn.xy if drawn is not None else None,
                                 cloud.curves if cloud is not None else (),
                                 cloud.samples_xy if cloud is not None else None,
                                 hint="Move the pointer over the map: the image under it is decoded right here "
                                      "in your browser. Click to keep a spot; scroll to zoom, drag to pan.")
    else:
        key = session.chart_key(v.state)
        fig = figures.latent_map(
            mp, lat.labels, lat.index, model.class_names,
            click=v.spot.xy if v.spot else None, path=v.walk.path, path_at=v.walk.at_xy,
            endpoints={"A": v.a.xy, "B": v.b.xy},
            ringed=mp.xy[v.spot.estimate[0]] if v.spot is not None and v.spot.estimate is not None else None)
        st.plotly_chart(fig, key=key, on_select="rerun", selection_mode="points",
                        config={"displaylogo": False, "scrollZoom": True})
    if not mp.exact:
        st.caption("On this map a clicked spot's code is an estimate, from the test points around it, "
                   "and the walk from A to B is drawn where its codes' nearest test codes lie.")
    st.download_button("Map coordinates as CSV", icon=":material/download:", data=lambda: images.map_csv(mp.xy, lat.labels, lat.index, model.class_names),
                       file_name=f"{model.name}-{mp.name}.csv", mime="text/csv", on_click="ignore",
                       help="One row per test image: its index in the test set, its class, x and y on this map.")


def click_ui(model: Model, mp: projection.LatentMap, v: View, originals: np.ndarray | None) -> None:
    st.subheader("Decoded at your click")
    pick = v.spot
    if pick is None:
        st.info("Click anywhere on the map, on a dot or on empty space. The decoder turns that spot's "
                "code into an image, here.")
        return
    decoded = model.decode(pick.code[None])[0]
    where = format_point(v.state.spot)  # the spot as the URL has it
    if pick.row is None:
        code = "" if mp.coordinates_are_codes else f" Its code: {format_code(pick.code)}."
        st.caption(f"The decoder's image for {literal(pick.describe(model))}.{code}")
        pictures.show(decoded, "decoded", 224, spot=where)
    else:
        lat = model.latents
        what = pick.describe(model)
        st.caption(f"{literal(what[0].upper() + what[1:])}: what the encoder made "
                   f"of it ({format_code(pick.code)}) and what the decoder rebuilt from that.")
        original = (originals[lat.index[pick.row]], "original", 180, {}) if originals is not None else None
        pictures.show_row([*([original] if original else []), (decoded, "reconstruction", 180, {"spot": where})])
        if originals is None:
            st.warning("The original is not shown: the test images are not available.")
        st.caption(f"Reconstruction error of this image: {lat.recon_error[pick.row]:.4f} per pixel. "
                   "What the code kept, and what it lost.")
    a, b = st.columns(2)
    a.button("Use as start A", on_click=use_as, args=("a", model, pick), width="stretch")
    b.button("Use as end B", on_click=use_as, args=("b", model, pick), width="stretch")
    if pick.estimate is not None:
        neighbours_ui(model, *pick.estimate, originals)
    with st.expander("Nearest in the latent space", expanded=False):
        st.caption("The test images whose codes are nearest to this one, measured in the latent space itself, "
                   "not on the map (a flat map can put far codes side by side).")
        neighbours_of_code(model, pick.code, originals)


def format_code(z: np.ndarray) -> str:
    return "(" + ", ".join(f"{x:.2f}" for x in z[:4]) + (", ..." if len(z) > 4 else "") + ")"


def neighbours_ui(model: Model, rows: np.ndarray, weights: np.ndarray, originals: np.ndarray | None) -> None:
    """For an estimated map: the test images whose codes were averaged for a clicked spot."""
    pics = originals[model.latents.index[rows]] if originals is not None else model.decode(model.latents.codes[rows])
    with st.expander(f"This code is an estimate: the weighted mean of the codes of the {len(rows)} nearest "
                     "test images on the map", expanded=False):
        pictures.show(images.labelled_strip(pics, [f"{w:.2f}" for w in weights], scale=2),
                      "nearest first, with the weight of each", 2 * 32 * len(rows), labelled=True)
        st.caption("t-SNE has no way back from the map to the latent space, so a spot's code is "
                   "borrowed from its neighbours, closer ones counting more. They are ringed on the map.")


# --------------------------------------------------------------------------------------------
# The walk


def endpoint_ui(model: Model, end: str, pick: Pick, column) -> None:
    """Shows what the end is, and picks a test image for it by class and example."""
    labels = model.latents.labels
    with column:
        st.markdown(f"**{end.upper()}**: {literal(pick.describe(model))}")
        c1, c2 = st.columns(2)
        c1.selectbox("class", model.classes, format_func=lambda c: model.class_names[c], key=W_CLASS[end],
                     on_change=on_end, args=(end, model))
        c2.slider("example", min_value=0, max_value=int(np.bincount(labels).max()) - 1, step=1,
                  key=W_EXAMPLE[end], on_change=on_end, args=(end, model),
                  help="Which test image of that class (0 is the first).")


def walk_ui(model: Model, mp: projection.LatentMap, v: View, originals: np.ndarray | None) -> None:
    st.subheader("Walk from A to B")
    st.caption("The two codes are mixed step by step and every mixture is decoded: a smooth walk means "
               "the model has learned a continuous space, jumps and smudges show gaps. Pick the ends "
               "below or with the buttons under a click; the dotted line on the map is the path.")
    ca, cb, cm = st.columns([2, 2, 1])
    endpoint_ui(model, "a", v.a, ca)
    endpoint_ui(model, "b", v.b, cb)
    cm.radio("Path", list(generate.INTERPOLATIONS), key=W_PATH, on_change=lambda: session.update(path=st.session_state[W_PATH]),
             help=" ".join(PATH_HELP.values()))
    st.slider("Position between A (0) and B (1)", 0.0, 1.0, step=0.01, key=W_T,
              on_change=lambda: session.update(t=float(st.session_state[W_T])))
    w = v.walk
    left, right = st.columns([1, 4], gap="medium")
    with left:
        pictures.show(w.at_image, f"decoded at {w.at_t:.2f}", 168, frame=f"{w.at_t:g}")
    tiles, labels, highlight = list(w.frames), images.walk_labels(w.t), w.frame_at
    if originals is not None:  # the ends as they really are, beside the decoder's version of them
        for side, pick in (("A", v.a), ("B", v.b)):
            if pick.row is not None:
                original = originals[model.latents.index[pick.row]]
                if side == "A":
                    tiles, labels, highlight = [original, *tiles], ["original", *labels], highlight + 1
                else:
                    tiles, labels = [*tiles, original], [*labels, "original"]
    with right:
        strip = images.labelled_strip(tiles, labels, scale=2, highlight=highlight)
        pictures.show(strip, f"{N_FRAMES} evenly spaced steps from A to B ({w.method}), between the "
                             "original images of A and B; the red frame is nearest the slider", strip.shape[1],
                      labelled=True)
        base = f"{model.name}-walk-{w.method}"
        d1, d2, _ = st.columns([1, 1, 1])
        d1.download_button("Walk as animated GIF", lambda: images.walk_gif(w.frames, w.t),
                           file_name=f"{base}.gif", mime="image/gif", on_click="ignore", icon=":material/download:")
        d2.download_button("Steps as PNG strip", lambda: images.walk_png(w.frames, w.t),
                           file_name=f"{base}.png", mime="image/png", on_click="ignore", icon=":material/download:")


# --------------------------------------------------------------------------------------------
# A digit of your own: drawn on the pad or uploaded


@dataclass(frozen=True)
class Placed:
    """The drawn or uploaded digit as the current model sees it."""

    image: np.ndarray  # [28, 28], what the model receives
    code: np.ndarray  # the encoder's code (a VAE's posterior mean)
    recon: np.ndarray  # [28, 28], the decoder's image of that code
    error: float  # mean squared error per pixel
    percentile: float  # share of test images reconstructed better, in percent
    xy: np.ndarray  # where it lands on the map
    source: str
    notes: tuple[str, ...]


def placed(model: Model, mp: projection.LatentMap) -> Placed | None:
    up = st.session_state.get(session.UPLOAD)
    if up is None:
        return None
    code = model.encode(up["image"][None])[0]
    recon = model.decode(code[None])[0]
    error = float(((recon - up["image"]) ** 2).mean())
    return Placed(image=up["image"], code=code, recon=recon, error=error,
                  percentile=float((model.latents.recon_error < error).mean() * 100),
                  xy=mp.to_map(code[None])[0], source=up["source"], notes=tuple(up["notes"]))


def take_picture(raw: bytes, source: str) -> None:
    """A picture becomes the digit shown, or a message saying why not (the last one stays)."""
    try:
        p = preprocess.prepare(raw)
    except preprocess.BadImage as e:
        st.session_state[session.UPLOAD_ERROR] = f"{source} was not used: {e}."
        return
    notes = []
    if p.inverted:
        notes.append("its light background was inverted, as MNIST's digits are light on dark")
    if p.frames > 1:
        notes.append(f"the first of its {p.frames} frames was used")
    st.session_state[session.UPLOAD] = {"image": p.image, "source": source, "notes": notes}
    st.session_state[session.UPLOAD_ERROR] = None


def take_inputs() -> None:
    """A new drawing or upload becomes the digit shown (read in the run, like the map's clicks,
    so AppTest can drive it too). Clearing the pad drops a drawn digit; "Forget this digit" any."""
    ss = st.session_state
    current = (ss.get(session.UPLOAD) or {}).get("source", "")
    drawing = (ss.get(session.W_DRAW) or {}).get("drawing")
    if drawing != ss.get(session.SEEN_DRAWING):
        ss[session.SEEN_DRAWING] = drawing
        raw = draw_pad.png_of(drawing)
        if raw is not None:
            take_picture(raw, "your drawing")
        elif current == "your drawing":
            ss.pop(session.UPLOAD, None)
    file = ss.get(session.W_UPLOAD)
    file_id = getattr(file, "file_id", None)
    if file_id != ss.get(session.SEEN_FILE):
        ss[session.SEEN_FILE] = file_id
        if file is not None:  # (an emptied uploader keeps the digit: choosing another file empties it first)
            take_picture(file.getvalue(), f"the file {file.name}")


def upload_ui(model: Model, mp: projection.LatentMap, originals: np.ndarray | None, drawn: Placed | None) -> None:
    st.subheader("Draw or upload a digit")
    st.caption("Your digit becomes a 28x28 image the way MNIST's were made (LeCun et al., 1998): grey, light "
               "ink on a dark field, cropped to the ink, fitted into 20x20 pixels and centred by its centre "
               "of mass. The encoder turns it into a code; the star on the map is where that code lands.")
    pad, upload, result = st.columns([1.15, 1, 2.2], gap="medium")
    with pad:
        draw_pad.draw_pad(session.W_DRAW)
    with upload:
        st.file_uploader("Or upload a picture of one", type=["png", "jpg", "jpeg", "webp", "bmp", "gif"],
                         key=session.W_UPLOAD,
                         help="A photo of a digit on paper works: dark ink on light paper is inverted. "
                              f"Up to {preprocess.MAX_BYTES // 2**20} MB.")
        if st.session_state.get(session.UPLOAD_ERROR):
            st.error(literal(st.session_state[session.UPLOAD_ERROR]))
    with result:
        if drawn is None:
            st.info("Draw a digit on the pad, or upload a picture: you will see what the model receives, what "
                    "it rebuilds, and where it puts your digit among the test images.")
            return
        pictures.show_row([(drawn.image, "what the model receives", 112, {}),
                           (drawn.recon, "its reconstruction", 112, {})])
        notes = f"; {'; '.join(drawn.notes)}" if drawn.notes else ""
        st.caption(f"From {literal(drawn.source)}{notes}. Reconstruction error {drawn.error:.4f} per pixel: worse than "
                   f"{drawn.percentile:.0f}% of the test images. A digit like the ones it learned from is "
                   "rebuilt about as well as they are; a much higher error means the model finds it unusual.")
        where = f"({drawn.xy[0]:.2f}, {drawn.xy[1]:.2f})"
        if mp.exact:
            st.caption(f"It lands at {where} on this map (the star).")
        else:
            st.caption(f"It lands near {where} (the star). On a t-SNE map this is an estimate: t-SNE places only "
                       "the points it was run on, so a new code is put at the distance-weighted mean of the map "
                       f"positions of the {mp.k} test images whose codes are nearest to it.")
        neighbours_of_code(model, drawn.code, originals)
        st.button("Forget this digit", on_click=lambda: st.session_state.pop(session.UPLOAD, None))


def neighbours_of_code(model: Model, code: np.ndarray, originals: np.ndarray | None, k: int = 8) -> None:
    """The k test images whose codes are nearest, in the latent space itself (not on the map)."""
    lat = model.latents
    dist, rows = projection.nearest(code[None], lat.codes, k)
    pics = originals[lat.index[rows[0]]] if originals is not None else model.decode(lat.codes[rows[0]])
    labels = [f"{model.class_names[lat.labels[r]]} d={d:.2f}" for r, d in zip(rows[0], dist[0])]
    pictures.show(images.labelled_strip(pics, labels, scale=2),
                  f"the {k} test images with the nearest codes: class and distance in the latent space", 2 * 32 * k,
                  labelled=True)


# --------------------------------------------------------------------------------------------
# The VAE's posterior, sampling and the prior


@dataclass(frozen=True)
class Cloud:
    """A VAE's posterior for one image: mean and spread, what to draw, and any samples."""

    what: str  # which image, in words
    mean: np.ndarray
    sd: np.ndarray
    curves: tuple  # for the browser map: the 1- and 2-sigma ellipses and the prior's circles
    samples: np.ndarray | None  # drawn codes [n, k]
    samples_xy: np.ndarray | None  # and where they land on the map


N_SAMPLES = 8
PRIOR_COLOUR, POSTERIOR_COLOUR = "#777", "#D00"


def cloud_of(model: Model, mp: projection.LatentMap, v: View, originals, drawn: Placed | None) -> Cloud | None:
    """The posterior of the clicked test image (or else the drawn digit) for a VAE; None for an AE
    or when there is no image (a spot between the dots has no image to encode)."""
    if not model.kind_info.has_posterior:
        return None
    if v.spot is not None and v.spot.row is not None and originals is not None:
        image, what = originals[model.latents.index[v.spot.row]], v.spot.describe(model)
    elif drawn is not None:
        image, what = drawn.image, "your digit"
    else:
        return None
    mean, log_var = (a[0] for a in model.posterior(image[None]))
    sd = np.exp(0.5 * log_var)
    curves = []
    if mp.coordinates_are_codes:  # the latent plane itself: the contours are exact
        curves += [{"points": posterior.ellipse(np.zeros(2), np.ones(2), k, 64), "colour": PRIOR_COLOUR, "dash": True}
                   for k in (1, 2, 3)]
        curves += [{"points": posterior.ellipse(mean, sd, k, 48), "colour": POSTERIOR_COLOUR, "dash": k == 2}
                   for k in (1, 2)]
    seed = st.session_state.get(session.SAMPLE_SEED)
    samples = posterior.sample(mean, sd, N_SAMPLES, seed) if seed is not None and \
        st.session_state.get(session.SAMPLED) == (model.name, what) else None
    return Cloud(what=what, mean=mean, sd=sd, curves=tuple(curves), samples=samples,
                 samples_xy=mp.to_map(samples) if samples is not None else None)


def draw_samples(model: Model, what: str) -> None:
    st.session_state[session.SAMPLE_SEED] = int(st.session_state.get(session.SAMPLE_SEED) or 0) + 1
    st.session_state[session.SAMPLED] = (model.name, what)


def posterior_ui(model: Model, mp: projection.LatentMap, cloud: Cloud | None) -> None:
    if not model.kind_info.has_posterior:
        return
    st.subheader("The VAE's cloud of codes")
    st.caption("A VAE's encoder gives each image not one code but a cloud of likely codes: a mean mu and a "
               "spread sigma per dimension. Training decodes a code drawn from the cloud, z = mu + sigma * eps "
               "with eps from N(0, I) (the reparameterisation trick, so the draw can be learned through), and "
               "pays a KL penalty for each cloud's distance from the prior N(0, I). That keeps the clouds near "
               "the origin and wide enough to overlap, so the plane has no holes and codes drawn from the prior "
               "decode to digits (Kingma & Welling, 2014).")
    if cloud is None:
        st.info("Click a dot (a test image) or draw a digit above to see its cloud.")
        return
    left, right = st.columns([1, 2], gap="medium")
    with left:
        kl = posterior.kl_to_prior(cloud.mean, cloud.sd)
        st.markdown(f"**{literal(cloud.what[0].upper() + cloud.what[1:])}**: KL from the prior {kl:.1f} nats.")
        if mp.coordinates_are_codes:
            st.caption(f"On the map: the solid red ellipse holds {posterior.share_inside(1):.0%} of the cloud "
                       f"(1 sigma), the dashed one {posterior.share_inside(2):.0%} (2 sigma); the grey dashed "
                       "circles are the prior at 1, 2 and 3 sigma. mu = "
                       f"({cloud.mean[0]:.2f}, {cloud.mean[1]:.2f}), sigma = ({cloud.sd[0]:.3f}, {cloud.sd[1]:.3f})."
                       + (" The cloud is small at this scale: scroll on the map to zoom in on it."
                          if cloud.sd.max() < 0.03 * float((mp.view_box()[1] - mp.view_box()[0]).max()) else ""))
        else:
            st.caption("sigma of each of the code's dimensions: short bars are dimensions the model is sure "
                       "of for this image; bars near 1 are dimensions it leaves to the prior (unused).")
            st.bar_chart({"sigma": cloud.sd}, height=180, x_label="dimension", y_label="sigma")
        st.button(f"Draw {N_SAMPLES} codes from this cloud", on_click=draw_samples, args=(model, cloud.what),
                  help="Each press draws new ones: z = mu + sigma * eps.")
    with right:
        if cloud.samples is None:
            st.caption("Draw codes from the cloud to see what they decode to: the images a VAE is trained "
                       "to rebuild this one from.")
        else:
            decoded = model.decode(cloud.samples)
            pictures.show(images.labelled_strip(decoded, [f"z{i + 1}" for i in range(len(decoded))], scale=2),
                          "codes drawn from the cloud, decoded (red dots on the map)", 2 * 32 * len(decoded),
                          labelled=True)
            st.caption("They vary a little around the image: nearby codes decode to nearby images, which is "
                       "what makes the plane smooth enough to generate from.")


# --------------------------------------------------------------------------------------------
# Anomalies: what the model rebuilds worst


def anomaly_ui(model: Model, originals: np.ndarray | None, data_dir: str | None) -> None:
    # drawn only while open: it reconstructs the whole test set once, and draws a histogram
    box = st.expander("Anomalies: the test images this model rebuilds worst", key=session.W_ANOMALY,
                      on_change="rerun", icon=":material/troubleshoot:")
    if not box.open:
        return
    with box:
        anomalies.panel(model, originals, data_dir, session.W_THRESHOLD)


# --------------------------------------------------------------------------------------------
# The decoded grid, and one dimension at a time


def grid_ui(model: Model, mp: projection.LatentMap) -> None:
    box = st.expander("The decoded grid: the classic figure of this map", key=session.W_GRID, on_change="rerun",
                      icon=":material/grid_on:")
    if not box.open:  # drawn only while open
        return
    with box:
        lo, hi = mp.view_box()
        n = 15
        grid = generate.decoded_grid(model, mp, lo, hi, n)
        st.caption(f"The images decoded at {n} x {n} evenly spaced points of the map, as in Kingma & Welling's "
                   "figure of a 2-D latent space: top left is the map's top left. "
                   + ("Every point here is a code the decoder was never shown." if mp.exact else
                      "On a t-SNE map each point's code is estimated from the test points around it, so "
                      "empty regions repeat their neighbours' images."))
        picture = images.image_grid(grid, n, n)
        pictures.show(picture, f"{model.name}, {projection.kind(mp.name).title}", min(picture.shape[1], 560))
        st.download_button("Decoded grid as PNG", data=lambda: images.png_bytes(images.image_grid(grid, n, n, scale=2)),
                           file_name=f"{model.name}-{mp.name}-grid.png", mime="image/png", on_click="ignore",
                           icon=":material/download:")


def traversal_ui(model: Model, v: View) -> None:
    if model.latent_dim <= 2:
        return
    box = st.expander("One dimension at a time: a traversal of the code", key=session.W_TRAVERSAL,
                      on_change="rerun", icon=":material/linear_scale:")
    if not box.open:
        return
    with box:
        start = v.spot if v.spot is not None else v.a
        spread = model.latents.codes.std(0)
        steps = np.linspace(-3, 3, 9)
        grid = generate.traversal(model, start.code, spread, steps)
        st.caption(f"Starting from {literal(start.describe(model))} (click the map to change it), each row moves one of the "
                   f"{model.latent_dim} numbers of the code alone, from 3 below to 3 above its spread over the test "
                   "codes, and decodes. Rows that change the digit's shape in one clear way are dimensions "
                   "the model uses for one thing; rows that barely change are dimensions it hardly uses. A "
                   "beta-VAE (Higgins et al., 2017) is trained to make more rows like the first kind.")
        st.caption("Turn one knob at a time: the image is decoded in your browser as you drag.")
        map_component.traverse(model, start.code, key=f"traverse:{session.name_key(model.name)}")
        picture = images.image_grid(grid, model.latent_dim, len(steps), scale=2, gap=2,
                                    row_labels=[f"z{d + 1}" for d in range(model.latent_dim)],
                                    col_labels=[f"{s:+g}" for s in steps])
        pictures.show(picture, "rows: the code's dimensions; columns: how far each moves, in spreads", picture.shape[1],
                      labelled=True)
