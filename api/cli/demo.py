"""``patchmap demo``: load the Norfolk demo data."""

from __future__ import annotations

from typing import Annotated

import typer

from api.cli.common import database, run_import, terminal
from layers.settings import Settings


def demo(
    if_empty: Annotated[
        bool, typer.Option("--if-empty", help="Do nothing when data is already loaded.")
    ] = False,
) -> None:
    """Load the Norfolk demo: wards, LSOAs, IoD2019, Norwich OSM hubs and spaces, and 70 groups."""
    from layers.importers.demo import is_loaded, load_demo

    settings = Settings()
    with database(settings) as engine, engine.connect() as conn:
        if if_empty and is_loaded(conn):
            terminal().print("demo data already loaded; nothing to do")
            return
    run_import(settings, lambda conn, progress: load_demo(conn, settings, progress, volunteering=True))
