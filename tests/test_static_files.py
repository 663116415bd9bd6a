"""The browser's files (ui/static_files.py): named by their content, written atomically under
unique names, cleaned up by exact ownership, and optional: where static/ cannot be written the
pages draw their maps on the server."""

import json
import os
import shutil

import pytest
from safetensors.torch import load_file, save_file
from streamlit.testing.v1 import AppTest

from explorer.bundles import bundle, catalog, webexport
from ui import map_component, static_files

from .conftest import ROOT


@pytest.fixture
def static(tmp_path, monkeypatch):
    folder = tmp_path / "static"
    monkeypatch.setattr(static_files, "STATIC", folder)
    return folder


def test_files_are_named_by_their_content(static):
    a = static_files.publish("models", "bundle:/x/a", {"f": b"one"})
    assert static_files.publish("models", "bundle:/x/a", {"f": b"one"}) == a  # same content, same folder
    b = static_files.publish("models", "bundle:/x/a", {"f": b"two"})
    assert a != b and (static / "models" / b.split("/")[-2] / "f").read_bytes() == b"two"
    assert not (static / "models" / a.split("/")[-2]).exists()  # the owner's earlier version is gone
    assert [p.name for p in (static / "models").iterdir()] == [b.split("/")[-2]]  # no temporary left


def test_cleanup_takes_only_what_the_same_owner_published(static):
    """Before: opening mnist-vae-2d deleted mnist-vae-2d-beta0.5's files (a name-prefix glob), and a
    bundle named m* wiped every mnist-* export."""
    beta = static_files.publish("models", "bundle:/p/mnist-vae-2d-beta0.5", {"f": b"beta"})
    other = static_files.publish("models", "bundle:/q/mnist-vae-2d", {"f": b"another folder's"})
    (static / "models" / "mnist-vae-2d-0123").mkdir()  # a folder we did not write (no owner record)
    for version in (b"v1", b"v2"):
        static_files.publish("models", "bundle:/p/mnist-vae-2d", {"f": version})
    static_files.publish("models", "bundle:/p/m*", {"f": b"star"})
    names = {p.name for p in (static / "models").iterdir()}
    assert {beta.split("/")[-2], other.split("/")[-2], "mnist-vae-2d-0123"} <= names
    assert len(names) == 5  # beta, other, the foreign folder, mnist-vae-2d's v2, m*'s


def test_a_fresh_server_draws_every_map_of_the_beta_lesson(static):
    """Lesson 8 opens three bundles whose names share a prefix: each one's files stay."""
    urls = [map_component.model_url(m, map_component.browser_maps(m))
            for m in (catalog.load_model(n) for n in ("mnist-vae-2d", "mnist-vae-2d-beta0.5", "mnist-vae-2d-beta4"))]
    for url in urls:
        manifest = json.loads((static / url.removeprefix("app/static/") / webexport.MANIFEST).read_text())
        assert manifest["model"] in {"mnist-vae-2d", "mnist-vae-2d-beta0.5", "mnist-vae-2d-beta4"}
    assert len(set(urls)) == 3


def test_weights_changed_under_the_same_modification_time_get_new_files(static, tmp_path):
    """Before: the files were named by path and modification time, so the browser kept the old weights."""
    shutil.copytree(bundle.PRETRAINED_DIR / "mnist-ae-2", tmp_path / "b")
    first = map_component.model_url(catalog.open_bundle(tmp_path / "b"), ["direct"])
    file = tmp_path / "b" / bundle.WEIGHTS_FILE
    stat = file.stat()
    state = load_file(str(file))
    save_file({k: v * 0.5 for k, v in state.items()}, str(file))
    os.utime(file, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    second = map_component.model_url(catalog.open_bundle(tmp_path / "b"), ["direct"])
    assert first != second


def test_a_folder_removed_under_a_running_server_is_written_again(static):
    m = catalog.load_model("mnist-ae-2")
    url = map_component.model_url(m, ["direct"])
    shutil.rmtree(static / url.removeprefix("app/static/"))
    assert map_component.model_url(m, ["direct"]) == url
    assert (static / url.removeprefix("app/static/") / webexport.BINARY).is_file()


def test_a_server_started_again_finds_its_files_without_building_them(static, tmp_path):
    """static/<kind>/.made records which folder a key was built into: the next process's first page
    skips the build (0.1-0.2 s a set), unless the builder's code changed or the folder has gone."""
    code = tmp_path / "builder.py"
    code.write_text("v1")
    built = []

    def build():
        built.append(1)
        return {"f": b"files"}

    def server():  # what a fresh process holds
        return static_files.Published("models", made_by=(str(code),))

    url = server().get(("bundle", 1), "bundle:/b", build)
    assert server().get(("bundle", 1), "bundle:/b", build) == url and len(built) == 1
    server().get(("bundle", 2), "bundle:/b", build)  # another version of the bundle
    assert len(built) == 2
    code.write_text("v2")  # another builder: built anew
    assert server().get(("bundle", 1), "bundle:/b", build) == url and len(built) == 3
    shutil.rmtree(static / url.removeprefix("app/static/"))  # the folder gone: built again
    assert server().get(("bundle", 1), "bundle:/b", build) == url and len(built) == 4
    shutil.rmtree(static / "models" / static_files.MADE)
    (static / "models" / static_files.MADE).write_text("")  # a record that cannot be written: no harm
    assert server().get(("bundle", 3), "bundle:/b", build) == url and len(built) == 5
    assert server().get(("bundle", 3), "bundle:/b", build) == url and len(built) == 6


WRITER = """
import sys, torch
torch.set_num_threads(1)
from pathlib import Path
from explorer.bundles import catalog, webexport
from ui import static_files
static_files.STATIC = Path(sys.argv[1])
models = [catalog.load_model(n) for n in ("mnist-ae-2", "mnist-vae-2d")]
for _ in range(5):
    for m in models:
        static_files.publish("models", f"bundle:{m.path}", webexport.files(m, ["direct"]))
"""

READER = """
import gzip, sys, time
from pathlib import Path
static, stop, seen, empty = Path(sys.argv[1]), Path(sys.argv[2]), 0, 0
end = time.time() + 120
while not stop.exists() and time.time() < end:  # until the writers are done
    for folder in (static / "models").glob("[!.]*"):  # what a browser can be sent to: no hidden folder
        try:
            packed = (folder / "arrays.bin.gz").read_bytes()
        except FileNotFoundError:  # a hidden folder not yet whole, or renamed away
            continue
        if not packed or not gzip.decompress(packed):
            empty += 1
        seen += 1
print(seen, empty)
"""


def test_processes_exporting_at_once_never_collide_nor_show_a_half_file(static):
    """Before: every temporary file was NAME.tmp: 7 of 80 concurrent exports (8 processes) raised
    and a reader saw an empty arrays.bin.gz 42 times."""
    import subprocess
    import sys

    (static / "models").mkdir(parents=True)
    run = lambda code, *args: subprocess.Popen([sys.executable, "-c", code, str(static), *args], cwd=ROOT,
                                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    stop = static / "writers-done"
    reader = run(READER, str(stop))
    writers = [run(WRITER) for _ in range(4)]  # 4 x 10 exports of two bundles, all at once
    failures = [w.communicate(timeout=300)[1] for w in writers if w.wait(timeout=300) != 0]
    stop.touch()
    assert not failures, failures[0][-2000:]
    out, err = reader.communicate(timeout=120)
    assert reader.returncode == 0, err[-2000:]
    seen, empty = map(int, out.split())
    assert seen > 0 and empty == 0
    folders = list((static / "models").iterdir())
    assert len(folders) == 2 and not [p for p in folders if p.name.startswith(".")]


def test_an_unwritable_static_folder_is_a_clear_error(tmp_path, monkeypatch):
    (tmp_path / "file").write_text("not a folder")
    monkeypatch.setattr(static_files, "STATIC", tmp_path / "file" / "static")
    with pytest.raises(static_files.Unavailable, match="cannot be written"):
        static_files.publish("models", "x", {"f": b"1"})


@pytest.mark.parametrize("page, query", [(None, {"model": "mnist-vae-2d"}), ("generating", {}), ("replay", {}),
                                         ("beta", {})])
def test_where_static_cannot_be_written_the_server_draws_the_maps(tmp_path, monkeypatch, page, query):
    """Before: a read-only checkout showed a PermissionError traceback in place of every browser map."""
    (tmp_path / "file").write_text("not a folder")
    monkeypatch.setattr(static_files, "STATIC", tmp_path / "file" / "static")
    map_component._mount.cache_clear()
    monkeypatch.setattr(map_component, "_MODELS", static_files.Published("models"))
    if page is None:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    else:
        at = AppTest.from_string(
            f"import sys\nsys.path.insert(0, {str(ROOT)!r})\nimport app\nfrom views.lessons import LESSONS\n"
            f"app.pages()\ndict((l.path, l.render) for l in LESSONS)[{page!r}]()", default_timeout=120)
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    notes = [c.value for c in at.caption if "Drawn by the server" in c.value]
    assert notes and all("Traceback" not in n for n in notes)
    assert at.get("plotly_chart"), "no server-drawn map"
    map_component._mount.cache_clear()


def test_the_map_and_the_traversal_of_one_bundle_keep_their_files_side_by_side(static):
    """The map may carry a t-SNE computed on demand that the traversal's files lack: publishing one
    set must not remove the other's (they are different owners)."""
    m = catalog.load_model("mnist-ae-16")
    with_tsne = map_component.model_url(m, ["pca", "tsne"])
    stored = map_component.model_url(m, ["pca"])
    assert with_tsne != stored
    for url in (with_tsne, stored):
        assert (static / url.removeprefix("app/static/") / webexport.MANIFEST).is_file()


def test_a_read_only_install_builds_the_files_once_then_remembers_why_not(tmp_path, monkeypatch):
    (tmp_path / "file").write_text("not a folder")
    monkeypatch.setattr(static_files, "STATIC", tmp_path / "file" / "static")
    built = []
    cache = static_files.Published("models")
    for _ in range(3):
        with pytest.raises(static_files.Unavailable):
            cache.get("key", "owner", lambda: built.append(1) or {"f": b"1"})
    assert len(built) == 1
