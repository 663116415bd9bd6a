"""A digit (or garment) classifier for reading what a decoder draws: the "class regions" layer
colours each spot of a map by the class this classifier gives the image decoded there.

A small MLP, 784-256-10 with ReLU, trained on the dataset's training split only and measured on
its test split; one per dataset, in ``pretrained/classifiers/<dataset>.safetensors`` (float16
weights, safe to load) with ``<dataset>.json`` (architecture, accuracy, the command):

    python -m explorer.classifier --dataset mnist
    python -m explorer.classifier --dataset fashion-mnist
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file, save_file
from torch import nn

from . import data
from .bundle import PRETRAINED_DIR
from .files import replace_file

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

    def layers(self):
        """(weight [out, in], bias) of each linear layer, for the browser."""
        return [(m.weight.detach().numpy(), m.bias.detach().numpy()) for m in self.net if isinstance(m, nn.Linear)]


def path_of(dataset: str, folder: Path = FOLDER) -> Path:
    return Path(folder) / f"{dataset}.safetensors"


def load(dataset: str, folder: Path = FOLDER) -> Classifier | None:
    """The dataset's classifier, or None when there is none (or it cannot be read)."""
    weights, meta = path_of(dataset, folder), path_of(dataset, folder).with_suffix(".json")
    if not weights.is_file() or not meta.is_file():
        return None
    try:
        info = json.loads(meta.read_text())
        net = network(int(info.get("hidden", HIDDEN)))
        state = {k: v.float() for k, v in load_file(str(weights)).items()}
        net.load_state_dict(state)
    except Exception:  # a damaged file: the layer is simply not offered
        return None
    net.eval()
    return Classifier(net, info)


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
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    target = path_of(clf.info["dataset"], folder)
    tensors = {k: v.detach().half().contiguous() for k, v in clf.net.state_dict().items()}
    replace_file(target, lambda f: save_file(tensors, str(f)))
    replace_file(target.with_suffix(".json"), lambda f: f.write_text(json.dumps(clf.info, indent=1)))
    return target


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m explorer.classifier", description=__doc__.split("\n")[0])
    parser.add_argument("--dataset", choices=sorted(data.DATASETS), default="mnist")
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data-dir")
    parser.add_argument("--out", default=str(FOLDER), help="folder to write <dataset>.safetensors and .json into")
    args = parser.parse_args(argv)
    if args.epochs < 1:
        parser.error("--epochs must be at least 1")
    start = time.time()
    try:
        clf = train(args.dataset, args.data_dir, args.epochs, args.seed)
    except data.DataError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    clf.info["command"] = "python -m explorer.classifier " + " ".join(argv if argv is not None else sys.argv[1:])
    clf.info["seconds"] = round(time.time() - start, 1)
    path = save(clf, Path(args.out))
    print(f"{clf.info['name']}: test accuracy {clf.info['test_accuracy']:.2%}; wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
