"""Import an autoencoder from any framework as two ONNX files:

    python -m explorer.onnx_import --encoder ENC.onnx --decoder DEC.onnx --data mnist --out DIR

writes a bundle that the app opens from ``--models-dir`` like ours: the two files as they came
(checked by onnx_safety, never a pickle), the test images' codes computed through the encoder,
the maps (direct for 2-number codes, PCA, t-SNE) and the measured metrics (explorer/bundles/metrics.py:
reconstruction MSE; for a VAE whose outputs are Bernoulli means, the negative ELBO in nats).

What the files are is read from them, and whatever had to be decided is said in the bundle
(config.json ``onnx.assumed``) and by the command:

- the encoder's input shape gives its layout: [N, H*W*C] (flat, as a Keras Dense encoder takes),
  [N, H, W], [N, C, H, W] or [N, H, W, C]; it must fit the data's images;
- the encoder's outputs give the kind: one [N, k] is a code (an autoencoder); two [N, k] are a
  VAE's mean and log-variance (by their names where they say, else in order; a third, the
  sample z of a Keras VAE, is left aside); ``--kind`` overrides (``--kind vae`` with one output
  of 2k numbers reads its halves as mean and log-variance);
- the decoder's output is an image in any of those layouts, and its numbers are probabilities
  when the graph ends in a Sigmoid; otherwise the importer measures which reading rebuilds the
  test images better, plain intensities (``linear``, clipped to [0, 1] for display) or logits;
  ``--output sigmoid|logits|linear`` sets it.

Images are given to the encoder as floats in [0, 1]. Every refusal is one line naming the file
and the reason, exit status 2; nothing is written unless the whole bundle is.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import sys
import time
from pathlib import Path

import numpy as np
import torch

from explorer.bundles import bundle, metrics
from explorer import data, maps as projection
from explorer.onnx import safety as onnx_safety
from explorer.files import outputs, safe as safefiles
from explorer.data import owndata
from explorer.baselines import pca
from explorer.bundles.bundle import Model
from explorer.bundles.errors import BundleError
from explorer.onnx.model import FILES, OnnxNet, OnnxVAE, Port, Spec, run_batched, to_layout
from explorer.onnx.safety import OnnxError

ORT_TYPES = {"tensor(float)": "float32", "tensor(double)": "float64", "tensor(float16)": "float16"}
PASS_THROUGH = {"Reshape", "Flatten", "Transpose", "Identity", "Squeeze", "Unsqueeze", "Cast"}
PROBE = 8  # images run through the encoder to read what its outputs are
CHOOSE_OUTPUT_ON = 1000  # test images on which linear and logits readings are compared
DATASETS = tuple(data.DATASETS)


def read_file(path, what: str) -> bytes:
    """The bytes of ``path`` (OnnxError naming it when it is missing, a folder, not a regular file
    such as a FIFO or /dev/zero, or too large)."""
    path = Path(path)
    if path.is_dir():
        raise OnnxError(f"{path}: is a folder; give the {what} ONNX file")
    return safefiles.read_bytes(path, OnnxError, onnx_safety.MAX_BYTES)


def _dims(shape) -> list[int | None]:
    return [d if isinstance(d, int) and d > 0 else None for d in shape]


def _shape_text(shape) -> str:
    return "[" + ", ".join(str(d) if isinstance(d, int) and d > 0 else "N" if i == 0 else "?"
                           for i, d in enumerate(shape)) + "]"


def _image_text(image) -> str:
    h, w, c = image
    return f"{h}x{w} {'grey' if c == 1 else 'colour'}"


def _float_port(arg, file: str, role: str) -> tuple[str, int]:
    dtype = ORT_TYPES.get(arg.type)
    if dtype is None:
        raise OnnxError(f"{file}: its {role} {arg.name[:40]!r} is {arg.type}; it must take floats")
    batch = arg.shape[0] if arg.shape and isinstance(arg.shape[0], int) and arg.shape[0] > 0 else 0
    if batch > 2048:
        raise OnnxError(f"{file}: its {role} has a fixed batch of {batch}; at most 2048")
    return dtype, batch


def encoder_input(session, file: str, image) -> tuple[Port, list[str]]:
    """The encoder's input port, its layout read from the declared shape, checked against the
    data's ``image`` (H, W, C); and what had to be assumed."""
    inputs = session.get_inputs()
    if len(inputs) != 1:
        raise OnnxError(f"{file}: takes {len(inputs)} inputs ({', '.join(i.name[:30] for i in inputs[:4])}); "
                        "an encoder takes one, the images")
    arg = inputs[0]
    dtype, batch = _float_port(arg, file, "input")
    h, w, c = image
    rest = _dims(arg.shape[1:])
    shapes = {1: [("flat", (h * w * c,))], 2: [("hw", (h, w))] if c == 1 else [],
              3: [("chw", (c, h, w)), ("hwc", (h, w, c))]}.get(len(rest), [])
    fits = [layout for layout, want in shapes if all(d is None or d == v for d, v in zip(rest, want))]
    if not fits:
        raise OnnxError(f"{file}: takes {_shape_text(arg.shape)}, which does not hold the data's "
                        f"{_image_text(image)} images ([N, {h * w * c}], [N, {h}, {w}], [N, {c}, {h}, {w}] "
                        f"or [N, {h}, {w}, {c}])")
    assumed = []
    if len(fits) > 1:
        assumed.append(f"The encoder's input {_shape_text(arg.shape)} does not say where the channels are: "
                       "read as [N, C, H, W], PyTorch's order.")
    return Port(arg.name, fits[0], dtype, batch), assumed


def _role(name: str) -> str | None:
    n = name.lower()
    if re.search(r"log|var", n):
        return "log_var"
    if re.search(r"mu|mean|loc", n):
        return "mean"
    return None


def encoder_outputs(session, file: str, port: Port, probe: np.ndarray, channels: int, kind: str | None):
    """(kind, output names, split, latent_dim, assumed): what the encoder's outputs are, from
    running it on ``probe`` images."""
    names = [o.name for o in session.get_outputs()]
    try:
        got = run_batched(session, port, names, to_layout(probe, port.layout, channels))
    except Exception as e:  # noqa: BLE001 - onnxruntime's own error types
        raise OnnxError(f"{file}: fails on the data's images ({str(e).splitlines()[0][:200]})") from None
    widths = {}
    for name, g in zip(names, got):
        if g.ndim < 1 or g.shape[0] != len(probe) or g.size == 0 or not np.isfinite(g).all():
            raise OnnxError(f"{file}: output {name[:40]!r} is {list(g.shape)[:6]} for {len(probe)} images; "
                            "an encoder gives [N, k] finite numbers")
        widths[name] = g.size // len(probe)
    assumed = []
    roles = {n: _role(n) for n in names}
    if len(names) == 1:
        (name,) = names
        k = widths[name]
        if kind == "vae":
            if k % 2:
                raise OnnxError(f"{file}: --kind vae, but its one output has {k} numbers per image, not a mean "
                                "and a log-variance of equal size")
            assumed.append(f"--kind vae: the encoder's one output of {k} numbers read as the mean "
                           f"(first {k // 2}) and log-variance (last {k // 2}).")
            return "vae", [name], True, k // 2, assumed
        assumed.append(f"The encoder has one output, {name[:40]!r}: read as the code of a plain autoencoder"
                       " (--kind vae reads it as a VAE's mean and log-variance).")
        return "ae", [name], False, k, assumed
    mean = next((n for n in names if roles[n] == "mean"), None)
    log_var = next((n for n in names if roles[n] == "log_var"), None)
    if mean is None or log_var is None or widths[mean] != widths[log_var]:
        same = [n for n in names if widths[n] == widths[names[0]]]
        if len(same) < 2:
            raise OnnxError(f"{file}: has outputs {', '.join(f'{n[:30]} ({widths[n]})' for n in names[:4])}; "
                            "an encoder gives a code, or a mean and a log-variance of one size")
        mean, log_var = same[0], same[1]
        assumed.append(f"The encoder's outputs {mean[:30]!r} and {log_var[:30]!r} read, in that order, as a VAE's "
                       "mean and log-variance (their names do not say).")
    else:
        assumed.append(f"The encoder's outputs {mean[:30]!r} and {log_var[:30]!r} read as a VAE's mean and "
                       "log-variance, as their names say.")
    others = [n for n in names if n not in (mean, log_var)]
    if others:
        assumed.append(f"Its other output{'s' if len(others) > 1 else ''} ({', '.join(o[:30] for o in others[:3])}) "
                       "left aside (a Keras VAE's sample z).")
    k = widths[mean]
    if kind == "ae":
        assumed.append(f"--kind ae: the mean {mean[:30]!r} is the code; the log-variance is not used.")
        return "ae", [mean], False, k, assumed
    return "vae", [mean, log_var], False, k, assumed


def final_operation(proto, output: str) -> str | None:
    """The operator that makes ``output``, looking through reshapes and transposes."""
    producers = {o: node for node in proto.graph.node for o in node.output}
    name, seen = output, 0
    while name in producers and seen < 64:
        node = producers[name]
        if node.op_type not in PASS_THROUGH or not node.input:
            return node.op_type
        name, seen = node.input[0], seen + 1
    return None


def decoder_ports(session, proto, file: str, latent_dim: int, codes: np.ndarray, image) -> tuple[Port, Port, list[str]]:
    """The decoder's input and output ports, checked on ``codes`` (the probe images' codes)."""
    inputs, outs = session.get_inputs(), session.get_outputs()
    if len(inputs) != 1:
        raise OnnxError(f"{file}: takes {len(inputs)} inputs; a decoder takes one, the codes")
    arg = inputs[0]
    dtype, batch = _float_port(arg, file, "input")
    rest = _dims(arg.shape[1:])
    if len(rest) != 1 or rest[0] not in (None, latent_dim):
        raise OnnxError(f"{file}: takes {_shape_text(arg.shape)}; the encoder gives codes of {latent_dim} "
                        f"numbers, [N, {latent_dim}]")
    port_in = Port(arg.name, "flat", dtype, batch)
    assumed = []
    if len(outs) > 1:
        assumed.append(f"The decoder's first output, {outs[0].name[:40]!r}, is the image; the others are left aside.")
    try:
        y = run_batched(session, port_in, [outs[0].name], codes)[0]
    except Exception as e:  # noqa: BLE001
        raise OnnxError(f"{file}: fails on the encoder's codes ({str(e).splitlines()[0][:200]})") from None
    h, w, c = image
    shapes = {2: [("flat", (h * w * c,))], 3: [("hw", (h, w))] if c == 1 else [],
              4: [("chw", (c, h, w)), ("hwc", (h, w, c))]}.get(y.ndim, [])
    fits = [layout for layout, want in shapes if tuple(y.shape[1:]) == want]
    if not fits or len(y) != len(codes):
        raise OnnxError(f"{file}: makes {list(y.shape)[:6]} from {len(codes)} codes, which are not the data's "
                        f"{_image_text(image)} images ([N, {h * w * c}], [N, {h}, {w}], [N, {c}, {h}, {w}] "
                        f"or [N, {h}, {w}, {c}])")
    out_dtype = ORT_TYPES.get(outs[0].type)
    if out_dtype is None:
        raise OnnxError(f"{file}: its output is {outs[0].type}; it must give floats")
    return port_in, Port(outs[0].name, fits[0], out_dtype, batch), assumed


def choose_output(proto, port_out: Port, decode_raw, codes: np.ndarray, images: np.ndarray,
                  asked: str | None) -> tuple[str, list[str]]:
    """What the decoder's numbers are: asked, read from a final Sigmoid, or measured."""
    if asked:
        return asked, [f"Its outputs read as {asked}, as --output says."]
    last = final_operation(proto, port_out.name)
    if last == "Sigmoid":
        return "sigmoid", ["The decoder ends in a Sigmoid: its outputs read as probabilities in [0, 1]."]
    y = decode_raw(codes)
    x = images.astype(np.float32) / 255.0
    linear = float(((np.clip(y, 0, 1) - x) ** 2).mean())
    logits = float(((1 / (1 + np.exp(-np.clip(y, -80, 80))) - x) ** 2).mean())
    chosen = "linear" if linear <= logits else "logits"
    ends = f"ends in {last}" if last else "ends without an operation"
    return chosen, [f"The decoder {ends}, not a Sigmoid. Read as {chosen} ({'clipped to [0, 1]' if chosen == 'linear' else 'their sigmoid is the image'}): "
                    f"so it rebuilds {len(x):,} test images with MSE {min(linear, logits):.4f}, against "
                    f"{max(linear, logits):.4f} read as {'logits' if chosen == 'linear' else 'linear'}; "
                    "--output sets it."]


def build_net(encoder_bytes: bytes, decoder_bytes: bytes, test: data.Split, kind: str | None = None,
              output: str | None = None, names=FILES, threads: int = 1) -> OnnxNet:
    """The imported network: both files checked, what they are read from them and from the
    test images (see the module docstring); OnnxError naming the file otherwise."""
    try:
        return _build_net(encoder_bytes, decoder_bytes, test, kind, output, names, threads)
    except OnnxError:
        raise
    except ValueError as e:  # a name, size or shape beyond what a bundle describes (onnx_model.Spec)
        raise OnnxError(f"{names['encoder']} and {names['decoder']}: {e}") from None


def _build_net(encoder_bytes, decoder_bytes, test, kind, output, names, threads) -> OnnxNet:
    image = (*test.images.shape[1:3], 1 if test.images.ndim == 3 else test.images.shape[3])
    enc, enc_proto = onnx_safety.session(encoder_bytes, names["encoder"], threads)
    dec, dec_proto = onnx_safety.session(decoder_bytes, names["decoder"], threads)
    port, assumed = encoder_input(enc, names["encoder"], image)
    probe = test.images[:PROBE].astype(np.float32) / 255.0
    kind, outs, split, k, said = encoder_outputs(enc, names["encoder"], port, probe, image[2], kind)
    assumed += said
    draft = Spec(kind=kind, latent_dim=k, image=image, encoder_input=port, encoder_outputs=tuple(outs), split=split,
                 decoder_input=Port("z"), decoder_output=Port("x"), output="sigmoid")
    codes = OnnxNet(draft, enc, dec, names=names)._encoder_outputs(probe)[0]
    port_in, port_out, said = decoder_ports(dec, dec_proto, names["decoder"], k, codes, image)
    assumed += said
    draft = Spec(**{**draft.__dict__, "decoder_input": port_in, "decoder_output": port_out})
    sample = test.images[:CHOOSE_OUTPUT_ON]
    probe_net = OnnxNet(draft, enc, dec, names=names)
    chosen, said = choose_output(dec_proto, port_out, lambda z: probe_net.decode_raw(z),
                                 probe_net.encode(sample.astype(np.float32) / 255.0).numpy(), sample, output)
    spec = Spec(**{**draft.__dict__, "output": chosen, "assumed": tuple(assumed + said)})
    net = (OnnxVAE if spec.kind == "vae" else OnnxNet)(spec, enc, dec, enc_proto, dec_proto, names)
    net.files = {FILES["encoder"]: bytes(encoder_bytes), FILES["decoder"]: bytes(decoder_bytes)}
    return net


def import_model(encoder_bytes: bytes, decoder_bytes: bytes, dataset: str, name: str, classes=None,
                 kind: str | None = None, output: str | None = None, data_dir=None, tsne: bool = True,
                 names=FILES, source: dict | None = None, threads: int = 1) -> Model:
    """An imported model with its latents, maps and metrics, ready for ``bundle.save`` (with
    ``images=model.images()`` for a model of its own images). ``dataset``: a known dataset's
    name, or an .npz file or folder of the user's images (explorer/data/owndata.py). The metrics are
    explorer/bundles/metrics.py's but for the denoising figures, which only the denoising lesson's own
    models need (and which would double the time an import takes); without a training split
    (own images) there is no PCA reference and no class-middles count either."""
    own = dataset if isinstance(dataset, owndata.OwnData) else None
    if own is None and dataset in data.DATASETS:
        test_full = data.load(dataset, "test", data_dir)
        train_full = data.load(dataset, "train", data_dir)
        n_classes = len(data.dataset_info(dataset).class_names)
        classes = sorted(set(classes)) if classes else list(range(n_classes))
    else:
        own = own or owndata.read(dataset)
        test_full, train_full = data.Split(own.images, own.labels), None
        classes = sorted(set(classes) & set(own.labels.tolist())) if classes else sorted(set(own.labels.tolist()))
        if not classes:
            raise data.DataError(f"{dataset}: none of its images has one of the classes asked for")
    test, test_index = test_full.subset(classes)
    net = build_net(encoder_bytes, decoder_bytes, test, kind, output, names, threads)
    config = {"name": name, "dataset": own.info().name if own else dataset, "classes": classes,
              "source": {"format": "onnx", **(source or {}),
                         "sha256": {FILES[r]: hashlib.sha256(b).hexdigest()
                                    for r, b in (("encoder", encoder_bytes), ("decoder", decoder_bytes))}},
              "onnx": net.spec.to_dict()}
    if own is not None:
        config["data"] = {"title": own.title, "class_names": list(own.class_names), "image": list(own.image),
                          "n": len(own.images)}
    model = Model(net, config, None, None)
    model.pending_images = own.images if own is not None else None
    model.latents, losses = metrics.latents_and_losses(model, test, test_index)
    lat = model.latents
    for role, values in (("encoder", lat.codes), ("decoder", lat.recon_error)):
        bad = int((~np.isfinite(values.reshape(len(values), -1)).all(1)).sum())
        if bad:
            raise OnnxError(f"{names[role]}: gives numbers that are not finite (NaN or infinity) for {bad:,} of the "
                            f"{len(values):,} images")
    if tsne:  # a t-SNE layout takes at most base.MAX_LAYOUT_POINTS codes (explorer/maps): more have direct and PCA maps
        stored = [m for m in projection.stored_kinds(when_trained=True) if projection.kind(m).takes(len(lat.codes))]
        model.latents = projection.with_stored_maps(model.latents, names=stored)
        config["maps"] = projection.map_settings(stored)
    train = train_full.subset(classes)[0] if train_full is not None else None
    config["metrics"] = metrics.evaluate(model, test, train, full_test=test_full if own is None else None,
                                         denoising=False, reference=_shipped_pca(dataset, classes),
                                         losses=losses, iw_samples=0)  # a million decodes: evaluate NAME measures it
    for key, value in config["metrics"].items():
        if isinstance(value, float) and not np.isfinite(value):  # e.g. a log-variance so large its KL is infinite
            raise OnnxError(f"{names['encoder']} and {names['decoder']}: their {key} on the images is not a finite "
                            "number")
    return model


def _shipped_pca(dataset, classes):
    """The shipped PCA of all of ``dataset``'s training images (pretrained/pca/), when the model is
    of every class: the same fit metrics.pca_reference would make, read instead of made (1.5 s)."""
    if not isinstance(dataset, str) or dataset not in data.DATASETS \
            or len(classes) != len(data.dataset_info(dataset).class_names):
        return None
    try:
        return pca.load(dataset)
    except pca.PCAError:
        return None


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m explorer.onnx_import", description=__doc__.split("\n\n")[0])
    p.add_argument("--encoder", required=True, help="the encoder's ONNX file: images -> code (or mean, log-variance)")
    p.add_argument("--decoder", required=True, help="the decoder's ONNX file: code -> images")
    p.add_argument("--data", required=True, help=f"the images the model was trained on: {', '.join(DATASETS)}, an "
                   ".npz file (images, optional labels and class_names) or a folder with a subfolder per class")
    p.add_argument("--out", required=True, help="the bundle folder to write (new, empty or a bundle)")
    p.add_argument("--name", help="what the config calls it (default: the folder's name)")
    p.add_argument("--kind", choices=("ae", "vae"), help="what the encoder is, where its outputs do not say")
    p.add_argument("--output", choices=("sigmoid", "logits", "linear"), help="what the decoder's numbers are")
    p.add_argument("--classes", help="only these classes of the data, e.g. 0,1,2")
    p.add_argument("--data-dir", help=f"folder holding mnist/ and fashion-mnist/ (else ${data.ENV_VAR})")
    p.add_argument("--skip-tsne", action="store_true", help="no t-SNE map (the app computes one on demand)")
    p.add_argument("--threads", type=int, default=max(1, min(4, os.cpu_count() or 1)))
    return p


def _classes(text: str | None, dataset: str) -> list[int] | None:
    if not text:
        return None
    n = len(data.dataset_info(dataset).class_names) if dataset else owndata.MAX_CLASSES
    try:
        classes = [int(t) for t in text.split(",") if t.strip()]
    except ValueError:
        raise ValueError(f"--classes {text[:40]!r}: class numbers separated by commas, e.g. 0,1,2") from None
    if not classes or not all(0 <= c < n for c in classes):
        raise ValueError(f"--classes {text[:40]!r}: {dataset or 'the data'} has classes 0-{n - 1}")
    return classes


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    started = time.time()
    problem = None
    if args.data not in DATASETS and not Path(args.data).exists():
        problem = f"--data {args.data[:60]!r}: one of {', '.join(DATASETS)}, an .npz file or a folder of class folders"
    problem = problem or outputs.data_dir_problem(args.data_dir)
    problem = problem or outputs.bundle_output_problem(args.out)
    try:
        classes = None if problem else _classes(args.classes, args.data if args.data in DATASETS else None)
    except ValueError as e:
        problem = str(e)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    torch.set_num_threads(max(1, args.threads))
    name = args.name or os.path.basename(os.path.normpath(args.out))
    try:
        enc = read_file(args.encoder, "encoder")
        dec = read_file(args.decoder, "decoder")
        model = import_model(enc, dec, args.data, name, classes, args.kind, args.output, args.data_dir,
                             tsne=not args.skip_tsne, names={"encoder": str(args.encoder), "decoder": str(args.decoder)},
                             source={"encoder": Path(args.encoder).name[:200], "decoder": Path(args.decoder).name[:200],
                                     "command": "python -m explorer.onnx_import " + " ".join(
                                         argv if argv is not None else sys.argv[1:])[:1000]},
                             threads=max(1, args.threads))
    except (OnnxError, data.DataError) as e:
        print(f"error: {e}; nothing was written", file=sys.stderr)
        return 2
    spec = model.net.spec
    print(f"imported a {spec.kind.upper()} with {spec.latent_dim}-number codes on {len(model.latents.codes):,} "
          f"{model.dataset_info.title} {'test ' if not model.own_data else ''}images ({spec.image[0]}x{spec.image[1]}"
          f"{' colour' if spec.image[2] == 3 else ''}):")
    for line in spec.assumed:
        print(f"  - {line}")
    print(metrics.format_metrics(model.config["metrics"]))
    try:
        path = bundle.save(model, args.out, model.config, model.latents, images=model.images())
    except (OSError, BundleError) as e:
        print(f"error: could not write the bundle at {args.out}: {outputs.write_failure(e)}", file=sys.stderr)
        return 1
    print(f"wrote {path} in {time.time() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
