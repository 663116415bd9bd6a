"""The vector-quantised VAE (van den Oord, Vinyals & Kavukcuoglu, "Neural discrete representation
learning", NeurIPS 2017): a convolutional encoder turns the image into a small grid of vectors
(7 x 7 for 28 x 28 images), each is replaced by the nearest of K codebook entries, and a
convolutional decoder draws the image from the grid. The code is a grid of K-way choices, words
of a vocabulary of K: h x w x log2(K) bits an image, and a second model can learn to write them.

The codebook follows the encoder's outputs by exponential moving averages of the vectors each
entry is chosen for (van den Oord et al. 2017, appendix A.1; Razavi, van den Oord & Vinyals,
"Generating diverse high-fidelity images with VQ-VAE-2", NeurIPS 2019), not by a loss; an entry
no vector chooses for a while is restarted on one of the batch's encoder outputs (Dhariwal et al.,
"Jukebox", 2020, section 2.4), so the codebook is used rather than collapsed onto a few entries.
The encoder learns through the quantisation by the straight-through estimator, and the
commitment term (weighed by ``commitment``, 0.25 in the paper) keeps its outputs near their entries.

As a code for every other page: the quantised grid flattened channel by channel, [D, h, w] ->
D x h x w numbers (``latent_dim``). Decoding any such vector snaps each cell to its nearest entry
first, so a point of any map decodes through the grid of codes, as the browser does
(webexport.py's ``quantise`` layer).
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from explorer.models.ae import Autoencoder
from explorer.models.base import ACTIVATIONS, IMAGE_SHAPE, Hyperparameter, ModelConfig, kind, reconstruction_loss

GRID = (IMAGE_SHAPE[0] // 4, IMAGE_SHAPE[1] // 4)  # two stride-2 convolutions: 28 x 28 -> 7 x 7
CELLS = GRID[0] * GRID[1]
EMA_DECAY = 0.99  # van den Oord et al. 2017, appendix A.1
EPSILON = 1e-5  # Laplace smoothing of the entries' counts
DEAD_BELOW = 0.03  # an entry chosen this rarely (moving average of its share of a batch's cells, times K) is restarted


class GridError(ValueError):
    """An index grid of the wrong shape, or with an entry outside the codebook."""


class Quantiser(nn.Module):
    """K entries of D numbers; each D-vector is replaced by its nearest entry. ``codebook`` is the
    one stored tensor; the moving averages that train it are not kept in a bundle."""

    def __init__(self, entries: int, dim: int):
        super().__init__()
        codebook = torch.empty(entries, dim)
        if not codebook.is_meta:  # on the meta device (a bundle's shapes checked) random numbers cost a 1.4 s import
            codebook.normal_(0.0, 0.1)
        self.register_buffer("codebook", codebook)
        self.register_buffer("ema_count", torch.zeros(entries), persistent=False)
        self.register_buffer("ema_sum", torch.zeros(entries, dim), persistent=False)
        self.register_buffer("ema_share", torch.full((entries,), 1.0 / entries), persistent=False)
        self.started = False

    def nearest(self, v: torch.Tensor) -> torch.Tensor:
        """[n, D] -> the index of each row's nearest entry [n] (squared distance, written out so
        an exported graph is plain matrix products)."""
        e = self.codebook
        d = (v * v).sum(1, keepdim=True) - 2 * v @ e.t() + (e * e).sum(1)[None, :]
        return d.argmin(1)

    @torch.no_grad()
    def follow(self, v: torch.Tensor, idx: torch.Tensor, generator=None) -> None:
        """Training: move each entry towards the mean of the vectors that chose it (moving averages),
        and restart the entries almost no vector chooses on random vectors of this batch."""
        k = self.codebook.shape[0]
        if not self.started:  # the first batch: entries on its vectors, so every entry starts in use
            pick = torch.randint(len(v), (k,), generator=generator)
            self.codebook.copy_(v[pick])
            self.ema_sum.copy_(v[pick])
            self.ema_count.fill_(1.0)
            self.started = True
        onehot = F.one_hot(idx, k).type(v.dtype)
        count = onehot.sum(0)
        self.ema_count.mul_(EMA_DECAY).add_(count, alpha=1 - EMA_DECAY)
        self.ema_sum.mul_(EMA_DECAY).add_(onehot.t() @ v, alpha=1 - EMA_DECAY)
        self.ema_share.mul_(EMA_DECAY).add_(count / len(v), alpha=1 - EMA_DECAY)
        n = self.ema_count.sum()
        smoothed = (self.ema_count + EPSILON) / (n + k * EPSILON) * n
        self.codebook.copy_(self.ema_sum / smoothed[:, None])
        dead = self.ema_share < DEAD_BELOW / k
        if dead.any():
            pick = torch.randint(len(v), (int(dead.sum()),), generator=generator)
            self.codebook[dead] = v[pick]
            self.ema_sum[dead] = v[pick]
            self.ema_count[dead] = 1.0
            self.ema_share[dead] = 1.0 / k


@kind("vq-vae")
class VQVAE(Autoencoder):
    title = "vector-quantised VAE (VQ-VAE)"
    short = "VQ-VAE"
    offers = frozenset({"codebook"})
    backbones = ("conv",)
    default_codebook = 64  # K: a good start for digits (6 bits a cell)
    latent_unit = CELLS  # its code's size is D numbers for each of the grid's cells
    hyperparameters = (
        Hyperparameter("commitment", 0.25, "weighs a VQ-VAE's commitment term (how far the encoder's vectors "
                       "stray from the codebook entries they are replaced by)", "van den Oord et al., NeurIPS 2017"),
    )
    loss_terms = {"recon": "how far each image rebuilt from its grid of codebook entries is from its target, "
                           "summed over pixels",
                  "commit": "the squared distance of the encoder's vectors to their entries, summed over the grid"}
    figures = {"perplexity": "how many codebook entries the test images use, as the exponent of the entropy of "
                             "the entries chosen (at most K)",
               "entries_used": "codebook entries chosen at least once over the test images"}
    note = ("A VQ-VAE writes each image as a small grid of choices, each cell one entry of a codebook "
            "of K learned patterns: a discrete code, like words from a vocabulary.")

    @staticmethod
    def config_problem(cfg: ModelConfig) -> str | None:
        if cfg.latent_dim % CELLS:
            return (f"latent_dim={cfg.latent_dim}: a VQ-VAE's code is its {GRID[0]}x{GRID[1]} grid of entries of D "
                    f"numbers each, so latent_dim must be a multiple of {CELLS} (D = latent_dim / {CELLS})")
        if len(cfg.hidden) != 2:
            return f"hidden={cfg.hidden}: a VQ-VAE takes two channel counts (its encoder's two convolutions)"
        return None

    @staticmethod
    def sizes_note(mismatch: str) -> str:
        if "quantiser.codebook" not in mismatch:
            return ""
        return (f" (the codebook holds 'codebook' entries of latent_dim / {CELLS} numbers each: config.json's "
                f"'codebook' or 'latent_dim' disagrees with the weights)")

    def __init__(self, cfg: ModelConfig):
        nn.Module.__init__(self)  # its own layers: a grid of vectors, not a flat code
        self.config = cfg
        c1, c2 = cfg.hidden
        d = self.dim = cfg.latent_dim // CELLS
        act = ACTIVATIONS[cfg.activation]
        self.encoder = nn.Sequential(
            nn.Conv2d(1, c1, 4, stride=2, padding=1), act(),
            nn.Conv2d(c1, c2, 4, stride=2, padding=1), act(),
            nn.Conv2d(c2, c2, 3, padding=1), act(),
            nn.Conv2d(c2, d, 1),
        )
        self.quantiser = Quantiser(cfg.codebook, d)
        self.decoder = nn.Sequential(
            nn.Unflatten(1, (d, *GRID)),
            nn.Conv2d(d, c2, 3, padding=1), act(),
            nn.Conv2d(c2, c2, 3, padding=1), act(),
            nn.ConvTranspose2d(c2, c1, 4, stride=2, padding=1), act(),
            nn.ConvTranspose2d(c1, 1, 4, stride=2, padding=1),
        )

    @property
    def codebook_size(self) -> int:
        return self.config.codebook

    @property
    def grid(self) -> tuple[int, int]:
        return GRID

    cells = CELLS

    # codes as vectors ------------------------------------------------------------------------
    def vectors(self, x) -> torch.Tensor:
        """Images -> the encoder's grid, one D-vector per cell: [N * cells, D] (cells row by row)."""
        g = self.encoder(x.reshape(-1, 1, *IMAGE_SHAPE))
        return g.permute(0, 2, 3, 1).reshape(-1, self.dim)

    def grid_of(self, v: torch.Tensor) -> torch.Tensor:
        """[N * cells, D] -> the flat code [N, D * cells], channel by channel as the decoder reads it
        (shapes from the tensors, never a traced count, so an exported graph takes any batch)."""
        return v.reshape(-1, *GRID, self.dim).permute(0, 3, 1, 2).flatten(1)

    def cells_of(self, z: torch.Tensor) -> torch.Tensor:
        """The flat code [N, D * cells] -> [N * cells, D]."""
        return z.reshape(-1, self.dim, CELLS).permute(0, 2, 1).reshape(-1, self.dim)

    def encode(self, x):
        v = self.vectors(x)
        return self.grid_of(self.quantiser.codebook[self.quantiser.nearest(v)])

    def snapped(self, z):
        """Any flat code with each cell replaced by its nearest entry."""
        return self.grid_of(self.quantiser.codebook[self.quantiser.nearest(self.cells_of(z))])

    def decode_logits(self, z):
        return self.decoder(self.snapped(z)).view(-1, *IMAGE_SHAPE)

    def decode(self, z):
        return torch.sigmoid(self.decode_logits(z))

    # codes as indices --------------------------------------------------------------------------
    def encode_indices(self, x) -> torch.Tensor:
        """Images -> the entry chosen for each cell, int64 [N, h, w]."""
        v = self.vectors(x)
        return self.quantiser.nearest(v).reshape(-1, *GRID)

    def check_indices(self, idx) -> torch.Tensor:
        """An index grid [N, h, w] (or one [h, w]) of whole numbers 0..K-1, as int64; GridError otherwise."""
        t = torch.as_tensor(np.asarray(idx))
        if t.ndim == 2:
            t = t.unsqueeze(0)
        k = self.codebook_size
        if t.ndim != 3 or tuple(t.shape[1:]) != GRID:
            raise GridError(f"an index grid is {GRID[0]}x{GRID[1]} whole numbers (shape [N, {GRID[0]}, {GRID[1]}]); "
                              f"got shape {list(t.shape)}")
        if t.dtype.is_floating_point:
            if not torch.isfinite(t).all() or not torch.equal(t, t.round()):
                raise GridError(f"an index grid holds whole numbers 0-{k - 1}; got fractions or non-numbers")
        elif t.dtype == torch.bool:
            raise GridError(f"an index grid holds whole numbers 0-{k - 1}; got true/false values")
        if t.numel() and (t.min() < 0 or t.max() >= k):
            bad = int(t[(t < 0) | (t >= k)][0])
            raise GridError(f"index {bad} is not a codebook entry; the entries are 0-{k - 1}")
        return t.long()

    def decode_indices(self, idx) -> torch.Tensor:
        """An index grid [N, h, w] -> images [N, 28, 28] in [0, 1]."""
        idx = self.check_indices(idx)
        v = self.quantiser.codebook[idx.reshape(-1)]
        return torch.sigmoid(self.decoder(self.grid_of(v))).view(-1, *IMAGE_SHAPE)

    @torch.no_grad()
    def background(self, codes: np.ndarray) -> int:
        """The entry chosen most often over the cells of ``codes`` (the test images' background)."""
        cells = self.quantiser.nearest(self.cells_of(torch.from_numpy(np.array(codes, np.float32)))).numpy()
        return int(np.bincount(cells, minlength=self.codebook_size).argmax()) if cells.size else 0

    @torch.no_grad()
    def entry_pictures(self, codes: np.ndarray) -> np.ndarray:
        """What each entry draws where it is used, for a palette: over the images of ``codes``, the
        mean of the decoded patch of every cell that chose the entry (the cell and half a cell round
        it), float32 [K, s, s]; an entry no cell chose is drawn as the background grid with it in
        the middle cell."""
        (h, w), k = GRID, self.codebook_size
        ch, cw = IMAGE_SHAPE[0] // h, IMAGE_SHAPE[1] // w
        z = torch.from_numpy(np.array(codes, np.float32))
        idx = self.quantiser.nearest(self.cells_of(z)).numpy().reshape(-1, h, w)
        images = np.pad(self.decode(z).numpy(), ((0, 0), (ch // 2, ch // 2), (cw // 2, cw // 2)))
        sums, counts = np.zeros((k, 2 * ch, 2 * cw)), np.zeros(k)
        for r in range(h):
            for c in range(w):
                patch = images[:, r * ch:r * ch + 2 * ch, c * cw:c * cw + 2 * cw]
                np.add.at(sums, idx[:, r, c], patch)
                counts += np.bincount(idx[:, r, c], minlength=k)
        out = sums / np.maximum(counts, 1)[:, None, None]
        unused = np.flatnonzero(counts == 0)
        if len(unused):
            background = int(np.bincount(idx.reshape(-1), minlength=k).argmax()) if idx.size else 0
            grids = torch.full((len(unused), h, w), background, dtype=torch.long)
            grids[:, h // 2, w // 2] = torch.from_numpy(unused)
            alone = self.decode_indices(grids).numpy()
            top, left = (h // 2) * ch - ch // 2, (w // 2) * cw - cw // 2
            out[unused] = alone[:, top:top + 2 * ch, left:left + 2 * cw]
        return out.astype(np.float32)

    # training ------------------------------------------------------------------------------
    def loss(self, x, recon: str = "bce", generator=None, target=None,
             commitment: float = 0.25) -> dict[str, torch.Tensor]:
        """The reconstruction loss of the image rebuilt from its quantised grid, plus ``commitment``
        times the squared distance of the encoder's vectors to their entries (van den Oord et al.
        2017, eq. 3, the codebook term left to the moving averages). In training the codebook
        follows the vectors (``Quantiser.follow``); gradients pass the quantisation straight through."""
        target = x if target is None else target
        v = self.vectors(x)
        idx = self.quantiser.nearest(v)
        if self.training:
            self.quantiser.follow(v.detach(), idx, generator)
        q = self.quantiser.codebook[idx]
        commit = ((v - q.detach()) ** 2).sum(1).reshape(-1, CELLS).sum(1).mean()
        straight = v + (q - v).detach()
        logits = self.decoder(self.grid_of(straight)).view(-1, *IMAGE_SHAPE)
        rec = reconstruction_loss(logits, target, recon).mean()
        return {"loss": rec + commitment * commit, "recon": rec, "commit": commit}

    # its own figures -------------------------------------------------------------------------
    def measure(self, images: torch.Tensor, codes: np.ndarray, labels: np.ndarray) -> dict[str, float]:
        """How much of the codebook the test images use: the perplexity of the entries chosen over
        every cell of every test code (K if all are chosen equally often, 1 if one is always), and
        how many entries are chosen at all."""
        with torch.no_grad():
            idx = self.quantiser.nearest(self.cells_of(torch.from_numpy(np.array(codes, np.float32)))).numpy()
        return usage(idx, self.codebook_size)


def usage(indices: np.ndarray, k: int) -> dict[str, float]:
    """``perplexity`` (exp of the entropy of the entries' shares) and ``entries_used`` of index grids."""
    counts = np.bincount(np.asarray(indices).reshape(-1), minlength=k).astype(np.float64)
    p = counts / max(counts.sum(), 1.0)
    entropy = -(p[p > 0] * np.log(p[p > 0])).sum()
    return {"perplexity": float(math.exp(entropy)), "entries_used": float((counts > 0).sum())}
