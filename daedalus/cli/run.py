"""``daedalus run``, ``resume`` and ``branch``: run a scenario, continue it, fork it (M12).

Each shows progress while it works and ends with the run's summary. The exports are written
after every run, resume and branch (``--out DIR``, else ``<store>/exports/<run id>/``), so a
finished run always has its files next to it; ``--no-export`` skips them.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from daedalus import runs as api
from daedalus.cli._failure import failures
from daedalus.cli._options import (
    BaseUrlOption,
    FormatOption,
    JsonOption,
    LatencyOption,
    ModelOption,
    OutOption,
    RunRef,
    StoreOption,
    TemplateArg,
    checked_out,
    existing_store,
    parse_formats,
    resolve_run,
)
from daedalus.cli._progress import RunProgress
from daedalus.cli._report import print_outcome
from daedalus.errors import ConfigError
from daedalus.kernel.strategy import BudgetMode
from daedalus.runs._api import new_run_id
from daedalus.store import Store, open_store
from daedalus.templates import load_template

__all__ = ["branch_command", "resume_command", "run_command"]

_BRANCH_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")

NoExportOption = Annotated[
    bool, typer.Option("--no-export", help="Do not write the exports after the run.")
]
WaitOption = Annotated[
    bool,
    typer.Option(
        "--wait",
        help="If another process is working on the run, wait for it instead of failing.",
    ),
]
TimeoutOption = Annotated[
    float | None,
    typer.Option(
        "--request-timeout",
        metavar="SECONDS",
        min=0.001,
        help="Abandon (and retry) a model request after this long (default 120; kept by the run).",
    ),
]
BudgetOption = Annotated[
    float | None,
    typer.Option(
        "--budget",
        metavar="USD",
        min=0.0,
        help="Spending cap for the whole run: every process, resume and branch counts.",
    ),
]


def _export_formats(formats: list[str] | None, out: Path | None, skip: bool) -> tuple[str, ...]:
    """The formats to write after the command (none with ``--no-export``), checked up front."""
    chosen = parse_formats(formats)
    if skip and out is not None:
        raise ConfigError("--out names where exports go, so it cannot be used with --no-export")
    checked_out(out)
    return () if skip else chosen


def _export(run: api.Run, out: Path | None, formats: tuple[str, ...]) -> dict[str, Path]:
    return run.export(out, formats) if formats else {}


def run_command(
    template: TemplateArg,
    model: ModelOption = None,
    base_url: BaseUrlOption = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of every random choice.")] = 0,
    budget: BudgetOption = None,
    budget_mode: Annotated[
        BudgetMode | None,
        typer.Option(
            "--budget-mode",
            case_sensitive=False,
            help="hard: never exceed; soft: lower fidelity first; max: report only.",
        ),
    ] = None,
    concurrency: Annotated[
        int, typer.Option("--concurrency", min=1, help="Model calls in flight at once.")
    ] = 8,
    store: StoreOption = None,
    out: OutOption = None,
    formats: FormatOption = None,
    no_export: NoExportOption = False,
    offline_latency: LatencyOption = 0.0,
    request_timeout: TimeoutOption = None,
    as_json: JsonOption = False,
) -> None:
    """Run a scenario, show its progress and summary, and write its exports.

    Without a key or --model the offline model runs (no network, no cost). The run is stored
    (--store, else $DAEDALUS_HOME, else ./daedalus_runs) and can be resumed after any failure;
    its exports go to --out DIR, else <store>/exports/<run id>/ (--no-export skips them).
    """
    run_id = new_run_id()
    err = Console(stderr=True)
    with failures():
        chosen = _export_formats(formats, out, no_export)
        scenario = load_template(template)
        opened = open_store(store)  # an unreachable or bad store fails before anything starts
    with opened, failures(opened, run_id):
        with RunProgress(err, quiet=as_json) as progress:
            finished = api.run(
                scenario,
                model=model,
                seed=seed,
                store=opened,
                budget=budget,
                budget_mode=budget_mode.value if budget_mode is not None else None,
                concurrency=concurrency,
                base_url=base_url,
                offline_latency=offline_latency,
                progress=progress,
                run_id=run_id,
                on_notice=lambda text: err.print(text, highlight=False),
                request_timeout=request_timeout,
            )
        paths = _export(finished, out, chosen)
        print_outcome(Console(), finished, paths, as_json=as_json)


def resume_command(
    run_ref: RunRef,
    store: StoreOption = None,
    budget: BudgetOption = None,
    out: OutOption = None,
    formats: FormatOption = None,
    no_export: NoExportOption = False,
    offline_latency: LatencyOption = 0.0,
    wait: WaitOption = False,
    request_timeout: TimeoutOption = None,
    as_json: JsonOption = False,
) -> None:
    """Continue an interrupted run from its last checkpoint; paid calls are not repeated.

    RUN_ID may be `last`. A completed run is left as it is. --budget sets a new spending cap
    (after a budget stop); the exports are written again when the run completes. A run that
    another process is working on is refused (exit code 2) unless --wait is given.
    """
    err = Console(stderr=True)
    with failures():
        chosen = _export_formats(formats, out, no_export)
        opened = existing_store(store)
    with opened:
        with failures():
            run_id = resolve_run(opened, run_ref)
            status = opened.runs.load_record(run_id).run.status
        with failures(opened, run_id):
            _resume(
                opened, run_id, status, err, chosen, out=out, budget=budget,
                offline_latency=offline_latency, wait=wait, request_timeout=request_timeout,
                as_json=as_json,
            )


def _resume(
    opened: Store,
    run_id: str,
    status: str,
    err: Console,
    chosen: tuple[str, ...],
    *,
    out: Path | None,
    budget: float | None,
    offline_latency: float,
    wait: bool,
    request_timeout: float | None,
    as_json: bool,
) -> None:
    if status == "completed":
        if not as_json:
            err.print(f"run {run_id} is already complete; nothing to resume")
        finished = api.resume(run_id, store=opened)
        print_outcome(
            Console(), finished, {}, as_json=as_json, extra_json={"resumed": False},
            exports_note=False,
        )
        return
    with RunProgress(err, quiet=as_json, label="resuming") as progress:
        finished = api.resume(
            run_id,
            store=opened,
            progress=progress,
            offline_latency=offline_latency,
            budget=budget,
            on_notice=lambda text: err.print(text, highlight=False),
            wait=wait,
            request_timeout=request_timeout,
        )
    paths = _export(finished, out, chosen)
    print_outcome(Console(), finished, paths, as_json=as_json, extra_json={"resumed": True})


def branch_command(
    run_ref: RunRef,
    at: Annotated[
        str, typer.Option("--at", metavar="TP", help="The timepoint id to fork after.")
    ],
    what_if: Annotated[
        str, typer.Option("--what-if", metavar="TEXT", help="What happens differently.")
    ],
    branch_id: Annotated[
        str | None,
        typer.Option("--id", metavar="NAME", help="The branch's name (default w1, w2, ...)."),
    ] = None,
    store: StoreOption = None,
    out: OutOption = None,
    formats: FormatOption = None,
    no_export: NoExportOption = False,
    offline_latency: LatencyOption = 0.0,
    wait: WaitOption = False,
    as_json: JsonOption = False,
) -> None:
    """Fork a finished run after a timepoint with a counterfactual intervention (M12).

    The branch shares the run's history up to --at (no model call is repeated for it) and is
    added to the run's record; the parent timeline is never changed.
    """
    err = Console(stderr=True)
    with failures():
        chosen = _export_formats(formats, out, no_export)
        if branch_id is not None and not _BRANCH_ID.match(branch_id):
            raise ConfigError(
                f"branch id {branch_id!r} must start with a lower-case letter or digit and use "
                "only a-z, 0-9, _ and -"
            )
        if not what_if.strip():
            raise ConfigError("--what-if is empty; say what happens differently")
        opened = existing_store(store)
    with opened:
        with failures():
            run_id = resolve_run(opened, run_ref)
            before = {b.id for b in opened.runs.load_record(run_id).branches}
        with failures(opened, run_id):
            with RunProgress(err, quiet=as_json, label=f"branching after {at}") as progress:
                forked = api.branch(
                    run_id,
                    at=at,
                    intervention=what_if.strip(),
                    branch_id=branch_id,
                    store=opened,
                    progress=progress,
                    offline_latency=offline_latency,
                    wait=wait,
                    on_notice=lambda text: err.print(text, highlight=False),
                )
            added = next(b for b in forked.record.branches if b.id not in before)
            moments = sum(1 for tp in forked.timepoints if tp.branch_id == added.id)
            paths = _export(forked, out, chosen)
            print_outcome(
                Console(),
                forked,
                paths,
                as_json=as_json,
                extra_rows=[("branch", f"{added.id} after {at}: {moments} new timepoints")],
                extra_json={"branch": {"id": added.id, "fork": at, "timepoints": moments}},
            )
