"""The course's order, shared by the lessons, the explore page's link to it and presentation
mode's controls: each lesson's URL path and title (filled from views/lessons/__init__.py), the
tour a presentation walks (the explore page, /compare, then the lessons) and each page's st.Page
(filled by app.py). Here, not in a page, so that no page imports another to find the next."""

from __future__ import annotations

# (url path, title): the course in order; app.py builds the pages from views/lessons/__init__.py
COURSE: list[tuple[str, str]] = []
# (url path, title): what a presentation walks through, in order: the explore page (path ""),
# /compare, then the course; filled by app.py
TOUR: list[tuple[str, str]] = []
PAGES_BY_PATH: dict[str, object] = {}  # url path -> its st.Page, filled by app.py


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
