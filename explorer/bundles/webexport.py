"""A model's decoder and maps in a form a browser decodes with: one JSON manifest and one
gzip-compressed binary file of little-endian arrays, fetched once per model and cached by the browser.

    manifest = {"model": name, "latent_dim": k, "image": [H, W, C],
                "decoder": [layer, ...],        # in order; see decoder_layers
                "maps": {name: {...}},           # how a map point becomes a latent vector
                "codes", "labels", "test_index", "recon_error": keys of the test images' arrays
                "arrays": {key: [byte_offset, length, dtype]}}  # into the decompressed binary

Each array keeps the smallest type that holds it exactly (DTYPES): the weights, which bundles
store as float16, travel as float16 and the browser widens them to float32, so it computes with
the very numbers the library does, at half the transfer; class labels as uint8. The binary is
written gzip-compressed as ``arrays.bin.gz`` once per bundle version: served as
``application/gzip``, it goes out as it lies on disk instead of being compressed again by the web
server for every browser that asks (Streamlit compresses other static files on each request:
0.75 s of server CPU per 6 MB here). The browser inflates it with DecompressionStream.

The decoder is described layer by layer from the torch module itself, so what the browser runs
is what the library runs: ``linear`` (weight [out, in] row-major, bias), an activation, a
``reshape`` to channels x height x width, and ``conv_transpose`` (weight [in, out, k, k] as torch
stores it, bias, stride, padding). The last layer's output are logits; the image is their
sigmoid. A conditional model's manifest adds ``condition``: its ``classes``, ``bias`` (what each
label's one-hot adds to the first layer, [classes, out]) and the ``label`` drawn unless a page
asks for another. A model with a codebook (a VQ-VAE) starts with a ``quantise`` layer: its code is
``dim`` numbers for each cell of a ``grid`` (channel by channel, [dim, h, w]), and each cell's
vector is replaced by the nearest of the ``codebook``'s ``entries`` [entries, dim] before the
layers that follow (a ``conv`` among them: weight [out, in, k, k]). A recurrent decoder is one
``gru_rows`` layer: its state starts at tanh(start_weight z + start_bias), a GRU given z at each of
``steps`` steps (torch's weight_ih, weight_hh, bias_ih, bias_hh, gates r, z, n), each step's state
mapped to one row's logits by row_weight and row_bias. Maps: ``direct`` (the point is the code), ``pca`` (mean + point @ components) and
``tsne`` (the inverse-distance-weighted mean of the codes of the K test points nearest on the
map, a point on a test point giving back its own code), exactly as explorer/maps/__init__.py does.
``ui/latent_map/decoder.js`` implements the same in plain JavaScript.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
from torch import nn

from explorer.onnx import browser as onnx_browser
from explorer.files import replace_file
from explorer.models import ACTIVATIONS
from explorer.onnx.model import OnnxNet

FORMAT_VERSION = 4  # 3: each test image's reconstruction error; 4: imported decoders' layers, "output"
DTYPES = {"u1": "u1", "u2": "<u2", "i4": "<i4", "f2": "<f2", "f4": "<f4"}
ALIGN = 4
BINARY = "arrays.bin.gz"
IMAGES = "test-images.u8.gz"  # a dataset's test images, uint8 [N, 28, 28] row-major, gzip-compressed
ACTIVATION_NAMES = {cls: name for name, cls in ACTIVATIONS.items()}


class Arrays:
    """Collects arrays into one buffer, each in the smallest type that holds it exactly, and
    remembers where each lies."""

    def __init__(self):
        self.parts: list[bytes] = []
        self.index: dict[str, list] = {}
        self.size = 0

    def add(self, key: str, array) -> str:
        a = np.ascontiguousarray(np.asarray(array)).ravel()
        dtype = narrowest(a)
        data = a.astype(DTYPES[dtype]).tobytes()
        self.index[key] = [self.size, int(a.size), dtype]
        pad = -len(data) % ALIGN  # every array starts where a typed view of it may begin
        self.parts.append(data + b"\0" * pad)
        self.size += len(data) + pad
        return key

    def tobytes(self) -> bytes:
        return b"".join(self.parts)


def narrowest(a: np.ndarray) -> str:
    """The first type in DTYPES that holds every value of ``a`` exactly."""
    if a.dtype.kind in "iub":
        if a.size == 0 or (a.min() >= 0 and a.max() <= 255):
            return "u1"
        if a.min() >= 0 and a.max() <= 65535:
            return "u2"
        if a.min() >= -2**31 and a.max() < 2**31:
            return "i4"
        raise ValueError("integers beyond 32 bits have no browser form")
    a32 = a.astype(np.float32)
    with np.errstate(over="ignore"):
        half = a32.astype(np.float16).astype(np.float32)
    if np.all(np.isfinite(a32)) and np.array_equal(half, a32):
        return "f2"
    return "f4"


def read_array(payload: bytes, entry) -> np.ndarray:
    """One array back out of the (decompressed) binary, as the browser reads it."""
    offset, length, dtype = entry
    return np.frombuffer(payload, DTYPES[dtype], count=length, offset=offset)


def decoder_layers(decoder: nn.Module, arrays: Arrays, label_inputs: int = 0) -> list[dict]:
    """The decoder's layers in order, as the manifest describes them. ``label_inputs``: the last
    inputs of its first layer are a label's one-hot (a conditional model's), left out here: the
    browser adds the chosen label's column to that layer's bias (``condition``)."""
    if hasattr(decoder, "web_layers"):  # a decoder that is not a chain of layers describes itself
        return decoder.web_layers(arrays.add)
    layers = []
    modules = [m for m in decoder.modules() if not list(m.children())]  # the leaves, in order
    for i, m in enumerate(modules):
        if isinstance(m, nn.Linear):
            weight = m.weight.detach().numpy()
            cut = label_inputs if not layers else 0
            layers.append({"type": "linear", "in": m.in_features - cut, "out": m.out_features,
                           "weight": arrays.add(f"dec{i}.weight", weight[:, :weight.shape[1] - cut]),
                           "bias": arrays.add(f"dec{i}.bias", m.bias.detach().numpy())})
        elif type(m) in ACTIVATION_NAMES:
            layers.append({"type": "activation", "fn": ACTIVATION_NAMES[type(m)]})
        elif isinstance(m, nn.Unflatten):
            layers.append({"type": "reshape", "shape": list(m.unflattened_size)})
        elif isinstance(m, nn.Conv2d):
            if m.kernel_size[0] != m.kernel_size[1] or m.stride[0] != m.stride[1] or m.padding[0] != m.padding[1] \
                    or m.groups != 1 or m.dilation != (1, 1) or m.padding_mode != "zeros":
                raise ValueError(f"decoder layer {i}: only square, ungrouped convolutions export")
            layers.append({"type": "conv", "in": m.in_channels, "out": m.out_channels,
                           "kernel": m.kernel_size[0], "stride": m.stride[0], "padding": m.padding[0],
                           "weight": arrays.add(f"dec{i}.weight", m.weight.detach().numpy()),
                           "bias": arrays.add(f"dec{i}.bias", m.bias.detach().numpy())})
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


def browser_decoder(model, arrays: Arrays) -> dict:
    """``decoder`` (the layers) and ``output``: what the last layer's numbers are, ``logits`` (the
    image is their sigmoid: our models), ``sigmoid`` or ``linear`` (shown clipped to [0, 1]).
    An imported model's graph is translated by onnx_browser (NoBrowserForm where it cannot be)."""
    net = model.net
    if isinstance(net, OnnxNet):
        spec = net.spec  # the browser's images are H x W x C, as the test images are
        return {"decoder": onnx_browser.layers(net.decoder_proto, model.latent_dim, arrays.add,
                                               to_hwc=spec.decoder_output.layout == "chw" and spec.image[2] == 3),
                "output": spec.output}
    net = getattr(net, "net", net)  # a conditional model given a label: its own layers
    if "codebook" in getattr(net, "offers", ()):  # each cell snapped to its nearest entry, then the layers
        book = net.quantiser.codebook.detach().numpy()
        return {"decoder": [{"type": "quantise", "entries": int(book.shape[0]), "dim": int(book.shape[1]),
                             "codebook": arrays.add("codebook", book)}, *decoder_layers(net.decoder, arrays)],
                "output": "logits", "grid": list(net.grid)}
    if "labels" not in getattr(net, "offers", ()):
        return {"decoder": decoder_layers(net.decoder, arrays), "output": "logits"}
    first = next(m for m in net.decoder.modules() if isinstance(m, nn.Linear))
    n_labels = first.in_features - model.latent_dim
    columns = first.weight.detach().numpy()[:, model.latent_dim:].T  # [label, out]: what each label adds
    return {"decoder": decoder_layers(net.decoder, arrays, n_labels), "output": "logits",
            "condition": {"classes": list(model.classes), "bias": arrays.add("condition.bias", columns),
                          "label": model.label if model.label is not None else model.classes[0]}}


def map_entry(mp, arrays: Arrays) -> dict:
    """How the browser turns a point of ``mp`` into a latent vector, and where the test points lie."""
    form = mp.web_form(arrays.add)
    if form is None:
        raise ValueError(f"the {mp.name} map has no browser form; pages draw it on the server")
    return {"xy": arrays.add(f"{mp.name}.xy", mp.xy), "exact": bool(mp.exact), **form}


def export(model, maps=None, classifier=None) -> tuple[dict, bytes]:
    """The manifest and binary payload of ``model`` and its maps (default: every map it has), and
    of the dataset's ``classifier`` (explorer/baselines/classifier) when given: ``"classifier": {"name",
    "test_accuracy", "layers": [{"weight", "bias", "in", "out"}, ...]}``, ReLU between layers."""
    arrays = Arrays()
    h, w, c = model.image_shape
    manifest = {"format_version": FORMAT_VERSION, "model": model.name, "latent_dim": model.latent_dim,
                "image": [h, w, c], **browser_decoder(model, arrays), "maps": {}}
    lat = model.latents
    if lat is not None:
        manifest["codes"] = arrays.add("codes", lat.codes)
        manifest["labels"] = arrays.add("labels", lat.labels)
        manifest["test_index"] = arrays.add("test_index", lat.index)
        manifest["recon_error"] = arrays.add("recon_error", lat.recon_error)
        # default: the maps it has (stored, or quick to compute), not those computed when first opened
        for name in maps if maps is not None else model.open_maps():
            manifest["maps"][name] = map_entry(model.map(name), arrays)
    if classifier is not None:
        manifest["classifier"] = classifier_entry(classifier, arrays)
    manifest["arrays"] = arrays.index
    return manifest, arrays.tobytes()


def classifier_entry(classifier, arrays: Arrays) -> dict:
    layers = classifier.layers()
    return {"name": classifier.info.get("name", ""), "test_accuracy": classifier.info.get("test_accuracy"),
            "layers": [{"weight": arrays.add(f"clf{i}.weight", w), "bias": arrays.add(f"clf{i}.bias", b),
                        "in": int(w.shape[1]), "out": int(w.shape[0])} for i, (w, b) in enumerate(layers)]}


def classifier_files(classifier) -> dict[str, bytes]:
    """A dataset's classifier alone, as decoder.js's ``LatentDecoder.loadClassifier`` reads it: the
    models of a static site (ui/site.py) share one copy instead of each carrying its own."""
    arrays = Arrays()
    manifest = {"format_version": FORMAT_VERSION, "classifier": classifier_entry(classifier, arrays)}
    manifest["arrays"] = arrays.index
    return {BINARY: gzip.compress(arrays.tobytes(), compresslevel=6, mtime=0), MANIFEST: json.dumps(manifest).encode()}


MANIFEST = "manifest.json"


def files(model, maps=None, classifier=None) -> dict[str, bytes]:
    """The browser's files of ``model`` (see export): file name -> bytes."""
    manifest, payload = export(model, maps, classifier)
    return {BINARY: gzip.compress(payload, compresslevel=6, mtime=0), MANIFEST: json.dumps(manifest).encode()}


def image_files(images: np.ndarray) -> dict[str, bytes]:
    """A dataset's test images as a browser reads them (IMAGES, in test-split order; [N, H, W] or
    [N, H, W, 3] row-major), so hovering a test point shows the image itself. Written once per
    dataset (or bundle of its own images) and shared by its models."""
    raw = np.ascontiguousarray(images, dtype=np.uint8)
    if raw.ndim not in (3, 4) or (raw.ndim == 4 and raw.shape[3] != 3):
        raise ValueError(f"test images must be [N, H, W] or [N, H, W, 3], got {raw.shape}")
    return {IMAGES: gzip.compress(raw.tobytes(), compresslevel=6, mtime=0)}


def write(model, folder, maps=None, classifier=None) -> Path:
    """Write ``manifest.json`` and ``arrays.bin.gz`` into ``folder`` (atomically, each; the
    manifest last, so a folder with a manifest is complete)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    out = files(model, maps, classifier)
    for name in (BINARY, MANIFEST):
        replace_file(folder / name, lambda f: f.write_bytes(out[name]))
    return folder


def write_images(images: np.ndarray, folder) -> Path:
    """``image_files`` written into ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    packed = image_files(images)[IMAGES]
    replace_file(folder / IMAGES, lambda f: f.write_bytes(packed))
    return folder / IMAGES
