"""A pipeline of your own from the public building blocks, run offline.

    START -> scene setup (four nodes) -> plant_rumour (written here) -> dialog -> END

``plant_rumour`` writes the opening moment itself and gives one person a rumour as a
``learned`` exposure (M3): the only way knowledge enters anyone. The dialog node (M11) strips
each speaker's knowledge to what reached them (M7), lets them talk, and its extraction step
(M19) turns what was said into ``told`` exposures for the listeners. The script then asks the
provenance index who could repeat the rumour afterwards. With the default seed its carrier
repeats it and the listeners are told; other seeds may keep it quiet.

Run it with ``python examples/custom_pipeline.py [template] [seed]`` (no key, no network).
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

from langgraph.graph import END, StateGraph
from langgraph.runtime import Runtime

from daedalus.context import RunContext
from daedalus.domain import ExposureEvent, ExposureKind, Timepoint
from daedalus.graphs import dialog_step
from daedalus.graphs.scene import add_scene_setup
from daedalus.llm.router import Router
from daedalus.provenance import Provenance
from daedalus.state import SimState
from daedalus.templates import load_template

RUMOUR = "The lead investor is quietly talking to a rival about a buyout"
OPENING = "tp-000"


def plant_rumour(state: SimState, runtime: Runtime[RunContext]) -> dict[str, Any]:
    """Node: the opening moment, witnessed by everyone present, and the rumour for one of them.

    The rumour goes to the most central person of the cast (centrality was written by the
    scene setup's ``plan_strategy``), so it has the best chance to travel.
    """
    scenario = state["scenario"]
    present = tuple(scenario.entity_ids)
    start = scenario.start_time
    opening = Timepoint(
        id=OPENING,
        timestamp=start,
        event_description=f"{scenario.name}: everyone is in the room. {scenario.description}",
        entities_present=present,
        importance=0.9,
    )
    entities = state["entities"]
    carrier = max(present, key=lambda e: entities[e].metadata.eigenvector_centrality)
    witnessed = [
        ExposureEvent(
            id=f"{OPENING}-witnessed-{entity}",
            entity_id=entity,
            kind=ExposureKind.WITNESSED,
            information=opening.event_description,
            source="event",
            timepoint_id=OPENING,
            timestamp=start,
        )
        for entity in present
    ]
    rumour = ExposureEvent(
        id=f"{OPENING}-rumour",
        entity_id=carrier,
        kind=ExposureKind.LEARNED,
        information=RUMOUR,
        source="corridor_whisper",
        timepoint_id=OPENING,
        timestamp=start,
        confidence=0.6,
    )
    return {
        "timepoints": [opening],
        "exposures": [*witnessed, rumour],
        "cursor": OPENING,
        "mechanisms": {"M3": 1},
    }


def build_pipeline() -> StateGraph[SimState, RunContext, SimState, SimState]:
    """Scene setup, the rumour, one dialog: an uncompiled graph."""
    graph = StateGraph(SimState, context_schema=RunContext)
    last = add_scene_setup(graph)
    graph.add_node("plant_rumour", plant_rumour)
    graph.add_node("dialog", dialog_step)
    graph.add_edge(last, "plant_rumour")
    graph.add_edge("plant_rumour", "dialog")
    graph.add_edge("dialog", END)
    return graph


def _mentions_rumour(text: str) -> bool:
    words = ("investor", "rival", "buyout")
    return sum(word in text.lower() for word in words) >= 2


def main(template: str = "board_meeting", seed: int = 5) -> None:
    scenario = load_template(template)
    router = Router.offline(seed=seed)
    app = build_pipeline().compile()
    state = asyncio.run(
        app.ainvoke({"scenario": scenario}, context=RunContext(router=router, seed=seed))
    )
    names = {eid: entity.name for eid, entity in state["entities"].items()}
    print(f"Scenario: {scenario.name} ({template}, seed {seed}, offline model)")

    exposures = state["exposures"]
    learned = [e for e in exposures if e.kind is ExposureKind.LEARNED]
    for event in learned:
        print(f"Rumour learned by: {names[event.entity_id]} ({event.entity_id}), "
              f"from {event.source}")

    (dialog,) = state["dialogs"]
    print(f"Dialog at {dialog.timepoint_id}: {len(dialog.turns)} turns among "
          f"{', '.join(names[p] for p in dialog.participants)}")
    for turn in dialog.turns[:4]:
        print(f"  {names[turn.speaker]}: {turn.content[:100]}")

    told = [e for e in exposures if e.kind is ExposureKind.TOLD]
    spread = [e for e in told if _mentions_rumour(e.information)]
    print(f"Told exposures extracted from the dialog: {len(told)}")
    print(f"Told exposures carrying the rumour: {len(spread)}")
    for event in spread:
        print(f"  {names[event.source]} -> {names[event.entity_id]}: {event.information[:90]}")

    provenance = Provenance(state["timepoints"], exposures)
    print(f"Who could repeat the rumour at {OPENING} (provenance, M3/M7):")
    for entity_id in scenario.entity_ids:
        known = provenance.knowledge_at(entity_id, OPENING)
        routes = sorted({e.kind.value for e in known if _mentions_rumour(e.information)})
        print(f"  {names[entity_id]:16s} {'yes, ' + ' and '.join(routes) if routes else 'no'}")
    print(f"Model calls: {router.ledger.totals().calls}; "
          f"mechanisms: {', '.join(sorted(state['mechanisms'], key=lambda k: int(k[1:])))}")


if __name__ == "__main__":
    args = sys.argv[1:]
    main(args[0] if args else "board_meeting", int(args[1]) if len(args) > 1 else 5)
