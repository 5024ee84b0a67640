"""How a finished run is shown: the summary table, where its exports went, or one JSON object."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import structlog
import typer
from rich import box
from rich.console import Console
from rich.table import Table

from daedalus.runs import Run

__all__ = [
    "dollars",
    "exports_line",
    "logs_to_stderr",
    "print_outcome",
    "summary_json",
    "summary_table",
]


def _stderr_logger(*args: Any) -> structlog.PrintLogger:
    # sys.stderr is read at each use, so a swapped stream (a test runner's) is always current
    return structlog.PrintLogger(file=sys.stderr)


def logs_to_stderr() -> None:
    """Send log lines (retries, fallbacks) to stderr: stdout carries only results, so
    ``--json`` output stays parseable whatever a model provider does."""
    structlog.configure(logger_factory=_stderr_logger, cache_logger_on_first_use=False)


def dollars(amount: float) -> str:
    """``$0.0123``; tiny amounts keep six decimals so they never read as zero."""
    if amount == 0:
        return "$0"
    return f"${amount:.6f}" if amount < 0.01 else f"${amount:.4f}"


def _model(summary: Mapping[str, Any]) -> str:
    if summary["offline"]:
        return "OFFLINE (offline model: no network, no cost)"
    return str(summary["model"])


def _dollars_row(summary: Mapping[str, Any]) -> str:
    """Billed dollars, plus the worst case of requests whose answer never arrived."""
    billed = dollars(float(summary["cost_usd"]))
    calls = int(summary.get("in_doubt_calls", 0))
    if not calls:
        return billed
    doubt = dollars(float(summary["in_doubt_usd"]))
    return f"{billed} + up to {doubt} in doubt ({calls} requests sent, never answered)"


def _timepoints(summary: Mapping[str, Any]) -> str:
    """``6 (2 moments + 4 detail moments: beats inside a moment, ids .m1, .m2, ...)``."""
    total, detail = int(summary["timepoints"]), int(summary.get("detail_moments", 0))
    if not detail:
        return str(total)
    return (f"{total} ({total - detail} moments + {detail} detail moments: beats inside a "
            "moment, ids .m1, .m2, ...)")


def summary_table(summary: Mapping[str, Any], extra: Sequence[tuple[str, str]] = ()) -> Table:
    """Two columns: what and how much, for ``Run.summary()`` (plus ``extra`` rows)."""
    title = (
        f"{summary['run']}  {summary['template']} · {summary['mode']} · {summary['status']}"
    )
    table = Table(title=title, box=box.SIMPLE_HEAD, show_header=False, title_justify="left")
    table.add_column("what", style="bold")
    table.add_column("value", overflow="fold")
    prompt, completion = summary["prompt_tokens"], summary["completion_tokens"]
    fired = summary["mechanisms_fired"]
    rows = [
        ("model", _model(summary)),
        ("timepoints", _timepoints(summary)),
        ("dialogs", f"{summary['dialogs']} ({summary['turns']} turns)"),
        ("exposures", str(summary["exposures"])),
        ("calls", f"{summary['calls']} ({summary['cache_hits']} from cache)"),
        ("tokens", f"{prompt + completion:,} ({prompt:,} prompt + {completion:,} completion)"),
        ("dollars", _dollars_row(summary)),
        ("mechanisms", f"{' '.join(fired)} ({len(fired)} fired)" if fired else "none"),
        *extra,
    ]
    for what, value in rows:
        table.add_row(what, value)
    return table


def _shown(path: Path) -> str:
    """``path`` relative to the working directory when it lies below it."""
    try:
        return os.path.relpath(path) if path.is_absolute() else str(path)
    except ValueError:  # another drive on Windows
        return str(path)


def exports_line(paths: Mapping[str, Path]) -> str:
    """``exports in DIR: run.json, narrative.md, ...`` (or a note that none were written)."""
    if not paths:
        return "exports: none written"
    folders = sorted({str(path.parent) for path in paths.values()})
    names = ", ".join(path.name for path in paths.values())
    where = _shown(Path(folders[0])) if len(folders) == 1 else ", ".join(folders)
    return f"exports in {where}: {names}"


def summary_json(run: Run, paths: Mapping[str, Path], **extra: Any) -> str:
    """``Run.summary()`` plus the store, the exports written and ``extra`` keys, as JSON."""
    data = {
        **run.summary(),
        "store": str(run.layout.root),
        "exports": {key: str(path) for key, path in paths.items()},
        **extra,
    }
    return json.dumps(data, indent=2, ensure_ascii=False)


def print_outcome(
    console: Console,
    run: Run,
    paths: Mapping[str, Path],
    *,
    as_json: bool,
    extra_rows: Sequence[tuple[str, str]] = (),
    extra_json: Mapping[str, Any] | None = None,
    exports_note: bool = True,
) -> None:
    """The summary table and (``exports_note``) the exports line, or (``as_json``) the JSON
    object alone, written unstyled so a pipe can parse it."""
    if as_json:
        typer.echo(summary_json(run, paths, **dict(extra_json or {})))
        return
    console.print(summary_table(run.summary(), extra_rows))
    if exports_note:
        console.print(exports_line(paths), highlight=False)
    if run.status != "completed":
        console.print(f"resume with: daedalus resume {run.id}")
