"""Every registered model kind (explorer.models.KINDS), checked alike, so a new kind is tested by
registering it: it builds on every backbone, its loss takes exactly the hyperparameters it
declares and each of them changes the loss, its defaults are in range, and the training command
offers each as an option with the kind's own help. Fails if a kind declares a number its loss
ignores, or takes one it does not declare."""

import inspect

import pytest
import torch

from explorer import models
from explorer.models import train

KINDS = sorted(models.KINDS)


def small(kind: str, backbone: str | None = None):
    torch.manual_seed(0)
    backbone = backbone or (models.KINDS[kind].backbones or ("mlp",))[0]
    cfg = models.ModelConfig(kind=kind, backbone=backbone, latent_dim=8 * models.KINDS[kind].latent_unit,
                             hidden=[16, 8] if backbone == "conv" else [32])
    return models.build(cfg)


def labelled(kind: str) -> dict:
    """What a kind that takes labels is given with four images (nothing for the others)."""
    return {"labels": torch.tensor([0, 1, 2, 3])} if "labels" in models.KINDS[kind].offers else {}


@pytest.mark.parametrize("kind,backbone", [(k, b) for k in KINDS for b in sorted(models.BACKBONES)])
def test_a_kind_builds_encodes_decodes_and_gives_a_finite_loss(kind, backbone):
    if backbone not in models.built_on(models.KINDS[kind]):
        with pytest.raises(ValueError, match=f"for kind {kind!r}"):  # said, not built wrong
            small(kind, backbone)
        return
    net = small(kind, backbone)
    x, given = torch.rand(4, 28, 28), labelled(kind)
    z = net.encode(x, **given)
    assert z.shape == (4, net.config.latent_dim) and net.decode(z, **given).shape[0] == 4
    parts = net.loss(x, generator=torch.Generator().manual_seed(0), **given)
    assert torch.isfinite(parts["loss"]) and "recon" in parts


@pytest.mark.parametrize("kind", KINDS)
def test_a_kinds_loss_takes_exactly_its_declared_hyperparameters_and_each_changes_it(kind):
    cls = models.KINDS[kind]
    declared = {h.name for h in cls.hyperparameters}
    taken = set(inspect.signature(cls.loss).parameters) - {"self", "x", "recon", "generator", "target", "posterior"}
    taken -= {"labels"} if "labels" in cls.offers else set()  # each image's class, not a hyperparameter
    assert taken == declared, f"{kind}: loss takes {sorted(taken)}, declares {sorted(declared)}"
    net, x = small(kind), torch.rand(4, 28, 28)
    for h in cls.hyperparameters:
        assert h.problem(h.default) is None, f"{h.flag}'s default is out of its own range"
        assert h.does and h.paper and h.flag.startswith("--")
        at = {name: net.loss(x, generator=torch.Generator().manual_seed(0), **labelled(kind), **{h.name: value})["loss"]
              for name, value in (("default", h.default), ("other", h.default + 1.5))}
        assert at["default"] != at["other"], f"{kind}: {h.flag} does not change the loss"


def test_the_training_command_offers_each_hyperparameter_once_with_the_kinds_that_take_it():
    help_text = " ".join(train.build_parser().format_help().split())
    for name, (h, kinds) in models.hyperparameter_options().items():
        assert help_text.count(f"{h.flag} ") >= 1 and f"--kind {'/'.join(kinds)} only" in help_text


def test_a_hyperparameter_says_its_range():
    beta = next(h for h in models.VariationalAutoencoder.hyperparameters if h.name == "beta")
    assert beta.problem(0.0) == "--beta must be a positive number (got 0)"
    assert beta.problem(float("nan")) is not None and beta.problem(0.5) is None
    pull = next(h for h in models.Autoencoder.hyperparameters if h.name == "code_penalty")
    assert pull.problem(0.0) is None and pull.problem(-1.0) == "--code-penalty must be zero or positive (got -1)"
