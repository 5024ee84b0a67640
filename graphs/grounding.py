"""World news (M3): a grounded scenario's world tells its entities what the date brings.

``world_news`` runs first in every timestep (``add_timestep``). When the scenario has a
``world:`` section it maps the current timepoint's date onto a world tick, derives that tick's
signals (a recession, an outbreak, a policy change, ...; ``daedalus.world.grounding``) and
leaves one ``learned`` exposure per signal in each entity who would learn it: the tied actors
(who also read their own books) and the entities at the place. Each exposure belongs to the
current timepoint, so no entity knows a world fact before its date (M7). Without a world the
node changes nothing. No model call.
"""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from daedalus.context import RunContext
from daedalus.domain import ExposureEvent, ExposureKind
from daedalus.state import SimState
from daedalus.validators.gating import find_timepoint
from daedalus.world.grounding import WORLD_SOURCE, load_history, news_at, tick_for

__all__ = ["WORLD_NEWS_NODE", "world_news"]

WORLD_NEWS_NODE = "world_news"


def world_news(state: SimState, runtime: Runtime[RunContext]) -> dict[str, Any]:
    """Node: the date's world news as exposures of the current timepoint (pure).

    Writes ``exposures`` (id ``<timepoint>-world-<kind>-<entity>``, kind ``learned``, source
    ``world``) and counts them under M3; returns nothing for an ungrounded scenario or a date
    with no news.
    """
    scenario = state["scenario"]
    section = scenario.world
    if section is None:
        return {}
    timepoint = find_timepoint(state.get("timepoints", []), state.get("cursor"))
    tick = tick_for(section, scenario.start_time, scenario.end_time, timepoint.timestamp)
    specs = {spec.id: spec.location for spec in scenario.entities}
    locations = {entity_id: specs.get(entity_id) for entity_id in state.get("entities", {})}
    items = news_at(section, load_history(section), tick, locations)
    exposures = [
        ExposureEvent(
            id=f"{timepoint.id}-world-{item.kind}-{item.entity_id}",
            entity_id=item.entity_id,
            kind=ExposureKind.LEARNED,
            information=item.text,
            source=WORLD_SOURCE,
            timepoint_id=timepoint.id,
            timestamp=timepoint.timestamp,
        )
        for item in items
    ]
    if not exposures:
        return {}
    return {"exposures": exposures, "mechanisms": {"M3": len(exposures)}}
