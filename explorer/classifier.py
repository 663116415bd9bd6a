"""`python -m explorer.classifier`: train the digit classifier that judges decodes (the same as `latent-explorer classifier`); the code is
explorer.baselines.classifier."""

import sys

from explorer.baselines.classifier.__main__ import main

if __name__ == "__main__":
    sys.exit(main())
