"""``daedalus runs``, ``export`` and ``query``: look at what the store holds."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich import box
from rich.console import Console
from rich.table import Table

from daedalus.cli._failure import failures
from daedalus.cli._options import (
    FormatOption,
    JsonOption,
    OutOption,
    RunRef,
    StoreOption,
    checked_out,
    existing_store,
    open_run,
    parse_formats,
)
from daedalus.cli._report import dollars, exports_line
from daedalus.errors import ConfigError
from daedalus.store import DEFAULT_LIST_LIMIT, RunSummary, SqliteRunStore, StoreLayout

__all__ = ["export_command", "query_command", "runs_command"]


_WIDE = 120  # narrower consoles get the runs table without model, calls, tokens and start


def _runs_table(summaries: list[RunSummary], layout: StoreLayout, *, wide: bool) -> Table:
    """One row per run; below ``_WIDE`` columns the template and mode go under the run id, so
    an 80-column terminal shows every id, template and status whole."""
    table = Table(
        title=f"{len(summaries)} runs in {layout.root}", box=box.SIMPLE_HEAD, pad_edge=False,
        collapse_padding=True, title_justify="left",
    )
    table.add_column("id" if wide else "id / template · mode", no_wrap=wide)
    if wide:
        table.add_column("template", no_wrap=True)
        table.add_column("mode", no_wrap=True)
    table.add_column("status", no_wrap=True)
    if wide:
        table.add_column("model", overflow="fold")
    for column in ("timepoints", *(("calls", "tokens") if wide else ()), "dollars"):
        table.add_column(column, justify="right", no_wrap=True)
    if wide:
        table.add_column("started (UTC)", no_wrap=True)
    for s in summaries:
        if wide:
            named = [s.id, s.template, s.mode.value]
            extra = ["OFFLINE" if s.offline else s.model]
            usage = [str(s.calls), f"{s.tokens:,}"]
            started = [s.started_at.strftime("%Y-%m-%d %H:%M")]
        else:
            named, extra, usage, started = [f"{s.id}\n{s.template} · {s.mode.value}"], [], [], []
        table.add_row(
            *named, s.status, *extra, str(s.timepoints), *usage, dollars(s.cost_usd), *started,
        )
    return table


def runs_command(
    store: StoreOption = None,
    limit: Annotated[
        int, typer.Option("--limit", "-n", metavar="N", min=1, help="Show at most N runs.")
    ] = DEFAULT_LIST_LIMIT,
    template: Annotated[
        str | None, typer.Option("--template", "-t", metavar="ID", help="Only runs of this one.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """List the stored runs, newest first."""
    with failures():
        layout = StoreLayout.at(store)
        if not layout.runs_db.exists():
            summaries = []
        else:
            with SqliteRunStore(layout.runs_db) as runs:
                summaries = runs.list_runs(template=template, limit=limit)
        if as_json:
            typer.echo(json.dumps([s.model_dump(mode="json") for s in summaries], indent=2))
            return
        console = Console()
        if not summaries:
            console.print(f"no runs in {layout.root} yet; start one with `daedalus run <template>`")
            return
        console.print(_runs_table(summaries, layout, wide=console.width >= _WIDE))


def export_command(
    run_ref: RunRef,
    formats: FormatOption = None,
    out: OutOption = None,
    store: StoreOption = None,
) -> None:
    """Write a stored run's exports again (default: <store>/exports/<run id>/)."""
    with failures():
        chosen = parse_formats(formats)
        checked_out(out)
        run = open_run(existing_store(store), run_ref)
        paths = run.export(out, chosen)
        Console().print(f"run {run.id}: {exports_line(paths)}", highlight=False, soft_wrap=True)


def query_command(
    run_ref: RunRef,
    question: Annotated[
        str,
        typer.Argument(
            metavar="TEXT", help='A question about someone at a moment ("what did Ines know?").'
        ),
    ],
    model: Annotated[
        str | None,
        typer.Option("--model", "-m", metavar="ID", help="Answer with this model instead."),
    ] = None,
    store: StoreOption = None,
    as_json: JsonOption = False,
) -> None:
    """Ask what someone knew at a moment (M5): answered from provenance, with citations."""
    with failures():
        if not question.strip():
            raise ConfigError("the question is empty; ask about someone at a moment")
        run = open_run(existing_store(store), run_ref)
        answer = run.query(question.strip(), model=model)
        exposures = {event.id: event for event in run.exposures}
        cited = [exposures[i] for i in answer.cited if i in exposures]
        if as_json:
            data = answer.model_dump(mode="json", exclude={"updates"})
            data["run"] = run.id
            data["resolution_before"] = answer.resolution_before.name.lower()
            data["resolution_after"] = answer.resolution_after.name.lower()
            data["cited_exposures"] = [e.model_dump(mode="json") for e in cited]
            typer.echo(json.dumps(data, indent=2, ensure_ascii=False))
            return
        console = Console()
        who = run.entities.get(answer.entity_id)
        name = who.name if who is not None else answer.entity_id
        console.print(
            f"{name} at {answer.timepoint_id} (resolution {answer.resolution_before.name}"
            f" -> {answer.resolution_after.name})",
            highlight=False,
        )
        if answer.generated:
            console.print(f"generated on demand (M9): {', '.join(answer.generated)}")
        console.print(answer.answer.strip(), highlight=False)
        table = Table(title=f"cited exposures ({len(cited)})", box=box.SIMPLE_HEAD)
        for column in ("id", "kind", "from", "at", "information"):
            table.add_column(column, overflow="fold")
        for event in cited:
            table.add_row(
                event.id, event.kind.value, event.source or "", event.timepoint_id or "before",
                event.information,
            )
        console.print(table)
