"""deploy/Dockerfile read as data, for the tests that check it against the code
(tests/test_container.py) and run its steps without Docker (tests/test_browser_install.py)."""

import json
import shlex
from pathlib import Path

from .conftest import ROOT

DOCKERFILE = ROOT / "deploy" / "Dockerfile"


def instructions(path: Path = DOCKERFILE) -> list[tuple[str, str]]:
    """(INSTRUCTION, its arguments) in order: continuation lines joined, comment lines left out
    wherever they stand (Docker drops them inside a continued instruction too)."""
    out, pending = [], ""
    for line in path.read_text().splitlines():
        if line.lstrip().startswith("#") or (not pending and not line.strip()):
            continue
        pending += line.rstrip()
        if pending.endswith("\\"):
            pending = pending[:-1] + " "
            continue
        word, _, rest = pending.strip().partition(" ")
        out.append((word.upper(), " ".join(rest.split())))
        pending = ""
    return out


def copied() -> list[str]:
    """The checkout's paths the image's COPY lines take (their sources)."""
    return [src for word, args in instructions() if word == "COPY" for src in shlex.split(args)[:-1]]


def command() -> list[str]:
    """The image's CMD, as its exec form's list."""
    return json.loads(next(args for word, args in instructions() if word == "CMD"))


def port() -> int:
    """The port the image's command serves on."""
    cmd = command()
    return int(cmd[cmd.index("--server.port") + 1])


def health_command() -> str:
    """The shell command of the image's HEALTHCHECK (after its options and CMD)."""
    args = next(args for word, args in instructions() if word == "HEALTHCHECK")
    return args.split(" CMD ", 1)[1]
