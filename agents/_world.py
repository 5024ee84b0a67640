"""The ``$world`` section of prompts in a grounded scenario (``daedalus.world.grounding``).

The event writer sees the world at the moment's date (its KPIs and signals: the narrator's
view). A character sees only the world news it was exposed to (its ``world`` exposures, M3 and
M7), cited by id like the rest of what it knows. Both render as an empty string when there is
no world, so an ungrounded prompt is exactly what it was.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from daedalus.provenance.fourth_wall import KnowledgeLine
from daedalus.scenario import Scenario
from daedalus.world.grounding import WORLD_SOURCE, load_history, tick_for

__all__ = ["moment_world", "split_world_knowledge", "world_knowledge_section"]


def _pct(value: float) -> str:
    return f"{100.0 * value:.1f}%"


def moment_world(scenario: Scenario, when: datetime) -> str:
    """The event writer's ``$world``: the date's figures and signals, or ``""``."""
    section = scenario.world
    if section is None:
        return ""
    history = load_history(section)
    tick = tick_for(section, scenario.start_time, scenario.end_time, when)
    kpis = history.kpis[tick]
    figures = (
        f"- figures on day {tick} of the world: unemployment {_pct(kpis['unemployment'])}, "
        f"inflation {_pct(kpis['inflation'])} a year, policy rate {_pct(kpis['policy_rate'])}, "
        f"government approval {_pct(kpis['approval'])}, "
        f"{1e5 * kpis['infections'] / max(kpis['population'], 1.0):.0f} infections per 100,000"
    )
    signals = [f"- {signal.text}" for signal in history.signals(tick, section.signals)]
    place = f" in and around {section.place.name}" if section.place is not None else ""
    return (
        f"\n\nThe world around this moment{place} (let the moment reflect it):\n"
        + "\n".join([*signals, figures])
    )


def split_world_knowledge(
    lines: Sequence[KnowledgeLine],
) -> tuple[list[KnowledgeLine], list[KnowledgeLine]]:
    """(what the entity knows apart from the world, the world news it learned)."""
    own = [line for line in lines if line.source != WORLD_SOURCE]
    world = [line for line in lines if line.source == WORLD_SOURCE]
    return own, world


def world_knowledge_section(world: Sequence[KnowledgeLine]) -> str:
    """A character's ``$world``: the world news it learned, by exposure id, or ``""``."""
    if not world:
        return ""
    rows = "\n".join(f"- [{line.exposure_id}] {line.information}" for line in world)
    return f"\n\nWhat you have learned of the wider world (cite these ids too):\n{rows}"
