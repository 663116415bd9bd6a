"""Add the slow maps (t-SNE) to existing bundles: `python -m explorer.maps BUNDLE [BUNDLE ...]`.

The training command stores them itself; this completes bundles written without them.
"""

from __future__ import annotations

import argparse
import sys
import time

from explorer.bundles import bundle, catalog
from explorer import maps as projection


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m explorer.maps", description=__doc__.split("\n")[0])
    parser.add_argument("bundles", nargs="+", help="shipped bundle names or bundle folders")
    parser.add_argument("--recompute", action="store_true", help="recompute maps already stored")
    args = parser.parse_args(argv)
    for name in args.bundles:
        try:
            model = catalog.load_model(name)
        except bundle.BundleError as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
        start = time.time()
        latents = projection.with_stored_maps(model.latents, recompute=args.recompute)
        if latents is not model.latents:
            bundle.save_latents(model.path, latents)
            bundle.update_config(model.path, maps=projection.map_settings())
            print(f"{model.name}: added {', '.join(latents.maps)} in {time.time() - start:.0f} s")
        else:
            print(f"{model.name}: maps already stored")
    return 0


if __name__ == "__main__":
    sys.exit(main())
