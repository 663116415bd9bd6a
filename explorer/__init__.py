"""Latent Explorer: see and play with what autoencoders learn.

    import explorer
    explorer.list_pretrained()               # names of the shipped bundles
    m = explorer.load_model("mnist-vae-2d")  # a shipped name or a path to a bundle folder
    m.kind, m.latent_dim, m.dataset          # "ae" | "vae", int, "mnist" | "fashion-mnist"
    m.encode(images)    # uint8 [N,28,28] (or float in [0,1]) -> float32 [N,k]; VAE: posterior mean
    m.posterior(images) # VAE only: (mean, log_variance), each [N,k]
    m.decode(z)         # float [N,k] -> float32 [N,28,28], values in [0,1]
    m.map("pca")        # a 2-D map of the test codes with the way back: see projection.py
    frames, indices = m.replay()  # 2-D models: (epoch, test loss, codes [n,2]) after every epoch
    explorer.bundle_from_torch(encoder, decoder, images, labels, out="my-models/mine")  # see from_torch.py
"""

from explorer.bundles.bundle import BundleError, Model
from explorer.bundles.catalog import list_pretrained, load_model
from explorer.data import DataError


def bundle_from_torch(*args, **kwargs):
    """Two torch modules and their images to a bundle the app opens: see explorer/bundles/from_torch.py."""
    from explorer.bundles.from_torch import bundle_from_torch as make

    return make(*args, **kwargs)


__all__ = ["BundleError", "DataError", "Model", "bundle_from_torch", "list_pretrained", "load_model"]
