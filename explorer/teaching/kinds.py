"""The kinds of autoencoder side by side (the course's "Kinds of autoencoder" lesson): for each
shipped model, what its loss adds to rebuilding the image, in words made from the bundle's own
settings, the paper it comes from, and the figure that shows what its kind changes, measured from
the bundle (its stored metrics, or measured on the test images given). Plain text: pages escape it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch

from explorer.models import contractive

NUDGE_IMAGES = 200  # test images the code movement is measured on, where a bundle does not store it


def code_movement(model, images: np.ndarray) -> float:
    """How far the model's code moves per unit nudge of the image, over its codes' spread: stored
    by the contractive kind, measured on the first NUDGE_IMAGES of ``images`` (uint8) for the others."""
    if "code_movement" in model.metrics:
        return float(model.metrics["code_movement"])
    x = torch.as_tensor(np.array(images[:NUDGE_IMAGES]), dtype=torch.float32) / 255
    return contractive.code_movement(model.net.encode, x, model.latents.codes)


@dataclass(frozen=True)
class Column:
    bundle: str
    name: str  # the kind, as the course calls it
    adds: Callable  # (model, brief) -> what its loss adds to rebuilding the image, from the bundle
    paper: str
    figure: Callable  # (model, models by bundle, this digit (uint8), movement, brief) -> the figure, in a
    # sentence (brief: a few words, for a projector); movement(model): its code movement (``code_movement``)


def _plain(m, brief=False) -> str:
    return f"nothing: {m.latent_dim} numbers" if brief else f"nothing: rebuild the image from {m.latent_dim} numbers"


def _denoising(m, brief=False) -> str:
    noise = (m.config.get("training") or {}).get("noise")
    if not noise:
        return _plain(m, brief)
    return f"noise on the input ({noise})" if brief else f"the input corrupted ({noise}), the clean image the target"


def _weight(m, name: str) -> float:
    """The bundle's own value of its kind's hyperparameter ``name`` (its default if not recorded)."""
    h = next(h for h in m.kind_info.hyperparameters if h.name == name)
    value = (m.config.get("training") or {}).get(name)
    return float(value) if isinstance(value, (int, float)) else h.default


def _sparse(m, brief=False) -> str:
    w = _weight(m, "sparsity")
    return f"{w:g} x L1 of {m.latent_dim} units" if brief else \
        f"{w:g} x the sum of its {m.latent_dim} code units (an L1 penalty)"


def _contractive(m, brief=False) -> str:
    w = _weight(m, "contraction")
    return f"{w:g} x |J|² of the encoder" if brief else f"{w:g} x |J|², how far the code moves when the image is nudged"


def _overcomplete(m, brief=False) -> str:
    pixels = int(np.prod(m.image_shape))
    return f"{m.latent_dim:,} numbers > {pixels} pixels" if brief else \
        f"nothing, but {m.latent_dim:,} numbers: more than the image's {pixels:,} pixels"


def _vae(m, brief=False) -> str:
    return "KL to N(0, I)" if brief else \
        "a cloud of codes per image, and KL(cloud || N(0, I)) to keep the clouds near the prior"


def _mse(m, models, x, movement=None, brief=False) -> str:
    e = m.metrics["test_mse"]
    return f"mean over the test set {e:.4f}" if brief else f"rebuilds the test images with error {e:.4f} per pixel"


def _denoise_figure(m, models, x, movement=None, brief=False) -> str:
    noise = str((m.config.get("training") or {}).get("noise") or "gaussian:0.5")
    plain = models.get("mnist-ae-16")
    mine = m.metrics.get("denoising_mse", {}).get(noise)
    if mine is None:
        return _mse(m, models, x, movement, brief)
    other = plain.metrics.get("denoising_mse", {}).get(noise) if plain is not None else None
    if brief:
        return f"denoised error {mine:.4f}" + (f" (plain {other:.4f})" if other is not None else "")
    return (f"given {noise}-corrupted test images, rebuilds the clean ones with error {mine:.4f} per pixel"
            + (f" (the plain one: {other:.4f})" if other is not None else ""))


def _sparse_figure(m, models, x, movement=None, brief=False) -> str:
    z = np.maximum(m.encode(x[None])[0], 0)
    ranked = -np.sort(-z)
    units = int(min((np.cumsum(ranked) / max(z.sum(), 1e-12) < 0.9).sum() + 1, len(z))) if z.sum() > 0 else 0
    if brief:
        return f"{units} of {m.latent_dim} units carry this digit"
    return (f"{units} of its {m.latent_dim} units carry 90% of this digit's code; over the test images, "
            f"{m.metrics.get('units_for_90', float('nan')):g} (median)")


def _contractive_figure(m, models, x, movement=None, brief=False) -> str:
    plain = models.get("mnist-ae-16")
    if brief:
        return f"a nudge moves the code {movement(m):.2f}" + (f" (plain {movement(plain):.2f})" if plain is not None else "")
    other = f" (the plain one, same layers: {movement(plain):.2f})" if plain is not None else ""
    return f"a nudge moves its code {movement(m):.2f} of the codes' spread per unit{other}"


def _overcomplete_figure(m, models, x, movement=None, brief=False) -> str:
    regular = models.get("mnist-overcomplete-dae-1024")
    mine = m.metrics.get("pass_through")
    if mine is None:
        return _mse(m, models, x, movement, brief)
    theirs = regular.metrics.get("pass_through") if regular is not None else None
    if brief:
        return f"passes {mine:.0%} of a nudge" + (f" (denoising {theirs:.0%})" if theirs is not None else "")
    other = f"; trained to denoise, the same layers pass {theirs:.0%}" if theirs is not None else ""
    return f"{mine:.0%} of a small random change of the image comes out in its output{other}"


def _vae_figure(m, models, x, movement=None, brief=False) -> str:
    if "test_neg_elbo" not in m.metrics:
        return _mse(m, models, x, movement, brief)
    if brief:
        return f"-ELBO {m.metrics['test_neg_elbo']:.1f} nats, KL {m.metrics['test_kl']:.1f}"
    return (f"negative ELBO {m.metrics['test_neg_elbo']:.1f} nats per test image, of which KL "
            f"{m.metrics['test_kl']:.1f}")


COLUMNS = (
    Column("mnist-ae-16", "plain", _plain, "Hinton & Salakhutdinov 2006", _mse),
    Column("mnist-dae-16", "denoising", _denoising, "Vincent et al. 2008", _denoise_figure),
    Column("mnist-sparse-ae-64", "sparse", _sparse, "Ng 2011", _sparse_figure),
    Column("mnist-contractive-ae-16", "contractive", _contractive, "Rifai et al. 2011", _contractive_figure),
    Column("mnist-overcomplete-ae-1024", "overcomplete", _overcomplete, "Goodfellow et al. 2016, 14.1",
           _overcomplete_figure),
    Column("mnist-vae-16", "variational", _vae, "Kingma & Welling 2014", _vae_figure),
)
OTHERS = ("mnist-overcomplete-dae-1024",)  # quoted by a figure, not shown


def overcomplete_text(models) -> str:
    """What the textbook warns of an overcomplete autoencoder (it can learn to copy), against what the
    two overcomplete bundles measured: said as it came out."""
    plain, regular, small = (models.get(n) for n in ("mnist-overcomplete-ae-1024", "mnist-overcomplete-dae-1024",
                                                     "mnist-ae-16"))
    if plain is None or regular is None or small is None:
        return ""
    p, r = plain.metrics, regular.metrics
    if not all(k in p and k in r for k in ("pass_through", "unlike_mse", "neighbours_same_label")):
        return ""
    lines = [f"A code wider than the image lets an autoencoder copy its "
             f"input instead of summarising it. The plain one with {plain.latent_dim:,} numbers rebuilds the test "
             f"digits with error {p['test_mse']:.4f} per pixel ({small.name}: {small.metrics['test_mse']:.4f}), "
             f"and {p['pass_through']:.0%} of a small random change of its input comes out in its output; the "
             f"same layers trained to denoise ({regular.name}) pass {r['pass_through']:.0%}."]
    if "pass_through" in small.metrics:
        q = small.metrics["pass_through"]
        lines.append(f"The 16-number plain one passes {q:.0%}: "
                     + (("passing a change through is not the wide code's doing here"
                         + ("; training to denoise is what stops it." if r["pass_through"] < q else "."))
                        if q >= p["pass_through"] else "the wide code passes more, as the warning says."))
    for name, what in (("fashion-mnist", "Fashion-MNIST's garments"), ("noise", "uniform noise")):
        if name in p["unlike_mse"] and name in r["unlike_mse"]:
            a, b = p["unlike_mse"][name], r["unlike_mse"][name]
            lines.append(f"On {what} its error is {a:.3f}, the denoising one's {b:.3f}: "
                         + ("it rebuilds them better, as a copier would." if a < b else
                            "it rebuilds them worse, so what it copies is detail of digits, not any image."))
    lines.append(f"How much its codes say of the digit: {p['neighbours_same_label']:.0%} of a test code's 10 nearest "
                 f"codes share its label ({r['neighbours_same_label']:.0%} for the denoising one).")
    return " ".join(lines)


