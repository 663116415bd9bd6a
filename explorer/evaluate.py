"""`python -m explorer.evaluate`: measure a bundle on the test split (the same as `latent-explorer evaluate`); the code is
explorer.bundles.evaluate."""

import sys

from explorer.bundles.evaluate import main

if __name__ == "__main__":
    sys.exit(main())
