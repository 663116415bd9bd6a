"""Training on several processes: `torchrun -m explorer.train` runs data-parallel over
gloo on this machine's CPUs; rank 0 alone writes the bundle, and the bundle measures as one
process's does with the same recipe (N processes of batch B/N against one of batch B)."""

import os
import subprocess
import sys

import pytest
import torch

import explorer
from explorer.models.train import World, _batches

from .conftest import ROOT

RECIPE = ["--kind", "vae", "--latent-dim", "2", "--iw-samples", "0", "--train-limit", "6000", "--epochs", "4", "--replay", "0",
          "--skip-tsne", "--quiet", "--seed", "3"]


def train(out, batch, processes=1, data_dir=None):
    prefix = [sys.executable, "-m", "explorer.models.train"] if processes == 1 else \
        [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={processes}",
         "-m", "explorer.models.train"]
    done = subprocess.run([*prefix, *RECIPE, "--batch-size", str(batch), "--data-dir", data_dir, "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    return done.stdout


@pytest.mark.slow  # three processes train a VAE for about a minute of both cores
def test_two_processes_train_the_same_recipe_to_within_5_percent_and_rank_0_writes_it(data_dir, tmp_path):
    one = train(tmp_path / "one", 128, data_dir=data_dir)
    two = train(tmp_path / "two", 64, processes=2, data_dir=data_dir)
    assert two.count("training a ") == 1 and "on 2 processes (gloo), 64 images a step each" in two  # rank 0 speaks
    assert sorted(p.name for p in tmp_path.iterdir()) == ["one", "two"]  # and writes one bundle
    a, b = explorer.load_model(tmp_path / "one"), explorer.load_model(tmp_path / "two")
    assert b.config["training"]["processes"] == {"count": 2, "backend": "gloo", "device": "cpu",
                                                 "images_per_step": 128}
    assert b.config["training"]["command"].startswith("torchrun --nproc-per-node 2 -m explorer.train ")
    assert "processes" not in a.config["training"] and len(b.config["training"]["history"]) == 4
    print({k: (a.metrics[k], b.metrics[k]) for k in ("test_mse", "test_bce", "test_neg_elbo", "test_kl")})
    for key in ("test_mse", "test_bce", "test_neg_elbo"):  # the KL alone, a few nats, moves more with the seed
        assert b.metrics[key] == pytest.approx(a.metrics[key], rel=0.05), (key, a.metrics[key], b.metrics[key])
    assert b.metrics["test_mse"] < 0.06  # and it learned: the mean image alone scores 0.067
    print(one.splitlines()[-1], two.splitlines()[-1])


def test_each_process_takes_its_own_share_of_one_shuffle():
    n, world = 1003, 3
    shares = [torch.cat(_batches(n, 50, torch.Generator().manual_seed(7), World(rank=r, size=world)))
              for r in range(world)]
    assert [len(s) for s in shares] == [334] * 3  # n // 3 each; the remainder waits for another epoch
    rows = torch.cat(shares)
    assert len(set(rows.tolist())) == len(rows)  # no image twice in an epoch
    alone = torch.cat(_batches(n, 50, torch.Generator().manual_seed(7)))
    assert sorted(alone.tolist()) == list(range(n))
    assert World.from_env({"RANK": "1", "WORLD_SIZE": "2", "LOCAL_RANK": "1", "LOCAL_WORLD_SIZE": "2"}) == \
        World(rank=1, size=2, local_rank=1, local_size=2)
    assert World.from_env({}) == World()
