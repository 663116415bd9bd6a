"""The sidebar's "Import a model" panel: two ONNX files and the images they were
trained on become a bundle in this server's import folder, opened at once.

The import runs as its own process (``python -m explorer.onnx_import``), never in the app's: the
stranger's graph first runs there, on every image, under an address-space limit (IMPORT_MEMORY)
and a time limit, so a graph that would allocate without end takes down that process only, with
a message. Every refusal is shown as the command's one line; nothing already loaded changes.
The folder is per server: ``--import-dir`` or $EXPLORER_IMPORT_DIR, else
``$XDG_DATA_HOME/latent-explorer/imported`` (~/.local/share/...); every session of the server
sees what was imported there, and an import never replaces a bundle of the same name.
"""

from __future__ import annotations

import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import streamlit as st

from explorer.bundles import bundle
from explorer import data
from explorer.onnx import safety as onnx_safety
from explorer.files import outputs
from explorer.data import owndata
from ui import session
from ui.text import literal

IMPORT_DIR_VAR = "EXPLORER_IMPORT_DIR"
IMPORT_MEMORY = 4 * 2**30  # address space of the import's process: MNIST and a 20 M-parameter graph fit
IMPORT_SECONDS = 300
# each upload's limit, in MB, over the server's maxUploadSize (20 MB, for pictures): what the
# import itself would take (explorer/onnx/safety.py, explorer/data/owndata.py)
ONNX_MB = onnx_safety.MAX_BYTES // 2**20
# an .npz uploaded here is held by the server while it runs: larger ones (up to the import command's
# owndata.MAX_FILE_BYTES, a million small images) go through `latent-explorer import`
NPZ_MB = min(owndata.MAX_FILE_BYTES, 512 * 2**20) // 2**20
NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")
OWN = "my own images (.npz)"
ROOT = Path(__file__).resolve().parent.parent

W_ENCODER, W_DECODER, W_DATA, W_NPZ, W_NAME = (session.widget("import", n) for n in ("encoder", "decoder", "data",
                                                                                      "npz", "name"))
RESULT = session.widget("import", "result")
W_OPEN = session.widget("import", "open")


def import_dir(args) -> Path:
    """This server's folder of imported bundles."""
    given = getattr(args, "import_dir", None) or os.environ.get(IMPORT_DIR_VAR)
    if given:
        return Path(given).expanduser()
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "latent-explorer" / "imported"


def _limits() -> None:  # in the import's process, before it starts
    resource.setrlimit(resource.RLIMIT_AS, (IMPORT_MEMORY, IMPORT_MEMORY))


def run_import(folder: Path, name: str, encoder: bytes, decoder: bytes, dataset: str, npz: bytes | None,
               data_dir: str | None) -> tuple[bool, str]:
    """Write the uploads to a private folder, run the import command on them into ``folder/name``;
    (whether it worked, the message to show)."""
    folder.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".incoming.", dir=folder))
    try:
        (work / "encoder.onnx").write_bytes(encoder)
        (work / "decoder.onnx").write_bytes(decoder)
        source = dataset
        if npz is not None:
            (work / "images.npz").write_bytes(npz)
            source = str(work / "images.npz")
        cmd = [sys.executable, "-m", "explorer.onnx.importer", "--encoder", str(work / "encoder.onnx"),
               "--decoder", str(work / "decoder.onnx"), "--data", source, "--out", str(folder / name),
               "--name", name, "--skip-tsne", "--threads", "1"] + (["--data-dir", data_dir] if data_dir else [])
        try:
            done = subprocess.run(cmd, cwd=work, capture_output=True, text=True, timeout=IMPORT_SECONDS,
                                  preexec_fn=_limits, env={**os.environ, "PYTHONPATH": str(ROOT)})
        except subprocess.TimeoutExpired:
            return False, f"the import took more than {IMPORT_SECONDS} s and was stopped; nothing was written"
        if done.returncode == 0:
            return True, f"Imported {name}: " + " ".join(line.strip("- ") for line in done.stdout.splitlines()[1:3])
        last = [line for line in done.stderr.splitlines() if line.strip()]
        why = last[-1].removeprefix("error: ") if last else f"the import stopped (status {done.returncode})"
        if "MemoryError" in done.stderr or done.returncode in (-9, 137):
            why = f"the model needed more than {IMPORT_MEMORY // 2**30} GB while it ran on the images; nothing was written"
        return False, why.replace(str(work) + "/", "")  # the uploads' private folder means nothing to the user
    finally:
        shutil.rmtree(work, ignore_errors=True)


def panel(args, names: list[str]) -> None:
    """The panel, in the sidebar; ``names`` are the bundles the menu offers (a new one may not take one)."""
    folder = import_dir(args)
    box = st.sidebar.expander("Import a model (ONNX)", key=W_OPEN, on_change="rerun")
    if not box.open:  # drawn only while open: the page's other uploader stays the only one
        return
    with box:
        st.caption("Any autoencoder exported to ONNX, from any framework: its encoder and decoder files and the "
                   "images it was trained on. What is read from the files, and what is assumed, is shown with the "
                   f"model. ONNX files up to {ONNX_MB} MB each, an .npz up to {NPZ_MB} MB (larger ones, up to a "
                   "million images: `latent-explorer import` on the server).")
        try:
            outputs.check_writable(folder)
        except outputs.OutputError as e:
            st.caption(f"Importing is off on this server: its import folder cannot be written ({literal(str(e))}).")
            return
        encoder = st.file_uploader("Encoder (.onnx)", type=["onnx"], key=W_ENCODER, max_upload_size=ONNX_MB)
        decoder = st.file_uploader("Decoder (.onnx)", type=["onnx"], key=W_DECODER, max_upload_size=ONNX_MB)
        choice = st.selectbox("Trained on", [*data.DATASETS, OWN], key=W_DATA)
        npz = st.file_uploader("Your images (.npz: images, optional labels and class_names)", type=["npz"],
                               key=W_NPZ, max_upload_size=NPZ_MB) if choice == OWN else None
        name = st.text_input("Name", value="my-model", key=W_NAME, max_chars=40,
                             help="Lower-case letters, digits, - and _. It is this server's: every student sees it.")
        result = st.session_state.get(RESULT)
        if st.button("Import", disabled=encoder is None or decoder is None or (choice == OWN and npz is None)):
            problem = None if NAME.fullmatch(name or "") else \
                "the name: lower-case letters, digits, - and _, starting with a letter or digit, at most 40"
            if problem is None and (name in names or (folder / name).exists()):
                problem = f"{name} is taken; choose another name (an import never replaces a model)"
            if problem:
                result = (False, problem)
            else:
                with st.spinner("Importing: checking the files, encoding every image, measuring..."):
                    result = run_import(folder, name, encoder.getvalue(), decoder.getvalue(),
                                        choice if choice != OWN else "", npz.getvalue() if npz else None,
                                        args.data_dir)
                if result[0]:  # open it: its plane, or its PCA map (t-SNE is computed when asked for)
                    k = bundle.read_config(folder / name)["model"]["latent_dim"]
                    session.set_view(st.session_state[session.VIEW].with_model(name, "direct" if k == 2 else "pca"))
            st.session_state[RESULT] = result
            if result[0]:
                st.rerun()
        if result:
            (st.success if result[0] else st.error)(literal(result[1]))
