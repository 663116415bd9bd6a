"""A model's decoder and maps in a form a browser decodes with: one JSON manifest and one binary
file of little-endian float32 arrays, fetched once per model and cached by the browser.

    manifest = {"model": name, "latent_dim": k, "image": [28, 28],
                "decoder": [layer, ...],        # in order; see LAYERS
                "maps": {name: {...}},           # how a map point becomes a latent vector
                "arrays": {key: [offset, length]}}  # float32 elements into the binary file

The decoder is described layer by layer from the torch module itself, so what the browser runs
is what the library runs: ``linear`` (weight [out, in] row-major, bias), an activation, a
``reshape`` to channels x height x width, and ``conv_transpose`` (weight [in, out, k, k] as torch
stores it, bias, stride, padding). The last layer's output are logits; the image is their
sigmoid. Maps: ``direct`` (the point is the code), ``pca`` (mean + point @ components) and
``tsne`` (the inverse-distance-weighted mean of the codes of the K test points nearest on the
map, a point on a test point giving back its own code), exactly as explorer/projection.py does.
``ui/latent_map/decoder.js`` implements the same in plain JavaScript.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from torch import nn

from .files import replace_file
from .models import ACTIVATIONS

FORMAT_VERSION = 1
ACTIVATION_NAMES = {cls: name for name, cls in ACTIVATIONS.items()}


class Arrays:
    """Collects float32 arrays into one buffer and remembers where each lies."""

    def __init__(self):
        self.parts: list[np.ndarray] = []
        self.index: dict[str, list[int]] = {}
        self.size = 0

    def add(self, key: str, array) -> str:
        a = np.ascontiguousarray(np.asarray(array, dtype="<f4")).ravel()
        self.index[key] = [self.size, int(a.size)]
        self.parts.append(a)
        self.size += a.size
        return key

    def tobytes(self) -> bytes:
        return np.concatenate(self.parts).tobytes() if self.parts else b""


def decoder_layers(decoder: nn.Module, arrays: Arrays) -> list[dict]:
    """The decoder's layers in order, as the manifest describes them."""
    layers = []
    modules = [m for m in decoder.modules() if not list(m.children())]  # the leaves, in order
    for i, m in enumerate(modules):
        if isinstance(m, nn.Linear):
            layers.append({"type": "linear", "in": m.in_features, "out": m.out_features,
                           "weight": arrays.add(f"dec{i}.weight", m.weight.detach().numpy()),
                           "bias": arrays.add(f"dec{i}.bias", m.bias.detach().numpy())})
        elif type(m) in ACTIVATION_NAMES:
            layers.append({"type": "activation", "fn": ACTIVATION_NAMES[type(m)]})
        elif isinstance(m, nn.Unflatten):
            layers.append({"type": "reshape", "shape": list(m.unflattened_size)})
        elif isinstance(m, nn.ConvTranspose2d):
            if m.kernel_size[0] != m.kernel_size[1] or m.stride[0] != m.stride[1] or m.padding[0] != m.padding[1] \
                    or m.groups != 1 or m.dilation != (1, 1) or m.output_padding != (0, 0):
                raise ValueError(f"decoder layer {i}: only square, ungrouped transposed convolutions export")
            layers.append({"type": "conv_transpose", "in": m.in_channels, "out": m.out_channels,
                           "kernel": m.kernel_size[0], "stride": m.stride[0], "padding": m.padding[0],
                           "weight": arrays.add(f"dec{i}.weight", m.weight.detach().numpy()),
                           "bias": arrays.add(f"dec{i}.bias", m.bias.detach().numpy())})
        else:
            raise ValueError(f"decoder layer {i} ({type(m).__name__}) has no browser form")
    return layers


def map_entry(mp, arrays: Arrays) -> dict:
    """How the browser turns a point of ``mp`` into a latent vector, and where the test points lie."""
    return {"xy": arrays.add(f"{mp.name}.xy", mp.xy), "exact": bool(mp.exact), **mp.web_form(arrays.add)}


def export(model, maps=None) -> tuple[dict, bytes]:
    """The manifest and binary payload of ``model`` and its maps (default: every map it has)."""
    from . import projection

    arrays = Arrays()
    manifest = {"format_version": FORMAT_VERSION, "model": model.name, "latent_dim": model.latent_dim,
                "image": [28, 28], "decoder": decoder_layers(model.net.decoder, arrays), "maps": {}}
    lat = model.latents
    if lat is not None:
        manifest["codes"] = arrays.add("codes", lat.codes)
        manifest["labels"] = arrays.add("labels", lat.labels)
        manifest["test_index"] = arrays.add("test_index", lat.index)
        for name in maps if maps is not None else projection.available(model.latent_dim):
            manifest["maps"][name] = map_entry(model.map(name), arrays)
    manifest["arrays"] = arrays.index
    return manifest, arrays.tobytes()


def write(model, folder, maps=None) -> Path:
    """Write ``manifest.json`` and ``arrays.bin`` into ``folder`` (atomically, each)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    manifest, payload = export(model, maps)
    replace_file(folder / "arrays.bin", lambda f: f.write_bytes(payload))
    replace_file(folder / "manifest.json", lambda f: f.write_text(json.dumps(manifest)))
    return folder
