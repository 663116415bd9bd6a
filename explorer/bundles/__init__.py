"""Model bundles: a folder holding one trained model (its config, weights or ONNX files, test codes,
maps and measured figures), how it is checked and opened, the catalog of them, and its browser form."""

from pathlib import Path

_HERE = Path(__file__).resolve().parent
# A wheel installs the shipped bundles inside the package; a checkout keeps them at its top.
PRETRAINED_DIR = next((p for p in (_HERE.parent / "pretrained", _HERE.parents[1] / "pretrained") if p.is_dir()),
                      _HERE.parents[1] / "pretrained")
