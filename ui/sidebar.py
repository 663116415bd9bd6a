"""The explore page's sidebar: the model menu (on the page when presenting), what the model is
and what was measured on it, the map and how it is drawn, what goes under the dots, the dataset's
state and the share link. Its callbacks change the page's ViewState (ui/session.py)."""

from __future__ import annotations

import numpy as np
import streamlit as st

from explorer.baselines import classifier
from explorer import data, maps as projection
from explorer.bundles import metrics
from explorer.bundles.bundle import Model
from explorer.teaching.state import LAYERS, RENDERERS, ModelUnavailable
from explorer.teaching.view import carry
from ui import board, import_panel, map_component, resources, session
from ui.session import W_MAP, W_MODEL, W_RENDERER
from ui.text import code as code_span, literal

LAYER_NAMES = {"manifold": "decoded images", "regions": "class regions", "error": "reconstruction error",
               "density": "class outlines"}

RENDERER_NAMES = {"canvas": "in the browser (instant previews)", "plotly": "Plotly (server; decodes on click)"}


def panel(catalog, model: Model, view, menu) -> None:
    """The model menu (in ``menu``: the sidebar, or above the map when presenting) and the
    sidebar's notes, map and layer choices, and measured figures."""
    names = catalog.names()
    # beside the title (presenting) the menu needs no label of its own: each entry names a model
    menu.selectbox("Model", names, key=W_MODEL, on_change=on_model, args=(catalog,),
                   label_visibility="visible" if menu is st.sidebar else "collapsed",
                   format_func=lambda n: f"{n}: {catalog.description(n)}",
                   help="Every bundle in pretrained/ and in --models-dir folders.")
    import_panel.panel(resources.settings(), names)
    problems = catalog.problems()
    if problems:  # each listed once, with its reason; every other bundle works
        with st.sidebar.expander(f"{len(problems)} bundle{'s' * (len(problems) > 1)} cannot be opened"):
            for name, why in problems.items():
                st.text(f"{name}: {why}")
    info = model.dataset_info
    kind = model.kind_info
    st.sidebar.markdown(f"**{kind.title}** trained on **{info.title}**, classes "
                        f"{literal(', '.join(model.class_names[c] for c in model.classes))}; each image "
                        f"becomes **{model.latent_dim} numbers**.")
    st.sidebar.caption(kind.note + board.measured_note(model))
    import_note(model)
    maps = model.available_maps()
    st.sidebar.radio("Map", maps, key=W_MAP, horizontal=True, on_change=on_map, args=(catalog,),
                     format_func=lambda m: projection.kind(m).label,
                     help=" ".join(f"{projection.kind(m).label}: {projection.kind(m).help}"
                                   + ("" if model.has_map(m) else " (computed the first time it is opened, about a "
                                      "minute, then kept)") + "." for m in maps))
    st.sidebar.radio("Map drawn by", RENDERERS, key=W_RENDERER, format_func=RENDERER_NAMES.get,
                     on_change=lambda: session.update(renderer=st.session_state[W_RENDERER]),
                     help="In the browser: the map decodes the spot under the pointer as you move, "
                          "without asking the server. Plotly: the classic chart; decodes on click.")
    if view.renderer == "canvas":
        # class regions are read by the dataset's classifier; a model's own images have none
        offered = [layer for layer in LAYERS if layer != "regions" or not model.own_data]
        st.sidebar.pills("Under the dots", offered, selection_mode="multi", key=session.W_LAYERS,
                         format_func=LAYER_NAMES.get, on_change=on_layers,
                         help="Decoded images: a grid of images decoded across the visible part of the map (on "
                              "estimated maps through the estimate), so you see what every region generates. "
                              "Class regions: each cell tinted with the class a classifier reads in the image "
                              "decoded there: where on the map each class is generated. "
                              "Reconstruction error: each dot coloured by how well its image is rebuilt. "
                              "Class outlines: the line around the densest half of each class's dots.")
        if model.own_data:
            st.sidebar.caption("Class regions are not offered: no classifier has been trained on these images.")
        clf = None if model.own_data else map_component.dataset_classifier(model.dataset)
        if "regions" in view.layers and not model.own_data:
            st.sidebar.caption(f"Class regions are read by a classifier, {literal(clf.info['name'])}, trained on the "
                               f"training images: {clf.info['test_accuracy']:.1%} right on the test images."
                               if clf is not None else "Class regions cannot be shown: this dataset's classifier "
                               f"is {literal(classifier.problem(model.dataset))}.")
    metrics_table(model)


def import_note(model: Model) -> None:
    """For a model imported from ONNX: its files and what the importer read or assumed about them
    (explorer/onnx/importer.py), every word from the files shown as text."""
    spec = model.config.get("onnx")
    if not spec:
        return
    source = model.config.get("source") or {}
    with st.sidebar.expander("Imported from ONNX: what was read and assumed"):
        st.caption(literal(f"From {source.get('encoder', 'encoder.onnx')} and {source.get('decoder', 'decoder.onnx')}; "
                           f"images given to the encoder as numbers from 0 to 1."))
        for line in spec.get("assumed", []):
            st.caption(literal(line))
        if model.own_data:
            st.caption(f"The map shows the {len(model.latents.codes):,} images it was imported with, called test images "
                       "here as MNIST's are; which of them the model was trained on is not known to the app, so its "
                       "figures may flatter it.")


def on_layers() -> None:
    chosen = st.session_state[session.W_LAYERS] or []
    session.update(layers=tuple(layer for layer in LAYERS if layer in chosen))


def metrics_table(model: Model) -> None:
    rows = metrics.summary(model.metrics, lambda m: projection.kind(m).label if m in projection.MAPS else None)
    if not rows:
        return
    if model.own_data:  # a model of the user's own images: measured on them all (there is no test split)
        rows = [("images", b) if a == "test images" else (a, b) for a, b in rows]
    where = "its images" if model.own_data else "the test set"
    st.sidebar.markdown(f"**Measured on {where}**\n\n| metric | value |\n|---|---|\n"
                        + "\n".join(f"| {literal(a)} | {literal(b)} |" for a, b in rows))
    st.sidebar.caption("Lower is better for the errors."
                       + (" A class middle is recognised when the image decoded at the middle of that class's "
                          "cluster is classified as that class by its nearest training images."
                          if "class_middles_by_map" in model.metrics else ""))


def dataset_ui(model: Model, data_dir: str | None) -> np.ndarray | None:
    """The test images, or a sidebar message saying what happened and the one thing to do."""
    originals, error = resources.originals(model, data_dir)
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


def on_model(catalog) -> None:
    name = st.session_state[W_MODEL]
    try:
        maps = catalog.maps(name)
    except ModelUnavailable as e:
        st.session_state[session.MODEL_ERRORS] = [f"the model {name} cannot be opened: {e}"]
        return
    _carry(catalog, name, maps[0])


def on_map(catalog) -> None:
    view = st.session_state[session.VIEW]
    _carry(catalog, view.model, st.session_state[W_MAP])


def _carry(catalog, name: str, map_name: str) -> None:
    """The view on another model or map, keeping what it can (explorer.teaching.view.carry), and the
    sentence saying what was kept shown above the map until the next change. A map not yet
    computed is computed by the page, with its progress bar: the view then starts afresh there."""
    view = st.session_state[session.VIEW]
    old, new = session.drawn(catalog, view), session.drawn_as(catalog, name, view.label)
    if not (old.has_map(view.map) and new.has_map(map_name)):
        session.set_view(view.with_model(name, map_name) if name != view.model else view.with_map(map_name))
        return
    carried = carry(view, old, old.map(view.map), new, new.map(map_name))
    session.set_view(carried.state)
    st.session_state[session.CARRIED] = carried.note
