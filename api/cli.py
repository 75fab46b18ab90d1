"""The ``patchmap`` command line: db, import, demo, serve."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from sqlalchemy import Connection

from api.progress import RichProgress
from layers import migrate
from layers.db import make_engine
from layers.errors import ImportFailed, PatchmapError
from layers.importers.report import ImportReport, Progress
from layers.settings import Settings

app = typer.Typer(help="Patchmap: community asset mapping for UK councils.", no_args_is_help=True)
db_app = typer.Typer(help="Database: migrations and status.", no_args_is_help=True)
import_app = typer.Typer(help="Import data. Each import is one transaction with a summary.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(import_app, name="import")
console = Console(stderr=True)

AllowRejects = Annotated[
    bool, typer.Option("--allow-rejects", help="Load the good rows even when some are rejected.")
]


def _print_report(report: ImportReport) -> None:
    for i, line in enumerate(report.summary_lines()):
        console.print(line if i else f"[bold]{line}[/bold]", highlight=False, markup=i == 0)


@contextmanager
def _transaction(settings: Settings) -> Iterator[tuple[Connection, Progress]]:
    """One transaction and a progress bar; on any error the database is left as it was."""
    engine = make_engine(settings.database)
    try:
        with RichProgress(console) as progress, engine.begin() as conn:
            yield conn, progress
    except ImportFailed as exc:
        if exc.report is not None:
            _print_report(exc.report)  # type: ignore[arg-type]
        console.print(f"[red]Import failed:[/red] {exc.message}\n{exc.detail}", highlight=False, markup=True)
        raise typer.Exit(1) from None
    except PatchmapError as exc:
        console.print(f"[red]Error:[/red] {exc.message}\n{exc.detail}", highlight=False)
        raise typer.Exit(1) from None
    finally:
        engine.dispose()


def run_import(step: Callable[[Connection, Progress], list[ImportReport] | ImportReport]) -> None:
    """Run one import step in a transaction and print its summary."""
    settings = Settings()
    with _transaction(settings) as (conn, progress):
        result = step(conn, progress)
    for report in result if isinstance(result, list) else [result]:
        _print_report(report)
    console.print("[green]Committed.[/green]")


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply migrations (creates the PostGIS extension if it is missing)."""
    settings = Settings()
    try:
        migrate.upgrade(settings.database, revision)
    except PatchmapError as exc:
        console.print(f"[red]Error:[/red] {exc.message}\n{exc.detail}", highlight=False)
        raise typer.Exit(1) from None
    console.print(f"database at revision {migrate.current(settings.database)}")


@db_app.command("downgrade")
def db_downgrade(revision: str = typer.Argument("base")) -> None:
    """Revert migrations down to REVISION (default: base, an empty database)."""
    migrate.downgrade(Settings().database, revision)


@db_app.command("status")
def db_status() -> None:
    """Show the migration revision and row counts."""
    from layers.demo import table_counts

    settings = Settings()
    console.print(f"revision: {migrate.current(settings.database)}")
    engine = make_engine(settings.database)
    with engine.connect() as conn:
        for table, n in table_counts(conn).items():
            console.print(f"  {table}: {n}")


@import_app.command("boundaries")
def import_boundaries_cmd(
    path: Path,
    kind: Annotated[str, typer.Option(help="ward, district, lsoa or county")],
    code_field: str | None = None,
    name_field: str | None = None,
    parent_field: str | None = None,
    vintage: str | None = None,
    crs: Annotated[str | None, typer.Option(help="the file's CRS when it does not say, e.g. EPSG:27700")] = None,
    layer: str | None = None,
    allow_rejects: AllowRejects = False,
) -> None:
    """Import boundaries from GeoJSON, GeoPackage, zipped Shapefile or CSV with WKT, in any CRS."""
    from layers.importers.boundaries import import_boundaries

    settings = Settings()
    run_import(lambda conn, progress: import_boundaries(
        conn, path, kind=kind, code_field=code_field, name_field=name_field, parent_field=parent_field,
        vintage=vintage, crs=crs, layer=layer, allow_rejects=allow_rejects,
        subdivide_max_vertices=settings.geo.subdivide_max_vertices, progress=progress,
    ))


@app.command("demo")
def demo(
    if_empty: Annotated[bool, typer.Option("--if-empty", help="Do nothing when data is already loaded.")] = False,
) -> None:
    """Load the Norfolk demo: wards, LSOAs, IoD2019, Norwich OSM hubs and spaces, and 70 groups."""
    from layers.demo import is_loaded, load_demo

    settings = Settings()
    engine = make_engine(settings.database)
    with engine.connect() as conn:
        if if_empty and is_loaded(conn):
            console.print("demo data already loaded; nothing to do")
            return
    run_import(lambda conn, progress: load_demo(conn, settings, progress))


@app.command("serve")
def serve(
    host: str | None = None, port: int | None = None, workers: int | None = None
) -> None:
    """Serve the app with uvicorn and print its addresses."""
    import uvicorn

    settings = Settings()
    host = host or settings.server.host
    port = port or settings.server.port
    base = f"http://{host}:{port}"
    console.print(f"Patchmap is at [bold]{base}/[/bold]  API docs: {base}/docs  health: {base}/health")
    uvicorn.run(
        "api.main:create_app", factory=True, host=host, port=port,
        workers=workers or settings.server.workers, log_level="info",
    )


if __name__ == "__main__":
    app()
