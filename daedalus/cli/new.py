"""``daedalus new``: write a scenario template from a description (config generation action)."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, time
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.console import Console

from daedalus.agents.config_generator import check_scenario_id, generate_scenario
from daedalus.cli._failure import failures
from daedalus.cli._options import BaseUrlOption, ModelOption
from daedalus.cli._report import dollars
from daedalus.domain import TemporalMode
from daedalus.errors import ConfigError, TemplateError
from daedalus.llm.cache import InMemoryResponseCache
from daedalus.llm.ledger import Ledger
from daedalus.runs._router import build_router
from daedalus.scenario import Scenario
from daedalus.templates import parse_template

__all__ = ["new_command", "scenario_yaml"]


def _plain(value: Any) -> Any:
    """``value`` as YAML-friendly data: enums by value, tuples as lists, dates kept as dates."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, time):
        return value.isoformat(timespec="minutes")
    if isinstance(value, date | datetime | str | int | float | bool) or value is None:
        return value
    raise TypeError(f"cannot write {type(value).__name__} to a template")


def scenario_yaml(scenario: Scenario, *, origin: str | None = None) -> str:
    """The template text of ``scenario``: fields that differ from their defaults, in schema
    order; ``origin`` becomes a comment on top. ``load_template`` reads it back equal."""
    data = scenario.model_dump(mode="python", exclude_defaults=True)
    required = scenario.model_dump(
        mode="python", include={"id", "name", "description", "mode", "start"}
    )
    data = _plain({**required, **data})
    order = list(type(scenario).model_fields)
    data = dict(sorted(data.items(), key=lambda item: order.index(item[0])))
    header = ""
    if origin:
        header = "# Written by `daedalus new` from this description:\n"
        header += "".join(f"#   {line}\n" for line in origin.strip().splitlines())
    body = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=96)
    return header + body


def _target(out: Path | None, scenario_id: str) -> Path:
    """``out`` when it names a YAML file, else ``<out or .>/<scenario id>.yaml``."""
    if out is None:
        return Path(f"{scenario_id}.yaml")
    is_file = out.suffix.lower() in (".yaml", ".yml") and not out.is_dir()
    return out if is_file else out / f"{scenario_id}.yaml"


def new_command(
    description: Annotated[
        str,
        typer.Argument(
            metavar="DESCRIPTION", help="Who is involved, where, and what happens, in plain words."
        ),
    ],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", metavar="PATH", help="YAML file or folder (default: ./<id>.yaml)."
        ),
    ] = None,
    model: ModelOption = None,
    base_url: BaseUrlOption = None,
    mode: Annotated[
        TemporalMode | None,
        typer.Option("--mode", case_sensitive=False, help="Use this temporal mode."),
    ] = None,
    scenario_id: Annotated[
        str | None,
        typer.Option("--id", metavar="ID", help="The template id (default: from its title)."),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the model calls.")] = 0,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a validated scenario template from a description."""
    err = Console(stderr=True)
    with failures():
        if not description.strip():
            raise ConfigError("the description is empty; say who is involved and what happens")
        if scenario_id is not None:
            check_scenario_id(scenario_id)
        if out is not None and out.is_file() and not force:
            raise ConfigError(f"{out} already exists; pass --force to overwrite it")
        choice = build_router(
            model=model, base_url=base_url, seed=seed, budget_usd=None, budget_mode="max",
            concurrency=2, offline_latency=0.0, cache=InMemoryResponseCache(), ledger=Ledger(),
        )
        if choice.notice:
            err.print(choice.notice, highlight=False, soft_wrap=True)
        with choice.router as router:
            scenario = asyncio.run(
                generate_scenario(description, router, mode=mode, scenario_id=scenario_id)
            )
        path = _target(out, scenario.id)
        if path.exists() and not force:
            raise ConfigError(f"{path} already exists; pass --force or --out another path")
        text = scenario_yaml(scenario, origin=description)
        if parse_template(text, source=str(path)) != scenario:
            raise TemplateError(f"{path}: the written template does not read back as generated")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        totals = router.ledger.totals()
        Console().print(
            f"wrote {path}: {scenario.name!r} ({scenario.mode.value}, "
            f"{len(scenario.entities)} in the cast, {scenario.timeline.steps} timepoints) with "
            f"{'OFFLINE' if router.is_offline else choice.label}: {totals.calls} calls, "
            f"{dollars(totals.cost_usd)}\nnext: daedalus show {path}   daedalus run {path}",
            highlight=False,
            soft_wrap=True,
        )
