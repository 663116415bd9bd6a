"""The `latent-explorer` command: the app, and the library's commands by name.

    latent-explorer [STREAMLIT OPTIONS] [-- APP OPTIONS]
    latent-explorer --server.port 8600 --server.headless true -- --data-dir ~/data
    latent-explorer COMMAND [OPTIONS]        (latent-explorer COMMAND --help says more)

With no command it runs the app exactly as `python -m ui.serve` does: it listens at once and
prepares the first page meanwhile, Streamlit's options pass through and the app's own go after `--`
(--data-dir, --models-dir, --public-url). It works from any folder: the app, its components and
the shipped bundles come from the installed package (or from the checkout this file is in).
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path

COMMANDS = {  # name -> (module with main(argv), what it does); each also runs as `python -m explorer.NAME`
    "train": ("explorer.models.train", "train an autoencoder on a dataset's training split and write its bundle"),
    "evaluate": ("explorer.bundles.evaluate", "measure a bundle on the test split (--write stores the figures)"),
    "fetch": ("explorer.data.fetch", "find a dataset, or download it, and say where it is"),
    "maps": ("explorer.maps.__main__", "add the slow maps (t-SNE) to existing bundles"),
    "import": ("explorer.onnx.importer", "import an autoencoder from any framework as two ONNX files"),
    "export": ("explorer.onnx.exporter", "export a bundle's encoder and decoder as ONNX files"),
    "pca": ("explorer.baselines.pca.__main__", "fit the PCA baseline of a dataset's training images"),
    "classifier": ("explorer.baselines.classifier.__main__", "train the classifier that judges decoded digits"),
    "prepare": ("ui.prepare", "write every bundle's browser files ahead of time (a read-only install)"),
    "site": ("ui.site", "write models as a static site: their maps in any browser, from any web server"),
}


def app_dir() -> Path:
    """The folder holding app.py, ui/ and views/: the checkout this library sits in, else the
    installed `latent_explorer` package."""
    checkout = Path(__file__).resolve().parents[1]
    if (checkout / "app.py").is_file() and (checkout / "ui").is_dir():
        return checkout
    spec = importlib.util.find_spec("latent_explorer")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        if (Path(folder) / "app.py").is_file():
            return Path(folder)
    raise SystemExit("latent-explorer: the app's files (app.py, ui/, views/) are not installed beside the "
                     "library; reinstall the package (pip install .)")


def usage() -> str:
    width = max(map(len, COMMANDS))
    lines = [__doc__.strip(), "", "Commands:"]
    lines += [f"  {name.ljust(width)}  {what}" for name, (_, what) in COMMANDS.items()]
    lines += ["", "Streamlit's own options: the --help of its run command."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] in (["-h"], ["--help"], ["help"]):
        print(usage())
        return 0
    if argv and argv[0] in COMMANDS:
        module, _ = COMMANDS[argv[0]]
        if module.startswith("ui."):
            sys.path.insert(0, str(app_dir()))
        return importlib.import_module(module).main(argv[1:]) or 0
    if argv and not argv[0].startswith("-"):
        print(f"latent-explorer: no command {argv[0][:40]!r}; the commands are {', '.join(COMMANDS)} "
              "(latent-explorer --help)", file=sys.stderr)
        return 2
    sys.path.insert(0, str(app_dir()))  # as Streamlit does for app.py: its `ui` and `views` are found there
    from ui import serve

    serve.main(argv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
