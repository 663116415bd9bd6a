"""`python -m explorer.fetch`: find or download a dataset (the same as `latent-explorer fetch`); the code is
explorer.data.fetch."""

import sys

from explorer.data.fetch import main

if __name__ == "__main__":
    sys.exit(main())
