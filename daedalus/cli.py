"""The ``daedalus`` command line.

Each command lives in its own private module (``daedalus/_cli_<name>.py``) as a plain function
and is registered on ``app`` here, so adding a command never grows this file by more than a
line.
"""

from __future__ import annotations

import typer

from daedalus._cli_models import models_command

__all__ = ["app", "main"]

app = typer.Typer(
    name="daedalus",
    help="Temporal simulation with LLMs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root() -> None:
    """Temporal simulation with LLMs: run, inspect and cost scenarios and the models behind them."""


app.command("models")(models_command)


def main() -> None:
    """Entry point of the ``daedalus`` script."""
    app()
