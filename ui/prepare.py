"""Write every file the browser fetches ahead of time: each bundle's decoder and maps, the replays,
the datasets' test images where they are here, and the components' code (ui/static_files.py names
and writes them). A container image's build step, so an installation whose static/ is read-only
at run time still decodes in the browser.

    python -m ui.prepare [-- --models-dir DIR]      # also: python -m ui.static_files,
                                                    # latent-explorer prepare
"""

from __future__ import annotations

import os
import sys

from explorer.bundles import catalog
from explorer import data, maps as projection
from explorer.bundles.bundle import Model
from explorer.bundles.errors import BundleError
from explorer.teaching import state as view_state
from ui import map_component, painter, replay, resources, writer
from ui.static_files import Unavailable


def first_page(args) -> Model | None:
    """What the explore page's first run on a fresh server computes up to its map, done ahead by
    the server's warm-up (ui/warming.py) for the view a plain link opens: the default model opened,
    its map's browser files and the test images' file written. The model (None where none opens)."""
    catalog = resources.catalog(args)
    view = view_state.from_query({}, catalog).state
    if view is None:
        return None
    model = catalog.model(view.model)
    if not model.has_map(view.map):  # computed on the page, with its progress bar
        return model
    mp = model.map(view.map)
    originals, _ = resources.originals(model, args.data_dir)
    try:
        if projection.kind(mp.name).has_browser_form():
            map_component.model_url(model, map_component.browser_maps(model, mp.name))
        if not model.own_data:
            map_component.images_url(model.dataset, originals)
    except Unavailable:  # a read-only install: the page draws the map on the server
        pass
    return model


def first_sidebar(model: Model) -> None:
    """The explore page's sidebar figures for ``model`` (after the map: a page's run may begin
    meanwhile, and computes each once with the warm-up, Streamlit's cache holding one lock per value)."""
    resources.generation(model)
    resources.sampling(model)


def write_all(out=sys.stdout) -> int:
    """Publish every bundle's browser files (and replays, test images where the dataset is here,
    the components' code). Returns the exit status."""
    args = resources.settings()
    try:
        map_component.modules()
        replay.module()
        painter.module()
        writer.module()
    except Unavailable as e:
        print(f"error: {e}", file=out)
        return 1
    failed = 0
    found, refused = catalog.scan(resources.model_dirs(args))
    for name, why in refused.items():
        print(f"skipped {why}", file=out)
    for name, path in found.items():
        try:
            model = catalog.open_bundle(path, found)
            if model.latents is None:
                print(f"skipped {path}: no stored test-set codes", file=out)
                continue
            url = map_component.model_url(model, map_component.browser_maps(model))
            print(f"{name}: {url}", file=out)  # scripts read these lines
            if model.replay_arrays() is not None:
                print(f"{name} replay: {replay.files_url(model)[0]}", file=out)
        except map_component.NoBrowserDecoder as e:  # not a failure: the app draws its map on the server
            print(f"{name}: no browser files ({e}); its map is drawn by the server", file=out)
        except (BundleError, Unavailable) as e:
            print(f"error: {e}", file=out)
            failed += 1
    for dataset in data.DATASETS:
        images, missing = resources.test_images(dataset, args.data_dir)
        if images is not None:
            print(f"{dataset} test images: {map_component.images_url(dataset, images)}", file=out)
        else:
            print(f"{dataset} test images: not written ({str(missing).splitlines()[0]})", file=out)
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    """The command: the app's own options (--models-dir, --data-dir) are read as the app reads them."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if {"-h", "--help"} & set(argv[:argv.index("--") if "--" in argv else None]):
        print(__doc__.strip())
        return 0
    sys.argv = [sys.argv[0], *argv]  # resources.settings() reads the app's options where Streamlit leaves them
    os.environ.setdefault("STREAMLIT_GLOBAL_SHOW_WARNING_ON_DIRECT_EXECUTION", "false")
    return write_all()


if __name__ == "__main__":
    sys.exit(main())
