"""How long opening each model takes: what a student waits for after picking it in the sidebar.

    python bench/open_model.py [BUNDLE ...]

For every shipped bundle (or those named): loading the bundle, building each map (stored t-SNE
layouts are read, not recomputed), building the Plotly figure, and a whole first run of the app
script under Streamlit's AppTest with that model selected. Times in ms, one cold run each.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import record  # noqa: E402
import explorer  # noqa: E402
from explorer.bundles import catalog
from explorer.teaching import figures


def ms(start: float) -> float:
    return (time.perf_counter() - start) * 1e3


def app_first_run(name: str) -> float:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params["model"] = name  # as a shared link opens it
    start = time.perf_counter()
    at.run()
    if at.exception:
        raise SystemExit(f"{name}: the app raised {at.exception[0].value}")
    return ms(start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("bundles", nargs="*")
    args = parser.parse_args()
    print(f"{'bundle':22s} {'load':>7s} {'maps (each)':>32s} {'figure':>7s} {'app run':>8s}")
    for name in args.bundles or explorer.list_pretrained():
        start = time.perf_counter()
        m = catalog.load_model(name)
        load = ms(start)
        maps = []
        for method in m.open_maps():
            start = time.perf_counter()
            mp = m.map(method)
            maps.append(f"{method} {ms(start):.0f}")
        start = time.perf_counter()
        figures.latent_map(m.map("auto"), m.latents.labels, m.latents.index, m.class_names).to_json()
        fig = ms(start)
        print(f"{name:22s} {load:7.0f} {', '.join(maps):>32s} {fig:7.0f} {app_first_run(name):8.0f}")


if __name__ == "__main__":
    with record.run(__file__):
        main()
