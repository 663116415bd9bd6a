"""Train an autoencoder or VAE and write a bundle: `python -m explorer.train --out DIR [options]`.

Trains on the training split only; the test split is used to print a test loss after each epoch
and for the final evaluation (metrics.py) whose figures are stored in the bundle's config.json,
together with the test-set codes the app draws. The bundle is written atomically (bundle.save).

Every option, and the place the bundle goes, is checked before any data is read: --out must be
new, an empty folder or a bundle (nothing else is ever replaced) and its folder writable; the
network must fit under MAX_PARAMETERS. Kinds, backbones and activations are those of the model
registries (explorer/models/__init__.py), asked rather than named here.

Examples (the shipped bundles' exact commands are in the README):
    python -m explorer.train --kind vae --latent-dim 2 --epochs 30 --out pretrained/mnist-vae-2d
    python -m explorer.train --digits 1,5,6 --hidden 1024,512,256 --out runs/my-156-ae

On several processes (data-parallel, torch's DistributedDataParallel): the same command under
torchrun. Each process trains on its own 1/N of each epoch's shuffled images (the same shuffle on
every process, from --seed), in batches of --batch-size, so one step sees N x --batch-size
images; --lr is the peak learning rate of that step, used as given. The same recipe as one
process with batch B is N processes with --batch-size B/N (and the same --lr). The network starts
alike on every process (--seed), each draws its own noise (seed + 1 + rank), and rank 0 alone
measures the test loss and writes the bundle. Processes talk over gloo on CPUs, nccl with
--device cuda (one GPU per process, by LOCAL_RANK):
    torchrun --standalone --nproc-per-node 2 -m explorer.train --batch-size 64 --out runs/ddp
    torchrun --nnodes 2 --node-rank R --master-addr HOST --master-port 29500 --nproc-per-node 4 \
        -m explorer.train --device cuda --batch-size 16 --out runs/ddp   # on each of two machines
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from dataclasses import asdict, dataclass, field

import numpy as np
import torch

from explorer.bundles import bundle, metrics
from explorer import data, maps as projection
from explorer.files import outputs
from explorer.data.noise import parse as parse_noise
from explorer.bundles.bundle import Model
from explorer.models import (ACTIVATIONS, BACKBONES, KINDS, ModelConfig, build, built_on, hyperparameter_options,
                             to_float_images)

# Defaults, and why:
#   one-cycle learning rate (Smith & Topin 2019): a warm-up then a cosine decay to ~0 lets a
#   short run both move fast and settle; it beat a constant rate for every model we shipped.
#   BCE reconstruction: the Bernoulli likelihood the VAE's ELBO needs, and for plain AEs it gave
#   lower test MSE than optimising MSE directly (its gradients do not vanish at saturated pixels).
#   batch 128 and lr 2e-3: fast epochs on 2 CPU cores, stable for all our MLP and conv models.
#   float16 weights: halves pretrained/ on disk; metrics are measured after the rounding.


@dataclass
class TrainConfig:
    dataset: str = "mnist"
    digits: list[int] = field(default_factory=lambda: list(range(10)))
    epochs: int = 30
    batch_size: int = 128
    lr: float = 2e-3
    schedule: str = "onecycle"  # "onecycle" | "constant"
    recon: str = "bce"  # "bce" | "mse"
    weight_decay: float = 0.0
    seed: int = 0
    train_limit: int = 0  # use only the first N training images (0: all); for smoke tests
    weights_dtype: str = "float16"
    noise: str | None = None  # "gaussian:SIGMA" | "mask:P": a denoising autoencoder (noise.py)
    # the kind's own hyperparameters by name (models.Hyperparameter: a VAE's beta, a plain AE's
    # code_penalty); stored beside the other settings under their own names
    hyper: dict[str, float] = field(default_factory=dict)
    replay: int = 2000  # 2-D models: test images whose codes are kept after every epoch (0: none)
    keep_codes: int = 0  # the bundle stores the codes of this many test images (0: all); metrics use all


REPLAY_SEED = 0  # which test images the replay follows: the same ones for every model
MAX_SEED = 2**63 - 1  # torch.manual_seed takes up to 2**64 - 1; a signed 64-bit integer keeps it everywhere
MAX_PARAMETERS = bundle.MAX_PARAMETERS  # no bigger network is trained than the app opens

# name -> (optimizer, config, steps per epoch) -> a scheduler stepped after every batch, or None
SCHEDULES = {
    "onecycle": lambda opt, cfg, steps: torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=cfg.lr, epochs=cfg.epochs, steps_per_epoch=steps),
    "constant": lambda opt, cfg, steps: None,
}


class TrainingError(RuntimeError):
    """Training cannot go on (the loss diverged); the message says what to change."""


@dataclass(frozen=True)
class World:
    """The processes training together (torchrun's environment); one process alone by default."""

    rank: int = 0
    size: int = 1
    local_rank: int = 0
    local_size: int = 1

    @classmethod
    def from_env(cls, env=os.environ) -> "World":
        def number(name, default):
            try:
                return int(env.get(name, default))
            except ValueError:
                return default
        return cls(rank=number("RANK", 0), size=max(1, number("WORLD_SIZE", 1)),
                   local_rank=number("LOCAL_RANK", 0), local_size=max(1, number("LOCAL_WORLD_SIZE", 1)))

    @property
    def main(self) -> bool:
        return self.rank == 0


class _Objective(torch.nn.Module):
    """``_objective`` as a module's forward, for DistributedDataParallel (which averages the
    gradients of what its wrapped module's forward computed)."""

    def __init__(self, net, recon: str, cfg: TrainConfig, gen: torch.Generator):
        super().__init__()
        self.net, self.recon, self.cfg, self.gen = net, recon, cfg, gen

    def forward(self, x, labels=None):
        return _objective(self.net, x, self.recon, self.cfg, self.gen, labels)


def parse_ints(text: str) -> list[int]:
    try:
        return [int(t) for t in text.replace(" ", "").split(",") if t]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m explorer.train", description=__doc__.split("\n")[0])
    d, m = TrainConfig(), ModelConfig()
    p.add_argument("--out", required=True, help="bundle folder to write (replaced atomically); its name is the "
                                                "bundle's name in the app")
    p.add_argument("--dataset", default=d.dataset, choices=sorted(data.DATASETS))
    p.add_argument("--digits", type=parse_ints, default=d.digits, help="classes to train on, e.g. 1,5,6")
    p.add_argument("--kind", default=m.kind, choices=sorted(KINDS))
    p.add_argument("--backbone", default=m.backbone, choices=sorted(BACKBONES))
    p.add_argument("--latent-dim", type=int, default=m.latent_dim)
    p.add_argument("--hidden", type=parse_ints, default=m.hidden,
                   help="MLP layer widths, or the conv backbone's two channel counts")
    p.add_argument("--activation", default=m.activation, choices=sorted(ACTIVATIONS))
    p.add_argument("--codebook", type=int, default=0,
                   help="kinds with a codebook (" + "/".join(k for k in sorted(KINDS) if "codebook" in KINDS[k].offers)
                        + ") only: its number of entries K (default: the kind's, 64)")
    p.add_argument("--epochs", type=int, default=d.epochs)
    p.add_argument("--batch-size", type=int, default=d.batch_size)
    p.add_argument("--lr", type=float, default=d.lr, help="peak learning rate (AdamW)")
    p.add_argument("--schedule", default=d.schedule, choices=sorted(SCHEDULES))
    p.add_argument("--recon", default=d.recon, choices=["bce", "mse"],
                   help="reconstruction loss, for kinds that leave it open (a VAE's ELBO needs bce)")
    p.add_argument("--weight-decay", type=float, default=d.weight_decay)
    p.add_argument("--noise", help="train a denoising autoencoder: corrupt each input with "
                                   "gaussian:SIGMA (added noise, clipped) or mask:P (pixels zeroed), "
                                   "and rebuild the clean image")
    for h, kinds in hyperparameter_options().values():  # each kind's own, as it declares them (models.py)
        p.add_argument(h.flag, type=float, default=None,
                       help=f"--kind {'/'.join(kinds)} only: {h.does}; default {h.default:g} ({h.paper})")
    p.add_argument("--replay", type=int, default=d.replay,
                   help="2-D models: keep the codes of this many test images after every epoch, for "
                        "the training replay (0: none)")
    p.add_argument("--keep-codes", type=int, default=d.keep_codes,
                   help="store the codes of this many test images, a fixed random subset (0: all); the "
                        "losses, denoising, copying and neighbour figures are measured on all of them, the "
                        "class middles and the kind's own figures on the kept ones. Wide codes take room: "
                        "10,000 codes of 1,024 numbers are 41 MB")
    p.add_argument("--iw-samples", type=int, default=metrics.IW_SAMPLES,
                   help="kinds with a posterior: codes drawn per test image for the importance-sampled -log p(x) "
                        f"stored beside the ELBO (first {metrics.IW_IMAGES:,} test images; 0: not measured)")
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument("--train-limit", type=int, default=d.train_limit, help="first N training images only")
    p.add_argument("--weights-dtype", default=d.weights_dtype, choices=sorted(bundle.WEIGHT_DTYPES))
    p.add_argument("--threads", type=int, default=None,
                   help="torch CPU threads (default: the cores, shared among torchrun's processes on this machine)")
    p.add_argument("--device", default="cpu", choices=["cpu", "cuda"],
                   help="cuda: train on a GPU (under torchrun, one per process, by LOCAL_RANK; nccl between them)")
    p.add_argument("--data-dir", help=f"folder holding mnist/ and fashion-mnist/ (else ${data.ENV_VAR})")
    p.add_argument("--download", action="store_true", help="download the dataset if it is not found")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.add_argument("--skip-tsne", action="store_true",
                   help="store no t-SNE map (the app computes it on demand); for quick experiments")
    return p


def _batches(n: int, batch_size: int, gen: torch.Generator, world: World = World()):
    """One epoch's batches of rows; with several processes, this process's 1/N of one shuffle
    that every process draws alike (the last n mod N rows of it left out, so that all take the
    same number of steps)."""
    order = torch.randperm(n, generator=gen)
    return order[:n // world.size * world.size][world.rank::world.size].split(batch_size)


def _settings(cfg: TrainConfig) -> dict:
    """The training config as a bundle stores it: the kind's hyperparameters under their own names."""
    out = asdict(cfg)
    return {**{k: v for k, v in out.items() if k != "hyper"}, **out["hyper"]}


def _objective(net, x: torch.Tensor, recon: str, cfg: TrainConfig, gen: torch.Generator,
               labels: torch.Tensor | None = None) -> torch.Tensor:
    """The training loss of batch ``x``: the clean image rebuilt from a corrupted one for a
    denoising autoencoder, the KL term weighted by beta for a VAE; a kind that takes labels gets
    the batch's ``labels``."""
    noise = parse_noise(cfg.noise) if cfg.noise else None
    x_in = noise.apply(x, gen) if noise else x
    given = {"labels": labels} if takes_labels(net) else {}
    return net.loss(x_in, recon, generator=gen, target=x, **given, **cfg.hyper)["loss"]


def takes_labels(net) -> bool:
    """Whether the kind of ``net`` encodes and decodes with each image's label (a conditional VAE)."""
    return "labels" in getattr(net, "offers", ())


@torch.no_grad()
def _mean_loss(net, x: torch.Tensor, recon: str, cfg: TrainConfig, gen: torch.Generator,
               labels: torch.Tensor, batch_size: int = 2000) -> float:
    net.eval()
    total = sum(_objective(net, b, recon, cfg, gen, y).item() * len(b)
                for b, y in zip(x.split(batch_size), labels.split(batch_size)))
    return total / len(x)


def replay_rows(n_test: int, size: int) -> np.ndarray:
    """The rows of the test split whose codes the replay follows: a fixed, sorted random subset."""
    size = min(size, n_test)
    return np.sort(np.random.default_rng(REPLAY_SEED).choice(n_test, size, replace=False))


@dataclass
class Replay:
    """The test codes of a subset of test images after every epoch (epoch 0: before training)."""

    rows: np.ndarray  # int64 [n]: rows of the test split
    epochs: list[int] = field(default_factory=list)
    test_loss: list[float] = field(default_factory=list)
    codes: list[np.ndarray] = field(default_factory=list)  # float16 [n, 2] each

    @torch.no_grad()
    def record(self, net, x: torch.Tensor, labels: torch.Tensor, epoch: int, test_loss: float) -> None:
        net.eval()
        self.epochs.append(epoch)
        self.test_loss.append(test_loss)
        z = net.encode(x, labels) if takes_labels(net) else net.encode(x)
        self.codes.append(z.cpu().numpy().astype(np.float16))


def train(model_cfg: ModelConfig, cfg: TrainConfig, train_split: data.Split, test_split: data.Split,
          progress: bool = True, log=print, world: World = World(), device: str = "cpu"):
    """Fit a fresh model on ``train_split``; returns the network, the per-epoch history and the
    replay (a Replay for 2-D models when ``cfg.replay``, else None). With several processes
    (``world``, a process group already made), this one's share of each epoch; only the main
    process measures the test loss and keeps a history and replay."""
    from tqdm import tqdm

    torch.manual_seed(cfg.seed)
    gen = torch.Generator().manual_seed(cfg.seed)  # the shuffle: alike on every process
    alone = world.size == 1 and device == "cpu"
    # one process on the CPU draws its noise from the shuffle's generator, as it always has
    noise_gen = gen if alone else torch.Generator(device=device).manual_seed((cfg.seed + 1 + world.rank) % (MAX_SEED + 1))
    net = build(model_cfg).to(device)
    x_train = to_float_images(train_split.images).to(device)
    y_train = torch.as_tensor(np.asarray(train_split.labels, np.int64)).to(device)
    x_test = to_float_images(test_split.images).to(device) if world.main else None  # rank 0 alone measures
    y_test = torch.as_tensor(np.asarray(test_split.labels, np.int64)).to(device) if world.main else None
    recon = KINDS[model_cfg.kind].required_recon or cfg.recon  # the ELBO needs the Bernoulli term
    step = _Objective(net, recon, cfg, noise_gen)
    if world.size > 1:
        from torch.nn.parallel import DistributedDataParallel

        step = DistributedDataParallel(step, device_ids=[torch.device(device).index] if device != "cpu" else None)
    replay = None
    if cfg.replay and model_cfg.latent_dim == 2 and world.main:
        replay = Replay(replay_rows(len(x_test), cfg.replay))
        rows = torch.from_numpy(replay.rows).to(device)
        x_replay, y_replay = x_test[rows], y_test[rows]
        replay.record(net, x_replay, y_replay, 0, _mean_loss(net, x_test, recon, cfg, noise_gen, y_test))
    opt = torch.optim.AdamW(net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)  # decoupled decay (Loshchilov & Hutter 2019)
    per_process = len(x_train) // world.size
    steps_per_epoch = math.ceil(per_process / cfg.batch_size)
    sched = SCHEDULES[cfg.schedule](opt, cfg, steps_per_epoch)
    history = []
    for epoch in range(1, cfg.epochs + 1):
        net.train()
        start, total, seen = time.time(), 0.0, 0
        bar = tqdm(_batches(len(x_train), cfg.batch_size, gen, world), total=steps_per_epoch,
                   desc=f"epoch {epoch}/{cfg.epochs}", leave=False, file=sys.stderr,
                   disable=None if progress and world.main else True)  # None: no bar unless a terminal
        for idx in bar:
            idx = idx.to(device)
            loss = step(x_train[idx], y_train[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            if sched is not None:
                sched.step()
            total += loss.item() * len(idx)
            seen += len(idx)
            bar.set_postfix(loss=f"{total / seen:.3f}", refresh=False)
        if world.size > 1:  # the epoch's loss over every process's images
            import torch.distributed as dist

            sums = torch.tensor([total, float(seen)], dtype=torch.float64, device=device)
            dist.all_reduce(sums)
            total, seen = sums[0].item(), int(sums[1].item())
        if not math.isfinite(total):
            raise TrainingError(f"training diverged at epoch {epoch}; lower --lr")
        if not world.main:
            continue
        test_loss = _mean_loss(net, x_test, recon, cfg, noise_gen, y_test)
        if replay is not None:
            replay.record(net, x_replay, y_replay, epoch, test_loss)
        history.append({"epoch": epoch, "train_loss": total / seen, "test_loss": test_loss,
                        "seconds": round(time.time() - start, 2)})
        log(f"epoch {epoch:3d}/{cfg.epochs}  train loss {total / seen:9.4f}  test loss {test_loss:9.4f}"
            f"  ({time.time() - start:.1f} s)")
    return net.eval().cpu(), history, replay


def _noise_problem(text: str | None) -> str | None:
    try:
        text is None or parse_noise(text)
    except ValueError as e:
        return str(e)
    return None


def _hyperparameter_rules(args, kind) -> list[tuple[bool, str]]:
    """Each hyperparameter option given: in range, and one the chosen kind declares."""
    rules = []
    for name, (h, kinds) in hyperparameter_options().items():
        value = getattr(args, name)
        if value is None:
            continue
        rules.append((h.problem(value) is None, h.problem(value)))
        own = h in kind.hyperparameters
        rules.append((own or value == h.default, f"{h.flag} {h.does}; the {kind.title} has none "
                                                  f"(got {h.flag} {value:g} with --kind {args.kind})"))
    return rules


def hyperparameters_of(args, kind) -> dict[str, float]:
    """The chosen kind's hyperparameters: each as given, else its default."""
    return {h.name: getattr(args, h.name) if getattr(args, h.name) is not None else h.default
            for h in kind.hyperparameters}


def check_options(args) -> str | None:
    """Why the numeric options cannot train a model, or None; checked before any data is read."""
    kind = KINDS[args.kind]
    rules = [
        (args.epochs >= 1, f"--epochs must be at least 1 (got {args.epochs})"),
        (args.batch_size >= 1, f"--batch-size must be at least 1 (got {args.batch_size})"),
        (math.isfinite(args.lr) and args.lr > 0, f"--lr must be a positive number (got {args.lr})"),
        (math.isfinite(args.weight_decay) and args.weight_decay >= 0,
         f"--weight-decay must be zero or positive (got {args.weight_decay})"),
        (args.train_limit >= 0, f"--train-limit must be zero (all) or positive (got {args.train_limit})"),
        (args.threads is None or args.threads >= 1, f"--threads must be at least 1 (got {args.threads})"),
        (args.device == "cpu" or torch.cuda.is_available(), "--device cuda: no GPU that torch can use here"),
        *_hyperparameter_rules(args, kind),
        (args.backbone in built_on(kind),
         f"--backbone {args.backbone}: a {kind.title} is built on {' or '.join(built_on(kind))}"),
        (kind.required_recon in (None, args.recon), f"--recon {args.recon}: a {kind.title} is trained on "
                                                    f"{kind.required_recon}, which its objective needs"),
        (0 <= args.seed <= MAX_SEED, f"--seed must be between 0 and {MAX_SEED} (got {args.seed})"),
        (args.replay >= 0, f"--replay must be zero (none) or positive (got {args.replay})"),
        (args.keep_codes >= 0, f"--keep-codes must be zero (all) or positive (got {args.keep_codes})"),
        (args.iw_samples >= 0, f"--iw-samples must be zero (none) or positive (got {args.iw_samples})"),
        (not args.keep_codes or args.latent_dim != 2 or not args.replay,
         "--keep-codes: a 2-D model's replay follows test images whose codes it must keep; add --replay 0"),
        (_noise_problem(args.noise) is None, f"--noise: {_noise_problem(args.noise)}"),
        (args.latent_dim >= 1, f"--latent-dim must be at least 1 (got {args.latent_dim})"),
        (bool(args.digits), "--digits needs at least one class"),
        (all(0 <= d <= 9 for d in args.digits), f"--digits takes classes between 0 and 9 (got {args.digits})"),
        (len(set(args.digits)) == len(args.digits), f"--digits names a class twice ({args.digits})"),
        (outputs.data_dir_problem(args.data_dir) is None, outputs.data_dir_problem(args.data_dir)),
    ]
    return next((message for ok, message in rules if not ok), None)


parameter_count = bundle.parameter_count  # counted on the meta device: a huge one is never built


def model_problem(args) -> tuple[ModelConfig | None, str | None]:
    """The network the options describe, or why there is none: an invalid description, one that
    a bundle could not be read back with, or more than MAX_PARAMETERS parameters."""
    try:
        model_cfg = ModelConfig(kind=args.kind, backbone=args.backbone, latent_dim=args.latent_dim,
                                hidden=args.hidden, activation=args.activation, codebook=args.codebook)
        ModelConfig.from_dict(model_cfg.to_dict())  # the check a bundle's loader applies to it
    except (TypeError, ValueError) as e:
        return None, str(e)
    try:
        n = parameter_count(model_cfg)
    except (RuntimeError, ValueError, TypeError, OverflowError) as e:  # sizes torch cannot even lay out
        return None, f"--hidden {','.join(map(str, model_cfg.hidden))}: no network can be built ({e})"
    if n > MAX_PARAMETERS:
        return None, (f"--hidden {','.join(map(str, model_cfg.hidden))} with --latent-dim {model_cfg.latent_dim} "
                      f"makes a network of {n:,} parameters; at most {MAX_PARAMETERS:,} "
                      f"are trained (the app opens no bigger bundle)")
    return model_cfg, None


output_problem = outputs.bundle_output_problem


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    model_cfg, problem = None, check_options(args)
    if problem is None:
        model_cfg, problem = model_problem(args)
    if problem is None:
        problem = output_problem(args.out)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    world = World.from_env()
    torch.set_num_threads(args.threads or max(1, (os.cpu_count() or 1) // world.local_size))
    device = f"cuda:{world.local_rank}" if args.device == "cuda" else "cpu"
    if world.size == 1:
        return _main(args, argv, model_cfg, world, device)
    import torch.distributed as dist

    backend = "nccl" if args.device == "cuda" else "gloo"
    if args.device == "cuda":
        torch.cuda.set_device(device)
    dist.init_process_group(backend)
    try:
        return _main(args, argv, model_cfg, world, device, backend)
    finally:
        dist.destroy_process_group()


def _main(args, argv, model_cfg: ModelConfig, world: World, device: str, backend: str | None = None) -> int:
    """main's training and writing, once the process group (if any) is made."""
    say = print if world.main else (lambda *a, **k: None)
    cfg = TrainConfig(dataset=args.dataset, digits=sorted(set(args.digits)), epochs=args.epochs,
                      batch_size=args.batch_size, lr=args.lr, schedule=args.schedule, recon=args.recon,
                      weight_decay=args.weight_decay, seed=args.seed, train_limit=args.train_limit,
                      weights_dtype=args.weights_dtype,
                      noise=str(parse_noise(args.noise)) if args.noise else None,
                      hyper=hyperparameters_of(args, KINDS[args.kind]), replay=args.replay,
                      keep_codes=args.keep_codes)
    try:
        train_full = data.load(cfg.dataset, "train", args.data_dir, args.download)
        test_full = data.load(cfg.dataset, "test", args.data_dir, args.download)
    except data.DataError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    train_split, _ = train_full.subset(cfg.digits)
    if cfg.train_limit:
        train_split = data.Split(train_split.images[:cfg.train_limit], train_split.labels[:cfg.train_limit])
    test_split, test_index = test_full.subset(cfg.digits)
    if len(train_split.images) < world.size:  # every process refuses alike: none waits for another
        if world.main:
            print(f"error: {len(train_split.images):,} training images cannot be shared among {world.size} processes",
                  file=sys.stderr)
        return 2
    spread = f", on {world.size} processes ({backend}), {cfg.batch_size} images a step each" if world.size > 1 else ""
    say(f"training a {model_cfg.backbone} {model_cfg.kind} ({model_cfg.latent_dim}-d latent, hidden "
        f"{model_cfg.hidden}) on {len(train_split.images):,} {cfg.dataset} training images of classes "
        f"{cfg.digits}; {len(test_split.images):,} test images{spread}", flush=True)
    started = time.time()
    try:
        net, history, replay = train(model_cfg, cfg, train_split, test_split, progress=not args.quiet, log=say,
                                     world=world, device=device)
    except TrainingError as e:
        print(f"error: {e}; nothing was written", file=sys.stderr)
        return 1
    except MemoryError:
        print("error: out of memory while training; use smaller --hidden or --batch-size. Nothing was written",
              file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted; nothing was written", file=sys.stderr)
        return 130
    if not world.main:  # rank 0 measures and writes the bundle
        return 0
    nodes = f"--nnodes {world.size // world.local_size} " if world.size > world.local_size else ""
    bundle.round_weights(net, cfg.weights_dtype)
    name = os.path.basename(os.path.normpath(args.out))  # a bundle is known by its folder (catalog.py)
    config = {"name": name, "dataset": cfg.dataset, "classes": cfg.digits,
              "training": {**_settings(cfg), "seconds": round(time.time() - started, 1),
                           "command": (f"torchrun {nodes}--nproc-per-node {world.local_size} -m explorer.train "
                                       if world.size > 1
                                       else "python -m explorer.train ") + " ".join(argv if argv is not None else sys.argv[1:]),
                           "torch": torch.__version__, "history": history}}
    if world.size > 1 or device != "cpu":
        config["training"]["processes"] = {"count": world.size, "backend": backend, "device": args.device,
                                           "images_per_step": cfg.batch_size * world.size}
    model = Model(net, config, None, None)
    model.latents, losses = metrics.latents_and_losses(model, test_split, test_index, seed=cfg.seed)
    if replay is not None:  # the last frame is the model as shipped, after rounding its weights
        replay.codes[-1] = model.latents.codes[replay.rows].astype(np.float16)
        replay = bundle.ReplayArrays(index=test_index[replay.rows], epochs=np.array(replay.epochs),
                                     test_loss=np.array(replay.test_loss, np.float32),
                                     codes=np.stack(replay.codes))
    if cfg.keep_codes and cfg.keep_codes < len(model.latents.codes):
        model.latents = metrics.keep_rows(model.latents, replay_rows(len(model.latents.codes), cfg.keep_codes))
    if not args.skip_tsne:
        print(f"computing the t-SNE map of {len(model.latents.codes):,} test codes", flush=True)
        model.latents = projection.with_stored_maps(model.latents)
        config["maps"] = projection.map_settings()
    train_classes, _ = train_full.subset(cfg.digits)  # the classifier sees every training image
    config["metrics"] = metrics.evaluate(model, test_split, train_classes, seed=cfg.seed, full_test=test_full,
                                         losses=losses, unlike=metrics.unlike_images(cfg.dataset, args.data_dir),
                                         iw_samples=args.iw_samples)
    print(f"evaluation on {len(test_split.images):,} test images:\n{metrics.format_metrics(config['metrics'])}",
          flush=True)
    try:
        path = bundle.save(model, args.out, config, model.latents, weights_dtype=cfg.weights_dtype, replay=replay)
    except (OSError, bundle.BundleError) as e:  # checked at the start; something changed since
        print(f"error: could not write the bundle at {args.out}: {outputs.write_failure(e)}", file=sys.stderr)
        return 1
    print(f"wrote {path} in {time.time() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
