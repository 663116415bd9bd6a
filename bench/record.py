"""A benchmark's figures written into the docs by the benchmark itself: run any script in bench/
with ``--record`` and what it prints goes to docs/measured/<script>.md (the command, the date and
the machine above it), which docs/measured.md links. Prose never carries a figure by hand that a
benchmark can write.

    if __name__ == "__main__":
        with record.run(__file__):
            main()
"""

from __future__ import annotations

import contextlib
import datetime
import io
import os
import platform
import shlex
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "docs" / "measured"
FLAG = "--record"


class _Tee(io.TextIOBase):
    def __init__(self, *streams):
        self.streams = streams

    def write(self, s):
        for stream in self.streams:
            stream.write(s)
        return len(s)

    def flush(self):
        for stream in self.streams:
            stream.flush()


def machine() -> str:
    import torch

    return (f"{os.cpu_count()} cores ({platform.machine()}), Python {platform.python_version()}, "
            f"torch {torch.__version__}, {platform.system()}")


@contextlib.contextmanager
def run(script: str):
    """Tee stdout while the benchmark runs; with ``--record`` (taken out of sys.argv first, so the
    script's own options parse as before) write it to docs/measured/<script>.md once the run ends
    without an exception."""
    on = FLAG in sys.argv
    if on:
        sys.argv.remove(FLAG)
    printed, saved = io.StringIO(), sys.stdout
    sys.stdout = _Tee(saved, printed)
    try:
        yield
    except SystemExit as e:
        if e.code not in (0, None):
            on = False
        raise
    except BaseException:
        on = False
        raise
    finally:
        sys.stdout = saved
        if on:
            write(Path(script).stem, " ".join(shlex.quote(a) for a in sys.argv[1:]), printed.getvalue())


def write(name: str, args: str, text: str) -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    file = OUT / f"{name}.md"
    command = f"python bench/{name}.py" + (f" {args}" if args else "")
    file.write_text(f"# `{command}`\n\nWritten by the benchmark itself (`{FLAG}`) on "
                    f"{datetime.date.today().isoformat()}: {machine()}.\n\n```text\n{text.rstrip()}\n```\n")
    print(f"recorded in {file.relative_to(OUT.parent.parent)}", file=sys.stderr)
    return file
