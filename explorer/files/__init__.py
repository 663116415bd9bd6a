"""Writing files so that a reader never sees half of one: write beside the target under a name no
other writer uses, then rename. Any number of threads and processes may write one target at once:
each rename is atomic (POSIX), so a reader sees one complete version or another."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def replace_file(target: Path, write) -> None:
    """Write ``target`` through ``write(temporary_path)`` and rename it into place. The temporary
    file is unique to this call (``.NAME.XXXXXX.tmp`` beside the target) and removed if writing fails."""
    target = Path(target)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        tmp.chmod(0o644)  # mkstemp makes a private file; what we write is for everyone to read
        tmp.replace(target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
