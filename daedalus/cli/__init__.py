"""The daedalus command line: the typer app, one module per command group, shared option helpers.
May import anything in the library; nothing imports it.

Each command group lives in its own module (``catalog``: list and show; ``run``: run, resume and
branch; ``inspect``: runs, export and query; ``estimate``, ``new``, ``models``; ``world``: the
world engine's sub-app; ``batch``: batch runs and their reports) as plain functions registered
on ``app`` here, so adding a command never grows this file by more than a line.
Helpers shared by the commands are private (``_options``, ``_report``, ``_progress``,
``_failure``, ``_errors``).
"""

from __future__ import annotations

from typing import Annotated

import typer

from daedalus.cli._failure import DaedalusGroup, remember_debug
from daedalus.cli._report import logs_to_stderr
from daedalus.cli.batch import app as batch_app
from daedalus.cli.catalog import list_command, show_command
from daedalus.cli.estimate import estimate_command
from daedalus.cli.inspect import export_command, query_command, runs_command
from daedalus.cli.models import models_command
from daedalus.cli.new import new_command
from daedalus.cli.run import branch_command, resume_command, run_command
from daedalus.cli.world import app as world_app

__all__ = ["app", "main"]

app = typer.Typer(
    name="daedalus",
    help="Temporal simulation with LLMs.",
    cls=DaedalusGroup,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root(
    ctx: typer.Context,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show the full traceback when a command fails.")
    ] = False,
) -> None:
    """Temporal simulation with LLMs: run, inspect and cost scenarios and the models behind them."""
    remember_debug(ctx, debug)
    logs_to_stderr()


app.command("list")(list_command)
app.command("show")(show_command)
app.command("run")(run_command)
app.command("estimate")(estimate_command)
app.command("runs")(runs_command)
app.command("resume")(resume_command)
app.command("branch")(branch_command)
app.command("export")(export_command)
app.command("query")(query_command)
app.command("new")(new_command)
app.command("models")(models_command)
app.add_typer(world_app, name="world")
app.add_typer(batch_app, name="batch")


def main() -> None:
    """Entry point of the ``daedalus`` script."""
    app()
