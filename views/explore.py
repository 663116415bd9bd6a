"""The explorer page: a model's latent map where a click anywhere decodes, and a walk from A to B.

Importing this module runs nothing; ``render()`` draws the page (app.py hands it to
st.navigation). It gathers input into the ViewState (ui/session.py), asks the library what that
state shows (explorer.view.resolve) and renders it.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from explorer import classifier, data, figures, generate, images, metrics, projection
from explorer.bundle import Model
from explorer.state import ModelUnavailable, format_point
from explorer.view import Cloud, Pick, Placed, View, endpoint_of, format_code, resolve
from explorer.state import LAYERS, RENDERERS
from ui import anomalies, board, course, map_component, own_digit, pictures, posterior, present, resources, session, walk
from ui.text import code as code_span, literal
from ui.session import W_MAP, W_MODEL, W_RENDERER

LAYER_NAMES = {"manifold": "decoded images", "regions": "class regions", "error": "reconstruction error",
               "density": "class outlines"}
RENDERER_NAMES = {"canvas": "in the browser (instant previews)", "plotly": "Plotly (server; decodes on click)"}


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
    menu = st.container() if present.active() else st.sidebar  # presenting, the sidebar is hidden
    st.header(f"{literal(model.name)}: the {projection.kind(view.map).title}")
    st.caption(f"{mp.explanation} Colours are classes; the model never saw them while learning. "
               "Hover a dot to see which test image it is, click anywhere to decode that spot.")
    pca_limit_ui(model, view.map)
    st.session_state[session.FULL_RUN] = True
    try:
        v = map_and_click(catalog, args.data_dir)
    finally:
        st.session_state[session.FULL_RUN] = False
    session.sync_widgets(v, model)
    model_sidebar_ui(catalog, model, v.state, menu)
    originals = dataset_ui(model, args.data_dir)
    with notices:
        link_notes_ui()
    st.divider()
    walk.panel(model, mp, v, originals)
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
    own_digit.take_inputs()
    drawn = own_digit.placed(model, mp)
    cloud = posterior.cloud_of(model, mp, v, originals, drawn)
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
    own_digit.panel(model, mp, originals, drawn)
    posterior.panel(model, mp, cloud)
    return v


def course_link() -> None:
    first = course.first_page()
    if first is not None:
        st.sidebar.page_link(first, label="Start the course", help="Ten lessons, from what an autoencoder is to anomaly detection.",
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


def model_sidebar_ui(catalog, model: Model, view, menu) -> None:
    """The model menu (in ``menu``: the sidebar, or above the map when presenting) and the
    sidebar's notes, map and layer choices, and measured figures."""
    names = catalog.names()
    menu.selectbox("Model", names, key=W_MODEL, on_change=on_model, args=(catalog,),
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
    st.sidebar.caption(kind.note + board.measured_note(model))
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
    rows = metrics.summary(model.metrics, lambda m: projection.kind(m).label if m in projection.MAPS else None)
    if rows:
        st.sidebar.markdown("**Measured on the test set**\n\n| metric | value |\n|---|---|\n"
                            + "\n".join(f"| {a} | {literal(b)} |" for a, b in rows))
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
    session.set_view(st.session_state[session.VIEW].with_model(name, maps[0]))


def on_map() -> None:
    session.set_view(st.session_state[session.VIEW].with_map(st.session_state[W_MAP]))


def use_as(end: str, model: Model, pick: Pick) -> None:
    session.update(**{end: endpoint_of(model, pick)})
    st.session_state[session.WALK_CHANGED] = True  # the walk is outside the click's fragment


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


def map_ui(model: Model, mp: projection.LatentMap, v: View, originals: np.ndarray | None, drawn: Placed | None,
           cloud: Cloud | None) -> None:
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
        own_digit.nearest(model, pick.code, originals)


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


# --------------------------------------------------------------------------------------------
# A digit of your own: drawn on the pad or uploaded


# --------------------------------------------------------------------------------------------
# The VAE's posterior, sampling and the prior


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
        map_component.traverse(model, start.code, key=session.widget("explore", "traverse", model.name))
        picture = images.image_grid(grid, model.latent_dim, len(steps), scale=2, gap=2,
                                    row_labels=[f"z{d + 1}" for d in range(model.latent_dim)],
                                    col_labels=[f"{s:+g}" for s in steps])
        pictures.show(picture, "rows: the code's dimensions; columns: how far each moves, in spreads", picture.shape[1],
                      labelled=True)
