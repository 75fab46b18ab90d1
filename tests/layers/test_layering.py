"""The import rules between packages: api → mapping → layers, checked by walking each module's AST.

``layers`` never imports fastapi, starlette or folium. ``mapping`` never imports anything that opens a
database, directly or through the ``layers`` modules it uses.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

from tests.conftest import ROOT

WEB = ("fastapi", "starlette", "folium", "branca", "uvicorn")
DATABASE = (
    "sqlalchemy",
    "psycopg",
    "psycopg_pool",
    "psycopg2",
    "asyncpg",
    "geoalchemy2",
    "alembic",
    "layers.db",
)


def _modules(package: str) -> list[str]:
    """Dotted names of every module in a package (its .py files)."""
    base = ROOT / package
    names = []
    for path in sorted(base.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def _path(module: str) -> Path | None:
    """The file of an in-project module, or None for a third-party one."""
    base = ROOT.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


@cache
def _imports(module: str) -> frozenset[str]:
    """Every module a module imports (absolute names), at any depth of its code, including its packages."""
    path = _path(module)
    assert path is not None, module
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = module.split(".")
                anchor = parts if is_package else parts[:-1]
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, node.module] if node.module else anchor)
            else:
                base = node.module or ""
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    # Importing a.b.c runs a/__init__.py and a/b/__init__.py too.
    for name in list(found):
        parts = name.split(".")
        found.update(".".join(parts[:i]) for i in range(1, len(parts)))
    return frozenset(found)


def _closure(module: str) -> dict[str, str]:
    """Every module reachable from ``module`` through in-project imports: {imported: who imported it}."""
    seen: dict[str, str] = {}
    todo = [module]
    while todo:
        current = todo.pop()
        for name in _imports(current):
            if name in seen:
                continue
            seen[name] = current
            if _path(name) is not None and name.split(".")[0] in {"layers", "mapping", "api"}:
                todo.append(name)
    return seen


def _hits(imported: set[str] | dict[str, str], banned: tuple[str, ...]) -> list[str]:
    return sorted(n for n in imported if any(n == b or n.startswith(b + ".") for b in banned))


@pytest.mark.parametrize("module", _modules("layers"))
def test_layers_knows_nothing_of_the_web(module: str) -> None:
    """layers imports neither fastapi, starlette nor folium (nor mapping or api)."""
    bad = _hits(set(_imports(module)), (*WEB, "mapping", "api"))
    assert not bad, f"{module} imports {bad}"


@pytest.mark.parametrize("module", _modules("mapping"))
def test_mapping_never_opens_a_database(module: str) -> None:
    """mapping imports nothing that opens a database, not even through the layers modules it uses."""
    reached = _closure(module)
    bad = _hits(reached, (*DATABASE, "api"))
    chains = [f"{name} (imported by {reached[name]})" for name in bad]
    assert not bad, f"{module} reaches {chains}"


def test_the_walk_finds_modules_and_imports() -> None:
    """The walk itself works: it sees the packages' modules and a known import chain."""
    assert "layers.areas.lookup" in _modules("layers")
    assert "mapping.pages" in _modules("mapping")
    assert "psycopg" in _imports("layers.areas.lookup")
    assert "folium" in _imports("mapping.pages")
    assert "layers.taxonomy" in _closure("mapping.pages")
    assert _hits(_closure("api.routes.areas"), ("psycopg",))  # api may reach the database
