"""Model bundles: a folder that holds everything needed to explore one trained model.

    <bundle>/
      config.json           what the model is: architecture, dataset, classes, training, metrics
      weights.safetensors   the network's tensors, nothing else
      latents.safetensors   the test set seen through the model: codes, labels, indices into the
                            dataset's test split, per-image reconstruction error
      replay.safetensors    2-D models, optional: the codes of a fixed subset of test images after
                            every training epoch, with the epoch's test loss (the training replay)

Only JSON and safetensors are ever read, so opening a bundle can never run code from it. The
network is rebuilt from config.json (never from defaults), then its tensors are checked name by
name and shape by shape before they are loaded. Anything wrong raises BundleError with a message
that names the file; callers such as the app show it and carry on with the other bundles.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from . import data, projection
from .files import replace_file
from .models import Autoencoder, ModelConfig, build, to_float_images

FORMAT_VERSION = 1
CONFIG_FILE = "config.json"
WEIGHTS_FILE = "weights.safetensors"
LATENTS_FILE = "latents.safetensors"
REPLAY_FILE = "replay.safetensors"
PRETRAINED_DIR = Path(__file__).resolve().parent.parent / "pretrained"
WEIGHT_DTYPES = {"float32": torch.float32, "float16": torch.float16}


class BundleError(RuntimeError):
    """A bundle is missing, corrupt, unsafe or inconsistent. The message names the file."""


@dataclass(frozen=True)
class Latents:
    """The test images of the model's classes, as the model sees them. Immutable: the arrays are
    read-only and ``maps`` a read-only mapping; ``with_maps`` makes a new one."""

    codes: np.ndarray  # float32 [N, k]: encode(x), the posterior mean for a VAE
    labels: np.ndarray  # int64 [N]
    index: np.ndarray  # int64 [N]: row in the dataset's test split
    recon_error: np.ndarray  # float32 [N]: mean squared error per pixel of the reconstruction
    maps: MappingProxyType = field(default_factory=dict)  # method -> float32 [N, 2], stored map layouts

    REQUIRED = ("codes", "labels", "index", "recon_error")
    MAP_PREFIX = "map_"

    def __post_init__(self):
        def frozen(a, dtype):
            a = np.array(a, dtype=dtype)  # a private copy, so no one else can write to it either
            a.flags.writeable = False
            return a

        for k, dtype in zip(self.REQUIRED, (np.float32, np.int64, np.int64, np.float32)):
            object.__setattr__(self, k, frozen(getattr(self, k), dtype))
        object.__setattr__(self, "maps", MappingProxyType(
            {k: frozen(v, np.float32) for k, v in dict(self.maps).items()}))

    def with_maps(self, maps: dict) -> "Latents":
        """A copy with these map layouts added (or replaced)."""
        return replace(self, maps={**self.maps, **maps})

    def rows_of(self, test_index) -> np.ndarray:
        """Rows holding the given dataset test indices (-1 where an index is not among them)."""
        order = np.argsort(self.index)
        test_index = np.atleast_1d(np.asarray(test_index, np.int64))
        pos = np.clip(np.searchsorted(self.index, test_index, sorter=order), 0, len(order) - 1)
        rows = order[pos]
        return np.where(self.index[rows] == test_index, rows, -1)

    def arrays(self) -> dict[str, np.ndarray]:
        out = {k: getattr(self, k) for k in self.REQUIRED}
        out.update({self.MAP_PREFIX + k: np.asarray(v, np.float32) for k, v in self.maps.items()})
        return out


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

    # description ------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self.config.get("name") or (self.path.name if self.path else "unsaved")

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
    def class_names(self) -> list[str]:
        return list(data.dataset_info(self.dataset).class_names)

    @property
    def kind_info(self) -> type[Autoencoder]:
        """What this model's kind is and can do: ``title``, ``note``, ``has_posterior``."""
        return type(self.net)

    @property
    def metrics(self) -> dict:
        return dict(self.config.get("metrics", {}))

    def __repr__(self) -> str:
        return f"<Model {self.name}: {self.kind}, {self.latent_dim}-d, {self.dataset}>"

    # computation --------------------------------------------------------------------------
    @torch.no_grad()
    def encode(self, images, batch_size: int = 2048) -> np.ndarray:
        """Images (uint8 [N,28,28] or floats in [0,1]) -> codes float32 [N,k] (VAE: the mean)."""
        x = to_float_images(images)
        if len(x) == 0:
            return np.zeros((0, self.latent_dim), np.float32)
        return np.concatenate([self.net.encode(b).numpy() for b in x.split(batch_size)])

    @torch.no_grad()
    def posterior(self, images) -> tuple[np.ndarray, np.ndarray]:
        """VAE only: the posterior mean and log-variance, each float32 [N,k]."""
        if not self.kind_info.has_posterior:
            raise TypeError(f"{self.name} is a plain autoencoder: it has no posterior distribution")
        mean, log_var = self.net.posterior(to_float_images(images))
        return mean.numpy(), log_var.numpy()

    @torch.no_grad()
    def decode(self, z) -> np.ndarray:
        """Latent vectors float [N,k] (or one [k]) -> images float32 [N,28,28] in [0,1]."""
        z = torch.from_numpy(np.array(z, dtype=np.float32))  # a copy: codes may be read-only
        if z.ndim == 1:
            z = z.unsqueeze(0)
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"{self.name} decodes vectors of size {self.latent_dim}, got {tuple(z.shape)}")
        return self.net.decode(z).numpy()

    def reconstruct(self, images) -> np.ndarray:
        return self.decode(self.encode(images))

    def map(self, method: str = "auto", progress=None):
        """The 2-D map of the test codes named ``method`` (see projection.py), built once.
        ``progress(fraction)`` hears how a slow map (t-SNE not stored in the bundle) advances."""
        method = projection.resolve(method, self.latent_dim)
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
            replay = _load_replay(self.path, self.latent_dim) if self.path else None
            if replay is not None and self.latents is not None and (self.latents.rows_of(replay.index) < 0).any():
                raise BundleError(f"{self.path / REPLAY_FILE}: follows test images that {LATENTS_FILE} does not hold")
            self._replay = replay
        return self._replay

    def has_map(self, method: str) -> bool:
        """Whether ``method`` opens at once (stored in the bundle, or quick to compute)."""
        return not projection.kind(method).stored or method in self.latents.maps


# --------------------------------------------------------------------------------------------
# Saving


def save(model: Model | Autoencoder, path, config: dict, latents: Latents | None = None,
         weights_dtype: str = "float32", replay: ReplayArrays | None = None) -> Path:
    """Write a bundle atomically: into a temporary folder beside ``path``, then renamed.

    An existing bundle at ``path`` is replaced only once the new one is complete; anything else
    there (a file, a folder that is not empty and not a bundle) is refused with BundleError before
    a byte is written, and nothing but the replaced bundle and this call's own temporary folders
    is ever removed.
    """
    net = model.net if isinstance(model, Model) else model
    path = Path(path)
    _check_replaceable(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    config = {**config, "format_version": FORMAT_VERSION, "model": net.config.to_dict(),
              "weights_dtype": weights_dtype}
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    old = None
    try:
        state = {k: v.detach().to(WEIGHT_DTYPES[weights_dtype]).contiguous()
                 for k, v in net.state_dict().items()}
        save_file(state, str(tmp / WEIGHTS_FILE))
        if latents is not None:
            _write_latents(tmp / LATENTS_FILE, latents)
        if replay is not None:
            save_file(replay.arrays(), str(tmp / REPLAY_FILE))
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
    explorer/outputs.py recognises as one), the only things save() may replace."""
    from .outputs import OutputError, check_replaceable_bundle

    try:
        check_replaceable_bundle(path)
    except OutputError as e:
        raise BundleError(str(e)) from None


def _write_latents(file: Path, latents: Latents) -> None:
    save_file({k: torch.from_numpy(np.array(v)) for k, v in latents.arrays().items()}, str(file))


def _write_config(file: Path, config: dict) -> None:
    file.write_text(json.dumps(config, indent=2) + "\n")


def save_latents(path, latents: Latents) -> None:
    """Replace a bundle's latents file atomically (used to add maps to an existing bundle)."""
    replace_file(Path(path) / LATENTS_FILE, lambda f: _write_latents(f, latents))


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


def _describe_foreign(file: Path) -> str:
    head = file.read_bytes()[:4] if file.is_file() else b""
    if head[:1] == b"\x80" or head[:2] == b"PK":
        return "it looks like a pickled PyTorch checkpoint, which is refused unread (pickles can run code)"
    return "it is not a safetensors file"


def _read_tensors(file: Path) -> dict[str, torch.Tensor]:
    if not file.is_file():
        raise BundleError(f"{file}: missing")
    try:
        return load_file(str(file))
    except (SafetensorError, OSError, ValueError, RuntimeError) as e:
        raise BundleError(f"{file}: cannot be loaded: {_describe_foreign(file)} ({e})") from e


def read_config(path) -> dict:
    file = Path(path) / CONFIG_FILE
    try:
        config = json.loads(file.read_text())
    except FileNotFoundError:
        raise BundleError(f"{file}: missing; a bundle folder needs {CONFIG_FILE}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise BundleError(f"{file}: not valid JSON ({e})") from e
    if not isinstance(config, dict):
        raise BundleError(f"{file}: expected a JSON object")
    for key in ("model", "dataset", "classes"):
        if key not in config:
            raise BundleError(f"{file}: missing the field {key!r}")
    if config.get("format_version", FORMAT_VERSION) > FORMAT_VERSION:
        raise BundleError(f"{file}: written by a newer Latent Explorer (format "
                          f"{config['format_version']}); upgrade to open it")
    if not isinstance(config.get("metrics", {}), dict) or not isinstance(config["model"], dict):
        raise BundleError(f"{file}: 'model' and 'metrics' must be JSON objects")
    classes = config["classes"]
    if not isinstance(classes, list) or not classes or not all(isinstance(c, int) and 0 <= c <= 9 for c in classes):
        raise BundleError(f"{file}: 'classes' must be a list of class numbers 0-9")
    if config["dataset"] not in data.DATASETS:
        raise BundleError(f"{file}: unknown dataset {config['dataset']!r}")
    return config


def _check_state(file: Path, state: dict, expected: dict) -> None:
    missing = sorted(set(expected) - set(state))
    extra = sorted(set(state) - set(expected))
    wrong = [f"{k}: {tuple(state[k].shape)} instead of {tuple(v.shape)}"
             for k, v in expected.items() if k in state and state[k].shape != v.shape]
    bad_values = [k for k, v in state.items() if v.is_floating_point() and not torch.isfinite(v).all()]
    problems = ([f"missing {missing}"] if missing else []) + ([f"unexpected {extra}"] if extra else []) \
        + wrong + ([f"non-finite values in {bad_values}"] if bad_values else [])
    if problems:
        raise BundleError(f"{file}: does not match the architecture in {CONFIG_FILE}: " + "; ".join(problems))


def _load_latents(path: Path, latent_dim: int) -> Latents | None:
    file = path / LATENTS_FILE
    if not file.exists():
        return None
    arrays = {k: v.numpy() for k, v in _read_tensors(file).items()}
    missing = set(Latents.REQUIRED) - set(arrays)
    if missing:
        raise BundleError(f"{file}: missing arrays {sorted(missing)}")
    n = len(arrays["labels"])
    codes = arrays["codes"]
    maps = {k[len(Latents.MAP_PREFIX):]: v for k, v in arrays.items() if k.startswith(Latents.MAP_PREFIX)}
    if codes.shape != (n, latent_dim) or any(len(arrays[k]) != n for k in Latents.REQUIRED) \
            or any(v.shape != (n, 2) for v in maps.values()):
        raise BundleError(f"{file}: arrays disagree in shape (codes {codes.shape}, {n} labels, "
                          f"latent size {latent_dim}, maps {[v.shape for v in maps.values()]})")
    return Latents(**{k: arrays[k] for k in Latents.REQUIRED}, maps=maps)


def _load_replay(path: Path, latent_dim: int) -> ReplayArrays | None:
    file = path / REPLAY_FILE
    if not file.exists():
        return None
    arrays = {k: v.numpy() for k, v in _read_tensors(file).items()}
    missing = {"index", "epochs", "test_loss", "codes"} - set(arrays)
    if missing:
        raise BundleError(f"{file}: missing arrays {sorted(missing)}")
    codes, index, epochs = arrays["codes"], arrays["index"], arrays["epochs"]
    f = len(epochs)
    if codes.ndim != 3 or codes.shape != (f, len(index), latent_dim) or arrays["test_loss"].shape != (f,) \
            or not np.isfinite(codes.astype(np.float32)).all():
        raise BundleError(f"{file}: arrays disagree in shape (codes {codes.shape}, {len(index)} images, "
                          f"{f} epochs, latent size {latent_dim}) or hold non-finite codes")
    return ReplayArrays(index=index.astype(np.int64), epochs=epochs.astype(np.int64),
                        test_loss=arrays["test_loss"].astype(np.float32), codes=codes.astype(np.float16))


def load(path) -> Model:
    """Open the bundle folder at ``path``, safely; see the module docstring."""
    path = Path(path)
    if not path.is_dir():
        raise BundleError(f"{path}: no such bundle folder")
    config = read_config(path)
    try:
        model_config = ModelConfig.from_dict(config["model"])
    except (TypeError, ValueError) as e:
        raise BundleError(f"{path / CONFIG_FILE}: invalid model description ({e})") from e
    net = build(model_config)
    file = path / WEIGHTS_FILE
    state = _read_tensors(file)
    expected = net.state_dict()
    _check_state(file, state, expected)
    net.load_state_dict({k: v.to(expected[k].dtype) for k, v in state.items()})
    latents = _load_latents(path, model_config.latent_dim)
    return Model(net, config, latents, path)


def pretrained_dirs() -> list[Path]:
    """Folders searched for bundles: the shipped ones, then any in $EXPLORER_MODELS_DIR."""
    extra = [Path(p) for p in os.environ.get("EXPLORER_MODELS_DIR", "").split(os.pathsep) if p]
    return [PRETRAINED_DIR, *extra]


def find_bundles(dirs=None) -> dict[str, Path]:
    """Bundle name -> folder for every folder with a config.json in ``dirs``."""
    found: dict[str, Path] = {}
    for d in dirs if dirs is not None else pretrained_dirs():
        d = Path(d)
        if not d.is_dir():
            continue
        for sub in sorted(d.iterdir()):
            if (sub / CONFIG_FILE).is_file() and not sub.name.startswith("."):
                found.setdefault(sub.name, sub)
    return found


def list_pretrained() -> list[str]:
    """Names of the bundles shipped in pretrained/."""
    return list(find_bundles([PRETRAINED_DIR]))


def load_model(name_or_path) -> Model:
    """A bundle by shipped name (see list_pretrained) or by folder path."""
    path = Path(name_or_path)
    if path.is_dir():
        return load(path)
    bundles = find_bundles()
    if str(name_or_path) in bundles:
        return load(bundles[str(name_or_path)])
    raise BundleError(f"No bundle named {name_or_path!r} and no such folder. "
                      f"Known bundles: {', '.join(bundles) or 'none'}.")
