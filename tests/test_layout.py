"""The code's shape (../shared/STYLE.md): pages are thin and independent, the library knows no
screen. Each rule is read from the source, so a change that breaks one fails here."""

import ast
from pathlib import Path

from .conftest import ROOT

LIBRARY_ONLY = {"numpy", "torch", "scipy", "sklearn"}  # what a computation needs


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{a.name}" for a in node.names}
    return found


def pages() -> list[Path]:
    """Every page module: views/*.py and the lessons, less the course's list and the lessons' frame."""
    return [p for p in sorted((ROOT / "views").rglob("*.py")) if p.name not in ("__init__.py", "common.py")]


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts)


def test_no_page_imports_another_page():
    names = {module_name(p) for p in pages()}
    for page in pages():
        found = sorted(i for i in imports(page) if i in names)
        assert not found, f"{module_name(page)} imports the page(s) {found}: move what they share into ui/"


def test_only_app_and_the_course_list_import_the_pages():
    for folder in ("ui", "explorer"):
        for path in (ROOT / folder).rglob("*.py"):
            assert not [i for i in imports(path) if i == "views" or i.startswith("views.")], path


def test_the_library_knows_no_screen():
    for path in (ROOT / "explorer").rglob("*.py"):
        assert not [i for i in imports(path) if i.split(".")[0] == "streamlit"], path


def test_pages_define_no_data_types_and_compute_nothing_themselves():
    """A page gathers input and shows output: no dataclass, no figure built by hand (explorer/teaching/figures.py
    builds them) and no torch, scipy or scikit-learn."""
    for page in pages():
        tree = ast.parse(page.read_text())
        assert not [n.name for n in ast.walk(tree) if isinstance(n, ast.ClassDef)], page
        found = {i.split(".")[0] for i in imports(page)} & (LIBRARY_ONLY - {"numpy"})
        assert not found, (page, found)
        assert "plotly" not in {i.split(".")[0] for i in imports(page)}, f"{page}: figures belong in explorer/teaching/figures.py"


def test_widget_keys_are_made_in_one_place():
    """No page or shared panel builds a session key with an f-string: ui/session.py makes them."""
    for path in [*pages(), *(ROOT / "ui").glob("*.py"), ROOT / "views/lessons/common.py"]:
        if path.name == "session.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.keyword) and node.arg == "key" and isinstance(node.value, ast.JoinedStr):
                raise AssertionError(f"{path.relative_to(ROOT)}:{node.lineno} builds a widget key with an f-string")
            if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.JoinedStr):
                target = ast.unparse(node.value)
                if "session_state" in target or target == "ss":
                    raise AssertionError(f"{path.relative_to(ROOT)}:{node.lineno} builds a session key with an f-string")


def project_imports(*folders: str) -> dict[str, set[str]]:
    """Each module of ``folders`` (packages of ours) and the modules of theirs it imports, at any
    level of the file (a function's import counts: it is a dependency all the same). ``from a
    import b`` depends on the module a.b where there is one, else on a; a package's own
    ``__init__`` running first is not counted, as it runs for any of its modules."""
    modules = {module_name(p).removesuffix(".__init__"): p for f in folders for p in (ROOT / f).rglob("*.py")}

    def used(path: Path) -> set[str]:
        found = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                found |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                subs = {f"{node.module}.{a.name}" for a in node.names} & modules.keys()
                found |= subs if len(subs) == len(node.names) else subs | {node.module}
        return found

    return {name: {i for i in used(path) if i in modules and i != name} for name, path in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan's algorithm)."""
    index, low, stack, on, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while not group or group[-1] != v:
                group.append(stack.pop())
                on.discard(group[-1])
            if len(group) > 1:
                found.append(sorted(group))

    for v in graph:
        if v not in index:
            visit(v)
    return found


def test_what_pages_share_has_no_import_cycle():
    """ui/'s modules import one another one way: the static-file writer is a leaf, and the command
    that writes every file ahead of time (ui/prepare.py) sits above the components it writes for."""
    graph = project_imports("ui")
    assert not [i for i in imports(ROOT / "ui" / "static_files.py") if i.split(".")[0] in ("ui", "explorer")]
    assert not cycles(graph), cycles(graph)


def test_the_project_has_no_import_cycle():
    """The library, the shared panels and the pages import one another one way: a cycle here means
    a module cannot be read (or imported alone) without the ones it leads back to."""
    graph = project_imports("explorer", "ui", "views")
    assert not cycles(graph), cycles(graph)


def test_the_library_is_grouped_by_feature():
    """explorer/'s top level is its public API, its command line and the `python -m` names kept for
    scripts: at most a dozen modules; everything else lives in a subpackage with a one-line story."""
    top = sorted(p.name for p in (ROOT / "explorer").glob("*.py"))
    assert len(top) <= 12, top
    for package in sorted(p.parent for p in (ROOT / "explorer").glob("*/__init__.py")):
        assert ast.get_docstring(ast.parse((package / "__init__.py").read_text())), f"{package} says nothing of itself"


def test_a_links_ignored_parts_are_told_in_one_notice():
    """Every page says what its link held that was ignored through ui/session.py's link_notice, in
    one wording; a page that words its own fails here."""
    for path in [*(ROOT / "views").rglob("*.py"), *(ROOT / "ui").glob("*.py")]:
        if path.name != "session.py":
            assert "link was ignored" not in path.read_text(), f"{path.relative_to(ROOT)} words its own link notice"
