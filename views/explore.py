"""The explorer page: a model's latent map where a click anywhere decodes, and a walk from A to B.

Importing this module runs nothing; ``render()`` draws the page (app.py hands it to
st.navigation). It reads the ViewState (ui/session.py), asks the library what that state shows
(explorer.teaching.view.resolve) and renders it with the panels of ui/: the sidebar, the walk, your own
digit, a VAE's cloud, the decoded grid and traversal, the anomalies.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from explorer.teaching import figures, images
from explorer import maps as projection
from explorer.bundles.bundle import Model
from explorer.teaching.state import format_point
from explorer.teaching.view import Cloud, Pick, Placed, View, endpoint_of, format_code, resolve
from ui import anomalies, course, decoded, map_component, own_digit, pictures, posterior, present, resources, session, \
    sidebar, walk
from ui.text import literal


# Not presenting, the page's side margins are narrower than Streamlit's wide layout (5 rem), so
# the map beside the open sidebar still takes 60% of a 1400x900 window's height.
PLAIN_CSS = "[data-testid='stMainBlockContainer'] { padding-left: 2rem !important; padding-right: 2rem !important; }"


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
    model = session.drawn(catalog, view)
    mp = open_map(model, view.map)
    session.sync_url(view)

    notices = st.container()  # above the map, filled once the sidebar has looked for the data
    title = f"{literal(model.name)}: the {projection.kind(view.map).title}"
    if present.active():  # the sidebar is hidden: the model menu beside the title, the map on the first screen
        left, menu = st.columns([3, 2], vertical_alignment="center")
        left.header(title)
    else:
        st.html(f"<style>{PLAIN_CSS}</style>")
        menu = st.sidebar
        st.header(title)
        # a model of one's own images maps all of them: there is no test split
        a, what = ("an image", "image") if model.own_data else ("a test image", "test image")
        told = "labels" in model.kind_info.offers  # a conditional model is given each image's class
        st.caption(f"{mp.explanation(a)} Colours are classes; "
                   + ("the model was told them while learning, so its code keeps what they leave out, the style. "
                      if told else "the model never saw them while learning. ")
                   + (f"Hover a dot to see which {what} it is, click anywhere to decode that spot."
                      if len(model.latents.codes) * int(np.prod(model.image_shape)) <= map_component.BROWSER_IMAGE_BYTES
                      else f"Hover anywhere to see the decoded spot; click a dot to see its {what} too (the "
                           f"{len(model.latents.codes):,} images stay on the server).")
                   + (f" The bundle keeps the codes of {len(model.latents.codes):,} of its {kept:,} test images (a "
                      f"fixed random choice): those are the dots." if (kept := model.metrics.get("n_test", 0))
                      > len(model.latents.codes) and not model.own_data else ""))
    pca_limit_ui(model, view.map)
    label_ui(model)
    st.session_state[session.FULL_RUN] = True
    try:
        v = map_and_click(catalog, args.data_dir)
    finally:
        st.session_state[session.FULL_RUN] = False
    session.sync_widgets(v, model)
    sidebar.panel(catalog, model, v.state, menu)
    originals = sidebar.dataset_ui(model, args.data_dir)
    with notices:
        link_notes_ui()
    st.divider()
    walk.panel(model, mp, v, originals)
    decoded.decoded_grid(model, mp)
    decoded.traversal(model, v)
    decoded.unit_activity(model)
    anomaly_ui(model, originals, args.data_dir)
    sidebar.share_ui(v.state)


@st.fragment
def map_and_click(catalog, data_dir: str | None) -> View:
    """The map and what a click on it shows. A click reruns only this (a fragment): the map's
    files are already in the browser, and the walk and the sidebar do not depend on the spot, so
    they are neither recomputed nor re-sent. What does change them (a scrub let go, "Use as
    start A") asks for a run of the whole page."""
    ss = st.session_state
    view = ss[session.VIEW]
    model = session.drawn(catalog, view)
    mp = open_map(model, view.map)
    before = view
    view = session.take_changes(view, session.chart_key(view), map_component.changes if view.renderer == "canvas"
                                else lambda selection, _: plotly_changes(selection, mp, model.latents.labels))
    walk_changed = ss.pop(session.WALK_CHANGED, False) or view.t != before.t
    if walk_changed and not ss.get(session.FULL_RUN):
        st.rerun()  # the whole page, so the walk below follows
    session.sync_url(view)
    v = resolve(view, model, mp)
    originals, _ = resources.originals(model, data_dir)  # the sidebar says why if None
    own_digit.take_inputs()
    drawn = own_digit.placed(model, mp)
    cloud = posterior.cloud_of(model, mp, v, originals, drawn)
    # the map is the page's hero: its column leaves the click's panel what its two pictures need
    col_map, col_click = st.columns([2.4, 1] if present.active() else [3, 1], gap="medium")
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
    carried = st.session_state.get(session.CARRIED)
    if carried:  # what a switch of model or map kept of the view
        st.caption(literal(carried))
    notes = st.session_state.get(session.LINK_NOTES, [])
    session.link_notice(notes)


def label_ui(model: Model) -> None:
    """A model that takes labels (a conditional VAE): which class every point is drawn as."""
    if model.label is None:
        return
    st.session_state[session.W_LABEL] = model.label

    def chosen():
        if st.session_state[session.W_LABEL] is not None:  # a second click on the chosen one unselects it
            session.update(label=int(st.session_state[session.W_LABEL]))

    st.segmented_control("Write every point as", model.classes, key=session.W_LABEL, on_change=chosen,
                         format_func=lambda c: str(model.class_names[c]),
                         help="The decoder is told which class to draw; the point of the plane says only how "
                              "(the style). Hover the map: the same digit in every style it has learnt.")


def pca_limit_ui(model: Model, map_name: str) -> None:
    by_map = model.metrics.get("class_middles_by_map", {})
    if map_name == "pca" and model.latent_dim > 2 and "pca" in by_map:
        st.caption(f"An honest limit of a flat view: decoding the middle of each class's cloud here "
                   f"gives an image read as that class for {literal(by_map['pca'])} of "
                   f"{literal(model.metrics['class_middles_total'])} classes"
                   + "".join(f" ({projection.kind(m).label} map: {literal(n)})" for m, n in by_map.items()
                             if m != "pca" and m in projection.MAPS) + ". Classes that are apart along the "
                   f"{model.latent_dim - 2} hidden directions overlap in this picture, and their middles "
                   "decode to a blend.")


# --------------------------------------------------------------------------------------------
# Sidebar


# --------------------------------------------------------------------------------------------
# Callbacks: widgets change the state; the state is what the page shows


def use_as(end: str, model: Model, pick: Pick) -> None:
    session.update(**{end: endpoint_of(model, pick)})
    st.session_state[session.WALK_CHANGED] = True  # the walk is outside the click's fragment


# --------------------------------------------------------------------------------------------
# The map and the click


def open_map(model: Model, method: str) -> projection.LatentMap:
    """The model's map; a stored kind missing from the bundle is computed once, with a progress bar."""
    if model.has_map(method):
        return model.map(method)
    n = len(model.latents.codes)  # 100,000 codes: t-SNE 95 s, UMAP 85 s on 2 cores (bench/tsne.py --points)
    bar = st.progress(0.0, text=f"Computing the {projection.kind(method).title} of {n:,} test codes, once (about "
                                + ("a minute" if n <= 90_000 else f"{round(n / 60_000)} minutes")
                                + "; a session asking meanwhile follows this one); it is cached afterwards.")
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
                                 cloud.samples_xy if cloud is not None else None, every_label=True,
                                 hint="Move the pointer over the map: the image under it is decoded right here "
                                      "in your browser. Click to keep a spot; scroll to zoom, drag to pan."
                                      + (" Under the map, the same code written as every class." if model.label
                                         is not None else ""))
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
        measured = resources.estimate_error(model, mp)
        st.caption("On this map a clicked spot's code is an estimate, from the test points around it, "
                   "and the walk from A to B is drawn where its codes' nearest test codes lie."
                   + (f" {measured.sentence()}" if measured is not None else ""))
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
        own = int(lat.labels[pick.row])
        other = model.label is not None and model.label != own  # a conditional model told another class
        shown = f"its style written as {model.class_names[model.label]}" if other else "reconstruction"
        original = (originals[lat.index[pick.row]], "original", 180, {}) if originals is not None else None
        pictures.show_row([*([original] if original else []), (decoded, shown, 180, {"spot": where})])
        if originals is None:
            st.warning("The original is not shown: the test images are not available.")
        st.caption(f"Reconstruction error of this image{', rebuilt as its own class,' if other else ''}: "
                   f"{lat.recon_error[pick.row]:.4f} per pixel. What the code kept, and what it lost."
                   + (f" The picture is its code given the class {literal(model.class_names[model.label])} "
                      "instead: the same hand, another digit." if other else ""))
    a, b = st.columns(2)
    a.button("Use as start A", on_click=use_as, args=("a", model, pick), width="stretch")
    b.button("Use as end B", on_click=use_as, args=("b", model, pick), width="stretch")
    if pick.estimate is not None:
        neighbours_ui(model, mp, *pick.estimate, originals)
    with st.expander("Nearest in the latent space", expanded=False):
        st.caption("The test images whose codes are nearest to this one, measured in the latent space itself, "
                   "not on the map (a flat map can put far codes side by side).")
        own_digit.nearest(model, pick.code, originals)


def neighbours_ui(model: Model, mp: projection.LatentMap, rows: np.ndarray, weights: np.ndarray,
                  originals: np.ndarray | None) -> None:
    """For an estimated map: the test images whose codes were averaged for a clicked spot."""
    pics = originals[model.latents.index[rows]] if originals is not None else model.decode(model.latents.codes[rows])
    with st.expander(f"This code is an estimate: the weighted mean of the codes of the {len(rows)} nearest "
                     "test images on the map", expanded=False):
        pictures.row(pics, [f"{w:.2f}" for w in weights], "nearest first, with the weight of each")
        st.caption(f"{mp.way_back} They are ringed on the map.")


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


