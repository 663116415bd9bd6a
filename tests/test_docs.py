"""The README and docs/ hold together: every relative link resolves (a page moved or renamed
fails here), and every command they name answers --help (a command renamed, or one that would
run instead of saying what it does, fails here)."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT

PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")
COMMAND = re.compile(r"python3? -m ([A-Za-z_][\w.]*)")
NOT_OURS = {"pytest", "pip", "http.server"}
SUBCOMMAND = re.compile(r"latent-explorer ([a-z][a-z-]*)\b")


def relative_links(page: Path) -> list[str]:
    return [t for t in LINK.findall(page.read_text()) if not re.match(r"[a-z]+:", t) and not t.startswith("#")]


def test_the_readme_is_short_and_every_page_is_linked_from_the_docs_index():
    assert len((ROOT / "README.md").read_text().splitlines()) <= 200
    index = (ROOT / "docs" / "README.md").read_text()
    for page in PAGES[1:]:
        assert page.name == "README.md" or f"({page.name})" in index, f"{page.name} is not in docs/README.md"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves(page):
    missing = [t for t in relative_links(page) if not (page.parent / t.split("#")[0]).exists()]
    assert not missing, f"{page.relative_to(ROOT)} links to {missing}"


def test_every_command_the_docs_name_answers_help():
    modules = sorted({m for page in PAGES for m in COMMAND.findall(page.read_text())} - NOT_OURS)
    assert "explorer.train" in modules and "ui.serve" in modules  # the reader found them
    subcommands = sorted({c for page in PAGES for c in SUBCOMMAND.findall(page.read_text())})
    from explorer import cli

    assert set(cli.COMMANDS) <= set(subcommands), f"the docs never name {sorted(set(cli.COMMANDS) - set(subcommands))}"
    commands = [[m] for m in modules] + [["explorer.cli", c] for c in subcommands]
    # One fresh interpreter asks them all in turn, as `python -m MODULE ... --help` would (a process each
    # would spend most of its time importing torch again)
    done = subprocess.run([sys.executable, "-c", ASK_ALL, json.dumps(commands)], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    answers = json.loads(done.stdout.splitlines()[-1])
    assert len(answers) == len(commands)
    wrong = [(m, rc, out[:200]) for m, rc, out in answers if rc != 0 or len(out.strip()) < 40]
    assert not wrong, wrong


ASK_ALL = """
import contextlib, io, json, runpy, sys
answers = []
for command in json.loads(sys.argv[1]):
    out, rc = io.StringIO(), 0
    sys.argv = [command[0], *command[1:], "--help"]
    try:
        with contextlib.redirect_stdout(out):
            runpy.run_module(command[0], run_name="__main__", alter_sys=True)
    except SystemExit as e:
        rc = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    except Exception as e:
        rc, out = 1, io.StringIO(f"{type(e).__name__}: {e}")
    answers.append((" ".join(command), rc, out.getvalue()))
print(json.dumps(answers))
"""


def test_every_figure_a_benchmark_recorded_is_linked_from_the_measured_page():
    """bench/record.py writes docs/measured/<bench>.md; each is linked and names a benchmark that is there."""
    measured = (ROOT / "docs" / "measured.md").read_text()
    for file in sorted((ROOT / "docs" / "measured").glob("*.md")):
        assert f"(measured/{file.name})" in measured, f"docs/measured.md does not link {file.name}"
        assert (ROOT / "bench" / f"{file.stem}.py").is_file(), f"{file.name}: no bench/{file.stem}.py"
        assert file.read_text().startswith(f"# `python bench/{file.stem}.py")
