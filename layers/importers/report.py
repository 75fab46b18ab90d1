"""What an import did: rows loaded, updated, unchanged, repaired and rejected, each with a reason."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

from layers.errors import ImportFailed


class Progress(Protocol):
    """Where an importer reports progress (the CLI passes a rich progress bar; tests pass nothing)."""

    def start(self, description: str, total: int | None) -> None:
        """Begin a step of ``total`` units (None when unknown)."""

    def advance(self, n: int = 1) -> None:
        """``n`` more units are done."""


class NoProgress:
    """A Progress that shows nothing."""

    def start(self, description: str, total: int | None) -> None:
        """Ignore the step."""

    def advance(self, n: int = 1) -> None:
        """Ignore the advance."""


@dataclass(frozen=True)
class RowIssue:
    """One row that was rejected or repaired: where it is in the file and why."""

    row: int | str
    reason: str
    name: str = ""

    def __str__(self) -> str:
        label = f"row {self.row}" + (f" ({self.name})" if self.name else "")
        return f"{label}: {self.reason}"


@dataclass
class ImportReport:
    """Summary of one import. ``rows`` counts data rows read from the file(s)."""

    what: str
    source: str
    rows: int = 0
    loaded: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    skipped_reason: str = ""
    repaired: list[RowIssue] = field(default_factory=list)
    rejected: list[RowIssue] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def reject(self, row: int | str, reason: str, name: str = "") -> None:
        """Record a rejected row."""
        self.rejected.append(RowIssue(row, reason, name))

    def repair(self, row: int | str, reason: str, name: str = "") -> None:
        """Record a repaired row."""
        self.repaired.append(RowIssue(row, reason, name))

    def fail_if_rejected(self, allow_rejects: bool) -> None:
        """Raise ImportFailed (nothing written) when rows were rejected and that is not allowed."""
        if self.rejected and not allow_rejects:
            first = "; ".join(str(r) for r in self.rejected[:5])
            more = f" and {len(self.rejected) - 5} more" if len(self.rejected) > 5 else ""
            raise ImportFailed(
                f"{self.what}: {len(self.rejected)} of {self.rows} rows rejected in {self.source}; nothing was imported",
                f"{first}{more}. Fix the file, or pass --allow-rejects to load the other rows.",
                report=self,
            )

    def summary_lines(self, *, limit: int | None = None, report_file: str | None = None) -> Iterable[str]:
        """Human-readable lines for the CLI summary: at most ``limit`` repaired and rejected rows each (all
        when None), then how many more and where they all are (``report_file``)."""
        yield (
            f"{self.what} from {self.source}: {self.rows:,} rows read; {self.loaded:,} loaded, "
            f"{self.updated:,} updated, {self.unchanged:,} unchanged, {len(self.repaired):,} repaired, "
            f"{len(self.rejected):,} rejected"
            + (f", {self.skipped:,} skipped ({self.skipped_reason})" if self.skipped else "")
        )
        for label, issues in (("repaired", self.repaired), ("rejected", self.rejected)):
            shown = issues if limit is None else issues[:limit]
            for r in shown:
                yield f"  {label} {r}"
            if len(issues) > len(shown):
                where = (
                    f"every one is in {report_file}"
                    if report_file
                    else "pass --report FILE.csv to list them all"
                )
                yield f"  ... and {len(issues) - len(shown):,} more {label} rows: {where}"
        for n in self.notes:
            yield f"  note: {n}"

    def issue_rows(self) -> Iterable[dict[str, str]]:
        """Every repaired and rejected row, for a report file."""
        for outcome, issues in (("rejected", self.rejected), ("repaired", self.repaired)):
            for r in issues:
                yield {"import": self.what, "source": self.source, "row": str(r.row), "name": r.name,
                       "outcome": outcome, "reason": r.reason}  # fmt: skip


def fail(what: str, source: str, message: str, detail: str) -> ImportFailed:
    """A file-level failure (unreadable, wrong columns, no CRS): nothing is written."""
    return ImportFailed(f"{what}: {message} ({source}); nothing was imported", detail)
