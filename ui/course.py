"""The course's order, shared by the lessons, the explore page's link to it and app.py's arrow
keys: each lesson's URL path and title (filled from views/lessons/__init__.py) and its st.Page
(filled by app.py). Here, not in a page, so that no page imports another to find the next."""

from __future__ import annotations

# (url path, title): the course in order; app.py builds the pages from views/lessons/__init__.py
COURSE: list[tuple[str, str]] = []
PAGES_BY_PATH: dict[str, object] = {}  # url path -> its st.Page, filled by app.py


def first_page():
    """The first lesson's page, or None before app.py has made the pages."""
    return PAGES_BY_PATH.get(COURSE[0][0]) if COURSE else None


def neighbours(path: str) -> dict[str, object]:
    """The pages of the lessons after and before ``path`` ({"next": ..., "previous": ...}; empty off
    the course, one-sided at its ends)."""
    paths = [p for p, _ in COURSE]
    if path not in paths:
        return {}
    i = paths.index(path)
    out = {"next": paths[i + 1] if i + 1 < len(paths) else None, "previous": paths[i - 1] if i > 0 else None}
    return {k: PAGES_BY_PATH[p] for k, p in out.items() if p in PAGES_BY_PATH}
