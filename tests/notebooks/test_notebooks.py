"""Every notebook in notebooks/ runs from top to bottom against the test database."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from layers.settings import Settings
from tests.conftest import ROOT

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks() -> None:
    assert NOTEBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_is_stored_without_outputs(path: Path) -> None:
    # Outputs (maps, tables) would bloat the repository and go stale; this test runs the notebooks instead.
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    stored = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and (c.outputs or c.execution_count)]
    assert not stored, f"{path.name}: clear the outputs of cells {stored} before saving"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    # The kernel is a child process: it reads the database URL from its environment, as under `make run`.
    monkeypatch.setenv("DATABASE_URL", settings.database.url)
    nb = nbformat.read(path, as_version=4)
    NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}
    ).execute()
    errors = [
        o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.output_type == "error"
    ]
    assert not errors
    assert os.environ["DATABASE_URL"] == settings.database.url
