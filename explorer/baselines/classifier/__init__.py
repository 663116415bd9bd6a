"""A digit (or garment) classifier for reading what a decoder draws: the "class regions" layer
colours each spot of a map by the class this classifier gives the image decoded there.

A small MLP, 784-256-10 with ReLU, trained on the dataset's training split only and measured on
its test split; one per dataset, in ``pretrained/classifiers/<dataset>.safetensors`` (float16
weights, safe to load) with ``<dataset>.json`` (architecture, accuracy, the command). This module
is the library; the command that trains and writes one is __main__.py:

    python -m explorer.classifier --dataset mnist
    python -m explorer.classifier --dataset fashion-mnist

``load`` gives None when a dataset has no classifier and raises ClassifierError, naming the file
and why, when its files are there but cannot be used; ``problem`` says either in a sentence.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn

from explorer import data
from explorer.bundles import PRETRAINED_DIR
from explorer.files.outputs import write_file

FOLDER = PRETRAINED_DIR / "classifiers"
HIDDEN = 256


def network(hidden: int = HIDDEN) -> nn.Sequential:
    return nn.Sequential(nn.Flatten(), nn.Linear(784, hidden), nn.ReLU(), nn.Linear(hidden, 10))


@dataclass
class Classifier:
    net: nn.Sequential
    info: dict  # name, dataset, test_accuracy, ...

    @torch.no_grad()
    def predict(self, images) -> np.ndarray:
        """Class of each image (float [N, 28, 28] in [0, 1] or uint8)."""
        x = torch.from_numpy(np.asarray(images, np.float32) / (255.0 if np.asarray(images).dtype == np.uint8 else 1.0))
        return self.net(x.reshape(-1, 784)).argmax(1).numpy()

    @torch.no_grad()
    def probabilities(self, images, batch_size: int = 4096) -> np.ndarray:
        """Softmax over the classes for each image (float [N, 28, 28] in [0, 1] or uint8): [N, 10]."""
        images = np.asarray(images)
        scale = 255.0 if images.dtype == np.uint8 else 1.0
        out = [torch.softmax(self.net(torch.from_numpy(images[i:i + batch_size].astype(np.float32) / scale)
                                      .reshape(-1, 784)), 1).numpy() for i in range(0, len(images), batch_size)]
        return np.concatenate(out) if out else np.zeros((0, 10), np.float32)

    def layers(self):
        """(weight [out, in], bias) of each linear layer, for the browser."""
        return [(m.weight.detach().numpy(), m.bias.detach().numpy()) for m in self.net if isinstance(m, nn.Linear)]


def path_of(dataset: str, folder: Path = FOLDER) -> Path:
    return Path(folder) / f"{dataset}.safetensors"


class ClassifierError(RuntimeError):
    """A dataset's classifier files are there but cannot be used. The message names the file,
    says why, and how to make it again."""


def _meta_path(dataset: str, folder: Path = FOLDER) -> Path:
    return path_of(dataset, folder).with_suffix(".json")


def load(dataset: str, folder: Path = FOLDER) -> Classifier | None:
    """The dataset's classifier; None when it has none (neither file is there). Files that are
    there but cannot be used raise ClassifierError: one of the pair missing, a description that
    is not a JSON object, weights that are not safetensors or do not fit the network."""
    weights, meta = path_of(dataset, folder), _meta_path(dataset, folder)
    if not weights.exists() and not meta.exists():
        return None
    again = f"make it again with `python -m explorer.classifier --dataset {dataset}`"
    for file, other in ((weights, meta), (meta, weights)):
        if not file.exists():
            raise ClassifierError(f"{file}: missing, though {other.name} is there; {again}")
    try:
        info = json.loads(meta.read_text())
    except (OSError, UnicodeDecodeError, ValueError) as e:
        raise ClassifierError(f"{meta}: not readable JSON ({e}); {again}") from e
    hidden = info.get("hidden", HIDDEN) if isinstance(info, dict) else None
    if type(hidden) is not int or not 1 <= hidden <= 4096:
        raise ClassifierError(f"{meta}: expected a JSON object whose 'hidden' is a layer width "
                              f"between 1 and 4096; {again}")
    try:
        state = {k: v.float() for k, v in load_file(str(weights)).items()}
    except (SafetensorError, OSError, ValueError, RuntimeError) as e:
        raise ClassifierError(f"{weights}: not a readable safetensors file ({e}); {again}") from e
    net = network(hidden)
    expected = {k: tuple(v.shape) for k, v in net.state_dict().items()}
    got = {k: tuple(v.shape) for k, v in state.items()}
    if got != expected:
        raise ClassifierError(f"{weights}: its tensors {got} do not fit a 784-{hidden}-10 network "
                              f"({expected}); {again}")
    if not all(torch.isfinite(v).all() for v in state.values()):
        raise ClassifierError(f"{weights}: holds values that are not finite numbers; {again}")
    net.load_state_dict(state)
    net.eval()
    return Classifier(net, info)


def problem(dataset: str, folder: Path = FOLDER) -> str | None:
    """Why the dataset's classifier cannot be used, for a page to show: "not installed ..." or
    "damaged: ...", or None when it loads."""
    try:
        clf = load(dataset, folder)
    except ClassifierError as e:
        return f"damaged: {e}"
    if clf is None:
        return (f"not installed: no {path_of(dataset, folder).name} in {folder} "
                f"(`python -m explorer.classifier --dataset {dataset}`)")
    return None


def train(dataset: str, data_dir=None, epochs: int = 6, seed: int = 0, threads: int = 2) -> Classifier:
    torch.manual_seed(seed)
    torch.set_num_threads(threads)
    train_split = data.load(dataset, "train", data_dir)
    test_split = data.load(dataset, "test", data_dir)
    x = torch.from_numpy(train_split.images.reshape(-1, 784).astype(np.float32) / 255.0)
    y = torch.from_numpy(train_split.labels.astype(np.int64))
    net = network()
    opt = torch.optim.AdamW(net.parameters(), lr=1e-3, weight_decay=1e-4)
    gen = torch.Generator().manual_seed(seed)
    for epoch in range(epochs):
        order = torch.randperm(len(x), generator=gen)
        for start in range(0, len(x), 128):
            idx = order[start:start + 128]
            loss = nn.functional.cross_entropy(net(x[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    net.eval()
    with torch.no_grad():  # measured with the float16 weights that are shipped
        for p in net.parameters():
            p.copy_(p.half().float())
    clf = Classifier(net, {})
    accuracy = float((clf.predict(test_split.images) == test_split.labels).mean())
    clf.info = {"name": f"{dataset} MLP 784-{HIDDEN}-10", "dataset": dataset, "hidden": HIDDEN,
                "epochs": epochs, "seed": seed, "test_accuracy": round(accuracy, 4),
                "n_train": int(len(x)), "n_test": int(len(test_split.images))}
    return clf


def save(clf: Classifier, folder: Path = FOLDER) -> Path:
    """Write the classifier's two files into ``folder``, each atomically (a unique temporary file
    beside it, then renamed); nothing else in the folder is touched."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    target = path_of(clf.info["dataset"], folder)
    tensors = {k: v.detach().half().contiguous() for k, v in clf.net.state_dict().items()}
    write_file(target, lambda f: save_file(tensors, str(f)))
    write_file(_meta_path(clf.info["dataset"], folder), lambda f: f.write_text(json.dumps(clf.info, indent=1)))
    return target
