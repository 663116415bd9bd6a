"""A model made of two ONNX files, from any framework, behind the same API as ours.

An imported bundle holds ``encoder.onnx`` and ``decoder.onnx`` and, in config.json, an ``onnx``
object (``Spec``) that says how to talk to them:

- the encoder's input: its name, its layout (``flat`` [N, H*W*C], ``hw`` [N, H, W], ``chw``
  [N, C, H, W] or ``hwc`` [N, H, W, C]), its element type, and a fixed batch size if the graph has
  one (inputs are then run in batches of that size, the last one padded);
- what its outputs are: one code (an autoencoder, or a VAE's mean when nothing else is given), a
  VAE's mean and log-variance as two outputs, or as the two halves of one output;
- the decoder's input and output the same way, and what the decoder's numbers are: ``sigmoid``
  (probabilities in [0, 1], the graph ends in a Sigmoid), ``logits`` (their sigmoid is the image) or
  ``linear`` (intensities trained with squared error, clipped to [0, 1] to be shown);
- ``assumed``: each thing the importer decided rather than read, in a sentence the app shows.

Images go in and come out as this library's: float32 [N, H, W] in [0, 1] (grey). ``OnnxNet`` has
the methods of models.Autoencoder that the rest of the library calls (encode, posterior,
decode_logits, decode, loss), on torch tensors, so metrics and pages treat both alike.
Sessions are made by onnx_safety.session from checked bytes only.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import torch

from explorer.onnx import safety as onnx_safety
from explorer.models import VariationalAutoencoder, reconstruction_loss
from explorer.onnx.safety import OnnxError

FILES = {"encoder": "encoder.onnx", "decoder": "decoder.onnx"}
LAYOUTS = ("flat", "hw", "chw", "hwc")
OUTPUTS = ("sigmoid", "logits", "linear")
DTYPES = {"float32": np.float32, "float64": np.float64, "float16": np.float16}
LOGIT_EPS = 1e-6  # probabilities are clipped to [eps, 1 - eps] before their logit is taken
MAX_BATCH = 2048


@dataclass(frozen=True)
class Port:
    """One end of a graph: the tensor's name, its image layout (codes: ``flat``), its element
    type and the batch size the graph insists on (0: any)."""

    name: str
    layout: str = "flat"
    dtype: str = "float32"
    batch: int = 0

    def __post_init__(self):
        if not isinstance(self.name, str) or not 0 < len(self.name) <= 256:
            raise ValueError(f"a tensor name must be a short string, not {str(self.name)[:40]!r}")
        if self.layout not in LAYOUTS:
            raise ValueError(f"layout {str(self.layout)[:20]!r}: one of {', '.join(LAYOUTS)}")
        if self.dtype not in DTYPES:
            raise ValueError(f"dtype {str(self.dtype)[:20]!r}: one of {', '.join(DTYPES)}")
        if type(self.batch) is not int or not 0 <= self.batch <= MAX_BATCH:
            raise ValueError(f"batch {str(self.batch)[:20]}: a whole number from 0 to {MAX_BATCH}")


@dataclass(frozen=True)
class Spec:
    """How to run an imported encoder and decoder (see the module docstring)."""

    kind: str  # "ae" | "vae"
    latent_dim: int
    image: tuple[int, int, int]  # H, W, C
    encoder_input: Port
    encoder_outputs: tuple[str, ...]  # [code] | [mean, log_var] | [mean_and_log_var] (split)
    split: bool  # one encoder output of 2k numbers: mean, then log-variance
    decoder_input: Port
    decoder_output: Port
    output: str  # OUTPUTS
    assumed: tuple[str, ...] = field(default=())

    def __post_init__(self):
        if self.kind not in ("ae", "vae"):
            raise ValueError(f"kind {str(self.kind)[:20]!r}: 'ae' or 'vae'")
        if type(self.latent_dim) is not int or not 1 <= self.latent_dim <= 1024:
            raise ValueError("latent_dim: a whole number from 1 to 1024")
        if len(self.image) != 3 or not all(type(v) is int for v in self.image) \
                or not (1 <= self.image[0] <= 512 and 1 <= self.image[1] <= 512 and self.image[2] in (1, 3)):
            raise ValueError(f"image {list(self.image)[:4]}: height and width 1-512, 1 or 3 channels")
        n_out = 1 if self.split or self.kind == "ae" else 2
        if len(self.encoder_outputs) != n_out or not all(isinstance(o, str) and 0 < len(o) <= 256
                                                          for o in self.encoder_outputs):
            raise ValueError(f"encoder_outputs: {n_out} tensor name(s) for a {self.kind} "
                             f"{'(split)' if self.split else ''}")
        if self.split and self.kind != "vae":
            raise ValueError("split: only a VAE's encoder output holds two halves")
        if self.output not in OUTPUTS:
            raise ValueError(f"output {str(self.output)[:20]!r}: one of {', '.join(OUTPUTS)}")
        if not all(isinstance(a, str) and len(a) <= 400 for a in self.assumed) or len(self.assumed) > 16:
            raise ValueError("assumed: at most 16 sentences")

    def to_dict(self) -> dict:
        d = asdict(self)
        d["image"], d["encoder_outputs"], d["assumed"] = list(self.image), list(self.encoder_outputs), list(self.assumed)
        return d

    FIELDS = {"kind": str, "latent_dim": int, "image": list, "encoder_input": dict, "encoder_outputs": list,
              "split": bool, "decoder_input": dict, "decoder_output": dict, "output": str, "assumed": list}
    PORT_FIELDS = {"name": str, "layout": str, "dtype": str, "batch": int}

    @classmethod
    def from_dict(cls, d) -> "Spec":
        """A stored spec, every field present and of its type (ValueError naming the field)."""
        if not isinstance(d, dict):
            raise ValueError("expected a JSON object")
        unknown = sorted(set(d) - set(cls.FIELDS))
        if unknown:
            raise ValueError(f"unknown fields {[u[:20] for u in unknown[:4]]}")
        for k, kind in cls.FIELDS.items():
            if k not in d:
                raise ValueError(f"missing the field {k!r}")
            if type(d[k]) is not kind:
                raise ValueError(f"{k!r} must be a {kind.__name__}")
        ports = {}
        for k in ("encoder_input", "decoder_input", "decoder_output"):
            p = d[k]
            if set(p) != set(cls.PORT_FIELDS) or any(type(p[f]) is not t for f, t in cls.PORT_FIELDS.items()):
                raise ValueError(f"{k!r} must hold {', '.join(cls.PORT_FIELDS)}")
            ports[k] = Port(**p)
        if len(d["image"]) != 3 or len(d["encoder_outputs"]) > 2 or len(d["assumed"]) > 16:
            raise ValueError("'image' is [H, W, C]; at most 2 encoder outputs and 16 sentences assumed")
        return cls(kind=d["kind"], latent_dim=d["latent_dim"], image=tuple(d["image"]),
                   encoder_outputs=tuple(d["encoder_outputs"]), split=d["split"], output=d["output"],
                   assumed=tuple(d["assumed"]), **ports)


@dataclass(frozen=True)
class NetConfig:
    """What the pages read of a network's description (models.ModelConfig's fields they use)."""

    kind: str
    latent_dim: int
    backbone: str = "onnx"
    hidden: tuple = ()
    activation: str = ""


def to_layout(x: np.ndarray, layout: str, channels: int) -> np.ndarray:
    """Images [N, H, W] (grey) or [N, H, W, C] -> the graph's layout."""
    if x.ndim == 3:
        x = x[..., None]
    n, h, w, c = x.shape
    if c != channels:
        raise ValueError(f"images of {c} channels; the model takes {channels}")
    return {"flat": lambda: x.reshape(n, h * w * c), "hw": lambda: x[..., 0] if c == 1 else x,
            "chw": lambda: x.transpose(0, 3, 1, 2), "hwc": lambda: x}[layout]()


def from_layout(y: np.ndarray, layout: str, image: tuple[int, int, int]) -> np.ndarray:
    """A decoder's output in ``layout`` -> images [N, H, W] (grey) or [N, H, W, C]."""
    h, w, c = image
    n = len(y)
    if y.size != n * h * w * c:
        raise ValueError(f"the decoder made {y.size // max(n, 1):,} numbers per image; images of "
                         f"{h}x{w}x{c} have {h * w * c:,}")
    if layout == "chw":
        y = y.reshape(n, c, h, w).transpose(0, 2, 3, 1)
    else:
        y = y.reshape(n, h, w, c)
    return y[..., 0] if c == 1 else y


def run_batched(session, port: Port, outputs: list[str], x: np.ndarray) -> list[np.ndarray]:
    """``session`` run on ``x`` (in the graph's fixed batch size if it has one, the last batch
    padded with zeros), each output as it comes, one row per input; ValueError when an output's
    rows do not follow the batch (onnxruntime's own errors pass through)."""
    x = np.ascontiguousarray(x, dtype=DTYPES[port.dtype])
    n = len(x)
    if n == 0:
        return [np.zeros((0,), np.float32) for _ in outputs]
    step = port.batch or MAX_BATCH
    parts = []
    for start in range(0, n, step):
        chunk = x[start:start + step]
        if port.batch and len(chunk) < port.batch:
            chunk = np.concatenate([chunk, np.zeros((port.batch - len(chunk), *chunk.shape[1:]), chunk.dtype)])
        got = session.run(outputs, {port.name: chunk})
        for name, g in zip(outputs, got):
            if np.ndim(g) < 1 or len(g) != len(chunk):
                raise ValueError(f"its output {name[:40]!r} has {len(g) if np.ndim(g) else 'no'} rows for a batch "
                                 f"of {len(chunk)}; each image (or code) needs its own")
            if np.asarray(g).dtype.kind != "f":
                raise ValueError(f"its output {name[:40]!r} holds {np.asarray(g).dtype} numbers, not floats")
        parts.append([np.asarray(g, np.float32)[:min(step, n - start)] for g in got])
    return [np.concatenate([p[i] for p in parts]) for i in range(len(outputs))]


class OnnxNet:
    """Two onnxruntime sessions as one autoencoder (models.Autoencoder's interface, on tensors)."""

    title = "autoencoder (AE), imported from ONNX"
    short = "AE"
    offers: frozenset[str] = frozenset()
    has_posterior = False
    required_recon = None
    note = ("An autoencoder squeezes each image into a short code and rebuilds it from that code. "
            "This one was trained elsewhere and imported from ONNX files.")

    def __init__(self, spec: Spec, encoder, decoder, encoder_proto=None, decoder_proto=None, names=FILES):
        self.spec = spec
        self.encoder_session, self.decoder_session = encoder, decoder
        self.encoder_proto, self.decoder_proto = encoder_proto, decoder_proto
        self.names = dict(names)  # the files, as messages name them
        self.config = NetConfig(kind=spec.kind, latent_dim=spec.latent_dim)

    def _run(self, role: str, session, port: Port, outputs: list[str], x: np.ndarray) -> list[np.ndarray]:
        """run_batched, any failure an OnnxError naming the file."""
        try:
            return run_batched(session, port, outputs, x)
        except OnnxError:
            raise
        except Exception as e:  # noqa: BLE001 - onnxruntime's own types (InvalidArgument, Fail, ...)
            raise OnnxError(f"{self.names[role]}: fails when run ({str(e).splitlines()[0][:200] if str(e) else type(e).__name__})") from None

    @property
    def bernoulli(self) -> bool:
        """Whether its outputs are a Bernoulli distribution's means (so the ELBO in nats applies)."""
        return self.spec.output in ("sigmoid", "logits")

    def eval(self):
        return self

    # the encoder ------------------------------------------------------------------------
    def _encoder_outputs(self, x) -> list[np.ndarray]:
        images = np.asarray(x.numpy() if isinstance(x, torch.Tensor) else x, np.float32)
        s = self.spec
        try:
            x = to_layout(images, s.encoder_input.layout, s.image[2])
        except ValueError as e:
            raise OnnxError(f"{self.names['encoder']}: {e}") from None
        out = self._run("encoder", self.encoder_session, s.encoder_input, list(s.encoder_outputs), x)
        out = [o.reshape(len(images), -1) for o in out]
        if s.split:
            out = [out[0][:, :s.latent_dim], out[0][:, s.latent_dim:]]
        for o in out:
            if o.shape[1] != s.latent_dim:
                raise OnnxError(f"{self.names['encoder']}: gave {o.shape[1]} numbers per image, not the {s.latent_dim} "
                                "it gave on import")
        return out

    def posterior(self, x):
        if not self.has_posterior:
            raise TypeError("a plain autoencoder has no posterior")
        mean, log_var = self._encoder_outputs(x)
        return torch.from_numpy(mean), torch.from_numpy(log_var)

    def encode(self, x):
        return torch.from_numpy(self._encoder_outputs(x)[0])

    # the decoder ------------------------------------------------------------------------
    def decode_raw(self, z) -> np.ndarray:
        """The decoder's own numbers for codes ``z``, as images [N, H, W(, C)]."""
        z = np.asarray(z.numpy() if isinstance(z, torch.Tensor) else z, np.float32).reshape(-1, self.spec.latent_dim)
        s = self.spec
        y = self._run("decoder", self.decoder_session, s.decoder_input, [s.decoder_output.name], z)[0]
        try:
            return from_layout(y, s.decoder_output.layout, s.image)
        except ValueError as e:
            raise OnnxError(f"{self.names['decoder']}: {e}") from None

    def decode(self, z):
        y = self.decode_raw(z)
        if self.spec.output == "logits":
            y = 1.0 / (1.0 + np.exp(-y))
        return torch.from_numpy(np.clip(y, 0.0, 1.0).astype(np.float32))

    def decode_logits(self, z):
        if self.spec.output == "logits":
            return torch.from_numpy(self.decode_raw(z).astype(np.float32))
        p = self.decode(z).clamp(LOGIT_EPS, 1 - LOGIT_EPS)
        return torch.log(p) - torch.log1p(-p)

    def loss(self, x, recon: str = "bce", generator=None, target=None, beta: float = 1.0,
             code_penalty: float = 0.0, posterior=None) -> dict[str, torch.Tensor]:
        target = x if target is None else target
        if not self.has_posterior:
            rec = reconstruction_loss(self.decode_logits(self.encode(x)), target, recon).mean()
            return {"loss": rec, "recon": rec}
        mean, log_var = self.posterior(x) if posterior is None else posterior
        z = VariationalAutoencoder.reparameterize(mean, log_var, generator)
        rec = reconstruction_loss(self.decode_logits(z), target, recon).mean()
        kl = VariationalAutoencoder.kl_divergence(mean, log_var).mean()
        return {"loss": rec + beta * kl, "recon": rec, "kl": kl}


class OnnxVAE(OnnxNet):
    title = "variational autoencoder (VAE), imported from ONNX"
    short = "VAE"
    offers = frozenset({"posterior", "prior"})
    prior_name = "the prior N(0, I)"
    has_posterior = True
    note = ("A variational autoencoder learns a cloud of likely codes for each image and is pushed "
            "to keep all codes close to a standard normal distribution, N(0, I), so new codes can be "
            "drawn from it. This one was trained elsewhere and imported from ONNX files.")


def open_net(spec: Spec, encoder_bytes: bytes, decoder_bytes: bytes, names=FILES) -> OnnxNet:
    """The network of ``spec`` from the two files' bytes, each checked (OnnxError naming the file),
    their inputs and outputs those ``spec`` names."""
    enc, enc_proto = onnx_safety.session(encoder_bytes, names["encoder"])
    dec, dec_proto = onnx_safety.session(decoder_bytes, names["decoder"])
    for sess, file, port, outs in ((enc, names["encoder"], spec.encoder_input, spec.encoder_outputs),
                                   (dec, names["decoder"], spec.decoder_input, (spec.decoder_output.name,))):
        inputs = [i.name for i in sess.get_inputs()]
        outputs = [o.name for o in sess.get_outputs()]
        if port.name not in inputs or len(inputs) != 1:
            raise OnnxError(f"{file}: takes {inputs[:4]}, not the one input {port.name[:40]!r} it was imported with")
        missing = [o for o in outs if o not in outputs]
        if missing:
            raise OnnxError(f"{file}: has no output {missing[0][:40]!r}; it has {outputs[:4]}")
    cls = OnnxVAE if spec.kind == "vae" else OnnxNet
    return cls(spec, enc, dec, enc_proto, dec_proto, names)
