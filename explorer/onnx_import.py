"""`python -m explorer.onnx_import`: import an autoencoder from two ONNX files (the same as `latent-explorer import`); the code is
explorer.onnx.importer."""

import sys

from explorer.onnx.importer import main

if __name__ == "__main__":
    sys.exit(main())
