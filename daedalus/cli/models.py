"""``daedalus models``: the model registry, the fallback chain of an action, a price refresh."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.console import Console
from rich.table import Table

from daedalus.cli._errors import fail, reporting_errors
from daedalus.llm.actions import ActionType
from daedalus.llm.refresh import (
    RefreshResult,
    openrouter_settings,
    refresh_registry,
    write_overrides,
)
from daedalus.llm.registry import ModelProfile, ModelRegistry, load_registry
from daedalus.llm.selection import (
    ACTION_REQUIREMENTS,
    COST_FIRST,
    PRESETS,
    SPEED_FIRST,
    Preference,
    fallback_chain,
    score_model,
    select_model,
)

__all__ = ["models_command"]


def models_command(
    action: Annotated[
        str | None,
        typer.Option(
            "--action", "-a", metavar="ACTION", help="Show the fallback chain for this action."
        ),
    ] = None,
    prefer: Annotated[
        str,
        typer.Option(
            "--prefer", metavar="NAME", help="With --action: balanced, quality, speed or cost."
        ),
    ] = "balanced",
    refresh: Annotated[
        bool,
        typer.Option("--refresh", help="Read current prices and limits from OpenRouter first."),
    ] = False,
    save: Annotated[
        Path | None,
        typer.Option("--save", metavar="PATH", help="With --refresh: write them to a YAML file."),
    ] = None,
    registry_files: Annotated[
        list[Path] | None,
        typer.Option(
            "--registry",
            "-r",
            metavar="PATH",
            help="A registry YAML that adds or overrides models.",
        ),
    ] = None,
) -> None:
    """List the registered models, or the models chosen for an action (M18)."""
    chosen_action = _parse_action(action) if action is not None else None
    preference = _parse_preference(prefer)
    if save is not None and not refresh:
        fail("--save writes refreshed prices, so it needs --refresh")
    base_url, api_key = openrouter_settings()
    if refresh and api_key is None:
        fail("OPENROUTER_API_KEY is not set; export your OpenRouter key to use --refresh")
    console = Console()
    with reporting_errors():
        registry = load_registry(registry_files or ())
        if refresh:
            result = refresh_registry(
                registry, api_key=api_key, base_url=base_url, today=date.today()
            )
            registry = result.registry
            _report_refresh(console, result, save)
        wide = console.width >= _WIDE
        if chosen_action is None:
            console.print(_registry_table(registry, wide=wide))
        else:
            _print_chain(console, chosen_action, registry, preference, wide=wide)


def _parse_action(text: str) -> ActionType:
    wanted = text.strip().lower().replace("-", "_")
    try:
        return ActionType(wanted)
    except ValueError:
        known = ", ".join(member.value for member in ActionType)
        fail(f"unknown action {text!r}; expected one of: {known}")


def _parse_preference(text: str) -> Preference:
    preference = PRESETS.get(text.strip().lower())
    if preference is None:
        fail(f"unknown preference {text!r}; expected one of: {', '.join(PRESETS)}")
    return preference


def _report_refresh(console: Console, result: RefreshResult, save: Path | None) -> None:
    console.print(
        f"Refreshed {len(result.refreshed)} models from {result.source}"
        f" ({len(result.changes)} field changes, prices dated {result.as_of.isoformat()})."
    )
    if result.missing:
        console.print(f"Not listed by OpenRouter: {', '.join(result.missing)}")
    for model_id, reason in result.rejected.items():
        console.print(f"Kept the registered values of {model_id}: {reason}")
    if save is not None:
        console.print(f"Wrote {write_overrides(result, save)}")


def _price(per_million: float) -> str:
    return "free" if per_million == 0 else f"{per_million:.3f}"


_WIDE = 110
"""Narrower consoles get the tables without the columns a choice does not turn on, and model
ids are never cut (an 80-column terminal shows them whole)."""


def _registry_table(registry: ModelRegistry, *, wide: bool = True) -> Table:
    dates = sorted({profile.prices_as_of for profile in registry})
    title = f"{len(registry)} models ({', '.join(registry.sources) or 'in memory'})"
    if len(dates) == 1:
        title += f", prices as of {dates[0].isoformat()}"
    table = Table(title=title, box=box.SIMPLE_HEAD, title_justify="left", pad_edge=False)
    table.add_column("id", no_wrap=True)
    table.add_column("context", justify="right", no_wrap=True)
    table.add_column("$/1M in", justify="right", no_wrap=True)
    table.add_column("$/1M out", justify="right", no_wrap=True)
    if wide:
        table.add_column("licence", overflow="fold")
        table.add_column("synthetic ok")
        table.add_column("structured", overflow="fold")
    if len(dates) > 1 and wide:
        table.add_column("priced on")
    for profile in registry:
        cells = [
            profile.id,
            f"{profile.context_length:,}",
            _price(profile.prompt_price_per_million),
            _price(profile.completion_price_per_million),
        ]
        if wide:
            cells += [
                profile.licence,
                "yes" if profile.synthetic_data_ok else "no",
                profile.structured_output.value,
            ]
        if len(dates) > 1 and wide:
            cells.append(profile.prices_as_of.isoformat())
        table.add_row(*cells)
    return table


def _print_chain(
    console: Console,
    action: ActionType,
    registry: ModelRegistry,
    preference: Preference,
    *,
    wide: bool = True,
) -> None:
    requirements = ACTION_REQUIREMENTS[action]
    chain = fallback_chain(action, registry, preference=preference)
    required = ", ".join(sorted(requirements.required)) or "nothing"
    console.print(f"{action.value}: {requirements.why}")
    console.print(
        f"requires {required}; prefers {', '.join(sorted(requirements.preferred))};"
        f" context >= {requirements.min_context:,}, output >= {requirements.min_output:,}"
    )
    roles = {
        "best": select_model(action, registry, preference),
        "cost fallback": select_model(action, registry, COST_FIRST),
        "speed fallback": select_model(action, registry, SPEED_FIRST),
    }
    table = Table(title=f"fallback chain for {action.value}", box=box.SIMPLE_HEAD,
                  title_justify="left", pad_edge=False)
    table.add_column("#", justify="right")
    table.add_column("id" if wide else "id / why", no_wrap=True)
    if wide:
        table.add_column("why", no_wrap=True)
    table.add_column("score", justify="right")
    if wide:
        table.add_column("quality", justify="right")
        table.add_column("speed", justify="right")
    table.add_column("$/1M" if not wide else "$/1M blended", justify="right")
    table.add_column("structured", no_wrap=True)
    for position, profile in enumerate(chain, start=1):
        why = next((role for role, best in roles.items() if best.id == profile.id), "next best")
        score, quality, speed, price, structured = _chain_cells(profile, action, preference)
        if wide:
            table.add_row(str(position), profile.id, why, score, quality, speed, price,
                          structured)
        else:
            table.add_row(str(position), f"{profile.id}\n{why}", score, price, structured)
    console.print(table)


def _chain_cells(profile: ModelProfile, action: ActionType, preference: Preference) -> list[str]:
    score = score_model(profile, ACTION_REQUIREMENTS[action], preference)
    return [
        f"{score:.2f}",
        f"{profile.relative_quality:.2f}",
        f"{profile.relative_speed:.2f}",
        _price(profile.blended_price_per_million),
        profile.structured_output.value,
    ]
