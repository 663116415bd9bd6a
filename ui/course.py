"""The course's order, shared by the lessons, the explore page's link to it and presentation
mode's controls: each lesson's URL path and title (filled from views/lessons/__init__.py), the
tour a presentation walks (the explore page, /compare, then the lessons) and each page's st.Page
(filled by app.py). Here, not in a page, so that no page imports another to find the next."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

# (url path, title): the course in order; app.py builds the pages from views/lessons/__init__.py
COURSE: list[tuple[str, str]] = []
# (url path, title): what a presentation walks through, in order: the explore page (path ""),
# /compare, then the course; filled by app.py
TOUR: list[tuple[str, str]] = []
PAGES_BY_PATH: dict[str, object] = {}  # url path -> its st.Page, filled by app.py


@dataclass(frozen=True)
class Lesson:
    """What a lesson page says of itself, in its own file (views/lessons/<name>.py): its URL path,
    titles and icon, how it renders, its typed page state (explorer/teaching/state.py), an example
    link's query that opens it in a state of its own (tests open it and read the state back), how
    many maps and charts its instrument draws (the page is read once they are drawn), and the
    shipped bundles whose measured facts it quotes."""

    path: str
    short: str  # the sidebar's title: "The bottleneck"
    title: str  # the page's title: "The bottleneck: what an autoencoder is"
    icon: str
    render: Callable[[], None]
    state: type
    example: dict[str, str] = field(default_factory=dict)
    charts: int = 0
    needs: tuple[str, ...] = ()


REGISTERED: dict[str, Lesson] = {}  # url path -> lesson, as each lesson's module registers itself


def lesson(**fields) -> Lesson:
    """Register a lesson (``Lesson``'s fields); views/lessons/__init__.py puts it in the course's order."""
    entry = Lesson(**fields)
    if entry.path in REGISTERED and REGISTERED[entry.path].render is not entry.render:
        raise ValueError(f"two lessons register the path {entry.path!r}")
    REGISTERED[entry.path] = entry
    return entry


def in_order(order: list[str]) -> list[Lesson]:
    """The registered lessons in ``order``; a lesson missing from the order, or a path in it that
    no lesson registers, is named."""
    unordered, unknown = sorted(set(REGISTERED) - set(order)), [p for p in order if p not in REGISTERED]
    if unordered or unknown:
        raise ValueError(f"the course's order and its lessons differ: not in the order {unordered}, "
                         f"in the order but no lesson {unknown} (views/lessons/__init__.py)")
    return [REGISTERED[p] for p in order]


def first_page():
    """The first lesson's page, or None before app.py has made the pages."""
    return PAGES_BY_PATH.get(COURSE[0][0]) if COURSE else None


def neighbours(path: str) -> dict[str, tuple[str, object]]:
    """The tour's pages after and before ``path``: {"next": (title, page), "previous": (title,
    page)}; empty off the tour, one-sided at its ends."""
    paths = [p for p, _ in TOUR]
    if path not in paths:
        return {}
    i = paths.index(path)
    out = {"next": i + 1 if i + 1 < len(paths) else None, "previous": i - 1 if i > 0 else None}
    return {k: (TOUR[j][1], PAGES_BY_PATH[TOUR[j][0]]) for k, j in out.items()
            if j is not None and TOUR[j][0] in PAGES_BY_PATH}


def tour() -> list[tuple[str, str, object]]:
    """Every page of the tour: (url path, title, page), in order."""
    return [(p, title, PAGES_BY_PATH[p]) for p, title in TOUR if p in PAGES_BY_PATH]
