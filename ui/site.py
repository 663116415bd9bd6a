"""Any models as a static site: a folder of files that opens in any browser from any web server (or
a school's file share behind one), with no Python and no Streamlit. Each model's map decodes under
the pointer, keeps a clicked spot and walks from A to B, as the app's map does: the same component
(ui/latent_map/), the same browser files (explorer/bundles/webexport.py), the same link parameters
(``model``, ``map``, ``spot``, ``a``, ``b``, ``path``, ``t``, ``layers``).

    latent-explorer site --out DIR [--models mnist-vae-2d,mnist-vae-16] [--models-dir DIR]
    python -m ui.site --out DIR ...

The folder holds index.html (the page), site.js and site.css (the page's code), latent_map.js and
latent_map.css (the map), site.json (what the page offers: each model and its maps, with the
sentences it shows), models/NAME/ (each model's decoder and maps), images/DIGEST/ (each set of
test images) and classifiers/DATASET/ (the dataset's classifier, for the class regions layer), the
last two shared by the models of one dataset. By default every shipped bundle; a bundle of
one's own (``--models-dir``, an ONNX import) goes the same way. What needs the server (training,
importing, the draw pad, the lessons' measured figures) is named on the page, with a page of the
site saying how to run the full app (app.html).

The command writes only into DIR: a new or empty folder, or one it wrote before (it keeps a list
of its files there, ``.latent-explorer-site``, and replaces only those); any other folder is
refused. Every refusal is one line naming the bundle or the folder.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
from pathlib import Path

from explorer.bundles import catalog as catalog_lib, webexport
from explorer.bundles.errors import BundleError
from explorer import maps as projection
from explorer import data
from explorer.onnx import browser as onnx_browser
from explorer.teaching import figures, generate, view as views
from ui import map_component

ASSETS = Path(__file__).resolve().parent / "site"
MAP_ASSETS = Path(__file__).resolve().parent / "latent_map"
RECORD = ".latent-explorer-site"  # in the folder: what this command wrote there, one path a line


class SiteError(RuntimeError):
    """Why the site was not written, in one line naming the folder or the bundle."""


def model_entry(model, images_url: str | None) -> dict:
    """What the page needs of ``model`` before its files arrive: its name and sentences, its maps
    (each with its frame, its sentence and the walk's default ends), its classes and colours."""
    maps = []
    for name in map_component.browser_maps(model):
        if not model.has_map(name):
            continue
        mp = model.map(name)
        lo, hi = mp.view_box()
        a, b = views.default_ends(model, mp)
        k = projection.kind(name)
        maps.append({"name": name, "label": k.label, "title": k.title, "exact": bool(mp.exact),
                     "explanation": mp.explanation("an image" if model.own_data else "a test image"),
                     "box": [lo.tolist(), hi.tolist()], "ends": [a, b]})
    info, kind = model.dataset_info, model.kind_info
    return {
        "name": model.name, "title": f"{kind.title} trained on {info.title}", "latent_dim": model.latent_dim,
        "own_data": bool(model.own_data), "url": f"models/{model.name}/", "images": images_url, "maps": maps,
        "classes": [int(c) for c in model.classes], "class_names": [str(c) for c in model.class_names],
        "colours": [figures.class_colour(c) for c in range(len(model.class_names))],
        "label": int(model.classes[0]) if "labels" in kind.offers else None,
        "told_labels": "labels" in kind.offers,
    }


def images_of(model, say):
    """The images a hovered point shows: a bundle's own, else its dataset's test split where it is
    here (else None: a hover shows the decoded point only, and the command says why)."""
    if model.own_data:
        return model.images()
    try:
        return data.load(model.dataset, "test").images
    except data.DataError as e:
        say(f"{model.name}: without its test images ({str(e).splitlines()[0]})")
        return None


def check_out(out: Path) -> list[str]:
    """The paths this command wrote into ``out`` before (empty for a new or empty folder); SiteError
    for a folder holding anything else."""
    if not out.exists():
        return []
    if not out.is_dir():
        raise SiteError(f"{out}: is a file, not a folder; give a new folder (or one this command wrote)")
    record = out / RECORD
    if record.is_file():
        return [line for line in record.read_text().splitlines() if line and "/" not in line.strip("/")
                and not line.startswith(".")]
    if any(out.iterdir()):
        raise SiteError(f"{out}: holds files this command did not write; give a new or empty folder")
    return []


def write_site(models, out: Path, say=print) -> dict:
    """Write the site of ``models`` (opened bundles) into ``out``; the figures it wrote (bytes)."""
    previous = check_out(out)
    out.mkdir(parents=True, exist_ok=True)
    for name in previous:  # only what the record lists, each a top-level name it wrote
        target = out / name
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        elif target.exists() or target.is_symlink():
            target.unlink()
    written = {"index.html", "app.html", "site.js", "site.css", "latent_map.js", "latent_map.css", "site.json",
               "favicon.svg", "models", "images", "classifiers"}
    (out / RECORD).write_text("\n".join(sorted(written)) + "\n")  # first: a failure below leaves it listed
    entries, image_sets = [], {}
    for model in models:
        try:
            webexport.write(model, out / "models" / model.name,
                            [m for m in map_component.browser_maps(model) if model.has_map(m)])
        except onnx_browser.NoBrowserForm as e:  # the app draws such a map on its server; a site cannot
            say(f"skipped {model.name}: its decoder cannot run in a browser ({e})")
            continue
        # the dataset's classifier (the class regions layer), one copy for all its models
        classifier = map_component.usable_classifier(model.dataset)
        classifier_url = None
        if classifier is not None:
            classifier_url = f"classifiers/{model.dataset}/"
            if not (out / classifier_url / webexport.MANIFEST).is_file():
                (out / classifier_url).mkdir(parents=True, exist_ok=True)
                for name, content in webexport.classifier_files(classifier).items():
                    (out / classifier_url / name).write_bytes(content)
        originals = images_of(model, say)
        images_url = None
        if map_component.sends_images(originals):
            key = hashlib.sha256(memoryview(originals.tobytes())).hexdigest()[:20]
            if key not in image_sets:
                image_sets[key] = webexport.write_images(originals, out / "images" / key)
            images_url = f"images/{key}/{webexport.IMAGES}"
        entries.append({**model_entry(model, images_url), "classifier": classifier_url})
        say(f"{model.name}: {len(model.latents.codes):,} points, maps {', '.join(m['name'] for m in entries[-1]['maps'])}")
    if not entries:
        raise SiteError(f"{out}: none of the models can be drawn in a browser")
    site = {"models": entries, "size": map_component.SIZE, "path_points": generate.PATH_POINTS}
    (out / "site.json").write_text(json.dumps(site, indent=1))
    (out / "latent_map.js").write_text(map_component.map_code())
    (out / "latent_map.css").write_text((MAP_ASSETS / "style.css").read_text())
    for name in ("index.html", "app.html", "site.js", "site.css"):
        (out / name).write_text((ASSETS / name).read_text())
    shutil.copyfile(Path(__file__).resolve().parent / "favicon.svg", out / "favicon.svg")
    sizes = {"total": sum(f.stat().st_size for f in out.rglob("*") if f.is_file())}
    return sizes


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="latent-explorer site", description=__doc__.split("\n\n")[0])
    p.add_argument("--out", required=True, type=Path, help="the folder to write (new, empty, or written by this before)")
    p.add_argument("--models", default="", help="comma-separated bundle names (default: every shipped bundle)")
    p.add_argument("--models-dir", action="append", default=[], help="another folder of bundles")
    args = p.parse_args(argv)
    dirs = [*catalog_lib.pretrained_dirs(), *(Path(d) for d in args.models_dir)]
    found, refused = catalog_lib.scan(dirs)
    names = [n.strip() for n in args.models.split(",") if n.strip()] or sorted(found)
    unknown = [n for n in names if n not in found]
    if unknown:
        print(f"error: no bundle named {', '.join(unknown)[:200]}; the bundles are {', '.join(sorted(found))[:400]}",
              file=sys.stderr)
        return 2
    models, skipped = [], []
    for name in names:
        try:
            model = catalog_lib.open_bundle(found[name], found)
            if model.latents is None:
                raise BundleError(f"{found[name]}: has no stored test-set codes")
            models.append(model)
        except BundleError as e:
            skipped.append(str(e))
    for why in skipped:
        print(f"skipped {why}", file=sys.stderr)
    if not models:
        print("error: no model could be opened; nothing was written", file=sys.stderr)
        return 2
    try:
        sizes = write_site(models, args.out)
    except (SiteError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"wrote {args.out} ({sizes['total'] / 1e6:.1f} MB): serve it with `python -m http.server -d {args.out}` "
          "and open http://localhost:8000, or put the folder on any web server")
    return 1 if skipped else 0


if __name__ == "__main__":
    sys.exit(main())
