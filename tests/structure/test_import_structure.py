"""The package's shape, read from its own source: imports run one way (no cycle between
modules, none between rooms — the sub-packages and top modules), no module grows past
400 lines, and nobody outside a module uses its private names. Imports inside functions
and under ``TYPE_CHECKING`` count: hiding a cycle there is still a cycle."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "dlp_widgets"
MAX_LINES = 400


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def resolve(importer: str, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    package = importer if MODULES[importer].name == "__init__.py" else importer.rsplit(".", 1)[0]
    base = package.split(".")
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imports(name: str) -> dict[str, set[str]]:
    """The package's modules ``name`` imports, each with the names it takes from it."""
    found: dict[str, set[str]] = {}
    for node in ast.walk(ast.parse(MODULES[name].read_text())):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in MODULES:
                    found.setdefault(alias.name, set())
        elif isinstance(node, ast.ImportFrom):
            base = resolve(name, node)
            for alias in node.names:
                full = f"{base}.{alias.name}"
                if full in MODULES:  # `from . import catalogue`: the module itself
                    found.setdefault(full, set())
                elif base in MODULES:
                    found.setdefault(base, set()).add(alias.name)
    found.pop(name, None)
    return found


GRAPH = {name: imports(name) for name in MODULES}


def room(name: str) -> str:
    return ".".join(name.split(".")[:2])


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return groups


def is_package_init(name: str) -> bool:
    return MODULES[name].name == "__init__.py"


def test_no_import_cycle_between_modules():
    # a package's __init__ gathers its own modules for users; inside the package nobody
    # imports it back (that would be a cycle through the front door)
    edges = {a: set(bs) for a, bs in GRAPH.items()}
    assert cycles(edges) == []


def test_rooms_import_one_way():
    edges: dict[str, set[str]] = {}
    for a, bs in GRAPH.items():
        for b in bs:
            if room(a) != room(b):
                edges.setdefault(room(a), set()).add(room(b))
    assert cycles(edges) == [], "two rooms import each other: one of them imports against the direction"


def test_the_spec_needs_no_torch():
    # the Playground's review step reads shapes and costs from the spec alone
    for name, path in MODULES.items():
        if room(name) == "dlp_widgets.spec":
            tree = ast.parse(path.read_text())
            names = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
            names |= {(n.module or "").split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
            assert "torch" not in names, f"{path.relative_to(ROOT)} imports torch"


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_module_over_400_lines(name):
    lines = len(MODULES[name].read_text().splitlines())
    assert lines <= MAX_LINES, f"{MODULES[name].relative_to(ROOT)} has {lines} lines"


@pytest.mark.parametrize("path", sorted((ROOT / "js").glob("*.js")), ids=lambda p: p.name)
def test_no_front_end_module_over_400_lines(path):
    lines = len(path.read_text().splitlines())
    assert lines <= MAX_LINES, f"js/{path.name} has {lines} lines"


def test_nobody_uses_another_modules_private_names():
    used = []
    for importer, taken in GRAPH.items():
        for module, names in taken.items():
            used += [f"{importer} imports {module}.{n}" for n in names if n.startswith("_") and not n.startswith("__")]
        aliases = {}
        tree = ast.parse(MODULES[importer].read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                base = resolve(importer, node)
                aliases.update({a.asname or a.name: f"{base}.{a.name}" for a in node.names})
            elif isinstance(node, ast.Import):
                aliases.update({a.asname or a.name: a.name for a in node.names})
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and aliases.get(node.value.id) in MODULES
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
            ):
                used.append(f"{importer}:{node.lineno} uses {aliases[node.value.id]}.{node.attr}")
    assert used == []


def test_the_checks_see_a_cycle_and_a_private_name():
    # the checks above must be able to fail
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert GRAPH["dlp_widgets.engine.run"], "the import reader found no imports at all"
    assert "dlp_widgets.spec.catalogue" in GRAPH["dlp_widgets.spec.model"]
