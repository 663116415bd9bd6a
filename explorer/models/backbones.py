"""Backbones: the layers of an encoder (config, n_out) -> [N, n_out] and of a decoder (config) ->
logits [N, 28, 28], for every kind alike. An MLP, and a small convolutional net (two stride-2
convolutions and their transposed mirror). The browser's decoder runs the same layers
(ui/latent_map/decoder.js), and the ONNX export writes them."""

from __future__ import annotations

from torch import nn

from explorer.models.base import ACTIVATIONS, IMAGE_SHAPE, N_PIXELS, ModelConfig, backbone


def _mlp(sizes: list[int], activation: str) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(ACTIVATIONS[activation]())
    return nn.Sequential(*layers)


class MLPEncoder(nn.Module):
    def __init__(self, cfg: ModelConfig, n_out: int):
        super().__init__()
        self.net = _mlp([N_PIXELS, *cfg.hidden, n_out], cfg.activation)

    def forward(self, x):
        return self.net(x.flatten(1))


class MLPDecoder(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.net = _mlp([cfg.latent_dim, *reversed(cfg.hidden), N_PIXELS], cfg.activation)

    def forward(self, z):
        return self.net(z).view(-1, *IMAGE_SHAPE)


def _conv_sizes(cfg: ModelConfig) -> tuple[int, int, int | None]:
    """hidden = [channels 1, channels 2] or [channels 1, channels 2, dense width]."""
    c1, c2, *dense = cfg.hidden
    return c1, c2, (dense[0] if dense else None)


class ConvEncoder(nn.Module):
    """Two stride-2 convolutions (28 -> 14 -> 7), an optional dense layer, then the code."""

    def __init__(self, cfg: ModelConfig, n_out: int):
        super().__init__()
        c1, c2, dense = _conv_sizes(cfg)
        act = ACTIVATIONS[cfg.activation]
        head = [nn.Linear(c2 * 7 * 7, dense), act(), nn.Linear(dense, n_out)] if dense \
            else [nn.Linear(c2 * 7 * 7, n_out)]
        self.net = nn.Sequential(
            nn.Conv2d(1, c1, 4, stride=2, padding=1), act(),
            nn.Conv2d(c1, c2, 4, stride=2, padding=1), act(),
            nn.Flatten(), *head,
        )

    def forward(self, x):
        return self.net(x.view(-1, 1, *IMAGE_SHAPE))


class ConvDecoder(nn.Module):
    """The mirror image of ConvEncoder, with transposed convolutions (7 -> 14 -> 28)."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        c1, c2, dense = _conv_sizes(cfg)
        act = ACTIVATIONS[cfg.activation]
        stem = [nn.Linear(cfg.latent_dim, dense), act(), nn.Linear(dense, c2 * 7 * 7)] if dense \
            else [nn.Linear(cfg.latent_dim, c2 * 7 * 7)]
        self.net = nn.Sequential(
            *stem, act(), nn.Unflatten(1, (c2, 7, 7)),
            nn.ConvTranspose2d(c2, c1, 4, stride=2, padding=1), act(),
            nn.ConvTranspose2d(c1, 1, 4, stride=2, padding=1),
        )

    def forward(self, z):
        return self.net(z).view(-1, *IMAGE_SHAPE)


backbone("mlp")(MLPEncoder, MLPDecoder)
backbone("conv")(ConvEncoder, ConvDecoder)
