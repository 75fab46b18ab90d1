"""What every command shares: where it prints, one way to report a failure, one way to run a transaction.

A domain error (``layers.errors.PatchmapError``) ends a command the same way everywhere: the message in
red, what to do on the next line, exit status 1 (``domain_errors``); a failed import prints its report
first. Nothing is written when a command fails: each runs in one transaction.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from rich.console import Console
from sqlalchemy import Connection, Engine

from api.progress import RichProgress
from layers.db import make_engine
from layers.errors import ImportFailed, PatchmapError
from layers.importers.report import ImportReport, Progress
from layers.settings import DatabaseSettings, Settings

#: Where commands print progress, messages and errors (stderr). Tests swap it.
console = Console(stderr=True)
#: Where commands print what they produce (stdout, so it can be piped or redirected). Tests swap it.
data_console = Console()
#: Repaired and rejected rows shown in an import's summary, each; the rest go to --report FILE.csv.
SHOWN_ROWS = 10

T = TypeVar("T")

ImportStep = Callable[[Connection, Progress], list[ImportReport] | ImportReport]

AllowRejects = Annotated[
    bool, typer.Option("--allow-rejects", help="Load the good rows even when some are rejected.")
]
ReportFile = Annotated[
    Path | None,
    typer.Option(
        "--report",
        metavar="FILE.csv",
        help="Write every rejected and repaired row (row, name, outcome, reason) to this CSV, also on failure.",
        dir_okay=False,
    ),
]


def option(metavar: str, text: str, *names: str) -> Any:
    """A ``typer.Option`` (called ``names``, if given) whose value is shown as ``metavar``, with help ``text``."""
    return typer.Option(*names, metavar=metavar, help=text)


def terminal() -> Console:
    """The console for progress, messages and errors (``console``, stderr; read at each call so a test can
    swap it)."""
    return console


def output() -> Console:
    """The console for what a command produces (``data_console``, stdout; read at each call)."""
    return data_console


def _make_engine(settings: DatabaseSettings) -> Engine:
    """An engine for a command (this module's ``make_engine``, read at each call so a test can swap it)."""
    return make_engine(settings)


def fail(text: str, *, label: str = "Error:", code: int = 1) -> NoReturn:
    """Print ``label`` in red followed by ``text``, then end the command with exit status ``code``."""
    terminal().print(f"[red]{label}[/red] {text}", highlight=False)
    raise typer.Exit(code) from None


@contextmanager
def domain_errors(report_file: Path | None = None) -> Iterator[None]:
    """Report a domain error raised inside (and a failed import's report, once) and exit with status 1."""
    try:
        yield
    except ImportFailed as exc:
        if isinstance(exc.report, ImportReport):
            write_report_file(report_file, [exc.report])
            print_report(exc.report, report_file, to=terminal())
            hint = (
                "Fix the file, or pass --allow-rejects to load the other rows."
                if exc.report.rejected
                else exc.detail
            )
            fail(f"{exc.message}\n{hint}", label="Import failed:")
        fail(f"{exc.message}\n{exc.detail}", label="Import failed:")
    except PatchmapError as exc:
        fail(f"{exc.message}\n{exc.detail}")


@contextmanager
def database(settings: Settings, report_file: Path | None = None) -> Iterator[Engine]:
    """An engine for one command, disposed when it ends; a domain error inside is reported (exit 1)."""
    engine = _make_engine(settings.database)
    try:
        with domain_errors(report_file):
            yield engine
    finally:
        engine.dispose()


def in_transaction(settings: Settings, step: Callable[[Connection], T]) -> T:
    """Run ``step`` in one transaction: committed when it returns, rolled back when it raises."""
    with database(settings) as engine, engine.begin() as conn:
        result = step(conn)
    return result


def print_report(report: ImportReport, report_file: Path | None = None, *, to: Console | None = None) -> None:
    """Print an import's summary (on stdout unless ``to``): the first line in bold, then at most SHOWN_ROWS
    repaired and rejected rows each, then the notes."""
    where = str(report_file) if report_file else None
    for i, line in enumerate(report.summary_lines(limit=SHOWN_ROWS, report_file=where)):
        (to or output()).print(
            line if i else f"[bold]{line}[/bold]", highlight=False, markup=i == 0, soft_wrap=True
        )


def write_report_file(path: Path | None, reports: list[ImportReport]) -> None:
    """Write every repaired and rejected row of ``reports`` to ``path`` (CSV with a BOM, for Excel)."""
    if path is None:
        return
    with path.open("w", newline="", encoding="utf-8-sig") as f:
        writer = csv.DictWriter(f, fieldnames=["import", "source", "row", "name", "outcome", "reason"])
        writer.writeheader()
        for report in reports:
            writer.writerows(report.issue_rows())
    terminal().print(f"Every repaired and rejected row: {path}", highlight=False)


def run_import(settings: Settings, step: ImportStep, report_file: Path | None = None) -> None:
    """Run one import in a transaction with a progress bar (stderr), record it in the audit log, print its
    summary (stdout) and write every repaired and rejected row to ``report_file``, if given."""
    with (
        database(settings, report_file) as engine,
        RichProgress(terminal()) as progress,
        engine.begin() as conn,
    ):
        result = step(conn, progress)
        reports = result if isinstance(result, list) else [result]
        audit(conn, "import", detail={
            "what": [r.what for r in reports], "loaded": sum(r.loaded for r in reports),
            "updated": sum(r.updated for r in reports),
        })  # fmt: skip
    write_report_file(report_file, reports)
    for report in reports:
        print_report(report, report_file)
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
