"""The README and docs/ hold together: every relative link resolves (a page moved or renamed
fails here), and every command they name answers --help (a command renamed, or one that would
run instead of saying what it does, fails here)."""

import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
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
    assert "train" in subcommands, subcommands
    commands = [["-m", m] for m in modules] + [["-m", "explorer.cli", c] for c in subcommands]

    def ask(command):
        done = subprocess.run([sys.executable, *command, "--help"], cwd=ROOT, capture_output=True, text=True,
                              timeout=120)
        return " ".join(command), done.returncode, done.stdout

    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(ask, commands))
    wrong = [(m, rc, out[:200]) for m, rc, out in answers if rc != 0 or len(out.strip()) < 40]
    assert not wrong, wrong


def test_every_figure_a_benchmark_recorded_is_linked_from_the_measured_page():
    """bench/record.py writes docs/measured/<bench>.md; each is linked and names a benchmark that is there."""
    measured = (ROOT / "docs" / "measured.md").read_text()
    for file in sorted((ROOT / "docs" / "measured").glob("*.md")):
        assert f"(measured/{file.name})" in measured, f"docs/measured.md does not link {file.name}"
        assert (ROOT / "bench" / f"{file.stem}.py").is_file(), f"{file.name}: no bench/{file.stem}.py"
        assert file.read_text().startswith(f"# `python bench/{file.stem}.py")
