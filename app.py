"""Latent Explorer: the Streamlit shell. Layout, widgets and session state only; the computing
lives in the ``explorer`` package.

    streamlit run app.py                          # data found as explorer/data.py describes
    streamlit run app.py -- --data-dir DIR        # DIR holds mnist/ and fashion-mnist/
    streamlit run app.py -- --models-dir DIR      # also offer the bundles in DIR
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np
import streamlit as st

from explorer import bundle, data, figures, generate, projection
from explorer.bundle import BundleError, Model

DEFAULT_MODEL = "mnist-vae-2d"  # the first a class sees: a plane that generates
N_STRIP = 10  # frames in the interpolation strip
N_PATH = 41  # points drawn along the interpolation path on the map
KIND_TITLES = {"ae": "autoencoder (AE)", "vae": "variational autoencoder (VAE)"}
KIND_NOTES = {
    "ae": "An autoencoder squeezes each image into a short code and rebuilds it from that code. "
          "Nothing asks its codes to fill the plane evenly, so gaps between clusters may decode "
          "to shapes that are no digit at all.",
    "vae": "A variational autoencoder learns a cloud of likely codes for each image and is pushed "
           "to keep all codes close to a standard normal distribution, so the plane is filled "
           "without gaps: almost every spot near the centre decodes to something digit-like.",
}
MAP_HELP = ("Latent plane: the 2-D codes themselves. PCA: the flat view of the codes with the most "
            "spread; exact but hides what lies off its plane. t-SNE: keeps neighbours together; "
            "its layout cannot be inverted, so decoded spots are estimates.")
MAP_NAMES = {"direct": "latent plane", "pca": "PCA", "tsne": "t-SNE"}
MAP_TITLES = {"direct": "latent plane (z1, z2)", "pca": "PCA of the codes", "tsne": "t-SNE of the codes"}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="streamlit run app.py --")
    parser.add_argument("--data-dir", default=None, help=f"folder holding mnist/ (else ${data.ENV_VAR})")
    parser.add_argument("--models-dir", action="append", default=[], help="extra folder of bundles")
    args, _ = parser.parse_known_args()  # under a test runner argv belongs to the runner
    return args


# --------------------------------------------------------------------------------------------
# Cached loading: a model per process, arrays per input


@st.cache_resource(show_spinner="Loading the model...")
def load_model(path: str, mtime: float) -> Model:
    """``mtime`` (the newest file's) is part of the cache key, so a retrained bundle is picked up."""
    return bundle.load(path)


@st.cache_resource(show_spinner="Reading the test images...")
def load_test_images(dataset: str, data_dir: str | None) -> np.ndarray:
    """Shared read-only by every session (cache_data would copy 8 MB on every rerun)."""
    images = data.load(dataset, "test", data_dir).images
    images.flags.writeable = False
    return images


def download_dataset(name: str) -> None:
    """Button callback: fetch the dataset into the user cache; a failure is shown, not raised."""
    try:
        with st.spinner(f"Downloading {name}..."):
            data.download(name)
    except data.DataError as e:
        st.session_state["download_error"] = str(e)
    load_test_images.clear()


def bundle_dirs(args) -> list[Path]:
    return [*bundle.pretrained_dirs(), *(Path(d) for d in args.models_dir)]


# --------------------------------------------------------------------------------------------
# Sidebar


def model_sidebar_ui(args) -> tuple[str | None, Model | None, str | None]:
    """Pick a bundle and a map; show what the model is. Returns (bundle name, model, map method)."""
    st.sidebar.title("Latent Explorer")
    st.sidebar.caption("See what an autoencoder learns: every image becomes a point, every point "
                       "an image.")
    bundles = bundle.find_bundles(bundle_dirs(args))
    if not bundles:
        st.sidebar.error("No model bundles found. Train one with `python -m explorer.train --out "
                         "pretrained/NAME` (see the README).")
        return None, None, None
    names = list(bundles)
    name = st.sidebar.selectbox("Model", names, key="model_name",
                                index=names.index(DEFAULT_MODEL) if DEFAULT_MODEL in names else 0,
                                help="Every bundle in pretrained/ and in --models-dir folders.")
    path = bundles[name]
    try:
        model = load_model(str(path), max((f.stat().st_mtime for f in path.iterdir()), default=0.0))
    except BundleError as e:
        st.sidebar.error(f"This bundle cannot be opened, pick another one.\n\n{e}")
        return None, None, None
    if model.latents is None:
        st.sidebar.error(f"{name} has no stored test-set codes ({bundle.LATENTS_FILE}); "
                         "retrain it with `python -m explorer.train`.")
        return None, None, None
    info = data.dataset_info(model.dataset)
    st.sidebar.markdown(f"**{KIND_TITLES[model.kind]}** trained on **{info.title}**, classes "
                        f"{', '.join(model.class_names[c] for c in model.classes)}; each image "
                        f"becomes **{model.latent_dim} numbers**.")
    st.sidebar.caption(KIND_NOTES[model.kind])
    methods = projection.available(model.latent_dim)
    method = st.sidebar.radio("Map", methods, format_func=MAP_NAMES.get, key=f"map_{name}",
                              horizontal=True, help=MAP_HELP)
    metrics_table(model)
    return name, model, method


def metrics_table(model: Model) -> None:
    m = model.metrics
    rows = [("test images", f"{m['n_test']:,}")] if "n_test" in m else []
    if "test_mse" in m:
        rows.append(("reconstruction MSE per pixel", f"{m['test_mse']:.4f}"))
    if "test_neg_elbo" in m:
        rows.append(("negative ELBO (nats/image)", f"{m['test_neg_elbo']:.1f}"))
    for method, count in m.get("class_middles_by_map", {}).items():
        rows.append((f"class middles recognised, {MAP_NAMES[method]} map", f"{count}/{m['class_middles_total']}"))
    if rows:
        st.sidebar.markdown("**Measured on the test set**\n\n| metric | value |\n|---|---|\n"
                            + "\n".join(f"| {a} | {b} |" for a, b in rows))
        st.sidebar.caption("Lower is better for the errors. A class middle is recognised when the "
                           "image decoded at the middle of that class's cluster is classified as "
                           "that class by its nearest training images.")


# --------------------------------------------------------------------------------------------
# State: the last click and the interpolation endpoints, per model and map


def state(key: str, default):
    if key not in st.session_state:
        st.session_state[key] = default
    return st.session_state[key]


def sample_point(model: Model, mp: projection.LatentMap, i: int) -> dict:
    """A test sample (row i of the bundle's latents) as a point of the map."""
    lat = model.latents
    return {"xy": mp.xy[i].tolist(), "z": lat.codes[i].tolist(), "row": int(i),
            "label": f"test image #{lat.index[i]} ({model.class_names[lat.labels[i]]})"}


def read_click(model: Model, mp: projection.LatentMap, chart_key: str, click_key: str) -> dict | None:
    """The latest click on the map, from the chart's selection; kept until the next click."""
    selection = (st.session_state.get(chart_key) or {}).get("selection") or {}
    points = selection.get("points") or []
    try:
        p = points[0] if points else None
        if p is not None:
            cls = figures.class_of_curve(int(p.get("curve_number", -1)), model.latents.labels)
            rows = np.flatnonzero(model.latents.labels == cls) if cls is not None else []
            k = int(p.get("point_index", -1))
            if 0 <= k < len(rows):
                st.session_state[click_key] = sample_point(model, mp, int(rows[k]))
            else:
                xy = [float(p["x"]), float(p["y"])]
                if not np.isfinite(xy).all():
                    raise ValueError(f"not a point: {xy}")
                st.session_state[click_key] = {
                    "xy": xy, "z": mp.to_latent(np.array([xy]))[0].tolist(), "row": None,
                    "label": f"the spot ({xy[0]:.2f}, {xy[1]:.2f})"}
    except (KeyError, TypeError, ValueError):
        pass  # a selection that is not a click on this map (stale or malformed): keep the last click
    return st.session_state.get(click_key)


# --------------------------------------------------------------------------------------------
# Views


def click_ui(model: Model, click: dict | None, originals: np.ndarray | None, ends_key: str) -> None:
    st.subheader("Decoded at your click")
    if click is None:
        st.info("Click anywhere on the map, on a dot or on empty space. The decoder turns that "
                "spot's code into an image, here.")
        return
    decoded = model.decode(np.array([click["z"]]))[0]
    st.caption(f"The decoder's image for {click['label']}: the code "
               f"({', '.join(f'{v:.2f}' for v in click['z'][:4])}{', ...' if model.latent_dim > 4 else ''}).")
    if click["row"] is None:
        st.image(figures.to_picture(decoded), caption="decoded", width=224)
    else:
        row = click["row"]
        cols = st.columns(2)
        if originals is not None:
            cols[0].image(figures.to_picture(originals[model.latents.index[row]]), caption="original",
                          width=200)
        else:
            cols[0].warning("The original is not shown: the test images are not available.")
        cols[1].image(figures.to_picture(decoded), caption="reconstruction", width=200)
        st.caption(f"Reconstruction error of this image: {model.latents.recon_error[row]:.4f} per "
                   "pixel. What the code kept, and what it lost.")
    a, b = st.columns(2)
    a.button("Use as start A", on_click=set_endpoint, args=(ends_key, "A", click),
             width="stretch")
    b.button("Use as end B", on_click=set_endpoint, args=(ends_key, "B", click),
             width="stretch")


def set_endpoint(ends_key: str, end: str, point: dict) -> None:
    st.session_state[ends_key] = {**st.session_state[ends_key], end: dict(point)}


def pick_endpoint_ui(model: Model, mp, ends_key: str, end: str, column) -> None:
    """Choose an endpoint as the n-th test example of a class."""
    labels = model.latents.labels

    def choose():
        c = st.session_state[f"{ends_key}_{end}_class"]
        n = int(st.session_state[f"{ends_key}_{end}_n"])
        rows = np.flatnonzero(labels == c)
        set_endpoint(ends_key, end, sample_point(model, mp, int(rows[n % len(rows)])))

    first = st.session_state[ends_key][end]
    state(f"{ends_key}_{end}_class", int(labels[first["row"]]) if first["row"] is not None else model.classes[0])
    with column:
        st.markdown(f"**{end}**: {st.session_state[ends_key][end]['label']}")
        c1, c2 = st.columns(2)
        c1.selectbox("class", model.classes, format_func=lambda c: model.class_names[c],
                     key=f"{ends_key}_{end}_class", on_change=choose)
        c2.number_input("example", min_value=0, max_value=int(np.bincount(labels).max()) - 1, step=1,
                        key=f"{ends_key}_{end}_n", on_change=choose,
                        help="Which test image of that class (0 is the first).")


def interpolation_ui(model: Model, mp, ends_key: str) -> tuple[np.ndarray, np.ndarray]:
    """Endpoints, method and slider; shows the images. Returns the path and the slider's spot."""
    st.subheader("Walk from A to B")
    st.caption("The two codes are mixed step by step and every mixture is decoded: a smooth walk "
               "means the model has learned a continuous space, jumps and smudges show gaps. "
               "Pick the ends below or with the buttons under a click; the dotted line on the map "
               "is the path.")
    ends = st.session_state[ends_key]
    ca, cb, cm = st.columns([2, 2, 1])
    pick_endpoint_ui(model, mp, ends_key, "A", ca)
    pick_endpoint_ui(model, mp, ends_key, "B", cb)
    method = cm.radio("Path", list(generate.INTERPOLATIONS), key=f"{ends_key}_method",
                      help="linear: the straight line between the codes. slerp: along the sphere, "
                           "keeping the length of the code typical, which matters in many dimensions.")
    za, zb = np.array(ends["A"]["z"]), np.array(ends["B"]["z"])
    t = st.slider("Position between A (0) and B (1)", 0.0, 1.0, 0.5, 0.01, key=f"{ends_key}_t")
    left, right = st.columns([1, 3])
    left.image(figures.to_picture(model.decode(generate.interpolate(za, zb, t, method))[0]),
               caption=f"decoded at {t:.2f}", width=180)
    frames = model.decode(generate.interpolate(za, zb, np.linspace(0, 1, N_STRIP), method))
    right.image(figures.strip(frames, scale=3), caption=f"{N_STRIP} evenly spaced steps from A to B")
    path = mp.to_map(generate.interpolate(za, zb, np.linspace(0, 1, N_PATH), method))
    at = mp.to_map(generate.interpolate(za, zb, t, method))[0]
    return path, at


def open_map(model: Model, method: str) -> projection.LatentMap:
    """The model's map; a t-SNE map missing from the bundle is computed once, with a progress bar."""
    if model.has_map(method):
        return model.map(method)
    bar = st.progress(0.0, text=f"Computing the {MAP_TITLES[method]} of {len(model.latents.codes):,} test "
                               "codes, once (about a minute); it is cached afterwards.")
    mp = model.map(method, progress=lambda f: bar.progress(f))
    bar.empty()
    return mp


def neighbours_ui(model: Model, rows: np.ndarray, weights: np.ndarray, originals: np.ndarray | None) -> None:
    """For an estimated map: the test images whose codes were averaged for a clicked spot."""
    images = originals[model.latents.index[rows]] if originals is not None else model.decode(model.latents.codes[rows])
    with st.expander(f"This code is an estimate: the weighted mean of the codes of the {len(rows)} nearest "
                     "test images on the map", expanded=False):
        st.image(figures.strip(images, scale=2),
                 caption="nearest first; weights " + ", ".join(f"{x:.2f}" for x in weights))
        st.caption("t-SNE has no way back from the map to the latent space, so a spot's code is "
                   "borrowed from its neighbours, closer ones counting more. They are ringed on the map.")


def main() -> None:
    st.set_page_config(page_title="Latent Explorer", layout="wide")
    args = parse_args()
    name, model, method = model_sidebar_ui(args)
    if model is None:
        st.stop()
    mp = open_map(model, method)
    key = f"{name}:{method}"
    chart_key, click_key, ends_key = f"chart:{key}", f"click:{key}", f"ends:{key}"
    state(ends_key, default_endpoints(model, mp))

    data_dir = args.data_dir or os.environ.get(data.ENV_VAR)
    originals = None
    try:
        originals = load_test_images(model.dataset, data_dir)
    except data.DataError as e:
        st.sidebar.warning("Test images not found, so originals are not shown; everything else "
                           "works from the model's stored codes.")
        with st.sidebar.expander("How to add the dataset"):
            st.code(str(e), language=None)
            st.button(f"Download {model.dataset} now", on_click=download_dataset, args=(model.dataset,))
        if "download_error" in st.session_state:
            st.sidebar.error(st.session_state.pop("download_error"))

    st.header(f"{name}: the {MAP_TITLES[method]}")
    st.caption(f"{mp.explanation} Colours are classes; the model never saw them while learning. "
               "Hover a dot to see which test image it is.")
    by_map = model.metrics.get("class_middles_by_map", {})
    if method == "pca" and model.latent_dim > 2 and "pca" in by_map:
        st.caption(f"An honest limit of a flat view: decoding the middle of each class's cloud here "
                   f"gives a digit of that class for {by_map['pca']} of {model.metrics['class_middles_total']} "
                   f"classes (t-SNE map: {by_map.get('tsne', '?')}). Classes that are apart along the "
                   f"{model.latent_dim - 2} hidden directions overlap in this picture, and their middles "
                   "decode to a blend.")
    col_map, col_click = st.columns([5, 3], gap="medium")
    map_slot = col_map.empty()
    click = read_click(model, mp, chart_key, click_key)
    neighbours = None  # (rows, weights) behind an estimated code
    if click is not None and not mp.exact and click["row"] is None:
        neighbours = tuple(a[0] for a in mp.neighbours(np.array([click["xy"]])))
    with col_click:
        click_ui(model, click, originals, ends_key)
        if neighbours is not None:
            neighbours_ui(model, *neighbours, originals)
    st.divider()
    path, at = interpolation_ui(model, mp, ends_key)
    ends = st.session_state[ends_key]
    fig = figures.latent_map(
        mp, model.latents.labels, model.latents.index, model.class_names,
        click=click["xy"] if click else None, path=path, path_at=at,
        endpoints={end: ends[end]["xy"] for end in ("A", "B")},
        ringed=mp.xy[neighbours[0]] if neighbours is not None else None)
    with map_slot:
        st.plotly_chart(fig, key=chart_key, on_select="rerun", selection_mode="points",
                        config={"displaylogo": False, "scrollZoom": True})
    if not mp.exact:
        col_map.caption("On this map a clicked spot's code is an estimate, from the test points "
                        "around it, and the walk from A to B is drawn where its codes' nearest test "
                        "codes lie.")


def default_endpoints(model: Model, mp) -> dict:
    """The test images nearest the middles of the first and last class: a walk across the map."""
    lat = model.latents
    middles = generate.class_middles(mp.xy, lat.labels)
    ends = {}
    for end, c in (("A", model.classes[0]), ("B", model.classes[-1])):
        rows = np.flatnonzero(lat.labels == c)
        nearest = rows[np.argmin(((mp.xy[rows] - middles[c]) ** 2).sum(1))]
        ends[end] = sample_point(model, mp, int(nearest))
    return ends


main()
