"""The dependency direction of the design: `rules/` imports the standard library only, and nothing in
`rules/`, `integrations/` or `config/` imports `worker/`."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_rules_imports_only_the_standard_library_and_itself() -> None:
    """Every module in rules/ imports only stdlib modules or rules itself."""
    allowed = set(sys.stdlib_module_names) | {"rules", "__future__"}
    offenders = {
        str(path.relative_to(ROOT)): sorted(imported_modules(path) - allowed)
        for path in (ROOT / "rules").rglob("*.py")
        if imported_modules(path) - allowed
    }
    assert offenders == {}


def test_arrows_point_inwards() -> None:
    """integrations/ and config/ never import worker/; rules/ imports none of the outer packages."""
    forbidden = {
        "integrations": {"worker"},
        "config": {"worker", "integrations"},
        "rules": {"worker", "integrations", "config"},
    }
    offenders: dict[str, list[str]] = {}
    for package, banned in forbidden.items():
        for path in (ROOT / package).rglob("*.py"):
            hits = imported_modules(path) & banned
            if hits:
                offenders[str(path.relative_to(ROOT))] = sorted(hits)
    assert offenders == {}


def test_checker_sees_a_forbidden_import(tmp_path: Path) -> None:
    """The import scanner finds third-party imports, so the tests above can fail."""
    module = tmp_path / "m.py"
    module.write_text("import requests\nfrom sqlalchemy import text\nimport decimal\n")
    assert imported_modules(module) == {"requests", "sqlalchemy", "decimal"}


# ---- no two modules import each other, even for typing or inside a function ------------------------------------

PACKAGES = ("rules", "integrations", "worker", "config")
# None left: the outbox and review no longer import each other (review items are raised from worker.store). A module
# that joins a cycle fails below.
KNOWN_CYCLES: set[frozenset[str]] = set()


def module_names(root: Path) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in (root / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


def module_imports(name: str, path: Path, known: set[str]) -> set[str]:
    """Every module of ours that `name` imports, wherever the import statement is (typing-only ones included:
    they are a dependency of the design too)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(parts + ([base] if base else []))
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def import_cycles(root: Path) -> list[frozenset[str]]:
    """Strongly connected groups of modules (Tarjan), each a set of modules that import one another."""
    modules = module_names(root)
    graph = {name: module_imports(name, path, set(modules)) for name, path in modules.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[frozenset[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = set()
            while True:
                w = stack.pop()
                group.add(w)
                if w == v:
                    break
            if len(group) > 1:
                cycles.append(frozenset(group))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10 * len(graph)))
    for name in sorted(graph):
        if name not in index:
            visit(name)
    return cycles


def test_no_module_imports_one_that_imports_it_back() -> None:
    """Each layer only looks down: no import cycle among our modules (beyond the one named above)."""
    assert [sorted(c) for c in import_cycles(ROOT) if c not in KNOWN_CYCLES] == []


def test_cycle_finder_sees_a_cycle_through_a_typing_import_and_a_lazy_one(tmp_path: Path) -> None:
    pkg = tmp_path / "worker"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from worker.b import B\n")
    (pkg / "b.py").write_text("def f():\n    from . import c\n")
    (pkg / "c.py").write_text("from worker import a\n")
    (pkg / "d.py").write_text("from worker.a import thing\n")
    assert import_cycles(tmp_path) == [frozenset({"worker.a", "worker.b", "worker.c"})]
