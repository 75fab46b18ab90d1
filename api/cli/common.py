"""What every command shares: where it prints, one way to report a failure, one way to run a transaction.

A domain error (``layers.errors.PatchmapError``) ends a command the same way everywhere: the message in
red, what to do on the next line, exit status 1 (``domain_errors``); a failed import prints its report
first. Nothing is written when a command fails: each runs in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from rich.console import Console
from sqlalchemy import Connection, Engine

from api.progress import RichProgress
from layers.db import make_engine
from layers.errors import ImportFailed, PatchmapError
from layers.importers.report import ImportReport, Progress
from layers.settings import DatabaseSettings, Settings

#: Where every command prints (stderr, so a command's own output can be piped). Tests swap it.
console = Console(stderr=True)

T = TypeVar("T")

ImportStep = Callable[[Connection, Progress], list[ImportReport] | ImportReport]

AllowRejects = Annotated[
    bool, typer.Option("--allow-rejects", help="Load the good rows even when some are rejected.")
]


def option(metavar: str, text: str, *names: str) -> Any:
    """A ``typer.Option`` (called ``names``, if given) whose value is shown as ``metavar``, with help ``text``."""
    return typer.Option(*names, metavar=metavar, help=text)


def terminal() -> Console:
    """The console commands print to (this module's ``console``, read at each call so a test can swap it)."""
    return console


def _make_engine(settings: DatabaseSettings) -> Engine:
    """An engine for a command (this module's ``make_engine``, read at each call so a test can swap it)."""
    return make_engine(settings)


def fail(text: str, *, label: str = "Error:", code: int = 1) -> NoReturn:
    """Print ``label`` in red followed by ``text``, then end the command with exit status ``code``."""
    terminal().print(f"[red]{label}[/red] {text}", highlight=False)
    raise typer.Exit(code) from None


@contextmanager
def domain_errors() -> Iterator[None]:
    """Report a domain error raised inside (and a failed import's report) and exit with status 1."""
    try:
        yield
    except ImportFailed as exc:
        if isinstance(exc.report, ImportReport):
            print_report(exc.report)
        fail(f"{exc.message}\n{exc.detail}", label="Import failed:")
    except PatchmapError as exc:
        fail(f"{exc.message}\n{exc.detail}")


@contextmanager
def database(settings: Settings) -> Iterator[Engine]:
    """An engine for one command, disposed when it ends; a domain error inside is reported (exit 1)."""
    engine = _make_engine(settings.database)
    try:
        with domain_errors():
            yield engine
    finally:
        engine.dispose()


def in_transaction(settings: Settings, step: Callable[[Connection], T]) -> T:
    """Run ``step`` in one transaction: committed when it returns, rolled back when it raises."""
    with database(settings) as engine, engine.begin() as conn:
        result = step(conn)
    return result


def print_report(report: ImportReport) -> None:
    """Print an import's summary: the first line in bold, the rest as they are (no markup)."""
    for i, line in enumerate(report.summary_lines()):
        terminal().print(line if i else f"[bold]{line}[/bold]", highlight=False, markup=i == 0)


def run_import(settings: Settings, step: ImportStep) -> None:
    """Run one import in a transaction with a progress bar, record it in the audit log, print its summary."""
    with (
        database(settings) as engine,
        RichProgress(terminal()) as progress,
        engine.begin() as conn,
    ):
        result = step(conn, progress)
        reports = result if isinstance(result, list) else [result]
        audit(conn, "import", detail={
            "what": [r.what for r in reports], "loaded": sum(r.loaded for r in reports),
            "updated": sum(r.updated for r in reports),
        })  # fmt: skip
    for report in reports:
        print_report(report)
    terminal().print("[green]Committed.[/green]")


def audit(
    conn: Connection,
    action: str,
    *,
    object_type: str | None = None,
    object_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Append what the command line did to the audit log (the actor: an admin at the command line)."""
    from layers.access.audit import record
    from layers.access.scope import Actor

    actor = Actor(role="admin", name="command line")
    record(conn, actor, action, object_type=object_type, object_id=object_id, detail=detail)
