"""Where a command writes, checked before it does any work, and writing that destroys nothing.

Every command that writes (train, evaluate --write, pca, classifier) asks here first, before it
reads any data, so that a mistyped or unwritable output fails in a second with a message instead
of after an hour of training:

- ``check_writable(folder)``: a new file can be created there (tried for real);
- ``check_replaceable_bundle(path)``: ``path`` is absent, an empty folder or a bundle, so writing
  a bundle there replaces nothing the user made;
- ``write_file(target, write)``: a file written beside its target under a unique name, then
  renamed over it; on failure only that temporary file is removed.

Each check raises OutputError with a message naming the path and saying why. One input is checked
here too, as every command takes it: ``data_dir_problem`` refuses a --data-dir that is not a
folder (the dataset search would otherwise skip it silently and find another copy, or none).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from explorer.files import safe as safefiles
from explorer.files import replace_file

BUNDLE_CONFIG = "config.json"  # the file that makes a folder a bundle (explorer/bundles/bundle.py)
BUNDLE_FIELDS = ("format_version", "model")  # fields bundle.save always writes into it


class OutputError(RuntimeError):
    """A place a command would write cannot take its output, or holds something it must not
    replace. The message names the path and says why."""


def _nearest_existing(path: Path) -> Path:
    """``path`` itself when it exists, else its closest ancestor that does (the folder in which
    the missing ones would be created)."""
    path = Path(os.path.abspath(path))
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def check_writable(folder) -> None:
    """Raise OutputError unless a file can be created in ``folder``, or, when ``folder`` does
    not exist yet, in the closest ancestor that does (where it would be made).

    The check creates a uniquely named empty file and removes it: ``os.access`` answers yes for
    root on any folder, and knows nothing of read-only mounts or full disks."""
    folder = Path(folder)
    where = _nearest_existing(folder)
    missing = where != Path(os.path.abspath(folder))
    if not where.is_dir():
        raise OutputError(f"{folder}: cannot be created, {where} is a file" if missing
                          else f"{folder}: is a file, not a folder")
    try:
        fd, probe = tempfile.mkstemp(prefix=".write-check-", dir=where)
    except OSError as e:
        why = e.strerror or str(e)
        raise OutputError(f"{folder}: cannot be created, nothing can be written in {where} ({why})" if missing
                          else f"{folder}: nothing can be written in it ({why})") from e
    os.close(fd)
    os.unlink(probe)


def is_bundle(path) -> bool:
    """Whether ``path`` is a folder that explorer.bundles.bundle wrote: its config.json parses to a JSON
    object holding the fields bundle.save always writes (format_version, model)."""
    file = Path(path) / BUNDLE_CONFIG
    try:
        config = safefiles.read_json(file, OutputError)  # bounded: a FIFO or /dev/zero is no bundle
    except OutputError:
        return False
    return isinstance(config, dict) and all(k in config for k in BUNDLE_FIELDS)


def check_replaceable_bundle(path) -> None:
    """Raise OutputError unless writing a bundle at ``path`` replaces nothing but a bundle:
    ``path`` must be absent, an empty folder, or a bundle (is_bundle)."""
    path = Path(path)
    if not path.exists() and not path.is_symlink():
        return
    if not path.is_dir():
        raise OutputError(f"{path}: is a file, not a bundle folder; refusing to replace it "
                          "(choose another place, or move the file away)")
    if is_bundle(path) or not any(path.iterdir()):
        return
    raise OutputError(f"{path}: is a folder that is not a bundle (no {BUNDLE_CONFIG} with "
                      f"{' and '.join(BUNDLE_FIELDS)}); refusing to replace what is in it "
                      "(choose a new or an empty folder)")


def check_bundle_output(path) -> None:
    """Everything ``bundle.save(..., path)`` needs, checked before any work: ``path`` replaces
    nothing but a bundle, its parent (where the temporary folder is made and renamed) can be
    written, and an old bundle there can be removed once replaced."""
    path = Path(path)
    check_replaceable_bundle(path)
    check_writable(path.parent)
    if path.is_dir():
        check_writable(path)


def bundle_output_problem(out) -> str | None:
    """Why a command cannot write its bundle at ``out`` (check_bundle_output), as the commands
    print it (naming --out), or None."""
    try:
        check_bundle_output(out)
    except OutputError as e:
        return f"--out: {e}"
    return None


def write_failure(e: Exception) -> str:
    """Why a write failed, in one line: the file and the system's reason for an OSError (checked
    before the work began, so something changed since), else the error's own message."""
    if isinstance(e, OSError) and e.strerror:
        return f"{e.filename}: {e.strerror}" if e.filename else e.strerror
    return str(e)


def write_file(target, write) -> Path:
    """Write ``target`` through ``write(temporary_path)``, then rename it into place (files.py:
    a unique temporary name beside the target, so nothing else is ever overwritten or removed)."""
    replace_file(Path(target), write)
    return Path(target)


def files_problem(data_dir, out, targets, what: str) -> str | None:
    """Why a command that reads ``data_dir`` cannot write its ``targets`` (files) into the folder
    ``out``, or None: the data folder (data_dir_problem), a target that is a folder, ``out`` not
    writable. Messages name the option, as the commands print them."""
    problem = data_dir_problem(data_dir)
    if problem:
        return problem
    for target in targets:
        if Path(target).is_dir():
            return f"--out: {target} is a folder, where {what} would go"
    try:
        check_writable(out)
    except OutputError as e:
        return f"--out: {e}"
    return None


def data_dir_problem(path) -> str | None:
    """Why ``path``, given as --data-dir, cannot be searched for datasets, or None (also for no
    path: then the usual places are searched, see explorer/data/__init__.py)."""
    if path is None:
        return None
    folder = Path(path).expanduser()
    if not folder.exists():
        return f"--data-dir {path}: no such folder"
    if not folder.is_dir():
        return f"--data-dir {path}: is a file, not a folder"
    return None
