"""A rich progress bar that implements ``layers.importers.report.Progress``."""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text


class CountColumn(ProgressColumn):
    """``12,345/32,844`` when the step's total is known; nothing (not ``0/?``) while it is not."""

    def render(self, task: Task) -> Text:
        if task.total is None:
            return Text("")
        return Text(f"{int(task.completed):,}/{int(task.total):,}", style="progress.download")


class RichProgress:
    """Progress shown on the terminal; one bar per step."""

    def __init__(self, console: Console) -> None:
        self._bar = Progress(
            SpinnerColumn(finished_text="✓"),
            TextColumn("{task.description}"),
            BarColumn(),
            CountColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )
        self._task: TaskID | None = None

    def __enter__(self) -> RichProgress:
        self._bar.start()
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._finish()
        self._bar.stop()

    def _finish(self) -> None:
        if self._task is not None:
            task = self._bar.tasks[-1]
            if task.total is None:
                self._bar.update(self._task, total=task.completed or 1, completed=task.completed or 1)

    def start(self, description: str, total: int | None) -> None:
        """Begin a new step."""
        self._finish()
        self._task = self._bar.add_task(description, total=total)

    def advance(self, n: int = 1) -> None:
        """Advance the current step."""
        if self._task is not None:
            self._bar.advance(self._task, n)
