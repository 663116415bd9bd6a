"""What a model achieves on the test split: every figure a bundle records about itself.

Computation only (the command that prints and stores these is explorer/bundles/evaluate.py); pages and the
training command import it from here. All on the test images of the model's classes, images
scaled to [0, 1]:

- ``test_mse``: squared reconstruction error, mean over pixels and images; the reconstruction
  decodes encode(x), which for a VAE is the posterior mean.
- ``test_bce``: Bernoulli negative log-likelihood of that reconstruction, nats per image.
- Kinds with a posterior (VAE), ``test_neg_elbo``: BCE summed over the 784 pixels for a sampled
  z, plus KL to N(0, I), nats per image (Kingma & Welling 2014), one seeded sample per image;
  ``test_kl``; ``beta``, the KL weight it was trained with.
- ``class_middles_recognised``: decode the middle (median) of each class's cluster on the
  model's default map (direct for 2-D codes, t-SNE otherwise) and ask a 10-nearest-neighbour
  classifier fitted on the training images of the same classes what it shows; the count that
  come back as their own class. ``class_middles_by_map`` gives the count on every map.
- ``pca_test_mse``: the test MSE of PCA with as many components as the model's code has numbers,
  fitted on the training images of the model's classes (explorer/baselines/pca): the linear reference.
- ``denoising_mse``: for each noise of ``NOISE_CHECKS`` (and the noise the model was trained
  with, if any), the MSE between the clean test images and what the model rebuilds from
  corrupted ones (noise.py; seeded), per pixel.
- Kinds with a posterior and the prior N(0, I) (VAE, CVAE): ``test_nll_iw``, the negative
  log-likelihood -log p(x) estimated by importance sampling with IW_SAMPLES codes drawn from the
  posterior (Burda, Grosse & Salakhutdinov, "Importance weighted autoencoders", ICLR 2016, eq. 8),
  over the first IW_IMAGES test images, beside ``test_neg_elbo_iw_images``, the one-sample
  negative ELBO of the same images; ``iw_samples`` and ``iw_images`` say how many. The ELBO is a
  bound: -log p(x) lies below it, and the gap is what the posterior misses. The training command
  and ``evaluate`` measure it; an ONNX import leaves it to ``evaluate NAME --write`` (a million
  decodes through onnxruntime would hold the import up for minutes).
- A model trained on fewer classes than its dataset has: ``anomaly_auc``, how well its
  reconstruction error tells the other classes' test images from its own (ROC AUC), and
  ``recon_error_by_class``.
"""

from __future__ import annotations

import hashlib

import numpy as np
import torch

from explorer import data, models
from explorer.data import noise
from explorer.baselines import pca
from explorer.bundles.bundle import Latents, Model
from explorer.teaching.generate import class_middles
from explorer.models import reconstruction_loss

N_NEIGHBOURS = 10
NOISE_CHECKS = ("gaussian:0.25", "gaussian:0.5", "mask:0.25", "mask:0.5")


def compute_latents(model: Model, split: data.Split, index: np.ndarray, batch_size: int = 2000) -> Latents:
    """The model's view of ``split`` (test images whose rows in the dataset are ``index``): codes,
    labels, rows and each image's reconstruction error per pixel."""
    return _passes(model, split, index, batch_size=batch_size, losses=False)[0]


def test_losses(model: Model, split: data.Split, seed: int = 0, batch_size: int = 2000) -> dict[str, float]:
    """Reconstruction and (VAE) ELBO figures averaged over ``split``."""
    return _passes(model, split, None, seed, batch_size, latents=False)[1]


def latents_and_losses(model: Model, split: data.Split, index: np.ndarray, seed: int = 0,
                       batch_size: int = 2000) -> tuple[Latents, dict[str, float]]:
    """``compute_latents`` and ``test_losses`` from one pass over ``split``: the encoder once and
    the decoder once per image (twice for a VAE's ELBO), not twice and three times (an import's
    largest part once its t-SNE is left out)."""
    return _passes(model, split, index, seed, batch_size)


KIND_SAMPLE = 1000  # test images a kind's own figures are measured on (all its codes are used)


@torch.no_grad()
def _passes(model: Model, split: data.Split, index, seed: int = 0, batch_size: int = 2000,
            latents: bool = True, losses: bool = True):
    gen = torch.Generator().manual_seed(seed)
    sums = {"test_mse": 0.0, "test_bce": 0.0, "test_neg_elbo": 0.0, "test_kl": 0.0}
    # written into arrays made once: a list of each batch's small arrays, kept while every batch's
    # large ones come and go, left the heap too fragmented to give memory back (a million images:
    # 13 GB resident, of which a few MB were in use)
    codes, errors = None, np.empty(len(split.images), np.float32)
    n = len(split.images)
    # the ELBO in nats needs Bernoulli outputs; an imported decoder trained with squared error has none
    elbo = losses and model.kind_info.has_posterior and getattr(model.net, "bernoulli", True)
    labelled = "labels" in model.kind_info.offers  # a conditional model is given each image's label
    for start in range(0, n, batch_size):
        x = model.float_images(split.images[start:start + batch_size])
        net = model.net_for(split.labels[start:start + batch_size] if labelled else None, len(x))
        post = net.posterior(x) if elbo else None  # the encoder once for both: its mean is the code
        z = post[0] if elbo else net.encode(x)
        if latents:
            if codes is None:
                codes = np.empty((n, z.shape[1]), np.float32)
            codes[start:start + len(x)] = z.numpy()
        if not losses:
            errors[start:start + len(x)] = ((net.decode(z) - x) ** 2).flatten(1).mean(1).numpy()
            continue
        logits = net.decode_logits(z)
        per_image = ((torch.sigmoid(logits) - x) ** 2).flatten(1).mean(1)
        errors[start:start + len(x)] = per_image.numpy()
        sums["test_mse"] += per_image.sum().item()
        sums["test_bce"] += reconstruction_loss(logits, x, "bce").sum().item()
        if elbo:
            parts = net.loss(x, "bce", generator=gen, posterior=post)
            sums["test_neg_elbo"] += parts["loss"].item() * len(x)
            sums["test_kl"] += parts["kl"].item() * len(x)
    out = {k: v / n for k, v in sums.items()}
    if not elbo:
        del out["test_neg_elbo"], out["test_kl"]
    lat = None
    if latents:
        lat = Latents(codes=codes if codes is not None else np.zeros((0, model.latent_dim), np.float32),
                      labels=split.labels.astype(np.int64), index=np.asarray(index, dtype=np.int64), recon_error=errors)
    return lat, out


IW_SAMPLES = 1000  # codes per image: Burda et al. report k = 5,000; 1,000 moves the estimate by a few tenths of a nat
IW_IMAGES = 1000  # test images: 10^6 decodes, a minute for our VAEs on 2 cores


@torch.no_grad()
def importance_nll(model: Model, split: data.Split, samples: int = IW_SAMPLES, n_images: int = IW_IMAGES,
                   seed: int = 0, chunk: int = 20_000) -> dict[str, float]:
    """-log p(x) by importance sampling, and the one-sample negative ELBO, over the first
    ``n_images`` of ``split`` (module docstring); {} for a kind without a posterior or whose prior
    is not N(0, I) (its own ``prior_sample``)."""
    if not model.kind_info.has_posterior or hasattr(model.net, "prior_sample") \
            or not getattr(model.net, "bernoulli", True):
        return {}
    gen = torch.Generator().manual_seed(seed)
    labelled = "labels" in model.kind_info.offers
    images, labels = split.images[:n_images], split.labels[:n_images]
    half_log_2pi = 0.5 * np.log(2 * np.pi)
    nll, elbo = [], []
    per_pass = max(1, chunk // samples)  # images whose samples are decoded in one pass
    for start in range(0, len(images), per_pass):
        x = model.float_images(images[start:start + per_pass])
        y = labels[start:start + per_pass]
        net = model.net_for(y if labelled else None, len(x))
        mean, log_var = net.posterior(x)
        eps = torch.randn((samples, *mean.shape), generator=gen)
        z = mean + torch.exp(0.5 * log_var) * eps  # [samples, n, k]
        flat = z.reshape(-1, z.shape[-1])
        dec = model.net_for(np.tile(y, samples) if labelled else None, len(flat))
        logits = dec.decode_logits(flat).reshape(samples, len(x), -1)
        log_px_z = -torch.nn.functional.binary_cross_entropy_with_logits(
            logits, x.flatten(1).expand(samples, -1, -1), reduction="none").sum(-1)
        log_pz = (-0.5 * z ** 2 - half_log_2pi).sum(-1)
        log_qz = (-0.5 * eps ** 2 - 0.5 * log_var - half_log_2pi).sum(-1)
        log_w = (log_px_z + log_pz - log_qz).double()
        nll.append(-(torch.logsumexp(log_w, 0) - np.log(samples)).numpy())
        elbo.append(-log_w[0].numpy())
    return {"test_nll_iw": float(np.concatenate(nll).mean()),
            "test_neg_elbo_iw_images": float(np.concatenate(elbo).mean()),
            "iw_samples": samples, "iw_images": len(images)}


@torch.no_grad()
def denoising_mse(model: Model, images, noise_spec: str, seed: int = 0, batch_size: int = 2000) -> float:
    """MSE per pixel between the clean ``images`` and the model's output for corrupted copies."""
    total, gen = 0.0, torch.Generator().manual_seed(seed)
    level = noise.parse(noise_spec)
    for start in range(0, len(images), batch_size):
        x = model.float_images(images[start:start + batch_size])
        out = model.net.decode(model.net.encode(level.apply(x, gen)))
        total += ((out - x) ** 2).flatten(1).mean(1).sum().item()
    return total / len(images)


def denoising_metrics(model: Model, test: data.Split, seed: int = 0) -> dict[str, float]:
    """``denoising_mse`` for every noise of NOISE_CHECKS and the one the model was trained with."""
    trained = model.config.get("training", {}).get("noise")
    specs = list(NOISE_CHECKS) + ([str(noise.parse(trained))] if trained and str(noise.parse(trained))
                                  not in NOISE_CHECKS else [])
    return {spec: round(denoising_mse(model, test.images, spec, seed), 6) for spec in specs}


_PCA_FITS: dict = {}  # (training images' digest, classes) -> PCA with pca.N_COMPONENTS components


def pca_reference(model: Model, train: data.Split, test: data.Split) -> float:
    """Test MSE of PCA at the model's code size, fitted on its classes' training images. The
    components are nested, so one fit of 32 serves every k up to 32 (and is kept for the next
    model of the same classes)."""
    train_sub, _ = train.subset(model.classes)
    k = min(model.latent_dim, train_sub.images[0].size)  # as many components as pixels rebuild exactly
    if k > pca.N_COMPONENTS:
        return pca.fit(train_sub.images, k).mse(test.images, k)
    key = (hashlib.sha1(train_sub.images.tobytes()).hexdigest(), tuple(model.classes))
    if key not in _PCA_FITS:
        _PCA_FITS.clear()
        _PCA_FITS[key] = pca.fit(train_sub.images, pca.N_COMPONENTS)
    return _PCA_FITS[key].mse(test.images, k)


def nearest_vote(queries: np.ndarray, x: np.ndarray, labels: np.ndarray, k: int, spare: int = 32) -> np.ndarray:
    """The class most of each query's ``k`` nearest rows of ``x`` (Euclidean) have, ties to the
    smaller class: a k-nearest-neighbour classifier with uniform weights, as scikit-learn's, for a
    handful of queries (here: without importing scikit-learn, 2 s of an import's 5). The
    distances to every row are float32 (a 60,000-row ``x`` is not copied to float64); the ``k +
    spare`` nearest by them are ranked again by exact float64 distances."""
    q = np.asarray(queries, np.float32)
    x = np.asarray(x, np.float32)
    rough = np.einsum("ij,ij->i", x, x)[None] - 2 * (q @ x.T)  # + |q|^2, the same along a row
    m = min(len(x), k + spare)
    candidates = np.argpartition(rough, m - 1, axis=1)[:, :m]
    exact = ((x[candidates].astype(np.float64) - q[:, None].astype(np.float64)) ** 2).sum(-1)
    nearest = np.take_along_axis(candidates, np.argpartition(exact, k - 1, axis=1)[:, :k], 1)
    return np.array([np.bincount(labels[row], minlength=int(labels.max()) + 1).argmax() for row in nearest])


def recognised_middles(model: Model, train: data.Split, methods=None) -> dict:
    """Decode each class's middle on every map; classify it by its nearest training images.

    ``class_middles_recognised`` is the count on the model's default map; ``class_middles_by_map``
    has the count for each map.
    """
    train_sub, _ = train.subset(model.classes)
    x_train = train_sub.images.reshape(len(train_sub.images), -1).astype(np.float32)
    np.divide(x_train, np.float32(255), out=x_train)  # in place: 188 MB for MNIST, not twice that
    if methods is None:  # the maps that open at once; a missing t-SNE is not computed here
        methods = model.open_maps()
    by_map = {}
    for method in methods:
        mp = model.map(method)
        middles = class_middles(mp.xy, model.latents.labels)
        given = {"labels": np.array(list(middles))} if "labels" in model.kind_info.offers else {}  # drawn as its class
        images = model.decode(mp.to_latent(np.stack(list(middles.values()))), **given)
        predicted = nearest_vote(images.reshape(len(images), -1), x_train, train_sub.labels, N_NEIGHBOURS)
        by_map[method] = int((predicted == np.array(list(middles))).sum())
    default = next(m for m in model.available_maps() if m in by_map)
    return {"class_middles_recognised": by_map[default], "class_middles_total": len(model.classes),
            "class_middles_map": default, "class_middles_by_map": by_map}


def roc_auc(scores, positive) -> float:
    """Area under the ROC curve of ``scores`` for telling ``positive`` (bool) cases from the rest:
    the probability that a random positive scores higher than a random negative, ties counting
    half (the Mann-Whitney U statistic over the product of the class sizes)."""
    scores, positive = np.asarray(scores, np.float64), np.asarray(positive, bool)
    n_pos, n_neg = int(positive.sum()), int((~positive).sum())
    if n_pos == 0 or n_neg == 0:
        raise ValueError("an AUC needs positive and negative cases")
    order = np.argsort(scores, kind="mergesort")
    ranks = np.empty(len(scores))
    sorted_scores = scores[order]
    # average ranks over ties (1-based)
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_scores)) + 1]
    ends = np.r_[starts[1:], len(scores)]
    for a, b in zip(starts, ends):
        ranks[order[a:b]] = (a + b + 1) / 2
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


@torch.no_grad()
def reconstruction_errors(model: Model, images, batch_size: int = 2000, labels=None) -> np.ndarray:
    """Mean squared error per pixel of each image's reconstruction, float32 [N]; a model that takes
    labels is given ``labels`` (each image's own)."""
    out = []
    for start in range(0, len(images), batch_size):
        x = model.float_images(images[start:start + batch_size])
        net = model.net_for(None if labels is None else labels[start:start + batch_size], len(x))
        out.append(((net.decode(net.encode(x)) - x) ** 2).flatten(1).mean(1).numpy())
    return np.concatenate(out).astype(np.float32)


def keep_rows(latents: Latents, rows: np.ndarray) -> Latents:
    """The latents of these rows only (a bundle that stores the codes of some test images)."""
    return Latents(codes=latents.codes[rows], labels=latents.labels[rows], index=latents.index[rows],
                   recon_error=latents.recon_error[rows], maps={k: v[rows] for k, v in latents.maps.items()})


UNLIKE = {"mnist": "fashion-mnist", "fashion-mnist": "mnist"}  # a dataset -> images unlike it
UNLIKE_SAMPLE = 1000
NUDGE = 0.05  # the std of the small random change whose passage through a model is measured


def unlike_images(dataset: str, data_dir=None, seed: int = 0) -> dict[str, np.ndarray]:
    """Images unlike a model's training data, uint8 [n, 28, 28] by name: the first UNLIKE_SAMPLE
    test images of the other dataset (where it is found) and as many of uniform noise."""
    out = {}
    if dataset in UNLIKE:
        try:
            out[UNLIKE[dataset]] = data.load(UNLIKE[dataset], "test", data_dir).images[:UNLIKE_SAMPLE]
        except data.DataError:
            pass  # measured where the other dataset is at hand; said so by its absence
    out["noise"] = np.random.default_rng(seed).integers(0, 256, (UNLIKE_SAMPLE, 28, 28), dtype=np.uint8)
    return out


@torch.no_grad()
def copying_metrics(model: Model, test: data.Split, unlike: dict[str, np.ndarray] | None = None,
                    seed: int = 0) -> dict:
    """What the textbook says of a model that can copy its input (an overcomplete one), measured:

    - ``pass_through``: how much of a small random change of the input comes out in the output,
      |f(x + d) - f(x)| / |d| with d ~ N(0, NUDGE^2) per pixel, averaged over test images (1: the
      change passes whole, as through a copy; 0: the output ignores it);
    - ``unlike_mse``: its reconstruction error (MSE per pixel) on images unlike its training data,
      by name (``unlike_images``): a model that copies rebuilds them too.

    With them ``evaluate`` stores ``neighbours_same_label`` for every model: the share of a test
    code's N_NEIGHBOURS nearest codes that have its label (how useful its codes are to a
    classifier that sees them).
    """
    gen = torch.Generator().manual_seed(seed)
    x = model.float_images(test.images[:KIND_SAMPLE])
    nudge = NUDGE * torch.randn(x.shape, generator=gen)
    out = model.net.decode(model.net.encode(x))
    moved = model.net.decode(model.net.encode(x + nudge)) - out
    result = {"pass_through": float((moved.flatten(1).norm(dim=1) / nudge.flatten(1).norm(dim=1)).mean())}
    if unlike:
        result["unlike_mse"] = {name: round(float(reconstruction_errors(model, images).mean()), 6)
                                for name, images in unlike.items()}
    return result


def test_codes(model: Model, test: data.Split) -> np.ndarray:
    """Every test image's code: the stored ones where the bundle keeps them all, else encoded
    (a conditional model given each image's label)."""
    if model.latents is not None and len(model.latents.codes) == len(test.images):
        return model.latents.codes
    labels = {"labels": test.labels} if "labels" in model.kind_info.offers and model.label is None else {}
    return model.encode(test.images, **labels)


def neighbours_same_label(codes: np.ndarray, labels: np.ndarray, k: int = N_NEIGHBOURS,
                          queries: int = KIND_SAMPLE) -> float:
    """The share of the ``k`` nearest codes (Euclidean, itself left out) of the first ``queries``
    codes that share its label."""
    x = np.asarray(codes, np.float32)
    n_q = min(queries, len(x))
    norms = np.einsum("ij,ij->i", x, x)
    block = max(1, 2**25 // len(x))  # queries at a time: their distances to every code in 128 MB
    same = 0
    for start in range(0, n_q, block):
        rows = np.arange(start, min(n_q, start + block))
        d = norms[None] - 2 * (x[rows] @ x.T)
        d[np.arange(len(rows)), rows] = np.inf
        nearest = np.argpartition(d, k - 1, axis=1)[:, :k]
        same += int((labels[nearest] == labels[rows, None]).sum())
    return same / (n_q * k)


PRIOR_SAMPLES = 200  # per class, for a conditional model's prior samples


def conditional_metrics(model: Model, seed: int = 0) -> dict:
    """A conditional model's prior samples, decoded with each class's label, read by the dataset's
    classifier (explorer/baselines/classifier): ``prior_read_as_label`` the share read as the
    label asked for, by class, and ``prior_read_as_label_min`` the lowest of them."""
    from explorer.baselines import classifier

    try:
        reader = classifier.load(model.dataset)
    except classifier.ClassifierError:  # a damaged classifier file: nothing to read the samples with
        reader = None
    if reader is None:
        return {}
    z = model.prior_sample(PRIOR_SAMPLES, seed)
    by_class = {int(c): float((reader.predict(model.decode(z, labels=int(c))) == c).mean()) for c in model.classes}
    return {"prior_read_as_label": {c: round(v, 4) for c, v in by_class.items()},
            "prior_read_as_label_min": min(by_class.values())}


def anomaly_metrics(model: Model, full_test: data.Split) -> dict:
    """For a model trained on some classes only: how well its reconstruction error tells the
    other classes' test images from its own (ROC AUC, the other classes as positives), and the
    mean error of each class."""
    errors = reconstruction_errors(model, full_test.images)
    other = ~np.isin(full_test.labels, model.classes)
    return {"anomaly_auc": roc_auc(errors, other), "anomaly_n_test": int(len(errors)),
            "recon_error_by_class": {int(c): round(float(errors[full_test.labels == c].mean()), 6)
                                     for c in np.unique(full_test.labels)}}


def evaluate(model: Model, test: data.Split, train: data.Split | None, seed: int = 0,
             methods=None, full_test: data.Split | None = None, denoising: bool = True,
             reference: "pca.PCA | None" = None, losses: dict | None = None,
             unlike: dict[str, np.ndarray] | None = None, iw_samples: int = IW_SAMPLES) -> dict:
    """All metrics of the module docstring; ``test`` holds only the model's classes. With
    ``full_test`` (every class), a model trained on fewer classes than its dataset has gets
    ``anomaly_metrics`` too. ``losses``: ``test_losses`` of ``test`` already computed (by
    ``latents_and_losses``). ``unlike``: images unlike the training data for ``copying_metrics``.
    ``iw_samples``: codes per image of the importance-sampled likelihood (0: not measured)."""
    metrics = {"n_test": len(test.images), **(losses if losses is not None else test_losses(model, test, seed))}
    if model.kind_info.has_posterior:
        metrics["beta"] = float(model.config.get("training", {}).get("beta", 1.0))
        metrics.update(importance_nll(model, test, samples=iw_samples, seed=seed) if iw_samples else {})
    if model.latents is not None and hasattr(model.net, "measure"):  # the kind's own figures
        sample = model.float_images(test.images[:KIND_SAMPLE])
        metrics.update(model.net.measure(sample, model.latents.codes, model.latents.labels))
    if train is not None and model.latents is not None:
        metrics.update(recognised_middles(model, train, methods))
    if reference is not None and model.latent_dim <= reference.size:  # a PCA of these very training images
        metrics["pca_test_mse"] = reference.mse(test.images, model.latent_dim)
    elif train is not None:
        metrics["pca_test_mse"] = pca_reference(model, train, test)
    labelled = "labels" in model.kind_info.offers
    if labelled:  # what a code means is what the label leaves to it: its style
        metrics.update(conditional_metrics(model, seed))
    else:
        metrics.update(copying_metrics(model, test, unlike, seed))
    if len(test.images) > N_NEIGHBOURS:
        metrics["neighbours_same_label"] = neighbours_same_label(test_codes(model, test), test.labels)
    if denoising and not labelled:
        metrics["denoising_mse"] = denoising_metrics(model, test, seed)
    if full_test is not None and len(np.unique(full_test.labels)) > len(model.classes) and not labelled:
        metrics.update(anomaly_metrics(model, full_test))
    return {k: round(v, 6) if isinstance(v, float) else v for k, v in metrics.items()}


def format_metrics(metrics: dict) -> str:
    """The figures of ``metrics`` (from evaluate) as indented lines, one per figure, for a terminal."""
    names = {"test_mse": "test MSE (per pixel)", "test_bce": "test BCE (nats/image)",
             "test_neg_elbo": "test negative ELBO (nats/image)", "test_kl": "test KL (nats/image)",
             "n_test": "test images", "beta": "KL weight beta", "pca_test_mse": "PCA test MSE, same k",
             "test_nll_iw": "test -log p(x), importance-sampled", "test_neg_elbo_iw_images": "  -ELBO, same images"}
    lines = [f"  {names.get(k, k):34s} {v:.4f}" if isinstance(v, float) else f"  {names.get(k, k):34s} {v}"
             for k, v in metrics.items() if k in names]
    if "denoising_mse" in metrics:
        lines.append(f"  {'denoising MSE (noisy in, clean out)':34s} "
                     + ", ".join(f"{k} {v:.4f}" for k, v in metrics["denoising_mse"].items()))
    if "anomaly_auc" in metrics:
        lines.append(f"  {'anomaly ROC AUC (other classes)':34s} {metrics['anomaly_auc']:.4f} "
                     f"over {metrics['anomaly_n_test']:,} test images")
    if "class_middles_recognised" in metrics:
        by_map = ", ".join(f"{k} {v}" for k, v in metrics.get("class_middles_by_map", {}).items())
        lines.append(f"  {'class middles recognised':34s} {metrics['class_middles_recognised']}"
                     f"/{metrics['class_middles_total']} ({metrics['class_middles_map']} map; {by_map})")
    return "\n".join(lines)


def summary(metrics: dict, map_label) -> list[tuple[str, str]]:
    """A bundle's measured figures as (what, value) rows for a table; ``map_label(kind)`` names a
    map kind, or None for one that is not offered."""
    m = metrics
    rows = [("test images", f"{m['n_test']:,}")] if "n_test" in m else []
    if "test_mse" in m:
        rows.append(("reconstruction MSE per pixel", f"{m['test_mse']:.4f}"))
    if "test_neg_elbo" in m:
        rows.append(("negative ELBO (nats/image)", f"{m['test_neg_elbo']:.1f}"))
    if "test_nll_iw" in m:
        rows.append((f"negative log-likelihood, importance-sampled (k = {m['iw_samples']:,}, first "
                     f"{m['iw_images']:,} test images; ELBO on them {m['test_neg_elbo_iw_images']:.1f})",
                     f"{m['test_nll_iw']:.1f}"))
    for kind in models.KINDS.values():  # a kind's own figures, as it names them
        rows += [(what, f"{m[key]:.4g}") for key, what in kind.figures.items() if key in m]
    if "pass_through" in m:
        rows.append(("share of a small random change of the input passed to the output", f"{m['pass_through']:.3f}"))
    for name, mse in m.get("unlike_mse", {}).items():
        rows.append((f"reconstruction MSE on {'uniform noise' if name == 'noise' else name + ' test images'}",
                     f"{mse:.4f}"))
    if "prior_read_as_label_min" in m:
        rows.append(("prior samples read as the label asked for, worst class", f"{m['prior_read_as_label_min']:.1%}"))
    if "neighbours_same_label" in m:
        rows.append((f"{N_NEIGHBOURS} nearest codes sharing the label", f"{m['neighbours_same_label']:.1%}"))
    for method, count in m.get("class_middles_by_map", {}).items():
        if map_label(method) is not None:
            rows.append((f"class middles recognised, {map_label(method)}", f"{count}/{m['class_middles_total']}"))
    return rows
