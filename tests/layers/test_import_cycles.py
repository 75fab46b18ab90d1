"""No import cycles: the modules of layers, mapping and api import one another as a directed acyclic graph.

An edge is an import written in a module (``from a.b import c`` is an edge to ``a.b.c`` when that is a
module, else to ``a.b``). Python also runs a package's ``__init__`` when one of its modules is imported;
those implicit edges are left out, so a package may re-export its own modules (``layers.models``).
"""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGES = ("layers", "mapping", "api")


def _module_files() -> dict[str, Path]:
    """Every in-project module by dotted name (migration scripts, which Alembic loads by path, left out)."""
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if "versions" in parts and "migrations" in parts:
                continue
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


MODULES = _module_files()


def _edges(module: str, path: Path) -> set[str]:
    """The in-project modules ``module`` imports, as written."""
    is_package = path.name == "__init__.py"
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = module.split(".")
                anchor = parts if is_package else parts[:-1]
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, node.module] if node.module else anchor)
            else:
                base = node.module or ""
            names = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names]
        else:
            continue
        out.update(n for n in names if n in MODULES and n != module)
    return out


def import_graph() -> dict[str, set[str]]:
    """{module: the in-project modules it imports}."""
    return {name: _edges(name, path) for name, path in MODULES.items()}


def test_no_import_cycle() -> None:
    """A topological order of all modules exists; a cycle is named module by module."""
    try:
        tuple(graphlib.TopologicalSorter(import_graph()).static_order())
    except graphlib.CycleError as exc:
        pytest.fail(f"import cycle: {' -> '.join(exc.args[1])}")


def test_the_cycle_check_sees_a_cycle() -> None:
    """The check itself works: a made-up graph with a cycle is refused, and the real graph has edges."""
    with pytest.raises(graphlib.CycleError):
        tuple(graphlib.TopologicalSorter({"a": {"b"}, "b": {"a"}}).static_order())
    graph = import_graph()
    assert "layers.areas.postcodes" in graph["layers.offers.forms"]
    assert "layers.sql" in graph["layers.queries.search"]
    assert "layers.models.records" in graph["layers.models"]  # a package re-exporting its own modules


def test_one_sql_loader_and_one_postcode_rule() -> None:
    """SQL files are read in one place, and postcodes are recognised by one set of patterns."""
    readers = [
        n for n, p in MODULES.items() if '/ "sql"' in p.read_text() or 'files("layers.sql")' in p.read_text()
    ]
    assert readers == ["layers.sql"], readers
    patterns = [
        n
        for n, p in MODULES.items()
        if "[0-9][A-Z]{2}" in p.read_text() or "[A-Z]{1,2}[0-9]" in p.read_text()
    ]
    assert patterns == [], patterns
