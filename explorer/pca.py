"""`python -m explorer.pca`: fit the PCA baseline of a dataset (the same as `latent-explorer pca`); the code is
explorer.baselines.pca."""

import sys

from explorer.baselines.pca.__main__ import main

if __name__ == "__main__":
    sys.exit(main())
