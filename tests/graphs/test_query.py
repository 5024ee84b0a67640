"""Lazy queries (M5 with M9): which entity, which moment, elevated resolution, provenance only."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from langgraph.graph import END, START, StateGraph

from daedalus.agents.entity_generator import NODE as GENERATOR
from daedalus.agents.query_answer import NODE as ANSWER
from daedalus.context import RunContext
from daedalus.domain import (
    EntityMetadata,
    ExposureEvent,
    ExposureKind,
    ResolutionLevel,
    Timepoint,
)
from daedalus.errors import ConfigError
from daedalus.graphs.query import (
    QUERY,
    QueryState,
    answer_query,
    query_node,
    resolve_entity,
    resolve_timepoint,
)
from daedalus.kernel.fidelity import FidelityThresholds
from daedalus.kernel.roster import build_roster
from daedalus.llm.router import Router
from daedalus.provenance import Provenance
from daedalus.scenario import Scenario
from daedalus.state import SimState
from daedalus.templates import load_template
from daedalus.testing import ScriptedModel

START_TIME = datetime(2026, 3, 12, 9, 0)


def scenario() -> Scenario:
    data = load_template("board_meeting").model_dump(mode="json")
    data["entities"].append(
        {"id": "lin_zhang", "name": "Lin Zhang", "role": "Head of Engineering",
         "knowledge": ["The gripper fails one drop test in four hundred"]}
    )
    return Scenario.model_validate(data)


def timeline() -> list[Timepoint]:
    main = [
        Timepoint(
            id=f"tp-{i}", timestamp=START_TIME + timedelta(weeks=i),
            causal_parent=f"tp-{i - 1}" if i else None, importance=[0.2, 0.4, 0.5, 0.8, 0.6][i],
            event_description=f"Week {i} of the crisis",
        )
        for i in range(5)
    ]
    branch = Timepoint(
        id="alt-2", timestamp=START_TIME + timedelta(weeks=2), causal_parent="tp-1",
        branch_id="alt", importance=0.9,
    )
    detail = Timepoint(
        id="tp-2.a", timestamp=START_TIME + timedelta(weeks=2, hours=1), causal_parent="tp-2",
        moment_of="tp-2",
    )
    return [*main, branch, detail]


def exposure(event_id: str, entity: str, text: str, at: str, source: str = "maya_okonkwo") -> ExposureEvent:
    return ExposureEvent(id=event_id, entity_id=entity, kind=ExposureKind.TOLD,
                         information=text, source=source, timepoint_id=at)


def sim_state() -> SimState:
    roster = build_roster(scenario(), {}).state_update()
    later = [
        exposure("e-1", "lin_zhang", "The bridge round is on the agenda", "tp-1"),
        exposure("e-3", "lin_zhang", "The board voted on leadership", "tp-3"),
        exposure("e-4", "lin_zhang", "A new chief executive starts", "tp-4"),
        exposure("e-alt", "lin_zhang", "The company was sold", "alt-2"),
        exposure("e-helen", "helen_park", "Lin doubts the gripper", "tp-2", "lin_zhang"),
    ]
    return SimState(  # type: ignore[typeddict-item]
        **{**roster, "exposures": [*roster["exposures"], *later]},
        scenario=scenario(),
        timepoints=timeline(),
        resolution={"lin_zhang": {"tp-1": ResolutionLevel.GRAPH}},
    )


def test_what_did_lin_zhang_know_at_step_3(scripted_router: Callable[..., Router]) -> None:
    model = ScriptedModel({ANSWER: [{"answer": "He knew the board voted.", "cited": ["e-3", "e-3"]}]})
    reply = asyncio.run(answer_query(sim_state(), "what did Lin Zhang know at step 3?", scripted_router(model)))
    assert (reply.entity_id, reply.timepoint_id) == ("lin_zhang", "tp-3")
    assert reply.answer == "He knew the board voted." and reply.cited == ("e-3",)
    # prior knowledge, then what reached him upstream of tp-3; never tp-4 nor the other branch
    assert [line.split("]")[0][1:] for line in reply.knowledge] == ["init-lin_zhang-0", "e-1", "e-3"]
    prompt = model.prompts_for(ANSWER)[0]
    assert "A new chief executive starts" not in prompt and "The company was sold" not in prompt
    # importance 0.8 is a critical event: the cell is raised to SCENE
    assert (reply.resolution_before, reply.resolution_after) == (
        ResolutionLevel.TENSOR_ONLY, ResolutionLevel.SCENE,
    )
    updates = reply.updates
    assert updates["resolution"] == {"lin_zhang": {"tp-3": ResolutionLevel.SCENE}}
    metadata = updates["entities"]["lin_zhang"].metadata
    assert (metadata.query_count, metadata.last_accessed) == (1, 7)
    assert updates["mechanisms"] == {"M5": 1}
    assert reply.generated == ()


def test_resolution_is_never_lowered_and_frequent_queries_reach_dialog(
    offline_router: Router,
) -> None:
    state = sim_state()
    reply = asyncio.run(answer_query(state, "what did lin_zhang know at tp-1", offline_router))
    assert reply.resolution_before == reply.resolution_after == ResolutionLevel.GRAPH
    thresholds = FidelityThresholds(frequent_access=3)
    levels = []
    for _ in range(3):
        reply = asyncio.run(
            answer_query(state, "Lin Zhang at step 0", offline_router, thresholds=thresholds)
        )
        state["entities"] = {**state["entities"], **reply.updates["entities"]}
        state["resolution"] = {**state["resolution"], **reply.updates["resolution"]}
        levels.append(reply.resolution_after)
    assert levels == [ResolutionLevel.TENSOR_ONLY, ResolutionLevel.TENSOR_ONLY, ResolutionLevel.DIALOG]


def test_a_central_entity_is_answered_at_graph_level(offline_router: Router) -> None:
    state = sim_state()
    helen = state["entities"]["helen_park"]
    central = helen.model_copy(update={"metadata": EntityMetadata(eigenvector_centrality=0.9)})
    state["entities"] = {**state["entities"], "helen_park": central}
    reply = asyncio.run(answer_query(state, "What did Helen know at step 0?", offline_router))
    assert reply.resolution_after == ResolutionLevel.GRAPH


def test_an_unknown_name_is_generated_then_answered(scripted_router: Callable[..., Router]) -> None:
    made = {"name": "ignored", "kind": "human", "role": "Board secretary", "traits": ["quiet"],
            "knowledge": ["The minutes are due on Friday"]}
    model = ScriptedModel({
        GENERATOR: [{"ruth_adeyemi": made}],
        ANSWER: [{"answer": "She knew the minutes were due.", "cited": ["init-ruth_adeyemi-0"]}],
    })
    reply = asyncio.run(answer_query(sim_state(), "What did Ruth Adeyemi know?", scripted_router(model)))
    assert reply.entity_id == "ruth_adeyemi" and reply.generated == ("ruth_adeyemi",)
    assert reply.timepoint_id == "tp-4"  # no moment named: the last of the main timeline
    assert reply.cited == ("init-ruth_adeyemi-0",)
    updates = reply.updates
    assert updates["entities"]["ruth_adeyemi"].name == "Ruth Adeyemi"
    assert updates["entities"]["ruth_adeyemi"].metadata.query_count == 1
    assert [e.id for e in updates["exposures"]] == ["init-ruth_adeyemi-0"]
    assert updates["mechanisms"] == {"M9": 1}  # one question raises no level (M5 counts raises)
    assert [call.node for call in model.calls] == [GENERATOR, ANSWER]


def test_a_numbered_handle_is_generated_with_its_own_id(offline_router: Router) -> None:
    reply = asyncio.run(answer_query(sim_state(), "what did attendee 47 know at step 2?", offline_router))
    assert reply.entity_id == "attendee_47" and reply.generated == ("attendee_47",)
    assert reply.timepoint_id == "tp-2"


STEPS = st.integers(min_value=0, max_value=4)
PEOPLE = st.sampled_from(["Lin Zhang", "lin_zhang", "Helen Park", "maya_okonkwo", "Daniel"])
FORMS = st.sampled_from([
    "what did {who} know at step {n}?", "{who} at timepoint {n}", "Tell me what {who} knew, step {n}",
    "what did {who} know by {date}?", "what did {who} know at {tp}?", "What did {who} know?",
])


@settings(max_examples=25, deadline=None)
@given(PEOPLE, STEPS, FORMS)
def test_cited_ids_are_always_visible_at_the_moment(who: str, n: int, form: str) -> None:
    state = sim_state()
    tp = ["tp-0", "tp-1", "alt-2", "tp-2.a", "tp-4"][n]
    date = (START_TIME + timedelta(weeks=n)).date().isoformat()
    question = form.format(who=who, n=n, date=date, tp=tp)
    reply = asyncio.run(answer_query(state, question, Router.offline(seed=n)))
    visible = Provenance(state["timepoints"], state["exposures"]).knowledge_at(
        reply.entity_id, reply.timepoint_id
    )
    assert set(reply.cited) <= {event.id for event in visible}
    assert len(reply.knowledge) == len(visible)
    prov = Provenance(state["timepoints"], state["exposures"])
    assert prov.check_references(reply.entity_id, reply.timepoint_id, reply.cited) == ()


def test_timepoints_resolve_by_id_step_date_or_last() -> None:
    tps = timeline()
    assert resolve_timepoint("at alt-2.", tps).id == "alt-2"
    assert resolve_timepoint("inside tp-2.a please", tps).id == "tp-2.a"
    assert resolve_timepoint("step 2", tps).id == "tp-2"  # sub-moments and branches are not steps
    assert resolve_timepoint("on 2026-03-19", tps).id == "tp-1"
    assert resolve_timepoint("by 2026-03-25", tps).id == "tp-1"
    assert resolve_timepoint("on 2026-03-19 08:00", tps).id == "tp-0"
    assert resolve_timepoint("anything", tps).id == "tp-4"
    with pytest.raises(ConfigError, match="step 5 is past the timeline; steps run from 0 to 4"):
        resolve_timepoint("step 5", tps)
    with pytest.raises(ConfigError, match="nothing happened by 2026-01-01"):
        resolve_timepoint("on 2026-01-01", tps)
    with pytest.raises(ConfigError, match="no timepoints yet"):
        resolve_timepoint("step 0", [])


def test_entities_resolve_by_id_name_part_or_as_unknown() -> None:
    entities = sim_state()["entities"]
    assert resolve_entity("what did LIN ZHANG know", entities).entity_id == "lin_zhang"
    assert resolve_entity("and daniel_reyes?", entities).entity_id == "daniel_reyes"
    assert resolve_entity("What did Maya know?", entities).entity_id == "maya_okonkwo"
    assert resolve_entity("what did helen know", entities).entity_id == "helen_park"
    unknown = resolve_entity("What did Lin Park know?", entities)
    assert (unknown.entity_id, unknown.name, unknown.exists) == ("lin_park", "Lin Park", False)
    assert resolve_entity("guard #2, what did he see", entities).entity_id == "guard_2"
    with pytest.raises(ConfigError, match="the question names no entity; known entities: Daniel"):
        resolve_entity("what happened at step 3?", entities)


def test_query_node_applies_the_updates_in_a_graph(offline_router: Router) -> None:
    graph = StateGraph(QueryState, context_schema=RunContext)
    graph.add_node(QUERY, query_node)
    graph.add_edge(START, QUERY)
    graph.add_edge(QUERY, END)
    state: dict[str, Any] = {**sim_state(), "question": "What did guard_2 know at step 1?"}
    out = asyncio.run(graph.compile().ainvoke(state, context=RunContext(router=offline_router)))
    answer = out["answer"]
    assert answer.entity_id == "guard_2" and answer.updates == {}
    assert "guard_2" in out["entities"] and out["entities"]["guard_2"].metadata.query_count == 1
    assert out["resolution"]["guard_2"]["tp-1"] == answer.resolution_after
    assert out["resolution"]["lin_zhang"]["tp-1"] == ResolutionLevel.GRAPH  # merged, not replaced
    assert out["mechanisms"] == {"M10": 1, "M9": 1}  # the roster's M10 plus this query's M9
    with pytest.raises(ConfigError, match="needs a non-empty 'question'"):
        asyncio.run(graph.compile().ainvoke(sim_state(), context=RunContext(router=offline_router)))


def test_a_query_that_raises_a_compressed_entity_expands_it_and_shows_its_new_level(
    scripted_router: Callable[..., Router],
) -> None:
    """M5 + M6 + M1: the raised cell's view is rendered at its new level (GRAPH shows ties), and
    an entity stored compressed gets back the expansion of that form as its tensor."""
    from daedalus.domain import CognitiveState, PhysicalState
    from daedalus.kernel.tensors import build_baseline_tensor, fit_compression

    state = sim_state()
    helen = state["entities"]["helen_park"]
    central = helen.model_copy(update={"metadata": EntityMetadata(eigenvector_centrality=0.9)})
    state["entities"] = {**state["entities"], "helen_park": central}
    bodies = [PhysicalState(), PhysicalState(fatigue=0.6), PhysicalState(pain=0.3)]
    tensors = {e: build_baseline_tensor(state["entities"][e], CognitiveState(), body, [])
               for e, body in zip(state["entities"], bodies, strict=False)}
    fitted = fit_compression(tensors.values())
    state["compression"] = fitted
    state["compressed"] = {"helen_park": fitted.compress(tensors["helen_park"])}
    model = ScriptedModel({ANSWER: [{"answer": "She knew her role.", "cited": []}]})
    reply = asyncio.run(answer_query(state, "What did Helen know at step 0?", scripted_router(model)))
    assert reply.resolution_after == ResolutionLevel.GRAPH
    expanded = fitted.expand(state["compressed"]["helen_park"])
    assert reply.updates["tensors"] == {"helen_park": expanded}
    assert reply.updates["mechanisms"] == {"M5": 1, "M6": 1}
    prompt = model.prompts_for(ANSWER)[0]
    assert "ties:" in prompt and "knows:" not in prompt  # GRAPH: relationships, no knowledge layer
    # without a compressed form, nothing is expanded
    del state["compressed"]
    plain = asyncio.run(answer_query(state, "What did Helen know at step 0?", scripted_router(
        ScriptedModel({ANSWER: [{"answer": "She knew her role.", "cited": []}]}))))
    assert "tensors" not in plain.updates and plain.updates["mechanisms"] == {"M5": 1}
