"""From a notebook to the app in one call:

    from explorer import bundle_from_torch
    bundle_from_torch(model.encoder, model.decoder, x_test, y_test, out="my-models/lecture-ae")

exports the two ``torch.nn.Module``s to ONNX (torch.onnx.export, opset 17, any batch size) and
imports them as ``python -m explorer.onnx_import`` does, onto ``images``: the images the way the
encoder takes them (a torch tensor or numpy array of floats in [0, 1] or uint8: [N, 784] flat,
[N, H, W], [N, C, H, W] or [N, H, W, C]), or a dataset's name ("mnist", "fashion-mnist"), whose
test split is then used. ``labels`` (one whole number per image) and ``class_names`` are
optional. The encoder may return a code, or a VAE's (mean, log_var) (a third output, a sampled
z, is left aside). Returns the bundle's folder; the app opens it with ``--models-dir`` its parent.
"""

from __future__ import annotations

import io
import math
import os
from pathlib import Path

import numpy as np
import torch

from explorer.bundles import bundle
from explorer import data
from explorer.data import owndata
from explorer.onnx.importer import import_model
from explorer.onnx.model import FILES

OPSET = 17


def _to_onnx(module: torch.nn.Module, example: torch.Tensor, inputs: list[str], outputs: list[str]) -> bytes:
    buffer = io.BytesIO()
    was_training = module.training
    module.eval()
    try:
        torch.onnx.export(module, (example,), buffer, dynamo=False, opset_version=OPSET, input_names=inputs,
                          output_names=outputs, dynamic_axes={n: {0: "N"} for n in inputs + outputs})
    finally:
        module.train(was_training)
    return buffer.getvalue()


def _pictures(x: np.ndarray) -> np.ndarray:
    """The encoder's view of the images -> ours, [N, H, W] or [N, H, W, 3] (flat ones read square)."""
    if x.ndim == 2:
        n = x.shape[1]
        for c in (1, 3):
            side = math.isqrt(n // c)
            if side * side * c == n:
                return x.reshape(len(x), side, side) if c == 1 else x.reshape(len(x), side, side, 3)
        raise ValueError(f"flat images of {n} numbers are not square grey or colour pictures; give them as [N, H, W]")
    if x.ndim == 4 and x.shape[1] in (1, 3) and x.shape[-1] not in (1, 3):
        x = x.transpose(0, 2, 3, 1)
    if x.ndim == 4 and x.shape[-1] == 1:
        x = x[..., 0]
    return x


def bundle_from_torch(encoder: torch.nn.Module, decoder: torch.nn.Module, images, labels=None, out=None,
                      name: str | None = None, class_names=None, kind: str | None = None,
                      output: str | None = None, tsne: bool = True) -> Path:
    if out is None:
        raise ValueError("out: the bundle folder to write, e.g. out='my-models/lecture-ae'")
    out = Path(out)
    if isinstance(images, str):
        example = torch.from_numpy(data.load(images, "test").images[:2].astype(np.float32) / 255)
        dataset = images
    else:
        x = images.detach().cpu().numpy() if isinstance(images, torch.Tensor) else np.asarray(images)
        example = torch.from_numpy(np.ascontiguousarray(x[:2], np.float32) / (255 if x.dtype == np.uint8 else 1))
        y = labels.detach().cpu().numpy() if isinstance(labels, torch.Tensor) else labels
        pictures = owndata.images_of(_pictures(x), "images")
        ys = owndata.labels_of(y, len(pictures), "labels")
        names = owndata.class_names_of(None if class_names is None else np.array(list(class_names)), ys, "class_names")
        dataset = owndata.OwnData(pictures, ys, names, (name or out.name)[:60])
    was_training = encoder.training
    try:
        with torch.no_grad():
            got = encoder.eval()(example)
    finally:
        encoder.train(was_training)
    n_out = len(got) if isinstance(got, (tuple, list)) else 1
    enc_outputs = {1: ["code"], 2: ["mean", "log_var"], 3: ["mean", "log_var", "z"]}.get(n_out)
    if enc_outputs is None:
        raise ValueError(f"the encoder returns {n_out} tensors; a code, or (mean, log_var[, z])")
    with torch.no_grad():
        k = (got[0] if n_out > 1 else got).reshape(len(example), -1).shape[1]
    enc = _to_onnx(encoder, example, ["images"], enc_outputs)
    dec = _to_onnx(decoder, torch.zeros(2, k), ["code"], ["images"])
    model = import_model(enc, dec, dataset, name or out.name, kind=kind, output=output, tsne=tsne,
                         threads=max(1, min(4, os.cpu_count() or 1)),
                         source={"encoder": FILES["encoder"], "decoder": FILES["decoder"],
                                 "command": "explorer.bundle_from_torch"})
    return bundle.save(model, out, model.config, model.latents, images=model.images())
