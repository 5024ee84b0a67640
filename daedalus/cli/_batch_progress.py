"""Progress of a batch: one bar for the whole batch (done of total, spend, ETA) and a line
per run state change; a summary table at the end.

On a terminal the bar redraws and the lines print above it; elsewhere (CI logs, pipes) only the
lines are printed, one per change.
"""

from __future__ import annotations

from types import TracebackType

from rich import box
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from daedalus.batch import BatchResult, RunUpdate

__all__ = ["BatchProgress", "summary_table"]


class BatchProgress:
    """A sink for ``run_batch(on_update=...)``, used as a context manager."""

    def __init__(
        self, console: Console, total: int, *, done: int = 0, quiet: bool = False,
        live: bool | None = None,
    ) -> None:
        self.console, self.total, self.quiet = console, total, quiet
        self.live = console.is_terminal if live is None else live
        self.done, self.spent, self.calls = done, 0.0, 0
        self._progress: Progress | None = None
        self._task: TaskID | None = None

    def __enter__(self) -> BatchProgress:
        if self.live and not self.quiet:
            self._progress = Progress(
                TextColumn("batch"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("${task.fields[spent]:.4f}"),
                TextColumn("eta"),
                TimeRemainingColumn(),
                TimeElapsedColumn(),
                console=self.console,
            )
            self._progress.start()
            self._task = self._progress.add_task(
                "batch", total=self.total, completed=self.done, spent=0.0
            )
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def __call__(self, update: RunUpdate) -> None:
        if update.state in ("completed", "failed"):
            self.done += 1
            self.spent += update.cost_usd
            self.calls += update.calls
        if self.quiet:
            return
        self.console.print(
            describe_update(update, self.done, self.total), highlight=False, soft_wrap=True
        )
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, completed=self.done, spent=self.spent)


def describe_update(update: RunUpdate, done: int, total: int) -> str:
    """``[3/100] run_... board_meeting seed=2: completed (18 calls, $0.000000)``."""
    line = f"[{done}/{total}] {update.run_id} {update.label}: {update.state}"
    if update.state == "completed":
        line += f" ({update.calls} calls, ${update.cost_usd:.6f})"
    elif update.state == "retrying":
        line += f" after attempt {update.attempts}"
    if update.error:
        line += f": {update.error}"
    return line


def summary_table(result: BatchResult) -> Table:
    """Completed, failed, cost and calls of the batch, and where its record is."""
    record = result.record
    counts = record.counts()
    table = Table(title=f"batch {record.id}", box=box.SIMPLE_HEAD, title_justify="left")
    table.add_column("", style="bold")
    table.add_column("")
    table.add_row("runs", str(len(record.entries)))
    table.add_row("completed", str(counts["completed"]))
    table.add_row("failed", str(counts["failed"] + counts["pending"] + counts["running"]))
    table.add_row("cost", f"${record.cost_usd:.6f}")
    table.add_row("calls", str(record.calls))
    table.add_row("backend", f"{record.options.backend} ({record.options.workers} workers)")
    table.add_row("record", str(result.path))
    return table
