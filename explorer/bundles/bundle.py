"""Model bundles: a folder that holds everything needed to explore one trained model.

    <bundle>/
      config.json           what the model is: architecture, dataset, classes, training, metrics
      weights.safetensors   the network's tensors, nothing else
      latents.safetensors   the test set seen through the model: codes, labels, indices into the
                            dataset's test split, per-image reconstruction error
      replay.safetensors    2-D models, optional: the codes of a fixed subset of test images after
                            every training epoch, with the epoch's test loss (the training replay)

Only JSON and safetensors are ever read, so opening a bundle can never run code from it, and a
bundle from a stranger is data that can only fail cleanly: config.json is read with bounded size
and depth and every field is checked for its type and range; the network's size is worked out
from config.json (on PyTorch's meta device, which allocates nothing) and capped, then compared
with the weights file's header (names, dtypes, shapes) before a single weight is read; the
latents are checked as latents.py says. Anything wrong raises BundleError with a message that
names the file and the field; callers such as the app show it and carry on with the other
bundles. A bundle is known by its folder's name (catalog.py finds and names bundles).
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from explorer import data, models, maps as projection
from explorer.bundles import latents as latents_file
from explorer.data import noise, owndata
from explorer.onnx import model as onnx_model, safety as onnx_safety
from explorer.files import safe as safefiles
from explorer.bundles import PRETRAINED_DIR  # noqa: F401 - its users import it from here too
from explorer.bundles.errors import BundleError
from explorer.files import replace_file
from explorer.bundles.latents import Latents
from explorer.models import Autoencoder, ModelConfig, build, to_float_images
from explorer.models.conditional import Conditioned, LabelError
from explorer.onnx.model import OnnxNet, Spec, open_net
from explorer.onnx.safety import OnnxError
from explorer.files.outputs import OutputError, check_replaceable_bundle

FORMAT_VERSION = 1
CONFIG_FILE = "config.json"
WEIGHTS_FILE = "weights.safetensors"
LATENTS_FILE = latents_file.FILE
REPLAY_FILE = "replay.safetensors"
WEIGHT_DTYPES = {"float32": torch.float32, "float16": torch.float16}
SAFETENSORS_DTYPES = {"float32": "F32", "float16": "F16"}
MAX_PARAMETERS = 20_000_000  # 80 MB of float32: 6x our largest bundle (mnist-ae-2d, 3.2 M)
# Fields every config.json holds, with their JSON types; the others are optional.
REQUIRED_FIELDS = {"format_version": int, "dataset": str, "classes": list, "model": dict,
                   "weights_dtype": str, "metrics": dict}
OPTIONAL_FIELDS = {"name": str, "training": dict, "maps": dict, "source": dict, "onnx": dict, "data": dict}
IMAGES_FILE = "images.safetensors"  # an imported bundle's own images, uint8 [N, H, W] or [N, H, W, 3]
DATA_FIELDS = {"title": str, "class_names": list, "image": list, "n": int}  # "data" of a bundle of own images
ONNX_MODEL_FIELDS = {"kind": str, "latent_dim": int, "backbone": str}  # "model" of an imported bundle


@dataclass(frozen=True)
class ReplayArrays:
    """How a 2-D model's codes formed during training: ``codes[f]`` are the codes of the test images
    ``index`` after epoch ``epochs[f]`` (epoch 0: before training), ``test_loss[f]`` the training
    objective on the test set then. Stored as float16 codes."""

    index: np.ndarray  # int64 [n]: rows of the dataset's test split
    epochs: np.ndarray  # int64 [F]
    test_loss: np.ndarray  # float32 [F]
    codes: np.ndarray  # float16 [F, n, 2]

    def arrays(self) -> dict[str, torch.Tensor]:
        return {"index": torch.from_numpy(np.asarray(self.index, np.int64)),
                "epochs": torch.from_numpy(np.asarray(self.epochs, np.int64)),
                "test_loss": torch.from_numpy(np.asarray(self.test_loss, np.float32)),
                "codes": torch.from_numpy(np.asarray(self.codes, np.float16))}


class Model:
    """A trained model with its description and its view of the test set.

    ``encode``, ``posterior`` and ``decode`` take and return numpy arrays; see the package
    docstring for the shapes. ``net`` is the underlying torch module.
    """

    def __init__(self, net: Autoencoder, config: dict, latents: Latents | None, path: Path | None):
        self.net = net.eval()
        self.config = config
        self.latents = latents
        self.path = path
        self._maps: dict = {}
        self.label: int | None = None  # the label fixed by given() (a conditional model's view)
        self._given: dict[int, Model] = {}

    # description ------------------------------------------------------------------------
    @property
    def name(self) -> str:
        """The bundle's folder name: a bundle is known by its folder (config.json's ``name``, if
        any, is not an identity: catalog.py refuses one that is another bundle's name)."""
        return self.path.name if self.path else str(self.config.get("name") or "unsaved")

    @property
    def kind(self) -> str:
        return self.net.config.kind

    @property
    def latent_dim(self) -> int:
        return self.net.config.latent_dim

    @property
    def dataset(self) -> str:
        return self.config["dataset"]

    @property
    def classes(self) -> list[int]:
        return list(self.config["classes"])

    @property
    def dataset_info(self) -> data.DatasetInfo:
        """The dataset's name, title and class names (a bundle of its own images: from config.json)."""
        return dataset_info_of(self.config)

    @property
    def class_names(self) -> list[str]:
        return list(self.dataset_info.class_names)

    @property
    def image_shape(self) -> tuple[int, int, int]:
        """Height, width and channels (1: grey, 3: colour) of the images it encodes and decodes."""
        spec = getattr(self.net, "spec", None)
        return tuple(spec.image) if spec is not None else (28, 28, 1)

    @property
    def own_data(self) -> bool:
        """Whether the bundle holds its own images (imported with them) instead of naming a dataset."""
        return self.dataset == owndata.NAME

    def images(self) -> np.ndarray | None:
        """A bundle of its own images: those images, uint8 [N, H, W] or [N, H, W, 3], read once and
        checked (BundleError); None for a bundle of a known dataset (data.load has those)."""
        if not self.own_data:
            return None
        if not hasattr(self, "_images"):
            self._images = _load_images(self.path, self.config) if self.path else getattr(self, "pending_images", None)
        return self._images

    @property
    def kind_info(self) -> type[Autoencoder]:
        """What this model's kind is and can do: ``title``, ``short``, ``note``, ``offers``, ``has_posterior``."""
        return type(self.net.net) if isinstance(self.net, Conditioned) else type(self.net)

    @property
    def metrics(self) -> dict:
        return dict(self.config.get("metrics", {}))

    def __repr__(self) -> str:
        return f"<Model {self.name}: {self.kind}, {self.latent_dim}-d, {self.dataset}>"

    # computation --------------------------------------------------------------------------
    def float_images(self, images) -> torch.Tensor:
        h, w, c = self.image_shape
        return to_float_images(images, (h, w) if c == 1 else (h, w, c))

    def given(self, label: int) -> "Model":
        """A conditional model (one that takes labels) with ``label`` fixed: encode, decode and
        every page and measurement work on it as on any model, writing every digit as ``label``.
        The same bundle, latents and maps; a LabelError names the classes for a label outside them."""
        if "labels" not in self.kind_info.offers:
            raise TypeError(f"{self.name} is a {self.kind_info.title}: it takes no labels")
        label = int(self._labels(label, 1)[0])
        base = getattr(self, "base", self)
        if label not in base._given:  # one view per label, so what pages cache of it stays valid
            view = copy.copy(base)
            view.net = Conditioned(base.net, label)
            view.label, view.base = label, base
            base._given[label] = view
        return base._given[label]

    def _labels(self, labels, n: int) -> np.ndarray:
        """``labels`` (one for all, or one per image) as ints among the model's classes."""
        y = np.asarray(labels).reshape(-1)
        if y.dtype.kind not in "iu" or (len(y) not in (1, n)) or not np.isin(y, self.classes).all():
            shown = str(labels)[:40]
            raise LabelError(f"{self.name} takes labels among its classes {self.classes}, one per image or one "
                             f"for all; got {shown}")
        return np.broadcast_to(y, (n,)) if len(y) == 1 else y

    def net_for(self, labels, n: int):
        """The network to run on ``n`` images: given ``labels`` for a conditional model."""
        if "labels" not in self.kind_info.offers or isinstance(self.net, Conditioned):
            if labels is not None and not isinstance(self.net, Conditioned):
                raise TypeError(f"{self.name} is a {self.kind_info.title}: it takes no labels")
            return self.net if labels is None else Conditioned(self.net.net, self._labels(labels, n))
        if labels is None:
            raise LabelError(f"{self.name} is a {self.kind_info.title}: it encodes and decodes with labels; "
                             f"pass labels= (among its classes {self.classes}), or use .given(label)")
        return Conditioned(self.net, self._labels(labels, n))

    @torch.no_grad()
    def encode(self, images, batch_size: int = 2048, labels=None) -> np.ndarray:
        """Images (uint8 [N,H,W(,3)] or floats in [0,1]) -> codes float32 [N,k] (VAE: the mean).
        A conditional model takes ``labels``: one per image, or one for all."""
        x = self.float_images(images)
        if len(x) == 0:
            return np.zeros((0, self.latent_dim), np.float32)
        y = self._labels(labels, len(x)) if labels is not None else None
        return np.concatenate([self.net_for(None if y is None else y[i:i + len(b)], len(b)).encode(b).numpy()
                               for i, b in zip(range(0, len(x), batch_size), x.split(batch_size))])

    @torch.no_grad()
    def posterior(self, images, labels=None) -> tuple[np.ndarray, np.ndarray]:
        """VAE only: the posterior mean and log-variance, each float32 [N,k]."""
        if not self.kind_info.has_posterior:
            raise TypeError(f"{self.name} is a plain autoencoder: it has no posterior distribution")
        x = self.float_images(images)
        mean, log_var = self.net_for(labels, len(x)).posterior(x)
        return mean.numpy(), log_var.numpy()

    @torch.no_grad()
    def decode(self, z, labels=None) -> np.ndarray:
        """Latent vectors float [N,k] (or one [k]) -> images float32 [N,H,W] (colour: [N,H,W,3]) in [0,1].
        A conditional model takes ``labels``: one per code, or one for all."""
        z = torch.from_numpy(np.array(z, dtype=np.float32))  # a copy: codes may be read-only
        if z.ndim == 1:
            z = z.unsqueeze(0)
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"{self.name} decodes vectors of size {self.latent_dim}, got {tuple(z.shape)}")
        return self.net_for(labels, len(z)).decode(z).numpy()

    def prior_sample(self, n: int, seed: int = 0) -> np.ndarray:
        """``n`` codes drawn from the model's prior (a kind that offers one: a VAE's N(0, I), an
        adversarial autoencoder's chosen shape), float32 [n, k]; TypeError for a kind without."""
        if "prior" not in getattr(self.kind_info, "offers", ()):
            raise TypeError(f"{self.name} is a {self.kind_info.title}: it has no prior to draw codes from")
        draw = getattr(self.net, "prior_sample", None)
        if draw is None:  # N(0, I), drawn as every page always has
            return np.random.default_rng(seed).standard_normal((n, self.latent_dim)).astype(np.float32)
        return draw(n, torch.Generator().manual_seed(seed)).numpy().astype(np.float32)

    # a model with a codebook (a VQ-VAE) ----------------------------------------------------
    def _codebook_net(self):
        if "codebook" not in getattr(self.kind_info, "offers", ()):
            raise TypeError(f"{self.name} is a {self.kind_info.title}: its codes are numbers, not entries of a codebook")
        return self.net

    @property
    def codebook_size(self) -> int:
        """K, the number of entries of its codebook (a kind that offers one)."""
        return self._codebook_net().codebook_size

    @property
    def grid(self) -> tuple[int, int]:
        """The (h, w) grid of cells its code is, each one entry of the codebook."""
        return self._codebook_net().grid

    @torch.no_grad()
    def encode_indices(self, images) -> np.ndarray:
        """Images -> the codebook entry of each cell, int64 [N, h, w]."""
        return self._codebook_net().encode_indices(self.float_images(images)).numpy()

    @torch.no_grad()
    def decode_indices(self, indices) -> np.ndarray:
        """An index grid int [N, h, w] (or one [h, w]) -> images float32 [N, 28, 28] in [0, 1];
        a ValueError (GridError) says what is wrong with a grid of another shape or an entry outside 0..K-1."""
        return self._codebook_net().decode_indices(indices).numpy()

    @property
    def background_entry(self) -> int:
        """The codebook entry most cells of the test images take (their background; 0 without latents)."""
        if not hasattr(self, "_background"):
            codes = self.latents.codes if self.latents is not None else np.zeros((0, self.latent_dim), np.float32)
            self._background = self._codebook_net().background(codes)
        return self._background

    def codebook_images(self) -> np.ndarray:
        """What each entry draws, float32 [K, s, s]: the mean decoded patch (its cell and half a cell
        round it) of the stored test codes' cells that chose it (the painter's palette)."""
        if not hasattr(self, "_codebook_images"):  # worked out once: a second of decoding
            codes = self.latents.codes if self.latents is not None else np.zeros((0, self.latent_dim), np.float32)
            self._codebook_images = self._codebook_net().entry_pictures(codes)
            self._codebook_images.flags.writeable = False
        return self._codebook_images

    def reconstruct(self, images, labels=None) -> np.ndarray:
        return self.decode(self.encode(images, labels=labels), labels=labels)

    def map(self, method: str = "auto", progress=None):
        """The 2-D map of the test codes named ``method`` (see projection.py), built once.
        ``progress(fraction)`` hears how a slow map (t-SNE not stored in the bundle) advances."""
        method = self.available_maps()[0] if method == "auto" else projection.resolve(method, self.latent_dim)
        if method not in self._maps:
            self._maps[method] = projection.make_map(method, self.latents, progress)
        return self._maps[method]

    def replay(self) -> tuple[list[tuple[int, float, np.ndarray]], np.ndarray | None]:
        """The training replay: ``(frames, indices)``, ``frames`` a list of ``(epoch, test_loss,
        codes)`` with codes float32 [n, 2] (epoch 0 is the untrained network), ``indices`` the n
        rows of the dataset's test split they belong to; ``([], None)`` for a bundle without one.
        The last frame's codes are the shipped model's own (``latents.codes`` of those images)."""
        arrays = self.replay_arrays()
        if arrays is None:
            return [], None
        frames = [(int(e), float(l), c.astype(np.float32))
                  for e, l, c in zip(arrays.epochs, arrays.test_loss, arrays.codes)]
        return frames, arrays.index.copy()

    def replay_arrays(self) -> ReplayArrays | None:
        """The replay as stored (float16 codes), or None; read once, checked (BundleError)."""
        if not hasattr(self, "_replay"):
            replay = _load_replay(self.path, self.latent_dim, n_test(self.config)) if self.path else None
            if replay is not None and self.latents is not None and (self.latents.rows_of(replay.index) < 0).any():
                raise BundleError(f"{self.path / REPLAY_FILE}: follows test images that {LATENTS_FILE} does not hold")
            self._replay = replay
        return self._replay

    def has_map(self, method: str) -> bool:
        """Whether ``method`` opens at once (stored in the bundle, or quick to compute)."""
        return not projection.kind(method).stored or method in self.latents.maps

    def available_maps(self) -> list[str]:
        """The map kinds of its code size and number of codes (a computed layout takes at most
        explorer/maps/base.py's MAX_LAYOUT_POINTS), the default first."""
        return projection.available(self.latent_dim, len(self.latents.codes) if self.latents is not None else None)

    def open_maps(self) -> list[str]:
        """The map kinds of its code size that open at once, the default first."""
        return [m for m in self.available_maps() if self.has_map(m)]


# --------------------------------------------------------------------------------------------
# Saving


def save(model: Model | Autoencoder, path, config: dict, latents: Latents | None = None,
         weights_dtype: str = "float32", replay: ReplayArrays | None = None, images: np.ndarray | None = None) -> Path:
    """Write a bundle atomically: into a temporary folder beside ``path``, then renamed.

    An existing bundle at ``path`` is replaced only once the new one is complete; anything else
    there (a file, a folder that is not empty and not a bundle) is refused with BundleError before
    a byte is written, and nothing but the replaced bundle and this call's own temporary folders
    is ever removed.
    """
    net = model.net if isinstance(model, Model) else model
    net = net.net if isinstance(net, Conditioned) else net  # a label given on a page is not the model's
    path = Path(path)
    _check_replaceable(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    backend = backend_for(net)
    config = {**config, "format_version": FORMAT_VERSION, "weights_dtype": weights_dtype, **backend.describe(net)}
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    old = None
    try:
        backend.write(net, tmp, weights_dtype)
        if latents is not None:
            latents_file.write(tmp / LATENTS_FILE, latents)
        if replay is not None:
            save_file(replay.arrays(), str(tmp / REPLAY_FILE))
        if images is not None:  # a bundle of its own images (explorer/data/owndata.py)
            save_file({"images": torch.from_numpy(np.ascontiguousarray(images, np.uint8))}, str(tmp / IMAGES_FILE))
        _write_config(tmp / CONFIG_FILE, config)
        tmp.chmod(0o755)  # mkdtemp makes a private folder; a bundle is for everyone to read
        for f in tmp.iterdir():
            f.chmod(0o644)
        if path.exists():
            old = tmp.with_name(tmp.name + ".old")  # unique as tmp is: never someone else's file
            path.rename(old)
        tmp.rename(path)
    except BaseException:
        if old is not None and old.exists() and not path.exists():
            old.rename(path)  # the new bundle did not arrive: the old one goes back
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    return path


def _check_replaceable(path: Path) -> None:
    """Raise BundleError unless ``path`` is absent, an empty folder or a bundle (what
    explorer/files/outputs.py recognises as one), the only things save() may replace."""
    try:
        check_replaceable_bundle(path)
    except OutputError as e:
        raise BundleError(str(e)) from None


def _write_config(file: Path, config: dict) -> None:
    file.write_text(json.dumps(config, indent=2, allow_nan=False) + "\n")  # NaN is no JSON: read_config refuses it


def save_latents(path, latents: Latents) -> None:
    """Replace a bundle's latents file atomically (used to add maps to an existing bundle)."""
    replace_file(Path(path) / LATENTS_FILE, lambda f: latents_file.write(f, latents))


def update_config(path, **fields) -> None:
    """Replace top-level fields of a bundle's config.json (atomically), e.g. metrics=..."""
    config = {**read_config(path), **fields}
    replace_file(Path(path) / CONFIG_FILE, lambda f: _write_config(f, config))


def round_weights(net: Autoencoder, weights_dtype: str) -> None:
    """Round the weights in place to what saving in ``weights_dtype`` keeps, so that metrics
    measured afterwards are those of the bundle as shipped."""
    with torch.no_grad():
        for p in net.state_dict().values():
            p.copy_(p.to(WEIGHT_DTYPES[weights_dtype]).to(p.dtype))


# --------------------------------------------------------------------------------------------
# Loading


def _json_type(value) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "true/false", type(None): "null"}.get(
        type(value), "a number")


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


# What each recorded metric is (pages print them as numbers); a metric of another name is kept but
# never shown. A dict holds numbers under string keys (for example one figure per map).
METRIC_KINDS = {"n_test": "count", "class_middles_recognised": "count", "class_middles_total": "count",
                "anomaly_n_test": "count", "class_middles_map": "text", "class_middles_by_map": "counts",
                "denoising_mse": "numbers", "recon_error_by_class": "numbers", "unlike_mse": "numbers",
                "prior_read_as_label": "numbers"}
_METRIC_CHECKS = {
    "number": (_is_number, "a finite number"),
    "count": (lambda v: type(v) is int and v >= 0, "a whole number"),
    "text": (lambda v: isinstance(v, str) and len(v) <= 64, "a short string"),
    "numbers": (lambda v: isinstance(v, dict) and all(_is_number(x) for x in v.values()), "an object of numbers"),
    "counts": (lambda v: isinstance(v, dict) and all(type(x) is int for x in v.values()), "an object of counts"),
}


def _is_noise(v) -> bool:
    try:
        return v is None or (isinstance(v, str) and noise.parse(v) is not None)
    except ValueError:
        return False


# The training settings that commands and pages read back (evaluate, the lessons); the rest of
# "training" (its history, the command line) is only shown.
TRAINING_CHECKS = {
    "seed": (lambda v: type(v) is int and 0 <= v < 2**63, "a whole number from 0 to 2**63 - 1"),
    "noise": (_is_noise, "null or a noise such as gaussian:0.5 or mask:0.25"),
    "recon": (lambda v: v in ("bce", "mse"), "'bce' or 'mse'"),
    "epochs": (lambda v: type(v) is int and v >= 0, "a whole number"),
    "weights_dtype": (lambda v: v in WEIGHT_DTYPES, f"one of {sorted(WEIGHT_DTYPES)}"),
}


def read_config(path) -> dict:
    """config.json of the bundle at ``path``, every field checked (BundleError naming the field)."""
    file = Path(path) / CONFIG_FILE
    config = safefiles.read_json(file, BundleError)
    if not isinstance(config, dict):
        raise BundleError(f"{file}: expected a JSON object, found {_json_type(config)}")
    for key in REQUIRED_FIELDS:
        if key not in config:
            raise BundleError(f"{file}: missing the field {key!r}; every bundle's config holds "
                              f"{', '.join(REQUIRED_FIELDS)} (python -m explorer.train writes them)")
    for key, kind in {**REQUIRED_FIELDS, **OPTIONAL_FIELDS}.items():
        if key in config and (type(config[key]) is not kind):
            raise BundleError(f"{file}: {key!r} must be {_json_type(kind())}, not {_json_type(config[key])}")
    version = config["format_version"]
    if version > FORMAT_VERSION:
        raise BundleError(f"{file}: written by a newer Latent Explorer (format {version}); upgrade to open it")
    if version < 1:
        raise BundleError(f"{file}: 'format_version' {version} is not a format (1 is the first)")
    if config["dataset"] == owndata.NAME:
        _check_own_data(file, config)
    elif config["dataset"] not in data.DATASETS:
        raise BundleError(f"{file}: 'dataset' {config['dataset'][:40]!r} is unknown; known: {', '.join(data.DATASETS)}"
                          f" (or {owndata.NAME!r}, a bundle of its own images)")
    n_classes = len(dataset_info_of(config).class_names)
    classes = config["classes"]
    if not classes or len(classes) != len(set(map(repr, classes))) \
            or not all(type(c) is int and 0 <= c < n_classes for c in classes):
        raise BundleError(f"{file}: 'classes' must list distinct class numbers 0-{n_classes - 1} of "
                          f"{config['dataset']}, found {str(classes)[:80]}")
    if config["weights_dtype"] not in WEIGHT_DTYPES:
        raise BundleError(f"{file}: 'weights_dtype' must be one of {sorted(WEIGHT_DTYPES)}, "
                          f"not {config['weights_dtype'][:20]!r}")
    training = config.get("training", {})
    for key, (ok, expected) in TRAINING_CHECKS.items():
        if key in training and not ok(training[key]):
            raise BundleError(f"{file}: 'training' field {key!r} must be {expected}, found {str(training[key])[:40]}")
    _check_hyperparameters(file, config, training)
    for key, value in config["metrics"].items():
        ok, expected = _METRIC_CHECKS[METRIC_KINDS.get(key, "number")]
        if not ok(value):
            raise BundleError(f"{file}: metric {key[:40]!r} must be {expected}, found {str(value)[:40]}")
    return config


def _check_hyperparameters(file: Path, config: dict, training: dict) -> None:
    """Each kind's hyperparameters in 'training' (as its declaration says, explorer/models): a
    number in its range, and, unless at its default, only the bundle's own kind's."""
    kind = (config.get("model") or {}).get("kind") if isinstance(config.get("model"), dict) else None
    for name, (h, kinds) in models.hyperparameter_options().items():
        if name not in training:
            continue
        value = training[name]
        if not _is_number(value) or h.problem(float(value)) is not None:
            raise BundleError(f"{file}: 'training' field {name!r} must be {h.range}, found {str(value)[:40]}")
        # another kind's at its default is a setting older training commands recorded for every kind
        if kind in models.KINDS and kind not in kinds and float(value) != h.default:
            raise BundleError(f"{file}: 'training' field {name!r} belongs to the {'/'.join(kinds)} kind(s), "
                              f"not this bundle's {kind!r}")


def _check_own_data(file: Path, config: dict) -> None:
    """'data' of a bundle of its own images: a title, class names, the image shape, how many."""
    d = config.get("data")
    if not isinstance(d, dict) or set(d) != set(DATA_FIELDS) or any(type(d[k]) is not t for k, t in DATA_FIELDS.items()):
        raise BundleError(f"{file}: a bundle of its own images ('dataset' {owndata.NAME!r}) describes them in 'data': "
                          f"{', '.join(DATA_FIELDS)}")
    names, image = d["class_names"], d["image"]
    if not 1 <= len(names) <= owndata.MAX_CLASSES or not all(isinstance(c, str) and len(c) <= 40 for c in names):
        raise BundleError(f"{file}: 'data' class_names must be 1-{owndata.MAX_CLASSES} short strings")
    if len(image) != 3 or not all(type(v) is int for v in image) or image[2] not in (1, 3) \
            or not all(owndata.MIN_SIDE <= v <= owndata.MAX_SIDE for v in image[:2]):
        raise BundleError(f"{file}: 'data' image must be [H, W, C], sides {owndata.MIN_SIDE}-{owndata.MAX_SIDE}, C 1 or 3")
    if not 10 <= d["n"] <= owndata.MAX_IMAGES or len(d["title"]) > 60:
        raise BundleError(f"{file}: 'data' n must be 10-{owndata.MAX_IMAGES:,} images and its title short")


def dataset_info_of(config: dict) -> data.DatasetInfo:
    """The dataset a (checked) config names, or the one it describes for its own images."""
    if config["dataset"] == owndata.NAME:
        d = config["data"]
        return data.DatasetInfo(name=owndata.NAME, title=d["title"] or "own images",
                                class_names=tuple(d["class_names"]), mirrors=(), md5={})
    return data.dataset_info(config["dataset"])


def n_test(config: dict) -> int:
    """How many test images the bundle's latents may index: the test split's, or its own images'."""
    return config["data"]["n"] if config["dataset"] == owndata.NAME else data.split_size("test")


def image_shape_of(config: dict) -> tuple[int, int, int]:
    return tuple(config["data"]["image"]) if config["dataset"] == owndata.NAME else (28, 28, 1)


def _load_images(path: Path, config: dict) -> np.ndarray:
    file = path / IMAGES_FILE
    h, w, c = image_shape_of(config)
    shape = (config["data"]["n"], h, w) + ((c,) if c == 3 else ())
    header = safefiles.tensor_header(file, BundleError)
    safefiles.check_header(file, header, {"images": (("U8",), shape)}, BundleError)
    return _load_tensors(file)["images"].numpy()


def model_config(path, config: dict) -> ModelConfig:
    """The network ``config`` describes, checked complete and typed, and small enough to build:
    its tensors are laid out on the meta device (nothing is allocated) and counted."""
    file = Path(path) / CONFIG_FILE
    try:
        model_cfg = ModelConfig.from_dict(config["model"])
    except (TypeError, ValueError) as e:
        raise BundleError(f"{file}: 'model' is invalid ({e})") from e
    try:
        n = parameter_count(model_cfg)
    except (RuntimeError, ValueError, TypeError, OverflowError) as e:  # sizes torch cannot even lay out
        raise BundleError(f"{file}: 'model' describes a network that cannot be built ({e})") from e
    if n > MAX_PARAMETERS:
        raise BundleError(f"{file}: 'model' describes a network of {n:,} parameters; at most "
                          f"{MAX_PARAMETERS:,} are opened")
    return model_cfg


def expected_tensors(model_cfg: ModelConfig) -> dict[str, tuple[int, ...]]:
    """Name -> shape of every tensor of the network ``model_cfg`` describes, allocating nothing."""
    with torch.device("meta"):
        net = models.build(model_cfg)
    return {k: tuple(v.shape) for k, v in net.state_dict().items()}


def parameter_count(model_cfg: ModelConfig) -> int:
    return sum(math.prod(s) for s in expected_tensors(model_cfg).values())


def _check_weights(path: Path, config: dict, model_cfg: ModelConfig) -> None:
    """BundleError unless the weights file's header matches the architecture (names, shapes) and
    the config's dtype; nothing but the header is read."""
    file = path / WEIGHTS_FILE
    dtype = SAFETENSORS_DTYPES[config["weights_dtype"]]
    header = safefiles.tensor_header(file, BundleError)
    try:
        safefiles.check_header(file, header, {k: ((dtype,), s) for k, s in expected_tensors(model_cfg).items()},
                               ValueError)
    except ValueError as e:
        said = str(e).removeprefix(f"{file}: ")
        raise BundleError(f"{file}: does not match the architecture and weights_dtype in {CONFIG_FILE}: "
                          f"{said}{models.KINDS[model_cfg.kind].sizes_note(said)}") from None


def _read_weights(path: Path, config: dict, model_cfg: ModelConfig) -> dict[str, torch.Tensor]:
    """The weights, once their header matches (``_check_weights``), all finite."""
    _check_weights(path, config, model_cfg)
    file = path / WEIGHTS_FILE
    state = _load_tensors(file)
    bad = [k for k, v in state.items() if not torch.isfinite(v).all()]
    if bad:
        raise BundleError(f"{file}: non-finite values in {bad}")
    return state


def inspect(path) -> dict:
    """The bundle's config, once it and the headers of its weights and latents are found sound;
    BundleError otherwise. Reads no tensor, so a catalog can look at every bundle it lists (an
    imported bundle's two ONNX files are parsed and checked, which runs nothing)."""
    path = Path(path)
    if not path.is_dir():
        raise BundleError(f"{path}: no such bundle folder")
    config = read_config(path)
    latent_dim = backend_of(config).check(path, config)
    if (path / LATENTS_FILE).exists():
        latents_file.check_header(path / LATENTS_FILE, latent_dim, n_test(config))
    if config["dataset"] == owndata.NAME:
        h, w, c = image_shape_of(config)
        safefiles.check_header(path / IMAGES_FILE, safefiles.tensor_header(path / IMAGES_FILE, BundleError),
                               {"images": (("U8",), (config["data"]["n"], h, w) + ((c,) if c == 3 else ()))}, BundleError)
    return config


def onnx_spec(path, config: dict) -> Spec:
    """How to run an imported bundle's two graphs (onnx_model.Spec), checked against 'model'."""
    file = Path(path) / CONFIG_FILE
    described = config["model"]
    if set(described) != set(ONNX_MODEL_FIELDS) or described.get("backbone") != "onnx" \
            or any(type(described[k]) is not t for k, t in ONNX_MODEL_FIELDS.items()):
        raise BundleError(f"{file}: 'model' of an imported bundle holds only kind, latent_dim and backbone 'onnx'")
    try:
        spec = Spec.from_dict(config["onnx"])
    except (TypeError, ValueError) as e:
        raise BundleError(f"{file}: 'onnx' is invalid ({e})") from None
    if (spec.kind, spec.latent_dim) != (described["kind"], described["latent_dim"]):
        raise BundleError(f"{file}: 'model' says a {described['kind'][:8]} of {described['latent_dim']} numbers, "
                          f"'onnx' a {spec.kind} of {spec.latent_dim}")
    if spec.image != image_shape_of(config):
        h, w, c = image_shape_of(config)
        raise BundleError(f"{file}: its model takes {spec.image[0]}x{spec.image[1]}x{spec.image[2]} images; "
                          f"the bundle's images are {h}x{w}x{c}")
    return spec


def _onnx_files(path: Path) -> dict[Path, bytes]:
    """The bytes of an imported bundle's encoder.onnx and decoder.onnx, each at most the size
    onnx_safety reads (BundleError naming the file otherwise)."""
    out = {}
    for name in onnx_model.FILES.values():
        out[path / name] = safefiles.read_bytes(path / name, BundleError, onnx_safety.MAX_BYTES)
    return out


def _load_tensors(file: Path) -> dict[str, torch.Tensor]:
    try:
        return load_file(str(file))
    except (SafetensorError, OSError, ValueError, RuntimeError) as e:
        raise BundleError(f"{file}: cannot be loaded ({e})") from e


def _load_replay(path: Path, latent_dim: int, n_test: int) -> ReplayArrays | None:
    file = path / REPLAY_FILE
    if not file.exists():
        return None
    if latent_dim != 2:
        raise BundleError(f"{file}: a replay is kept for 2-D models only; this one has {latent_dim}-number codes")
    header = safefiles.tensor_header(file, BundleError)
    f = header.get("epochs", ("", ()))[1]
    n = header.get("index", ("", ()))[1]
    if len(f) != 1 or len(n) != 1 or not 0 < f[0] <= 10_000 or not 0 < n[0] <= n_test:
        raise BundleError(f"{file}: 'epochs' and 'index' must be lists of at most 10,000 epochs and "
                          f"{n_test:,} test images")
    safefiles.check_header(file, header, {
        "index": (("I64",), n), "epochs": (("I64",), f), "test_loss": (("F32",), f),
        "codes": (("F16",), (f[0], n[0], latent_dim))}, BundleError)
    arrays = {k: v.numpy() for k, v in _load_tensors(file).items()}
    if not np.isfinite(arrays["codes"].astype(np.float32)).all() or not np.isfinite(arrays["test_loss"]).all():
        raise BundleError(f"{file}: 'codes' or 'test_loss' holds non-finite values")
    return ReplayArrays(index=arrays["index"], epochs=arrays["epochs"], test_loss=arrays["test_loss"],
                        codes=arrays["codes"])


def load(path) -> Model:
    """Open the bundle folder at ``path``, safely; see the module docstring."""
    path = Path(path)
    if not path.is_dir():
        raise BundleError(f"{path}: no such bundle folder")
    config = read_config(path)
    net, lat = backend_of(config).open(path, config)
    return Model(net, config, lat, path)


# --------------------------------------------------------------------------------------------
# Backends: what holds a bundle's network. Each says whether a config is its own, what it adds to
# config.json, how it writes the network, checks it without running it, and opens it.


class OurWeights:
    """A network of ours (explorer.models), rebuilt from config.json's 'model' and filled from
    weights.safetensors."""

    def owns(self, config: dict) -> bool:
        return "onnx" not in config

    def holds(self, net) -> bool:
        return isinstance(net, Autoencoder)

    def describe(self, net: Autoencoder) -> dict:
        return {"model": net.config.to_dict()}

    def write(self, net: Autoencoder, folder: Path, weights_dtype: str) -> None:
        state = {k: v.detach().to(WEIGHT_DTYPES[weights_dtype]).contiguous() for k, v in net.state_dict().items()}
        save_file(state, str(folder / WEIGHTS_FILE))

    def check(self, path: Path, config: dict) -> int:
        model_cfg = model_config(path, config)
        _check_weights(path, config, model_cfg)
        return model_cfg.latent_dim

    def open(self, path: Path, config: dict) -> tuple[Autoencoder, Latents | None]:
        model_cfg = model_config(path, config)
        state = _read_weights(path, config, model_cfg)
        lat = latents_file.read(path / LATENTS_FILE, model_cfg.latent_dim, config["classes"], n_test(config))
        net = build(model_cfg)
        net.load_state_dict({k: v.to(torch.float32) for k, v in state.items()})
        return net, lat


class OnnxFiles:
    """A model imported from any framework (explorer/onnx/importer.py): encoder.onnx and
    decoder.onnx as they came (they hold their own weights), run by onnxruntime, described by
    config.json's 'onnx'."""

    def owns(self, config: dict) -> bool:
        return "onnx" in config

    def holds(self, net) -> bool:
        return isinstance(net, OnnxNet)

    def describe(self, net: OnnxNet) -> dict:
        return {"model": {"kind": net.config.kind, "latent_dim": net.config.latent_dim, "backbone": "onnx"},
                "onnx": net.spec.to_dict()}

    def write(self, net: OnnxNet, folder: Path, weights_dtype: str) -> None:
        for file, content in net.files.items():
            (folder / file).write_bytes(content)

    def check(self, path: Path, config: dict) -> int:
        spec = onnx_spec(path, config)
        for file, content in _onnx_files(path).items():
            try:
                onnx_safety.check(content, str(file))
            except OnnxError as e:
                raise BundleError(str(e)) from None
        return spec.latent_dim

    def open(self, path: Path, config: dict) -> tuple[OnnxNet, Latents | None]:
        spec = onnx_spec(path, config)
        (enc_file, enc), (dec_file, dec) = _onnx_files(path).items()
        said = (config.get("source") or {}).get("sha256") or {}
        for file, content in ((enc_file, enc), (dec_file, dec)):
            if file.name in said and said[file.name] != hashlib.sha256(content).hexdigest():
                raise BundleError(f"{file}: is not the file this bundle was imported with (its sha256 differs from "
                                  f"{CONFIG_FILE}'s); import the model again")
        lat = latents_file.read(path / LATENTS_FILE, spec.latent_dim, config["classes"], n_test(config))
        try:
            net = open_net(spec, enc, dec, {"encoder": str(enc_file), "decoder": str(dec_file)})
            # what the spec says holds: images in, codes of its size out; codes in, its images out
            h, w, c = spec.image
            # (two batch sizes, so a graph whose fixed batch the spec does not say fails here, not later)
            net.decode(net.encode(np.zeros((5, h, w) + ((c,) if c == 3 else ()), np.float32)))
            net.decode(lat.codes[:2] if lat is not None else np.zeros((2, spec.latent_dim), np.float32))
        except OnnxError as e:
            raise BundleError(str(e)) from None
        net.files = {enc_file.name: enc, dec_file.name: dec}
        return net, lat


BACKENDS = (OurWeights(), OnnxFiles())


def backend_of(config: dict):
    """The backend whose bundle ``config`` (read and checked) describes."""
    return next(b for b in BACKENDS if b.owns(config))


def backend_for(net):
    """The backend that writes ``net``."""
    for b in BACKENDS:
        if b.holds(net):
            return b
    raise BundleError(f"a {type(net).__name__} is neither a network of ours nor an imported ONNX model")
