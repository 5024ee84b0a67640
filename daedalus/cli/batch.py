"""``daedalus batch``: run many simulations at once, resume a batch, report on its outcomes.

``batch run TEMPLATE... --seeds 0-99 --set dialog.max_turns=4,8 --what-if TEXT`` runs the
cartesian product of the overrides and seeds of each template (what-if interventions become
branches of every run) on the local backend, a process pool or Ray, under a batch budget and a
per-run budget. Everything is checked before the first run starts. ``batch resume BATCH``
continues an interrupted batch, ``batch report BATCH`` writes its analysis and ``batch list``
shows the batches in the store.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from daedalus.batch import (
    BatchResult,
    analyze,
    parse_seeds,
    parse_set,
    resume_batch,
    run_batch,
    sweep,
    write_report,
)
from daedalus.batch._place import BatchPlace
from daedalus.cli._batch_progress import BatchProgress, summary_table
from daedalus.cli._errors import FAILED
from daedalus.cli._failure import failures
from daedalus.cli._options import BaseUrlOption, JsonOption, LatencyOption, ModelOption
from daedalus.errors import ConfigError
from daedalus.store import STORE_ENV
from daedalus.store._url import is_postgres_url, is_url, sqlite_directory

__all__ = ["app", "list_command", "report_command", "resume_command", "run_command"]

app = typer.Typer(
    name="batch",
    help="Many runs at once: sweeps over seeds, fields and what-ifs; resume; reports.",
    no_args_is_help=True,
)

BatchArg = Annotated[
    str, typer.Argument(metavar="BATCH", help="A batch id from `daedalus batch list`, or `last`.")
]
StoreTarget = Annotated[
    str | None,
    typer.Option(
        "--store",
        metavar="DIR|URL",
        help=f"Store directory or postgresql://USER@HOST/DB (default: ${STORE_ENV}, else "
        "./daedalus_runs); every worker must reach it.",
    ),
]
WorkersOption = Annotated[
    int, typer.Option("--workers", "-w", min=1, max=1024, help="Runs at once.")
]
BudgetOption = Annotated[
    float | None,
    typer.Option("--budget", metavar="USD", min=0.0, help="Hard cap over the whole batch."),
]


def store_path(value: str | None) -> str | None:
    """What ``--store`` names: a directory, ``sqlite:///DIR`` or ``postgresql://...`` (other
    URLs are refused in one line, password masked)."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    if is_url(value) and not is_postgres_url(value):
        sqlite_directory(value)  # ConfigError for any scheme but sqlite
    return value


def _print_result(result: BatchResult, as_json: bool) -> None:
    if as_json:
        counts = result.record.counts()
        typer.echo(json.dumps({
            "batch": result.id, "record": str(result.path), "runs": result.record.run_ids,
            "completed": counts["completed"], "failed": len(result.record.entries)
            - counts["completed"], "cost_usd": result.record.cost_usd,
            "calls": result.record.calls,
        }))
    else:
        Console().print(summary_table(result))
    if not result.completed:
        if not as_json:
            typer.echo(f"some runs did not finish; continue with: daedalus batch resume "
                       f"{result.id}", err=True)
        raise typer.Exit(FAILED)


def run_command(
    templates: Annotated[
        list[str],
        typer.Argument(metavar="TEMPLATE|PATH...", help="Shipped template ids or YAML files."),
    ],
    seeds: Annotated[
        str, typer.Option("--seeds", metavar="RANGE", help="Seeds: 0-99, 1,5,9 or 0-3,10.")
    ] = "0",
    sets: Annotated[
        list[str] | None,
        typer.Option(
            "--set", metavar="FIELD=V1,V2", help="Sweep a template field (repeatable: cartesian)."
        ),
    ] = None,
    what_if: Annotated[
        list[str] | None,
        typer.Option(
            "--what-if", metavar="TEXT", help="A counterfactual branch of every run (repeatable)."
        ),
    ] = None,
    at: Annotated[
        str | None,
        typer.Option(
            "--at", metavar="TP", help="Moment the what-ifs fork after (default: the middle)."
        ),
    ] = None,
    workers: WorkersOption = 4,
    concurrency: Annotated[
        int, typer.Option("--concurrency", min=1, help="Model calls in flight over all runs.")
    ] = 8,
    budget: BudgetOption = None,
    run_budget: Annotated[
        float | None,
        typer.Option("--run-budget", metavar="USD", min=0.0, help="Hard cap per run."),
    ] = None,
    retries: Annotated[
        int, typer.Option("--retries", min=0, max=20, help="Retries of a failed run.")
    ] = 2,
    backend: Annotated[
        str, typer.Option("--backend", help="local (one event loop), process or ray.")
    ] = "local",
    address: Annotated[
        str | None,
        typer.Option("--address", metavar="ADDR", help="Ray cluster: ray://HOST:10001, auto."),
    ] = None,
    model: ModelOption = None,
    base_url: BaseUrlOption = None,
    store: StoreTarget = None,
    offline_latency: LatencyOption = 0.0,
    as_json: JsonOption = False,
) -> None:
    """Run a sweep of runs and print a summary; the batch record lists every run id."""
    err = Console(stderr=True)
    with failures():
        if backend not in ("local", "process", "ray"):
            raise ConfigError(f"--backend {backend!r}: expected local, process or ray")
        seed_list = parse_seeds(seeds)
        swept = [parse_set(text) for text in sets or []]
        interventions = [text.strip() for text in what_if or []]
        if any(not text for text in interventions):
            raise ConfigError("--what-if is empty; say what happens differently")
        specs = [
            spec
            for template in templates
            for spec in sweep(
                template, seeds=seed_list, sets=swept, interventions=interventions, at=at
            )
        ]
        target = store_path(store)
        with BatchProgress(err, len(specs), quiet=as_json) as progress:
            result = run_batch(
                specs, store=target, model=model, base_url=base_url, workers=workers,
                concurrency=concurrency, budget=budget, run_budget=run_budget, retries=retries,
                backend=backend, address=address, offline_latency=offline_latency,
                on_update=progress,
            )
    _print_result(result, as_json)


def resume_command(
    batch: BatchArg,
    store: StoreTarget = None,
    budget: BudgetOption = None,
    workers: Annotated[
        int | None, typer.Option("--workers", "-w", min=1, max=1024, help="Runs at once.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Continue a batch: finished runs are kept, the others resume from their checkpoints."""
    err = Console(stderr=True)
    with failures():
        with BatchPlace.open(store_path(store)) as place:
            record = place.load(batch)
        done = record.counts()["completed"]
        with BatchProgress(err, len(record.entries), done=done, quiet=as_json) as progress:
            result = resume_batch(
                record.id, store=place.source, on_update=progress, budget=budget,
                workers=workers,
            )
    _print_result(result, as_json)


def report_command(
    batch: BatchArg,
    store: StoreTarget = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", metavar="DIR", help="Where to write (default: in the store)."),
    ] = None,
) -> None:
    """Analyse a batch's outcomes: CSV and Parquet tables, a Markdown report with plots."""
    with failures():
        with BatchPlace.open(store_path(store)) as place:
            record = place.load(batch)
            result = BatchResult(record, place.files, place.source)
            target = out if out is not None else place.folder(record.id) / "report"
        analysis = analyze(record, result.runs())
        written = write_report(analysis, target)
    Console().print(f"report of batch {record.id}: {written['report.md']}", highlight=False)
    for name in sorted(written):
        if name != "report.md":
            typer.echo(f"  {written[name]}")


def list_command(store: StoreTarget = None) -> None:
    """The batches in the store, oldest first, with their runs' states."""
    with failures():
        with BatchPlace.open(store_path(store)) as place:
            found = place.ids()
            records = [place.load(batch_id) for batch_id in found]
        if not found:
            typer.echo(f"no batches in {place.location} yet; start one with `daedalus batch run`")
            return
        for batch_id, record in zip(found, records, strict=True):
            counts = record.counts()
            typer.echo(
                f"{batch_id}  {len(record.entries)} runs  {counts['completed']} completed  "
                f"{counts['failed']} failed  ${record.cost_usd:.6f}"
            )


app.command("run")(run_command)
app.command("resume")(resume_command)
app.command("report")(report_command)
app.command("list")(list_command)
