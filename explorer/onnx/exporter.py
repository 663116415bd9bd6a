"""A bundle's encoder and decoder as ONNX files, for other tools and frameworks:

    python -m explorer.onnx_export NAME --out DIR

writes ``DIR/encoder.onnx`` and ``DIR/decoder.onnx``, each one self-contained file (no external
data), with a batch axis of any size:

- encoder: ``images`` float32 [N, 28, 28] in [0, 1] -> ``code`` [N, k] (a plain autoencoder), or
  ``mean`` and ``log_var`` [N, k] (a VAE's posterior N(mean, exp(log_var)));
- decoder: ``code`` float32 [N, k] -> ``images`` [N, 28, 28], probabilities in [0, 1] (the graph
  ends in a Sigmoid).

Each file is read back through explorer/onnx/safety.py and run with onnxruntime on 256 test codes
(or random ones) before the command says it is done: the decodes match the bundle's own within
1e-5. ``DIR`` may not hold files other than these two (nothing else is replaced).
"""

from __future__ import annotations

import argparse
import io
import sys
import warnings
from pathlib import Path

import numpy as np
import torch

from explorer.bundles import catalog
from explorer.onnx import safety as onnx_safety
from explorer.files import outputs
from explorer.bundles.bundle import Model
from explorer.bundles.errors import BundleError

FILES = ("encoder.onnx", "decoder.onnx")
OPSET = 17
TOLERANCE = 1e-5


class _Encoder(torch.nn.Module):
    def __init__(self, net, posterior: bool):
        super().__init__()
        self.net, self.posterior = net, posterior

    def forward(self, images):
        return self.net.posterior(images) if self.posterior else self.net.encode(images)


class _Decoder(torch.nn.Module):
    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, code):
        return self.net.decode(code)


def export(model: Model) -> dict[str, bytes]:
    """The bundle's encoder and decoder as ONNX bytes, by file name."""
    posterior = model.kind_info.has_posterior
    net = model.net.eval()
    enc_out = ["mean", "log_var"] if posterior else ["code"]
    files = {}
    for file, module, example, inputs, outs in (
            ("encoder.onnx", _Encoder(net, posterior), torch.zeros(2, 28, 28), ["images"], enc_out),
            ("decoder.onnx", _Decoder(net), torch.zeros(2, model.latent_dim), ["code"], ["images"])):
        buffer = io.BytesIO()
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation notice
            torch.onnx.export(module, (example,), buffer, dynamo=False, opset_version=OPSET,
                              input_names=inputs, output_names=outs,
                              dynamic_axes={n: {0: "batch"} for n in [*inputs, *outs]})
        files[file] = buffer.getvalue()
    return files


def largest_difference(model: Model, files: dict[str, bytes], codes: np.ndarray | None = None) -> float:
    """Run the exported files with onnxruntime: the largest difference from the bundle's own
    decodes (of ``codes``, default 256 of its test codes) and, through the encoder, codes."""
    if codes is None:
        codes = model.latents.codes[:256] if model.latents is not None else \
            np.random.default_rng(0).standard_normal((256, model.latent_dim)).astype(np.float32)
    decoder, _ = onnx_safety.session(files["decoder.onnx"], "decoder.onnx")
    images = decoder.run(None, {"code": np.asarray(codes, np.float32)})[0]
    worst = float(np.abs(images - model.decode(codes)).max())
    encoder, _ = onnx_safety.session(files["encoder.onnx"], "encoder.onnx")
    back = encoder.run(None, {"images": images.astype(np.float32)})[0]
    return max(worst, float(np.abs(back - model.encode(images)).max()))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m explorer.onnx_export", description=__doc__.split("\n\n")[0])
    p.add_argument("name", help="a bundle's name or folder")
    p.add_argument("--out", required=True, help="folder for encoder.onnx and decoder.onnx")
    p.add_argument("--label", type=int, help="a model that takes labels (a conditional VAE): the class its "
                                             "files encode and decode as (ONNX files of ours take images and codes only)")
    args = p.parse_args(argv)
    out = Path(args.out)
    problem = _out_problem(out)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    try:
        model = catalog.load_model(args.name)
    except BundleError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    takes_labels = "labels" in model.kind_info.offers
    if takes_labels != (args.label is not None):
        print(f"error: {model.name} takes labels: add --label, one of its classes {model.classes}" if takes_labels
              else f"error: --label: {model.name} is a {model.kind_info.title}, which takes no labels", file=sys.stderr)
        return 2
    if takes_labels:
        try:
            model = model.given(args.label)
        except ValueError as e:
            print(f"error: --label: {e}", file=sys.stderr)
            return 2
    torch.set_num_threads(1)
    files = export(model)
    try:
        worst = largest_difference(model, files)
    except onnx_safety.OnnxError as e:
        print(f"error: the exported model cannot be checked: {e}; nothing written", file=sys.stderr)
        return 1
    if worst > TOLERANCE:
        print(f"error: the exported model differs from {model.name} by {worst:.2e} (more than {TOLERANCE:g}); "
              "nothing written", file=sys.stderr)
        return 1
    out.mkdir(parents=True, exist_ok=True)
    for file, data in files.items():
        outputs.write_file(out / file, lambda path, data=data: Path(path).write_bytes(data))
    print(f"wrote {out / FILES[0]} and {out / FILES[1]} ({sum(map(len, files.values())) / 2**20:.1f} MB); "
          f"onnxruntime matches {model.name} within {worst:.1e}")
    return 0


def _out_problem(out: Path) -> str | None:
    """Why ``out`` cannot take the two files, or None: a file, a folder holding anything else,
    or a place this user cannot write."""
    if out.exists() and not out.is_dir():
        return f"--out {out}: is a file, not a folder"
    if out.is_dir():
        others = sorted(p.name for p in out.iterdir() if p.name not in FILES)
        if others:
            return (f"--out {out}: holds {', '.join(others[:3])}{' ...' if len(others) > 3 else ''}; choose an empty "
                    "folder or one with only encoder.onnx and decoder.onnx (nothing else is replaced)")
    return outputs.files_problem(None, out, [out / f for f in FILES], "an ONNX file")


if __name__ == "__main__":
    sys.exit(main())
