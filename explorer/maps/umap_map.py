"""UMAP (McInnes, Healy & Melville, "UMAP: Uniform Manifold Approximation and Projection", 2018),
computed with umap-learn. Like t-SNE it keeps neighbours together and has no inverse, so a spot's
code is the neighbour estimate every estimated map shares (base.NeighbourMap). Unlike t-SNE it has
a way to place new points: UMAP's own transform, which ties a new code to its nearest test codes by
UMAP's fuzzy neighbourhood weights, starts it at their weighted mean on the map and moves it by
UMAP's layout optimisation with the test codes held still (``place``): a drawn or uploaded digit is
placed so. Codes on their way between test codes (the walk) take the neighbour average, which needs
no compiling.

umap-learn compiles its functions with numba on first use (10-60 s on a cold machine): nothing here
imports it until a UMAP map is opened. A layout is computed when a model's UMAP is first opened and
cached in the user cache folder; ``python -m explorer.maps NAME --map umap`` stores it in the bundle.
"""

from __future__ import annotations

import threading
from importlib import metadata

import numpy as np

from explorer.maps.base import NeighbourMap, _as_2d, nearest, register

# umap-learn's defaults, written down so a bundle records them: 15 neighbours balance local and global
# structure; min_dist 0.1 lets clusters pack tightly, which is what a map of classes wants
UMAP_SETTINGS = {"n_neighbors": 15, "min_dist": 0.1, "metric": "euclidean"}
TRANSFORM_EPOCHS = 100  # what umap-learn's transform runs for up to 10,000 new points


def compute_umap(codes: np.ndarray, seed: int = 0, progress=None) -> np.ndarray:
    """UMAP layout of ``codes`` (umap-learn, UMAP_SETTINGS, seeded). ``progress(fraction)`` hears the
    start, then each fiftieth of the layout's epochs (from 0.2: finding the neighbours comes first,
    and umap-learn reports nothing of it), then the end."""
    if progress is not None:
        progress(0.0)
    import umap
    import umap.layouts

    if umap.layouts.tqdm is not _epochs:  # umap-learn counts its epochs with tqdm: we listen there
        _EPOCHS_BAR[0] = umap.layouts.tqdm
        umap.layouts.tqdm = _epochs
    _listening.progress = None if progress is None else (lambda f: progress(0.2 + 0.8 * f))
    try:
        xy = umap.UMAP(random_state=seed, **UMAP_SETTINGS).fit_transform(np.asarray(codes, np.float32))
    finally:
        _listening.progress = None
    if progress is not None:
        progress(1.0)
    return np.asarray(xy, np.float32)


_listening = threading.local()  # the progress this thread's UMAP reports to (sessions compute their own)
_EPOCHS_BAR: list = [None]  # umap-learn's own tqdm


def _epochs(iterable=None, *args, **kwargs):
    """umap-learn's progress bar over its epochs, in its module: the thread's progress hears each
    fiftieth of them; a thread that listens to none gets umap-learn's own bar (off unless verbose)."""
    hear = getattr(_listening, "progress", None)
    if hear is None or iterable is None:
        return _EPOCHS_BAR[0](iterable, *args, **kwargs)
    return _heard(iterable, hear)


def _heard(iterable, hear):
    n = len(iterable)
    for i, item in enumerate(iterable):
        if i % max(1, n // 50) == 0:
            hear(i / n)
        yield item


def place(codes: np.ndarray, layout: np.ndarray, z: np.ndarray, seed: int = 0) -> np.ndarray:
    """UMAP's transform of new codes ``z`` [P, k] into the layout of ``codes``, made of umap-learn's
    own steps (as its transform runs them for a small data set, with exact nearest neighbours):
    fuzzy neighbourhood weights to the ``n_neighbors`` nearest codes, the weighted mean of their
    positions, then its layout optimisation against the fixed layout."""
    from scipy.sparse import coo_matrix
    from umap.layouts import optimize_layout_euclidean
    from umap.umap_ import (compute_membership_strengths, find_ab_params, init_graph_transform,
                            make_epochs_per_sample, smooth_knn_dist)

    k = min(UMAP_SETTINGS["n_neighbors"], len(codes))
    d, idx = nearest(z, codes, k)
    d, idx = d.astype(np.float32), idx.astype(np.int32)
    # umap-learn's transform lowers local_connectivity by one (default 1 -> 0) for points outside the data
    sigmas, rhos = smooth_knn_dist(d, float(k), local_connectivity=0.0)
    rows, cols, vals, _ = compute_membership_strengths(idx, d, sigmas, rhos, bipartite=True)
    graph = coo_matrix((vals, (rows, cols)), shape=(len(z), len(codes)))
    csr = graph.tocsr()
    csr.eliminate_zeros()
    reference = np.ascontiguousarray(layout, np.float32)
    start = np.asarray(init_graph_transform(csr, reference), np.float32)
    graph.data[graph.data < graph.data.max() / TRANSFORM_EPOCHS] = 0.0
    graph.eliminate_zeros()
    if graph.nnz == 0:
        return start
    a, b = find_ab_params(1.0, UMAP_SETTINGS["min_dist"])
    rng_state = np.random.RandomState(seed).randint(np.iinfo(np.int32).min + 1, np.iinfo(np.int32).max, 3)
    moved = optimize_layout_euclidean(
        np.ascontiguousarray(start), reference.copy(), graph.row, graph.col, TRANSFORM_EPOCHS, len(codes),
        make_epochs_per_sample(graph.data, TRANSFORM_EPOCHS), a, b, rng_state.astype(np.int64),
        1.0, 1.0 / 4.0, 5.0)  # repulsion, learning rate (a quarter of fitting's), negative samples: its transform's
    return np.asarray(moved, np.float32)


@register
class UMAPMap(NeighbourMap):
    name, label, title, stored, made_when_trained = "umap", "UMAP", "UMAP of the codes", True, False
    help = ("keeps neighbours together, and more of the clusters' arrangement than t-SNE; it cannot be "
            "inverted, so a spot's code is estimated from its neighbours")
    way_back = ("UMAP has no way back from the map to the latent space, so a spot's code is borrowed from its "
                "neighbours, closer ones counting more.")
    grid_note = ("On this UMAP map each point's code is estimated from the test points around it, so empty "
                 "regions repeat their neighbours' images.")
    placing = ("UMAP places a new code by its own transform: tied to the {k} test codes nearest it, started at "
               "their weighted mean on the map and moved as UMAP lays out its points.")

    @classmethod
    def applies_to(cls, latent_dim: int) -> bool:
        return latent_dim > 2  # a 2-number code is its own map

    @classmethod
    def rank(cls, latent_dim: int) -> int:
        return 3  # after t-SNE and PCA: it is computed when first opened

    @classmethod
    def compute_layout(cls, codes, progress=None) -> np.ndarray:
        return compute_umap(codes, progress=progress)

    def __init__(self, codes: np.ndarray, xy: np.ndarray, k: int = 10):
        super().__init__(codes, xy, ("UMAP 1", "UMAP 2"),
                         f"Each dot is {{a}}'s {codes.shape[1]}-number code, laid out by UMAP so that codes "
                         "which are close in the latent space stay close here; the sizes of clusters and the "
                         "distances between them mean little.", k)

    def place(self, z) -> np.ndarray:
        """A new code's place by UMAP's own transform (the walk and other codes near test codes take
        the quicker neighbour average, ``to_map``)."""
        return place(self.codes_, self.xy, _as_2d(z, self.codes_.shape[1]))

    @property
    def placing_k(self) -> int:
        return min(UMAP_SETTINGS["n_neighbors"], len(self.codes_))

    @classmethod
    def settings(cls) -> dict:
        return {"library": f"umap-learn {metadata.version('umap-learn')}", "neighbours_for_estimates": 10,
                **UMAP_SETTINGS}
