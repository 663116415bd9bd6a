"""`python -m explorer.train`: train an autoencoder and write its bundle (the same as `latent-explorer train`); the code is
explorer.models.train."""

import sys

from explorer.models.train import main

if __name__ == "__main__":
    sys.exit(main())
