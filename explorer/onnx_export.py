"""`python -m explorer.onnx_export`: export a bundle's encoder and decoder as ONNX (the same as `latent-explorer export`); the code is
explorer.onnx.exporter."""

import sys

from explorer.onnx.exporter import main

if __name__ == "__main__":
    sys.exit(main())
