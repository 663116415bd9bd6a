"""The app's settings and what it loads, cached by lifetime: a model per process (shared by every
session, read-only), the test images per dataset, clicks per session (ui/session.py)."""

from __future__ import annotations

import argparse
import os
import urllib.parse
from pathlib import Path

import numpy as np
import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from explorer.bundles import catalog as catalog_lib, metrics
from explorer.baselines import classifier
from explorer import data
from explorer.teaching import facts
from explorer.bundles.bundle import Model
from explorer.bundles.errors import BundleError
from explorer.bundles.catalog import BundleCatalog
from ui import map_component

DEFAULT_MODEL = "mnist-vae-2d"  # the first a class sees: a plane that generates
PUBLIC_URL_VAR = "EXPLORER_PUBLIC_URL"  # e.g. https://explorer.school.example (share links use it)


def settings(argv: list[str] | None = None) -> argparse.Namespace:
    """``streamlit run app.py -- --data-dir DIR --models-dir DIR`` (``argv``: those after ``--``, else
    the script's own); unknown arguments belong to a test runner and are left alone."""
    parser = argparse.ArgumentParser(prog="streamlit run app.py --")
    parser.add_argument("--data-dir", default=None, help=f"folder holding mnist/ (else ${data.ENV_VAR})")
    parser.add_argument("--models-dir", action="append", default=[], help="extra folder of bundles")
    parser.add_argument("--import-dir", default=None,
                        help="this server's folder of models imported in the app (else $EXPLORER_IMPORT_DIR, "
                             "else ~/.local/share/latent-explorer/imported)")
    parser.add_argument("--public-url", default=None,
                        help=f"the address students reach this app at, for share links (else ${PUBLIC_URL_VAR})")
    args, _ = parser.parse_known_args(argv)
    args.data_dir = args.data_dir or os.environ.get(data.ENV_VAR) or None
    args.public_url = args.public_url or os.environ.get(PUBLIC_URL_VAR) or None
    return args


def share_link(query: dict[str, str], public_url: str | None) -> str:
    """A link to this page with ``query``, at ``public_url`` (scheme, host and any path prefix the
    students reach) in place of the address this browser used (often localhost)."""
    here = urllib.parse.urlsplit(st.context.url or "")
    path = here.path or "/"
    if public_url:
        base = urllib.parse.urlsplit(public_url)
        path = base.path.rstrip("/") + path
        here = here._replace(scheme=base.scheme, netloc=base.netloc)
    return urllib.parse.urlunsplit(here._replace(path=path, query=urllib.parse.urlencode(query, safe=","), fragment=""))


def model_dirs(args) -> list[Path]:
    """Where bundles are looked for: the shipped ones, $EXPLORER_MODELS_DIR, --models-dir, and
    this server's import folder (ui/import_panel.py) once it exists."""
    from ui.import_panel import import_dir

    imported = import_dir(args)
    return [*catalog_lib.pretrained_dirs(), *(Path(d) for d in args.models_dir), *([imported] if imported.is_dir() else [])]


_RUN_CATALOGS: dict = {}  # id(session's run context) -> (its run's cursors, dirs, the catalog)


def catalog(args) -> BundleCatalog:
    """The bundles found, one catalog per run of a page: every part of the page that asks gets the
    same one, so each bundle's files are looked at and each model is opened once per run (a
    bundle added, changed or broken shows at the next run)."""
    dirs = model_dirs(args)
    ctx = get_script_run_ctx()
    if ctx is None:  # outside a page (a command, a test of the library)
        return BundleCatalog.from_dirs(dirs, DEFAULT_MODEL)
    # A run's cursors are a fresh dict each run (fragments' runs included); the entry holds it, so
    # an identical one cannot be another run's.
    found = _RUN_CATALOGS.get(id(ctx))
    if found is None or found[0] is not ctx.cursors or found[1] != dirs:
        if len(_RUN_CATALOGS) > 1024:
            _RUN_CATALOGS.clear()
        found = _RUN_CATALOGS[id(ctx)] = (ctx.cursors, dirs, BundleCatalog.from_dirs(dirs, DEFAULT_MODEL))
    return found[2]


@st.cache_resource(show_spinner="Reading the test images...")
def _test_images(dataset: str, data_dir: str | None) -> np.ndarray:
    """Shared read-only by every session (cache_data would copy 8 MB on every rerun)."""
    images = data.load(dataset, "test", data_dir).images
    images.flags.writeable = False
    return images


@st.cache_resource(show_spinner="Reconstructing every test image...", max_entries=16)
def _all_errors(path: str, version: tuple, dataset: str, data_dir: str | None, _model: Model):
    test = data.load(dataset, "test", data_dir)
    # a model that takes labels rebuilds each image as its own class, whatever label a page draws with
    own = {"labels": test.labels} if "labels" in _model.kind_info.offers else {}
    errors = metrics.reconstruction_errors(getattr(_model, "base", _model), test.images, **own)
    for a in (errors, test.labels):
        a.flags.writeable = False
    return errors, test.labels


def test_errors(model: Model, data_dir: str | None) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
    """Reconstruction error, label and test index of every test image of the model's dataset (all
    classes: a single-class model's anomalies are the others), and whether they are all there;
    without the dataset, the model's own test images from its bundle."""
    if model.own_data:
        lat = model.latents
        return lat.recon_error, lat.labels, lat.index, True
    try:
        errors, labels = _all_errors(str(model.path), catalog_lib.version(model.path), model.dataset, data_dir, model)
        return errors, labels, np.arange(len(errors)), True
    except data.DataError:
        lat = model.latents
        return lat.recon_error, lat.labels, lat.index, False


def test_images(dataset: str, data_dir: str | None) -> tuple[np.ndarray | None, data.DataError | None]:
    """The dataset's test images, or the error that says why they are not here."""
    try:
        return _test_images(dataset, data_dir), None
    except data.DataError as e:
        return None, e


def originals(model: Model, data_dir: str | None) -> tuple[np.ndarray | None, Exception | None]:
    """The images behind ``model``'s map, those its latents' ``index`` points into: the dataset's
    test split, or the bundle's own images (a model imported with them); or why they are not here."""
    if not model.own_data:
        return test_images(model.dataset, data_dir)
    try:
        images = model.images()
        images.flags.writeable = False
        return images, None
    except BundleError as e:
        return None, e


def download_dataset(name: str) -> None:
    """Button callback: fetch the dataset into the user cache; a failure is shown, not raised."""
    try:
        with st.spinner(f"Downloading {name}..."):
            data.download(name)
    except data.DataError as e:
        st.session_state["download_error"] = e
    _test_images.clear()


@st.cache_resource(show_spinner="Measuring the plane...", max_entries=32)
def _generation(path: str, version: tuple, classifier_version: tuple | None, _model: Model):
    clf = map_component.usable_classifier(_model.dataset)  # cached there by its files' version
    return None if clf is None else facts.generation(_model, clf, _model.map("direct"))


def generation(model: Model) -> facts.Generation | None:
    """The measured generation figures of a 2-D model's plane (explorer/teaching/facts.py), or None for a
    model without a plane or a dataset without a usable classifier."""
    if model.latent_dim != 2:
        return None
    return _generation(str(model.path), catalog_lib.version(model.path),
                       catalog_lib.file_version(classifier.path_of(model.dataset)), model)


@st.cache_resource(show_spinner="Measuring the map's estimate...", max_entries=32)
def _estimate_error(path: str, version: tuple, map_name: str, _model: Model) -> facts.EstimateError | None:
    return facts.estimate_error(_model, _model.map(map_name))


def estimate_error(model: Model, latent_map) -> facts.EstimateError | None:
    """How close an estimated map's spots come to the codes truly there (explorer/teaching/facts.py),
    or None for an exact map."""
    if latent_map.exact or model.latents is None:
        return None
    return _estimate_error(str(model.path), catalog_lib.version(model.path), latent_map.name, model)


@st.cache_resource(show_spinner="Drawing random codes...", max_entries=32)
def _sampling(path: str, version: tuple, classifier_version: tuple | None, _model: Model):
    clf = map_component.usable_classifier(_model.dataset)
    return None if clf is None else facts.sampling(_model, clf)


def sampling(model: Model) -> facts.Sampling | None:
    """Random codes of the model decoded and read by its dataset's classifier (explorer/teaching/facts.py),
    or None without a usable classifier; a 2-D model's are those its plane's measure drew."""
    if model.latent_dim == 2:
        g = generation(model)
        return None if g is None else g.sampling
    return _sampling(str(model.path), catalog_lib.version(model.path),
                     catalog_lib.file_version(classifier.path_of(model.dataset)), model)


def walk_reading(model: Model, frames) -> list[tuple[str, float]] | None:
    """The class the dataset's classifier reads in each of a walk's frames and its certainty, or None
    without a usable classifier."""
    clf = map_component.usable_classifier(model.dataset)
    if clf is None:
        return None
    return facts.readings(clf, frames, model.class_names)


@st.cache_data(show_spinner=False, max_entries=16)
def plane_clusters(xy: np.ndarray, labels: np.ndarray, class_names) -> facts.Clusters:
    """How well a plane of points sorts their labels (``facts.clusters``), cached by the arrays'
    content: a model's map and the PCA plane of the pixels alike."""
    return facts.clusters(xy, labels, list(class_names))


@st.cache_resource(max_entries=16)
def _sorting(path: str, version: tuple, _model: Model) -> facts.Sorting:
    arrays = _model.replay_arrays()
    labels = _model.latents.labels[_model.latents.rows_of(arrays.index)]
    return facts.sorting(arrays.epochs, arrays.codes, labels, _model.class_names)


def sorting(model: Model) -> facts.Sorting:
    """How the model's training replay sorted its classes (explorer/teaching/facts.py)."""
    return _sorting(str(model.path), catalog_lib.version(model.path), model)


ROW_IMAGES = 2000  # test images the row-by-row error is measured over: a GRU's 28 steps cost seconds per 10,000


@st.cache_resource(show_spinner="Rebuilding the test images, row by row...", max_entries=16)
def _row_errors(path: str, version: tuple, dataset: str, data_dir: str | None, _model: Model) -> np.ndarray:
    errors = facts.row_errors(_model, _test_images(dataset, data_dir)[:ROW_IMAGES])
    errors.flags.writeable = False
    return errors


def row_errors(model: Model, data_dir: str | None) -> np.ndarray | None:
    """Each row's reconstruction error over the dataset's first ROW_IMAGES test images (facts.row_errors);
    None without them."""
    try:
        return _row_errors(str(model.path), catalog_lib.version(model.path), model.dataset, data_dir, model)
    except data.DataError:
        return None


@st.cache_resource(show_spinner="Reading the training images...")
def _train_split(dataset: str, data_dir: str | None) -> data.Split:
    """Shared read-only by every session, like the test images."""
    split = data.load(dataset, "train", data_dir)
    split.images.flags.writeable = False
    return split


def train_split(dataset: str, data_dir: str | None) -> tuple[data.Split | None, data.DataError | None]:
    """The dataset's training split, or the error that says why it is not here."""
    try:
        return _train_split(dataset, data_dir), None
    except data.DataError as e:
        return None, e


@st.cache_resource(show_spinner="Reading the test images...")
def _test_split(dataset: str, data_dir: str | None) -> data.Split:
    return data.Split(_test_images(dataset, data_dir), _labels_of(dataset, data_dir))


def _labels_of(dataset: str, data_dir: str | None):
    labels = data.load(dataset, "test", data_dir).labels
    labels.flags.writeable = False
    return labels


def test_split(dataset: str, data_dir: str | None) -> tuple[data.Split | None, data.DataError | None]:
    """The dataset's test images with their labels, or the error that says why they are not here."""
    try:
        return _test_split(dataset, data_dir), None
    except data.DataError as e:
        return None, e
