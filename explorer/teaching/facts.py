"""What the lessons say about a shipped model, measured from its bundle: a sentence on screen that
states a fact about a model quotes a number computed here, and tests recompute each one.

Generation (the generating lesson, /compare, the KL weight). A plane is *framed* as the app draws
it (``LatentMap.view_box``: a square around the test codes). The frame is cut into a GRID x GRID
grid and the code at each cell's centre is decoded; the dataset's shipped classifier
(explorer/classifier) reads each decode, and a decode counts as *readable* when the classifier
gives one class a probability of at least CONFIDENT (0.9). Reading generated images with a
classifier is how generative models are usually scored (the idea behind the Inception score,
Salimans et al., NeurIPS 2016); a classifier can be confident about an odd image, so the figure is
an upper bound on "looks like a digit", and the page says which classifier read it.

- ``framed``: the share of the frame's cells whose decode is readable;
- ``between``: the same over the cells *between clusters*: inside the region the test codes span
  (their convex hull) yet with no test code within GAP cell widths of the cell's centre;
- ``filled``: the share of the frame's cells within one cell width of a test code;
- ``sampled``: random codes, as one would draw new images: from the prior N(0, I) for a VAE, and
  for a plain autoencoder, which has no prior, from a normal distribution fitted to its test
  codes (mean and covariance); the share readable and how evenly the readable ones spread over
  the classes (``balance``: their entropy over log(classes), 1 for every class equally often).

Spots correspond between two planes by place in each frame (``same_place``): each plane is
framed around its own codes, and a spot at a fraction u of one frame's width and height is the
spot at u of the other's. ``clearest_difference`` finds the spot away from one model's test codes
(and off the frame's edge) where its decode is least readable while the other's at the same place
is readable.

Clusters (the clusters lesson): how often a test image's nearest neighbours on the map share its
label, against chance, and which classes mix most where clusters touch.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

GRID = 40  # 1,600 decodes a plane: about a second here, and cells small against the clusters
CONFIDENT = 0.9
UNREADABLE = 0.5  # below this the classifier is more unsure than sure
GAP = 1.5  # cell widths from the nearest test code for a cell to count as between clusters
# Cells a found spot keeps from the frame's edge: the cross that marks a spot on the map (7 px each
# way plus its 3 px stroke, ui/latent_map/overlay.js) is then drawn whole on any map wider than
# 130 px, the centre being 2.5 cells = 1/16 of the side from the edge (maps are at least 160 px).
EDGE = 2
SAMPLES = 2000
NEIGHBOURS = 10


def frame_points(lo, hi, n: int = GRID) -> np.ndarray:
    """Centres of an n x n grid of cells over the box [lo, hi]: [n * n, 2], row by row from the
    bottom (y) and left to right (x) within a row."""
    lo, hi = np.asarray(lo, np.float64), np.asarray(hi, np.float64)
    u = (np.arange(n) + 0.5) / n
    grid = np.stack(np.meshgrid(u, u), -1).reshape(-1, 2)
    return (lo + grid * (hi - lo)).astype(np.float32)


def same_place(points, box_from, box_to) -> np.ndarray:
    """Points of one frame moved to the same place in another: a point at a fraction u of the
    first box's width and height goes to the point at u of the second's. [P, 2]."""
    (lo0, hi0), (lo1, hi1) = (tuple(np.asarray(b, np.float64) for b in box) for box in (box_from, box_to))
    u = (np.atleast_2d(np.asarray(points, np.float64)) - lo0) / (hi0 - lo0)
    return (lo1 + u * (hi1 - lo1)).astype(np.float32)


@dataclass(frozen=True)
class Generation:
    """How much of a 2-D model's plane decodes to images its dataset's classifier reads."""

    model: str
    box: tuple  # (lo, hi) of the frame
    confidence: np.ndarray = field(repr=False)  # [GRID * GRID]: the classifier's top probability at each cell
    classes: np.ndarray = field(repr=False)  # [GRID * GRID]: its class there
    between_cells: np.ndarray = field(repr=False)  # [GRID * GRID] bool: cells between clusters
    empty_cells: np.ndarray = field(repr=False)  # [GRID * GRID] bool: no test code within GAP cells
    filled: float
    sampling: "Sampling"

    @property
    def framed(self) -> float:
        return float((self.confidence >= CONFIDENT).mean())

    @property
    def between(self) -> float:
        return float((self.confidence[self.between_cells] >= CONFIDENT).mean()) if self.between_cells.any() else float("nan")

    @property
    def n_cells(self) -> int:
        return len(self.confidence)

    @property
    def n_between(self) -> int:
        return int(self.between_cells.sum())



@dataclass(frozen=True)
class Sampling:
    """Random codes decoded, as one would draw new images, and read by the classifier."""

    source: str  # "the prior N(0, I)" or "a normal distribution fitted to its test codes"
    readable: float  # share of the random codes whose decode is readable
    class_shares: np.ndarray = field(repr=False)  # [model's classes]: share of the readable ones per class
    balance: float  # entropy of class_shares over log(number of classes): 1 when all come equally often

    def rarest(self, class_names) -> tuple[str, float]:
        """The model's class that random codes give least often, and its share of the readable ones."""
        c = int(np.argmin(self.class_shares))
        return str(class_names[c]), float(self.class_shares[c])


def sampling(model, clf, samples: int = SAMPLES, seed: int = 0) -> Sampling:
    """Decode ``samples`` random codes of ``model`` (any code size) and read them with ``clf``: from
    the prior for a kind that has one; for a plain autoencoder, which has none, from a normal distribution
    with the mean and covariance of its test codes (the best guess without one)."""
    codes = model.latents.codes.astype(np.float64)
    rng = np.random.default_rng(seed)
    if "prior" in getattr(model.kind_info, "offers", ()):
        z, source = model.prior_sample(samples, seed), getattr(model.kind_info, "prior_name", "its prior")
    else:
        z = rng.multivariate_normal(codes.mean(0), np.cov(codes.T), samples)
        source = "a normal distribution fitted to its test codes"
    probs = clf.probabilities(model.decode(z.astype(np.float32)))
    readable = probs.max(1) >= CONFIDENT
    counts = np.bincount(probs.argmax(1)[readable], minlength=probs.shape[1]).astype(np.float64)
    counts = counts[[int(c) for c in model.classes]]  # a model of some classes spreads over its own
    shares = counts / max(counts.sum(), 1.0)
    nz = shares[shares > 0]
    balance = float(-(nz * np.log(nz)).sum() / np.log(len(shares))) if len(shares) > 1 else 1.0
    return Sampling(source, float(readable.mean()), shares, balance)


def generation(model, clf, latent_map, grid: int = GRID, samples: int = SAMPLES, seed: int = 0) -> Generation:
    """Measure ``model``'s plane as its ``latent_map`` (a direct map) frames it; ``clf`` is the
    dataset's classifier."""
    lo, hi = latent_map.view_box()
    points = frame_points(lo, hi, grid)
    probs = clf.probabilities(model.decode(points))
    codes = latent_map.xy.astype(np.float64)
    cell = float((hi - lo).max()) / grid
    from scipy.spatial import ConvexHull, cKDTree  # here: scipy.spatial takes 0.3 s to import, the first page needs none

    distance, _ = cKDTree(codes).query(points)
    # inside the codes' convex hull: on the inner side of each of its edges (a Delaunay triangulation's
    # find_simplex answers the same, 0.3 s for 10,000 codes against the hull's 4 ms)
    edges = ConvexHull(codes).equations  # rows (normal x, normal y, offset), normals pointing out
    inside = (points @ edges[:, :2].T + edges[:, 2] <= 1e-9 * max(float(np.abs(codes).max()), 1.0)).all(1)
    empty = distance > GAP * cell
    return Generation(model.name, (lo, hi), probs.max(1), probs.argmax(1), empty & inside, empty,
                      float((distance <= cell).mean()), sampling(model, clf, samples, seed))


@dataclass(frozen=True)
class Difference:
    """A spot where one model's decode is unreadable and the other's, at the same place, is read."""

    place: np.ndarray  # fraction of each frame's width and height, [2]
    confidence: tuple[float, float]  # the classifier's top probability on each model's decode


def clearest_difference(holey: Generation, filled: Generation) -> Difference | None:
    """Among the cells of ``holey``'s plane with no test code near them and at least EDGE cells
    inside its frame, the one whose decode is least readable while ``filled``'s at the same place
    is readable (the largest gap between the two confidences); None when there is no such cell.
    Both were measured on the same grid."""
    if holey.n_cells != filled.n_cells:
        raise ValueError("both planes must be measured on the same grid")
    a, b = holey.confidence, filled.confidence
    n = int(round(np.sqrt(holey.n_cells)))
    col, row = np.arange(n * n) % n, np.arange(n * n) // n
    inside = (np.minimum(col, row) >= EDGE) & (np.maximum(col, row) < n - EDGE)
    ok = holey.empty_cells & inside & (a < UNREADABLE) & (b >= CONFIDENT)
    if not ok.any():
        return None
    i = int(np.flatnonzero(ok)[np.argmax((b - a)[ok])])
    place = np.array([(i % n + 0.5) / n, (i // n + 0.5) / n])
    return Difference(place, (float(a[i]), float(b[i])))


@dataclass(frozen=True)
class Clusters:
    """How well a map's positions sort the test images by their labels (which the model never saw)."""

    agreement: float  # mean share of each image's NEIGHBOURS nearest on the map that share its label
    chance: float  # the same for labels shuffled: the sum of squared class shares
    mixed: list[tuple[str, str, float]]  # class pairs, most mixed first, with their share of the mixed neighbours


def clusters(xy, labels, class_names, k: int = NEIGHBOURS, top: int = 2) -> Clusters:
    from scipy.spatial import cKDTree

    xy, labels = np.asarray(xy, np.float64), np.asarray(labels)
    _, idx = cKDTree(xy).query(xy, k=k + 1)
    neighbours = labels[idx[:, 1:]]  # the first is the point itself
    same = neighbours == labels[:, None]
    _, counts = np.unique(labels, return_counts=True)
    chance = float(((counts / counts.sum()) ** 2).sum())
    a = np.repeat(labels, k)[~same.ravel()]
    b = neighbours.ravel()[~same.ravel()]
    pairs: dict[tuple[int, int], int] = {}
    for p, q in zip(np.minimum(a, b), np.maximum(a, b)):
        pairs[(int(p), int(q))] = pairs.get((int(p), int(q)), 0) + 1
    total = max(sum(pairs.values()), 1)
    ranked = sorted(pairs.items(), key=lambda kv: -kv[1])[:top]
    mixed = [(str(class_names[p]), str(class_names[q]), n / total) for (p, q), n in ranked]
    return Clusters(float(same.mean()), chance, mixed)


def how_often(a: float, b: float, margin: float = 0.05) -> str:
    """How a share ``a`` compares with ``b``, in words: within ``margin`` they are about the same."""
    if abs(a - b) <= margin:
        return "about as often as"
    return "less often than" if a < b else "more often than"


def trend(values, rising: str = "rises", falling: str = "falls", mixed: str = "does not move one way") -> str:
    """A word for how a measured sequence moves, so a sentence never says what the numbers do not."""
    d = np.diff(np.asarray(values, np.float64))
    if (d > 0).all():
        return rising
    if (d < 0).all():
        return falling
    return mixed


def readings(clf, images, class_names) -> list[tuple[str, float]]:
    """What ``clf`` reads in each image: (class name, its probability)."""
    p = clf.probabilities(np.asarray(images))
    return [(str(class_names[int(c)]), float(q)) for c, q in zip(p.argmax(1), p.max(1))]


@dataclass(frozen=True)
class Sorting:
    """How a training replay's classes found their places: for each class, the first epoch at
    which, on average, SORTED of its images' NEIGHBOURS nearest on the plane share its label."""

    first_sorted: dict[str, int | None]  # class name -> epoch (None: not by the last)
    spread: tuple[float, float]  # the codes' standard deviation (both axes together) at the first and last frame

    def order(self) -> list[tuple[str, int]]:
        """The classes that got sorted, first first (ties in class order)."""
        done = [(c, e) for c, e in self.first_sorted.items() if e is not None]
        return sorted(done, key=lambda ce: ce[1])


SORTED = 0.8


def sorting(epochs, frames, labels, class_names, k: int = NEIGHBOURS) -> Sorting:
    """``frames`` [F, n, 2]: the codes of the same n test images after each of ``epochs``."""
    from scipy.spatial import cKDTree

    labels = np.asarray(labels)
    classes = np.unique(labels)
    first: dict[str, int | None] = {str(class_names[int(c)]): None for c in classes}
    for epoch, xy in zip(epochs, frames):
        xy = np.asarray(xy, np.float64)
        _, idx = cKDTree(xy).query(xy, k=k + 1)
        same = (labels[idx[:, 1:]] == labels[:, None]).mean(1)
        for c in classes:
            name = str(class_names[int(c)])
            if first[name] is None and same[labels == c].mean() >= SORTED:
                first[name] = int(epoch)
    spread = tuple(float(np.asarray(frames[i], np.float64).std()) for i in (0, -1))
    return Sorting(first, spread)


@dataclass(frozen=True)
class UnitActivity:
    """Each class's mean code, unit by unit: which code units fire for which class."""

    means: np.ndarray  # [classes, units]: the mean of each unit over each class's test codes
    order: np.ndarray  # the units in the order drawn: grouped by the class each fires for most
    silent: int  # units whose mean for every class is under SILENT of the largest mean
    classes: list  # the model's classes, one per row


SILENT = 0.01


def unit_activity(codes, labels, classes) -> UnitActivity:
    """The mean of each code unit over the test codes of each class; the units ordered by the class
    with the largest mean (then by that mean), so a code where each digit has units of its own
    shows as a staircase."""
    codes, labels = np.asarray(codes, np.float64), np.asarray(labels)
    classes = [c for c in classes if (labels == c).any()]  # a class with no stored codes has no mean
    means = np.stack([codes[labels == c].mean(0) for c in classes])
    top = np.abs(means).max(0)
    order = np.lexsort((-top, np.abs(means).argmax(0)))
    silent = int((top < SILENT * max(top.max(), 1e-12)).sum())
    return UnitActivity(means, order, silent, list(classes))


def row_errors(model, images: np.ndarray) -> np.ndarray:
    """Mean squared error per pixel of each row of the reconstructions of ``images`` (uint8 [N, H, W]),
    over the images: float64 [H], row 0 at the top. Where a model rebuilds the image least well,
    row by row (the sequence lesson: does writing in order cost the later rows?)."""
    x = np.asarray(images, np.float32) / 255
    back = np.concatenate([model.reconstruct(images[i:i + 1000]) for i in range(0, len(images), 1000)])
    return ((back - x) ** 2).mean(axis=(0, 2)).astype(np.float64)


HELD_OUT = 1000  # test codes an estimated map is rebuilt without, to measure its way back


@dataclass(frozen=True)
class EstimateError:
    """How close an estimated map's way back comes to the truth, on test codes it never held."""

    mse: float  # per pixel: a held-out code's estimate decoded, against the code itself decoded
    reconstruction: float  # per pixel: the model's own reconstruction error on the same test images
    held_out: int  # test codes left out
    held: int  # test codes the rebuilt map holds

    def sentence(self) -> str:
        """What the figure says, for a student."""
        return (f"How good is a spot's estimated code? With {self.held_out:,} test images left out of the "
                f"estimate, each one's own spot gives a code whose decode differs from the image's own decode by "
                f"{self.mse:.4f} per pixel (mean squared error); the model's own reconstruction error on the same "
                f"images is {self.reconstruction:.4f}.")


def estimate_error(model, latent_map, held_out: int = HELD_OUT, seed: int = 0) -> EstimateError | None:
    """For an estimated map (None for an exact one): take ``held_out`` test codes out (a seeded
    choice, at most a tenth of them), rebuild the map from the others (the same layout without
    them), take each held-out image's own spot back to a code as a click there does
    (``to_latent``), and compare that code's decode with the decode of the image's own code. The
    estimate never saw the codes it is measured on."""
    if latent_map.exact:
        return None
    codes = model.latents.codes
    n = min(held_out, len(codes) // 10)
    if n < 1:
        return None
    out = np.sort(np.random.default_rng(seed).choice(len(codes), n, replace=False))
    keep = np.setdiff1d(np.arange(len(codes)), out)
    rest = type(latent_map).build(codes[keep], latent_map.xy[keep])
    back = rest.to_latent(latent_map.xy[out])
    labels = model.latents.labels[out] if "labels" in model.kind_info.offers else None
    got, truth = model.decode(back, labels=labels), model.decode(codes[out], labels=labels)
    return EstimateError(float(((got - truth) ** 2).mean()), float(model.latents.recon_error[out].mean()),
                         n, len(keep))
