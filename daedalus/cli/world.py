"""``daedalus world``: run a world preset, chart its KPIs, replay it from a snapshot.

Runs are folders under ``<store>/worlds/<run id>/`` (``--store``, else ``$DAEDALUS_HOME``,
else ``./daedalus_runs``). ``RUN`` is a run id, ``last`` (the newest run) or a run folder.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from daedalus.cli._failure import failures
from daedalus.cli._options import JsonOption, StoreOption
from daedalus.errors import ConfigError, RunError
from daedalus.store import StoreLayout
from daedalus.world import list_presets, load_preset
from daedalus.world.io import new_world_run_id, read_kpis, replay, run_world, write_charts

__all__ = ["app", "plot_command", "presets_command", "replay_command", "run_command"]

app = typer.Typer(
    name="world",
    help="The world engine: run presets, chart their KPIs, replay them.",
    no_args_is_help=True,
)

RunArg = Annotated[
    str, typer.Argument(metavar="RUN", help="A world run id, `last`, or a run folder.")
]
SUMMARY = ("gdp", "unemployment", "inflation", "gini", "energy_reliability", "infections",
           "population", "firms", "public_debt")


def _run_folder(store: str | None, ref: str) -> Path:
    """The folder ``ref`` names: a path, a run id in the store, or ``last``."""
    given = Path(ref)
    if (given / "meta.json").exists():
        return given
    root = StoreLayout.at(store).worlds_root
    if ref == "last":
        found = root.glob("world-*") if root.is_dir() else iter(())
        runs = sorted(p for p in found if (p / "meta.json").exists())
        if not runs:
            raise RunError(f"no world runs in {root} yet; start one with `daedalus world run`")
        return runs[-1]
    folder = root / ref
    if not (folder / "meta.json").exists():
        raise RunError(f"no world run {ref!r} in {root}; see the folders there or pass a path")
    return folder


def _kpi_table(kpis: dict[str, float], title: str) -> Table:
    table = Table(title=title, box=box.SIMPLE_HEAD, title_justify="left")
    table.add_column("kpi")
    table.add_column("value", justify="right")
    for name in SUMMARY:
        value = kpis[name]
        shown = f"{value:.4f}" if abs(value) < 10 else f"{value:,.0f}"
        table.add_row(name.replace("_", " "), shown)
    return table


def run_command(
    preset: Annotated[str, typer.Argument(metavar="PRESET|PATH", help="A preset or YAML file.")],
    ticks: Annotated[int, typer.Option("--ticks", "-t", min=1, help="Days to simulate.")] = 365,
    snapshot_every: Annotated[
        int | None,
        typer.Option("--snapshot-every", min=0, metavar="N",
                     help="Snapshot every N ticks (default: the preset's; 0: first and last)."),
    ] = None,
    seed: Annotated[
        int | None, typer.Option("--seed", min=0, help="Override the preset's random seed.")
    ] = None,
    store: StoreOption = None,
    as_json: JsonOption = False,
) -> None:
    """Run a world preset tick by tick, writing snapshots, the event log and the KPIs."""
    with failures():
        config = load_preset(preset)
        if seed is not None:
            config = config.model_copy(update={"random_seed": seed})
        folder = StoreLayout.at(store).world_dir(new_world_run_id())
        console = Console(stderr=as_json)
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TextColumn("{task.fields[rate]} ticks/s"), TimeElapsedColumn())
        with Progress(*columns, console=console, disable=as_json) as progress:
            task = progress.add_task(f"{config.name} day", total=ticks, rate="-")

            def advance(record: dict[str, object]) -> None:
                done = int(str(record["tick"]))
                elapsed = progress.tasks[0].elapsed or 0.0
                rate = f"{done / elapsed:.1f}" if elapsed > 0 else "-"
                progress.update(task, completed=done, rate=rate)

            result = run_world(
                config, ticks, folder, snapshot_every=snapshot_every, on_tick=advance
            )
        if as_json:
            typer.echo(json.dumps({
                "run_id": result.run_id, "folder": str(result.folder), "ticks": result.ticks,
                "seconds": round(result.seconds, 3), "digest": result.digest,
                "kpis": result.kpis,
            }, indent=2))
            return
        rate = result.ticks / result.seconds if result.seconds > 0 else 0.0
        console.print(
            f"world run {result.run_id}: {config.name}, {result.ticks} days in "
            f"{result.seconds:.1f} s ({rate:.1f} ticks/s), {len(result.snapshots)} snapshots",
            highlight=False, soft_wrap=True,
        )
        console.print(_kpi_table(result.kpis, f"KPIs on day {result.ticks}"))
        console.print(f"files: {result.folder}", highlight=False, soft_wrap=True)


def plot_command(
    run: RunArg,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", metavar="DIR", help="Default: RUN/charts.")
    ] = None,
    store: StoreOption = None,
) -> None:
    """Write PNG charts of a run's KPIs over time (an overview and one per KPI)."""
    with failures():
        folder = _run_folder(store, run)
        written = write_charts(read_kpis(folder), out or folder / "charts", title=folder.name)
        typer.echo(f"{len(written)} charts in {written[0].parent}")


def replay_command(
    run: RunArg,
    from_tick: Annotated[
        int | None, typer.Option("--from-tick", min=0, help="Snapshot to start from.")
    ] = None,
    store: StoreOption = None,
) -> None:
    """Re-run a world run from a snapshot and check every tick's digest against its log."""
    with failures():
        report = replay(_run_folder(store, run), from_tick)
        if not report.identical:
            raise ConfigError(
                f"replay diverged at tick {report.first_mismatch} "
                f"(after {report.matched} identical ticks from {report.from_tick})"
            )
        typer.echo(
            f"replayed ticks {report.from_tick + 1}-{report.to_tick}: "
            f"{report.matched} digests identical"
        )


def presets_command() -> None:
    """List the shipped world presets with their sizes."""
    with failures():
        for name in list_presets():
            config = load_preset(name)
            typer.echo(
                f"{name:14s} {config.population.persons:>8,} persons {config.economy.firms:>7,} "
                f"firms {len(config.economy.goods):>3} goods"
            )


app.command("run")(run_command)
app.command("plot")(plot_command)
app.command("replay")(replay_command)
app.command("presets")(presets_command)
