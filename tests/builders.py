"""Hand-built simulation states for node and graph tests (plain values, no model calls)."""

from __future__ import annotations

from datetime import timedelta

from daedalus.domain import (
    Entity,
    EntityKind,
    ExposureEvent,
    ExposureKind,
    Relationship,
    Timepoint,
)
from daedalus.llm.offline import OfflineChatModel
from daedalus.scenario import Scenario
from daedalus.templates import load_template
from daedalus.testing import ScriptedModel


def sim_state(scenario: Scenario | None = None, *, timepoints: int = 1) -> dict:
    """A SimState with the scenario's cast, initial knowledge and a chain of timepoints."""
    scenario = scenario or load_template("board_meeting")
    entities = {
        s.id: Entity(id=s.id, name=s.name, kind=s.kind, role=s.role, traits=s.traits)
        for s in scenario.entities
    }
    exposures, withheld = [], {}
    for spec in scenario.entities:
        for n, item in enumerate(spec.knowledge):
            event = ExposureEvent(
                id=f"init-{spec.id}-{n}", entity_id=spec.id, kind=ExposureKind.INITIAL,
                information=item.text, source="scenario", confidence=item.confidence,
            )
            exposures.append(event)
            if item.private:
                withheld.setdefault(spec.id, []).append(event.id)
    relationships = {}
    for spec in scenario.relationships:
        rel = Relationship(a=spec.a, b=spec.b, kind=spec.kind, trust=spec.trust,
                           alignment=spec.alignment, power=spec.power)
        relationships[rel.key] = rel
    tps = []
    for i in range(timepoints):
        tps.append(Timepoint(
            id=f"tp-{i:03d}", timestamp=scenario.start_time + i * timedelta(days=1),
            causal_parent=tps[-1].id if tps else None, event_description=f"Moment {i}",
            entities_present=scenario.entity_ids,
        ))
    return {
        "scenario": scenario, "entities": entities, "timepoints": tps, "exposures": exposures,
        "withheld": withheld, "relationships": relationships, "cursor": tps[-1].id,
    }


def recording_offline(seed: int = 0) -> ScriptedModel:
    """The offline model behind a ScriptedModel, so tests can read every prompt it was sent."""
    offline = OfflineChatModel(seed=seed)
    return ScriptedModel({}, default=lambda messages, kwargs: offline.invoke(messages, **kwargs))


def with_kinds(state: dict, kinds: dict[str, EntityKind]) -> dict:
    entities = dict(state["entities"])
    for entity_id, kind in kinds.items():
        entities[entity_id] = entities[entity_id].model_copy(update={"kind": kind})
    return {**state, "entities": entities}


def runtime(router, **context):
    """A LangGraph ``Runtime`` carrying a ``RunContext`` around ``router``, for calling nodes."""
    from langgraph.runtime import Runtime

    from daedalus.context import RunContext

    return Runtime(context=RunContext(router=router, **context))


def dialog_input(state: dict | None = None, participants=None, timepoint_id=None) -> dict:
    """The dialog subgraph input prepared from ``state`` (board_meeting by default)."""
    from daedalus.graphs.dialog import prepare_dialog

    state = state or sim_state()
    return prepare_dialog(
        state, timepoint_id or state["cursor"], participants or state["scenario"].entity_ids
    )
