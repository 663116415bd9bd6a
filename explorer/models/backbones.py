"""Backbones: the layers of an encoder (config, n_out) -> [N, n_out] and of a decoder (config) ->
logits [N, 28, 28], for every kind alike. An MLP, and a small convolutional net (two stride-2
convolutions and their transposed mirror), for every kind; and a recurrent one that reads and
writes the image row by row, for the sequence autoencoder. The browser's decoder runs the same layers
(ui/latent_map/decoder.js), and the ONNX export writes them."""

from __future__ import annotations

import torch
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


class RowEncoder(nn.Module):
    """A GRU (Cho et al., EMNLP 2014) that reads the image as a sequence of its rows, top to bottom
    (28 steps of 28 pixels); the code is a linear map of its last state."""

    def __init__(self, cfg: ModelConfig, n_out: int):
        super().__init__()
        (width,) = cfg.hidden
        self.rnn = nn.GRU(IMAGE_SHAPE[1], width, batch_first=True)
        self.head = nn.Linear(width, n_out)

    def forward(self, x):
        _, last = self.rnn(x.reshape(-1, *IMAGE_SHAPE))
        return self.head(last[0])


class RowDecoder(nn.Module):
    """A GRU that writes the image back one row at a time: its state starts from the code
    (tanh of a linear map), it is given the code again at every step, and each step's state is
    mapped to the logits of one row (Srivastava, Mansimov & Salakhutdinov, ICML 2015: the
    "unconditioned" decoder, which never reads its own earlier rows)."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        (width,) = cfg.hidden
        self.start = nn.Linear(cfg.latent_dim, width)
        self.rnn = nn.GRU(cfg.latent_dim, width, batch_first=True)
        self.row = nn.Linear(width, IMAGE_SHAPE[1])

    def forward(self, z):
        h0 = torch.tanh(self.start(z)).unsqueeze(0)
        steps = z.unsqueeze(1).expand(-1, IMAGE_SHAPE[0], -1)
        out, _ = self.rnn(steps, h0)
        return self.row(out)  # [N, rows, row]: the image's logits, row by row

    def web_layers(self, add) -> list[dict]:
        """The browser's form (webexport.py, decoder.js): one ``gru_rows`` layer, the weights as
        torch stores them (gates r, z, n in that order)."""
        g = self.rnn
        return [{"type": "gru_rows", "steps": IMAGE_SHAPE[0], "in": g.input_size, "hidden": g.hidden_size,
                 "out": self.row.out_features,
                 **{name: add(f"dec.{name}", t.detach().numpy()) for name, t in (
                     ("start_weight", self.start.weight), ("start_bias", self.start.bias),
                     ("weight_ih", g.weight_ih_l0), ("weight_hh", g.weight_hh_l0),
                     ("bias_ih", g.bias_ih_l0), ("bias_hh", g.bias_hh_l0),
                     ("row_weight", self.row.weight), ("row_bias", self.row.bias))}}]


backbone("gru", general=False)(RowEncoder, RowDecoder)
