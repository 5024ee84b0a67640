"""``daedalus estimate``: calls, tokens and dollars of a scenario before running it."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich import box
from rich.console import Console
from rich.table import Table

from daedalus.cli._failure import failures
from daedalus.cli._options import TemplateArg
from daedalus.cli._report import dollars
from daedalus.runs import Estimate, estimate
from daedalus.runs._estimate import NODE_COSTS
from daedalus.templates import load_template

__all__ = ["estimate_command"]


def _nodes(result: Estimate) -> Table:
    table = Table(title="per node (tokens)", box=box.SIMPLE_HEAD, title_justify="left")
    table.add_column("node", no_wrap=True)
    table.add_column("action", overflow="fold")
    for column in ("calls", "prompt", "completion"):
        table.add_column(column, justify="right")
    for node, calls in sorted(result.calls_by_node.items(), key=lambda item: -item[1]):
        action, prompt, completion = NODE_COSTS[node]
        table.add_row(
            node, action.value, str(calls), f"{calls * prompt:,}", f"{calls * completion:,}"
        )
    return table


def estimate_command(
    template: TemplateArg,
    model: Annotated[
        str | None,
        typer.Option("--model", "-m", metavar="ID", help="Price every call at this model."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the estimate as JSON.")] = False,
) -> None:
    """Estimate a run's calls, tokens and dollars, node by node, without calling a model."""
    with failures():
        result = estimate(load_template(template), model=model)
        if as_json:
            typer.echo(json.dumps(result.model_dump(mode="json"), indent=2))
            return
        console = Console()
        label = "OFFLINE (free)" if result.offline else result.model
        tokens = result.prompt_tokens + result.completion_tokens
        console.print(
            f"{result.template} ({result.mode.value}) with {label}: {result.calls:,} calls, "
            f"{tokens:,} tokens ({result.prompt_tokens:,} prompt + "
            f"{result.completion_tokens:,} completion), {dollars(result.cost_usd)}",
            highlight=False,
        )
        console.print(_nodes(result))
        console.print("assumptions:")
        for assumption in result.assumptions:
            console.print(f"- {assumption}", highlight=False)
