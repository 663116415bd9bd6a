"""Writing files so that a reader never sees half of one: write beside the target, then rename."""

from __future__ import annotations

from pathlib import Path


def replace_file(target: Path, write) -> None:
    """Write ``target`` through ``write(temporary_path)`` and rename it into place (an atomic
    replace on POSIX). The temporary file is removed if writing fails."""
    target = Path(target)
    tmp = target.with_name(target.name + ".tmp")
    try:
        write(tmp)
        tmp.chmod(0o644)
        tmp.replace(target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
