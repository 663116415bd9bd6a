"""Add the slow maps to existing bundles: `python -m explorer.maps BUNDLE [BUNDLE ...] [--map umap]`.

The training command stores t-SNE itself; this completes bundles written without it, and stores
the maps computed only when first opened (UMAP) for those who want them in the bundle.
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
    parser.add_argument("--map", action="append", choices=projection.stored_kinds(),
                        help="a stored map kind to add (repeatable; default: those the training command stores)")
    args = parser.parse_args(argv)
    for name in args.bundles:
        try:
            model = catalog.load_model(name)
        except bundle.BundleError as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
        start = time.time()
        latents = projection.with_stored_maps(model.latents, recompute=args.recompute, names=args.map)
        if latents is not model.latents:
            bundle.save_latents(model.path, latents)
            bundle.update_config(model.path, maps=projection.map_settings(list(latents.maps)))
            added = [m for m in latents.maps if args.recompute or m not in model.latents.maps]
            print(f"{model.name}: added {', '.join(added)} in {time.time() - start:.0f} s")
        else:
            print(f"{model.name}: maps already stored")
    return 0


if __name__ == "__main__":
    sys.exit(main())
