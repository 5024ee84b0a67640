"""``daedalus list`` and ``daedalus show``: the scenario catalogue and one template in full."""

from __future__ import annotations

from typing import Annotated

import typer
from rich import box
from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from daedalus.cli._failure import failures
from daedalus.cli._options import TemplateArg
from daedalus.domain import TemporalMode
from daedalus.scenario import Scenario, Tier
from daedalus.templates import list_templates, load_template

__all__ = ["list_command", "show_command"]

_MODE_SECTIONS = ("portal", "branching", "cyclical", "directorial", "nonlinear")


def list_command(
    mode: Annotated[
        TemporalMode | None,
        typer.Option("--mode", case_sensitive=False, help="Only templates of this temporal mode."),
    ] = None,
    tier: Annotated[
        Tier | None,
        typer.Option("--tier", case_sensitive=False, help="Only templates of this tier."),
    ] = None,
) -> None:
    """List the shipped scenario templates."""
    with failures():
        infos = [
            info
            for info in list_templates()
            if (mode is None or info.mode == mode.value)
            and (tier is None or info.tier == tier.value)
        ]
        console = Console()
        if not infos:
            console.print("no template matches these filters")
            return
        table = Table(title=f"{len(infos)} templates", box=box.SIMPLE_HEAD)
        table.add_column("id", no_wrap=True)
        for column in ("mode", "tier", "name"):
            table.add_column(column, overflow="fold")
        for info in infos:
            table.add_row(info.id, info.mode, info.tier, info.name)
        console.print(table)
        console.print("details: daedalus show <id>   run: daedalus run <id>", highlight=False)


def _facts(scenario: Scenario) -> Table:
    table = Table(box=None, show_header=False, pad_edge=False)
    table.add_column("what", style="bold")
    table.add_column("value", overflow="fold")
    timeline, dialog, fidelity, scene = (
        scenario.timeline, scenario.dialog, scenario.fidelity, scenario.scene
    )
    budget = f", {fidelity.token_budget:,} tokens" if fidelity.token_budget else ""
    rows = [
        ("mode", f"{scenario.mode.value} ({scenario.tier.value})"),
        ("starts", scenario.start_time.isoformat(sep=" ", timespec="minutes")),
        ("timeline", f"{timeline.steps} timepoints, {timeline.step} apart"),
        ("dialog", f"up to {dialog.max_turns} turns among {dialog.participants}"),
        ("fidelity", f"{fidelity.template}, {fidelity.budget_mode} budget{budget}"),
        ("scene", scene.location or "unspecified"),
        ("tension", f"{scene.tension:.2f}"),
    ]
    if scenario.animism:
        rows.append(("animism", str(scenario.animism)))
    rows.extend(("goal", goal) for goal in scene.goals)
    if scenario.extras:
        rows.append(("extras", ", ".join(scenario.extras)))
    for what, value in rows:
        table.add_row(what, value)
    return table


def _cast(scenario: Scenario) -> Table:
    table = Table(title="cast", box=box.SIMPLE_HEAD, title_justify="left")
    table.add_column("id", no_wrap=True)
    for column in ("name", "kind", "role", "traits", "knows"):
        table.add_column(column, overflow="fold")
    for entity in scenario.entities:
        private = sum(1 for item in entity.knowledge if item.private)
        knows = f"{len(entity.knowledge)}" + (f" ({private} private)" if private else "")
        table.add_row(
            entity.id, entity.name, entity.kind.value, entity.role, ", ".join(entity.traits), knows
        )
    return table


def _relationships(scenario: Scenario) -> Table:
    table = Table(title="relationships", box=box.SIMPLE_HEAD, title_justify="left")
    for column in ("a", "b", "kind"):
        table.add_column(column, overflow="fold")
    for column in ("trust", "alignment", "power"):
        table.add_column(column, justify="right")
    for rel in scenario.relationships:
        table.add_row(
            rel.a, rel.b, rel.kind, f"{rel.trust:.2f}", f"{rel.alignment:+.2f}", f"{rel.power:+.2f}"
        )
    return table


def _mode_section(scenario: Scenario) -> Table | None:
    for name in _MODE_SECTIONS:
        section = getattr(scenario, name)
        if section is None:
            continue
        table = Table(title=f"{name} section", box=None, show_header=False, title_justify="left")
        table.add_column("key", style="bold")
        table.add_column("value", overflow="fold")
        for key, value in section.model_dump(mode="json").items():
            shown = "; ".join(map(str, value)) if isinstance(value, list) else value
            if isinstance(value, dict):
                shown = ", ".join(f"{k} {v}" for k, v in value.items())
            table.add_row(key, str(shown) if shown not in ("", None) else "-")
        return table
    return None


def show_command(
    template: TemplateArg,
) -> None:
    """Show a template: description, cast, relationships, timeline and its mode's section."""
    with failures():
        scenario = load_template(template)
        parts: list[RenderableType] = [
            Text.assemble((scenario.name, "bold"), f"  ({scenario.id})"),
            Text(" ".join(scenario.description.split())),
            Text(""),
            _facts(scenario),
            _cast(scenario),
        ]
        if scenario.relationships:
            parts.append(_relationships(scenario))
        section = _mode_section(scenario)
        if section is not None:
            parts.append(section)
        Console().print(Group(*parts))
