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
