"""The encoder as a front end: how well a linear classifier reads the digit's class from a code,
given few labelled images. A linear probe (logistic regression on standardised features,
scikit-learn) is trained on n labelled training images, drawn at random (seeded) DRAWS times for
n below the whole training split and averaged, on three kinds of features:

- each shipped encoder's codes (its ``encode``: a VAE's posterior mean, a VQ-VAE's grid of entries);
- the raw pixels (784 numbers, scaled to [0, 1]);
- PCA of the training images with as many components as a code has numbers (the shipped PCA,
  explorer/baselines/pca, up to its size).

Accuracy is measured on every test image. This is how learned representations are judged beyond
reconstruction (linear evaluation: e.g. Chen et al., "A simple framework for contrastive learning",
ICML 2020); the textbook claim is that an autoencoder's codes help most when labels are few, and
the figures here say whether it holds for these models.

Each figure is cached on disk (the user cache, like computed maps), keyed by what it was computed
from: the bundle's files' version (catalog.version), n, the draws and the seed; a changed bundle is
measured again. Processes sharing the cache (servers behind nginx) measure a figure once: the others
wait for it (``Cache.computing``).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from explorer.files import replace_file

from explorer.teaching.state import LABEL_COUNTS as LABELS  # labelled training images offered (60,000: all of MNIST's)
DRAWS = 5  # random draws of the labelled images averaged, below the whole training split
SEED = 0
PIXELS, PCA = "pixels", "pca-"  # the references' names: "pixels", "pca-16"


@dataclass(frozen=True)
class Probe:
    """Test accuracy of a linear classifier on ``source``'s features, from ``n`` labels."""

    source: str  # a bundle's name, "pixels" or "pca-k"
    n: int
    accuracy: float  # mean over the draws
    spread: float  # standard deviation over the draws (0 for one draw)
    draws: int
    features: int  # numbers per image


def drawn(n: int, labels: np.ndarray, draws: int, seed: int) -> list[np.ndarray]:
    """The rows of the labelled images of each draw: ``n`` rows at random (seeded), each class at
    least once where n allows (a classifier needs two classes, and ten labels of one class teach
    nothing of the others); all rows, once, for n at least the split's size."""
    if n >= len(labels):
        return [np.arange(len(labels))]
    out = []
    classes = np.unique(labels)
    for d in range(draws):
        rng = np.random.default_rng([seed, n, d])
        first = [rng.choice(np.flatnonzero(labels == c)) for c in classes] if n >= len(classes) else []
        rest = rng.permutation(np.setdiff1d(np.arange(len(labels)), first))[:n - len(first)]
        out.append(np.sort(np.concatenate([np.asarray(first, int), rest])))
    return out


def accuracy(train_x: np.ndarray, train_y: np.ndarray, test_x: np.ndarray, test_y: np.ndarray) -> float:
    """Test accuracy of logistic regression (lbfgs, C = 1, standardised features) fitted on the train rows."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # the last digits of a wide probe's fit; scored all the same
        clf.fit(train_x, train_y)
    return float(clf.score(test_x, test_y))


def probe(source: str, featurise, train_images: np.ndarray, train_y: np.ndarray, test_features: np.ndarray,
          test_y: np.ndarray, n: int, draws: int = DRAWS, seed: int = SEED, rows_drawn=None) -> Probe:
    """``featurise(images) -> features`` on the drawn labelled images (``rows_drawn``: drawn's
    answer, where the caller has it); the probe's mean accuracy."""
    scores = []
    for rows in rows_drawn if rows_drawn is not None else drawn(n, train_y, draws, seed):
        scores.append(accuracy(featurise(train_images[rows]), train_y[rows], test_features, test_y))
    return Probe(source, min(n, len(train_y)), float(np.mean(scores)), float(np.std(scores)), len(scores),
                 int(test_features.shape[1]))


def pixels(images: np.ndarray) -> np.ndarray:
    return np.asarray(images, np.float32).reshape(len(images), -1) / 255


class Cache:
    """Probe results on disk (JSON, one file per result), keyed by what they were computed from."""

    def __init__(self, folder: Path | None = None):
        if folder is None:
            from explorer.data import cache_dir
            folder = cache_dir() / "front-end"
        self.folder = Path(folder)

    def _file(self, key: tuple) -> Path:
        return self.folder / (hashlib.sha1(json.dumps(key, default=str).encode()).hexdigest()[:24] + ".json")

    def get(self, key: tuple) -> Probe | None:
        try:
            d = json.loads(self._file(key).read_text())
            return Probe(**{k: type_(d[k]) for k, type_ in (("source", str), ("n", int), ("accuracy", float),
                                                               ("spread", float), ("draws", int), ("features", int))})
        except (OSError, ValueError, KeyError, TypeError):
            return None  # absent or broken: measured again, never trusted

    @contextlib.contextmanager
    def computing(self, key: tuple):
        """Held while ``key`` is measured: another process (a second server, a test beside this one)
        asking for the same figure waits, then reads it, instead of measuring it again. Where the
        folder cannot be written, nothing is held."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            handle = open(self._file(key).with_suffix(".lock"), "a")
        except OSError:
            yield
            return
        with handle:
            fcntl.flock(handle, fcntl.LOCK_EX)  # released when the file closes, or the process ends
            yield

    def put(self, key: tuple, result: Probe) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            text = json.dumps(result.__dict__)
            replace_file(self._file(key), lambda f: f.write_text(text))
        except OSError:
            pass  # a read-only home still gets the figure, just not cached


def summary(probes: list[Probe], n: int) -> str:
    """What the figures at ``n`` labels show, whichever way they fall, in a sentence or two."""
    at = [p for p in probes if p.n == n]
    codes = [p for p in at if p.source != PIXELS and not p.source.startswith(PCA)]
    raw = next((p for p in at if p.source == PIXELS), None)
    if not codes or raw is None:
        return ""
    best = max(codes, key=lambda p: p.accuracy)
    beat = [p for p in codes if p.accuracy > raw.accuracy]
    labels = f"{n:,} labelled image{'s' if n != 1 else ''}"
    out = (f"With {labels}, the best code here ({best.source}, {best.features} numbers) is read right "
           f"{best.accuracy:.1%} of the time, the raw pixels {raw.accuracy:.1%}: ")
    if beat:
        out += (f"{len(beat)} of the {len(codes)} encoders' codes beat the pixels"
                + (", as the textbook says codes do when labels are few." if len(beat) > len(codes) / 2
                   else ", fewer than half of them."))
    else:
        out += "no encoder's code beats the pixels here."
    return out


_TEST_FEATURES: dict = {}  # (source, version, test images) -> their features, within one process


def measure(models, reference, train, test, n: int, cache: Cache | None = None, draws: int = DRAWS,
            seed: int = SEED, progress=None, reference_version="") -> list[Probe]:
    """Probes at ``n`` labels of every model's codes, the pixels and PCA at each code size the
    shipped PCA (``reference``, or None; its file's ``reference_version``) has: cached ones read,
    the others measured and cached. ``train`` and ``test`` are data.Split; ``progress(done, total,
    what)`` hears each source measured."""
    from explorer.bundles import catalog

    cache = cache or Cache()
    test_key = hashlib.sha1(np.ascontiguousarray(test.images).tobytes()[:1 << 16]).hexdigest()
    sizes = sorted({m.latent_dim for m in models if reference is not None and m.latent_dim <= reference.size})
    sources = [(m.name, str(catalog.version(m.path)), m.encode, m) for m in models]
    sources.append((PIXELS, "", pixels, None))
    sources += [(f"{PCA}{k}", str(reference_version), (lambda k: lambda im: reference.encode(im, k))(k), None)
                for k in sizes]
    rows = []  # the draws of labelled images, alike for every source: drawn once
    out = []
    for i, (name, version, featurise, model) in enumerate(sources):
        key = (name, version, n, draws, seed, len(test.labels))
        found = cache.get(key)
        if found is None:
            if progress:
                progress(i, len(sources), name)
            with cache.computing(key):
                found = cache.get(key)  # measured by another process while this one waited
                if found is None:
                    rows = rows or drawn(n, train.labels, draws, seed)
                    found = _measure(name, version, featurise, train, test, test_key, n, draws, seed, rows,
                                     lambda: stored_codes(model, test))
                    cache.put(key, found)
        out.append(found)
    if progress:
        progress(len(sources), len(sources), "")
    return out


def _measure(name, version, featurise, train, test, test_key, n, draws, seed, rows, stored=lambda: None) -> Probe:
    memo = (name, version, test_key, len(test.labels))
    if memo not in _TEST_FEATURES:  # the test images' features, kept for the other numbers of labels
        if len(_TEST_FEATURES) >= 48:
            _TEST_FEATURES.clear()
        found = stored()
        _TEST_FEATURES[memo] = found if found is not None else featurise(test.images)
    return probe(name, featurise, train.images, train.labels, _TEST_FEATURES[memo], test.labels, n, draws, seed, rows)


def stored_codes(model, test, check: int = 64) -> np.ndarray | None:
    """The codes of every test image as ``model``'s bundle stores them (what its encoder gave them
    when it was written), in the test split's order; None where the bundle keeps only some, or where
    its encoder no longer gives them (checked on ``check`` of them), so the images are encoded."""
    lat = getattr(model, "latents", None)
    if lat is None or len(lat.index) != len(test.labels) or len(np.unique(lat.index)) != len(test.labels):
        return None
    codes = np.empty_like(lat.codes)
    codes[lat.index] = lat.codes
    if not np.allclose(model.encode(test.images[:check]), codes[:check], rtol=1e-4, atol=1e-5):
        return None
    return codes


def shortlist(probes: list[Probe], n: int, best: int = 8) -> list[Probe]:
    """For a short chart (a projector): the ``best`` codes at ``n`` labels, the worst one, the raw
    pixels, and PCA at the best code's size where it was measured."""
    at = [p for p in probes if p.n == n]
    codes = sorted((p for p in at if p.source != PIXELS and not p.source.startswith(PCA)), key=lambda p: -p.accuracy)
    keep = codes[:best] + codes[-1:] if len(codes) > best else codes
    refs = [p for p in at if p.source == PIXELS or (codes and p.source == f"{PCA}{codes[0].features}")]
    return keep + refs
