"""Measure a model on the test split: `python -m explorer.evaluate <bundle> [--data-dir DIR]`.

The command: it reads a bundle and the dataset, asks explorer/bundles/metrics.py for every figure (the
list is in that module's docstring), prints them, and with ``--write`` stores them in the bundle's
config.json (``--metrics-out FILE`` writes them as JSON anywhere else). Every place it would
write is checked before the data is read; should writing still fail, the figures have already
been printed and the message says why. ``--table`` prints the README's table of shipped bundles.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from explorer.bundles import bundle, catalog, metrics
from explorer import data, models, maps as projection
from explorer.files import outputs
# The computations once defined here, importable under their old names (tests and older callers)
from explorer.bundles.metrics import (NOISE_CHECKS, anomaly_metrics, compute_latents, denoising_metrics,  # noqa: F401
                      denoising_mse, evaluate, format_metrics, pca_reference, recognised_middles,
                      reconstruction_errors, roc_auc, test_losses)


ACTIVATION_NAMES = {"silu": "SiLU", "elu": "ELU", "tanh": "tanh"}  # as papers write them


def markdown_table(names) -> str:
    """The README's table of shipped bundles, from the metrics each bundle records."""
    head = ("| bundle | model | data | test MSE | test -ELBO (-log p(x), k = 1,000) | class middles recognised | "
            "its kind's own figures | training |\n"
            "|---|---|---|---|---|---|---|---|")
    rows = []
    for name in names:
        m = catalog.load_model(name)
        cfg, met, tr = m.net.config, m.metrics, m.config.get("training", {})
        if cfg.backbone == "mlp":
            arch = f"MLP {m.kind_info.short} 784-{'-'.join(map(str, cfg.hidden))}-{m.latent_dim}"
        elif cfg.backbone == "gru":
            arch = f"GRU {m.kind_info.short}: a state of {cfg.hidden[0]}, 28 rows read and written, {m.latent_dim}-d"
        elif "codebook" in m.kind_info.offers:
            arch = (f"conv {m.kind_info.short}: {cfg.hidden[0]}, {cfg.hidden[1]} channels, a {m.grid[0]}x{m.grid[1]} grid "
                    f"of {m.codebook_size} entries ({m.latent_dim} numbers)")
        else:
            c1, c2, *dense = cfg.hidden
            arch = (f"conv {m.kind_info.short}: {c1}, {c2} channels" + (f", {dense[0]} dense" if dense else "")
                    + f", {m.latent_dim}-d")
        if cfg.activation != "relu":  # the default: named only where another was chosen
            arch += f", {ACTIVATION_NAMES.get(cfg.activation, cfg.activation)}"
        arch += "".join(f", {words}" for words in models.set_apart(m.kind_info, tr))
        classes = "all" if len(m.classes) == 10 else ",".join(map(str, m.classes))
        middles = ", ".join(f"{k} {v}/{met['class_middles_total']}" for k, v in met.get("class_middles_by_map", {}).items())
        elbo = f"{met['test_neg_elbo']:.1f}" if "test_neg_elbo" in met else "-"
        if "test_nll_iw" in met:  # importance-sampled, over its first test images
            elbo += f" (-log p(x) {met['test_nll_iw']:.1f})"
        own = "; ".join(f"{key.replace('_', ' ')} {met[key]:.3g}" for key in getattr(m.kind_info, "figures", {}) if key in met)
        rows.append(f"| `{name}` | {arch} | {m.dataset} ({classes}) | {met.get('test_mse', float('nan')):.4f} | "
                    f"{elbo} | {middles} | {own or '-'} | {tr.get('epochs')} epochs, {tr.get('seconds', 0) / 60:.1f} min |")
    return "\n".join([head, *rows])


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m explorer.evaluate", description=__doc__.split("\n")[0])
    parser.add_argument("bundle", nargs="?", help="a shipped bundle name or a bundle folder")
    parser.add_argument("--table", action="store_true",
                        help="print the recorded metrics of every shipped bundle as a Markdown table")
    parser.add_argument("--data-dir", help=f"folder holding mnist/ and fashion-mnist/ (else ${data.ENV_VAR})")
    parser.add_argument("--download", action="store_true", help="download the dataset if it is not found")
    parser.add_argument("--json", action="store_true", help="print the metrics as JSON")
    parser.add_argument("--write", action="store_true",
                        help="store the recomputed metrics in the bundle's config.json")
    parser.add_argument("--metrics-out", metavar="FILE", help="also write the recomputed metrics to FILE as JSON")
    return parser


def _check_outputs(args, model) -> None:
    """Raise OutputError unless every place this run would write can be written."""
    if args.write:
        outputs.check_writable(model.path)  # config.json is replaced by a file written beside it
    if args.metrics_out:
        target = Path(args.metrics_out)
        if target.is_dir():
            raise outputs.OutputError(f"--metrics-out {target}: is a folder; name a file")
        outputs.check_writable(target.parent)


def _store(args, model, measured: dict) -> list[str]:
    """Write the metrics where asked; what failed, each with its reason."""
    failed = []
    if args.metrics_out:
        target = Path(args.metrics_out)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            outputs.write_file(target, lambda f: f.write_text(json.dumps(measured, indent=2) + "\n"))
        except OSError as e:
            failed.append(f"{target}: {e.strerror or e}")
    if args.write:
        try:
            bundle.update_config(model.path, metrics=measured)
        except OSError as e:
            failed.append(f"{Path(model.path) / bundle.CONFIG_FILE}: {e.strerror or e}")
        except bundle.BundleError as e:
            failed.append(str(e))
    return failed


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.table:
        print(markdown_table(catalog.list_pretrained()))
        return 0
    if not args.bundle:
        parser.error("name a bundle, or use --table")
    problem = outputs.data_dir_problem(args.data_dir)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    try:
        model = catalog.load_model(args.bundle)
        _check_outputs(args, model)
        full_test = data.load(model.dataset, "test", args.data_dir, args.download)
        test, _ = full_test.subset(model.classes)
        train = data.load(model.dataset, "train", args.data_dir, args.download)
    except (bundle.BundleError, data.DataError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except outputs.OutputError as e:
        print(f"error: {e}; nothing was measured (drop --write / --metrics-out to only print the figures)",
              file=sys.stderr)
        return 2
    # every map it has, and a t-SNE it lacks (computed); a UMAP only where stored (the app computes it on demand)
    methods = [k for k in model.available_maps() if model.has_map(k) or projection.kind(k).made_when_trained]
    measured = metrics.evaluate(model, test, train, seed=model.config.get("training", {}).get("seed", 0),
                                methods=methods, full_test=full_test,
                                unlike=metrics.unlike_images(model.dataset, args.data_dir))
    if args.json:
        print(json.dumps(measured, indent=2), flush=True)
    else:
        print(f"{model.name}: {model.kind}, {model.latent_dim}-d, {model.dataset}, classes {model.classes}")
        print(format_metrics(measured))
        stored = model.metrics
        drift = {k: (stored[k], v) for k, v in measured.items()
                 if isinstance(v, float) and k in stored and abs(stored[k] - v) > 1e-3 * max(1.0, abs(v))}
        for k, (was, _) in drift.items():
            print(f"  note: {k} differs from the bundle's recorded {was}")
        sys.stdout.flush()
    failed = _store(args, model, measured)
    for why in failed:
        print(f"error: could not store the metrics in {why}; the figures printed above are what was measured",
              file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
