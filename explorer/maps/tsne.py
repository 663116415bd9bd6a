"""t-SNE (van der Maaten & Hinton, JMLR 2008), computed with openTSNE's FFT-accelerated gradients
(Linderman et al., Nature Methods 2019; Policar et al., JSS 2024). It has no inverse and no
formula for new points, so both ways are estimates from the test codes themselves: to_latent
averages the codes of the K test points nearest on the map, to_map averages the map positions of
the K test codes nearest in the latent space, each weighted by inverse distance (Shepard 1968). A
click exactly on a test point gives back that point's own code. Its layout is slow to compute:
it is stored in the bundle, else cached in the user cache folder."""

from __future__ import annotations

import numpy as np

from explorer.maps.base import NeighbourMap, register

# bench/tsne.py on 10,000 16-d codes, 2 cores: scikit-learn 53 s; openTSNE defaults 42 s; openTSNE
# FFT with 250 exaggerated + 250 normal iterations 18.5 s, keeping the same share of each code's 10
# nearest neighbours (0.43) and the same 10-NN class accuracy on the map (0.96) as the others.
TSNE_SETTINGS = {"perplexity": 30, "initialization": "pca", "early_exaggeration_iter": 250, "n_iter": 250}


def compute_tsne(codes: np.ndarray, seed: int = 0, n_jobs: int = -1, progress=None) -> np.ndarray:
    """t-SNE of ``codes`` with openTSNE (TSNE_SETTINGS, FFT gradients for large sets).

    ``progress(fraction)`` is called as the optimisation advances. See bench/tsne.py for why
    openTSNE and these settings.
    """
    from openTSNE import TSNE

    # FFT gradients scale linearly but cost a fixed grid per step; Barnes-Hut is quicker for small sets
    method = "fft" if len(codes) >= 2000 else "bh"
    tsne = TSNE(negative_gradient_method=method, n_jobs=n_jobs, random_state=seed, **TSNE_SETTINGS)
    total = (tsne.early_exaggeration_iter + tsne.n_iter) // 50
    calls = [0]

    def callback(iteration, error, embedding):
        calls[0] += 1
        progress(min(calls[0] / total, 1.0))

    if progress is not None:
        tsne.callbacks, tsne.callbacks_every_iters = [callback], 50
    return np.asarray(tsne.fit(codes.astype(np.float64)), dtype=np.float32)


@register
class TSNEMap(NeighbourMap):
    name, label, title, stored = "tsne", "t-SNE", "t-SNE of the codes", True
    help = "keeps neighbours together; it cannot be inverted, so a spot's code is estimated from its neighbours"
    way_back = ("t-SNE has no way back from the map to the latent space, so a spot's code is borrowed from its "
                "neighbours, closer ones counting more.")
    grid_note = ("On this t-SNE map each point's code is estimated from the test points around it, so empty "
                 "regions repeat their neighbours' images.")
    placing = ("t-SNE places only the points it was run on, so a new code is put at the distance-weighted mean "
               "of the map positions of the {k} test images whose codes are nearest to it.")

    @classmethod
    def rank(cls, latent_dim: int) -> int:
        return 2 if latent_dim == 2 else 0  # the default for codes too long to see directly

    @classmethod
    def compute_layout(cls, codes, progress=None) -> np.ndarray:
        return compute_tsne(codes, progress=progress)

    def __init__(self, codes: np.ndarray, xy: np.ndarray, k: int = 10):
        super().__init__(codes, xy, ("t-SNE 1", "t-SNE 2"),
                         f"Each dot is {{a}}'s {codes.shape[1]}-number code, laid out by t-SNE so "
                         "that codes which are close in the latent space stay close here; distances "
                         "between far-apart clusters and the empty space between them mean little.", k)

    @classmethod
    def settings(cls) -> dict:
        import openTSNE

        return {"library": f"openTSNE {openTSNE.__version__}", "neighbours_for_estimates": 10, **TSNE_SETTINGS}
