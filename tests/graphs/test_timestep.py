import asyncio
from datetime import datetime, timedelta

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime

from daedalus.context import RunContext
from daedalus.domain import (
    CognitiveState,
    Dialog,
    DialogTurn,
    Entity,
    ExposureEvent,
    ExposureKind,
    PhysicalState,
    Relationship,
    ResolutionLevel,
    Timepoint,
)
from daedalus.graphs.timestep import (
    EXPANSION_NODE,
    TIMESTEP_NODES,
    add_timestep,
    build_timestep_graph,
    enforce_validators,
    rest_and_gate,
)
from daedalus.kernel.adprs import band
from daedalus.kernel.tensors import build_baseline_tensor, with_cognitive
from daedalus.llm.router import Router
from daedalus.provenance import Provenance
from daedalus.state import SimState
from daedalus.templates import load_template
from daedalus.testing import ScriptedModel
from daedalus.validators.enforcement import personality_of_record
from daedalus.validators.gating import ENERGY_RECOVERY_PER_HOUR

SCENARIO = load_template("board_meeting")
PEOPLE = SCENARIO.entity_ids


def moment(tp_id="tp0", *, when=None, importance=0.9, parent=None):
    return Timepoint(id=tp_id, timestamp=when or SCENARIO.start_time, causal_parent=parent,
                     event_description="The board meets after the missed quarter",
                     entities_present=PEOPLE, importance=importance)


def prepared(*timepoints, **extra):
    """board_meeting as plain values: cast, initial exposures, relationships, a cursor."""
    timepoints = timepoints or (moment(),)
    entities = {s.id: Entity(id=s.id, name=s.name, kind=s.kind, role=s.role, traits=s.traits)
                for s in SCENARIO.entities}
    exposures = [
        ExposureEvent(id=f"init-{s.id}-{n}", entity_id=s.id, kind=ExposureKind.INITIAL,
                      information=item.text, source="scenario")
        for s in SCENARIO.entities for n, item in enumerate(s.knowledge)
    ]
    relationships = {}
    for spec in SCENARIO.relationships:
        rel = Relationship(a=spec.a, b=spec.b, kind=spec.kind, trust=spec.trust,
                           alignment=spec.alignment, power=spec.power)
        relationships[rel.key] = rel
    return {"scenario": SCENARIO, "entities": entities, "timepoints": list(timepoints),
            "exposures": exposures, "relationships": relationships,
            "cursor": timepoints[-1].id, **extra}


def invoke(graph, state, router):
    return asyncio.run(graph.compile().ainvoke(
        state, context=RunContext(router=router), config={"recursion_limit": 60}))


def runtime(router=None):
    return Runtime(context=RunContext(router=router or Router.offline(seed=0)))


def test_one_timestep_on_board_meeting_with_the_offline_router(offline_router):
    out = invoke(build_timestep_graph(), prepared(), offline_router)
    talking = out["participants"]["tp0"]
    phi = {e: out["phi"][e]["tp0"] for e in PEOPLE}
    assert len(talking) >= 2 and talking == sorted(talking, key=lambda e: -phi[e])
    [dialog] = out["dialogs"]
    assert dialog.timepoint_id == "tp0" and set(dialog.participants) == set(talking)
    assert any(e.kind is ExposureKind.TOLD and e.timepoint_id == "tp0" for e in out["exposures"])
    for person in talking:
        assert out["resolution"][person]["tp0"] >= ResolutionLevel.DIALOG
        assert out["entities"][person].metadata.training_iterations == 1
    details = [tp for tp in out["timepoints"] if tp.moment_of == "tp0"]
    assert 3 <= len(details) <= 5 and details[0].causal_parent == "tp0"
    assert any(e.kind is ExposureKind.WITNESSED for e in out["exposures"])
    for mechanism in ("M1", "M11", "M2", "M8"):
        assert out["mechanisms"].get(mechanism, 0) > 0, mechanism
    # nobody was refused for the hour or the body: that counter stays at zero
    assert out["mechanisms"].get("M14", 0) == 0
    ids = [r.id for r in out["validation"]]
    assert len(ids) == len(set(ids))


def test_a_second_timestep_rests_and_reads_the_first_ones_details(offline_router):
    first = invoke(build_timestep_graph(), prepared(), offline_router)
    later = moment("tp1", when=SCENARIO.start_time + timedelta(hours=6), importance=0.7,
                   parent="tp0")
    tired = {e: CognitiveState(energy=10.0) for e in PEOPLE}
    second_input = {**first, "timepoints": [*first["timepoints"], later], "cursor": "tp1",
                    "cognitive": tired}
    update = rest_and_gate(second_input, runtime())
    # rest counts from the end of the last beat of tp0, not from its start
    last_beat = max(tp.timestamp for tp in first["timepoints"])
    hours = (later.timestamp - last_beat).total_seconds() / 3600
    assert update["cognitive"]["maya_okonkwo"].energy == 10.0 + ENERGY_RECOVERY_PER_HOUR * hours
    second = invoke(build_timestep_graph(), second_input, offline_router)
    prov = Provenance(second["timepoints"], second["exposures"])
    beats = [e for e in first["exposures"] if e.kind is ExposureKind.WITNESSED]
    assert beats
    for event in beats:
        assert event in prov.knowledge_at(event.entity_id, "tp1")
        assert event not in prov.knowledge_at(event.entity_id, "tp0")
    for person in second["participants"]["tp1"]:
        assert second["entities"][person].metadata.last_accessed == 1


def test_at_three_in_the_morning_nobody_talks_and_no_model_is_called(scripted_router):
    model = ScriptedModel()
    night = moment(when=datetime(2026, 3, 12, 3, 0), importance=0.7)
    out = invoke(build_timestep_graph(), prepared(night), scripted_router(model))
    assert model.calls == []
    assert out["participants"]["tp0"] == [] and out.get("dialogs", []) == []
    refused = {r.entity_id for r in out["validation"] if r.action == "rejected"}
    assert refused == set(PEOPLE)
    assert out["mechanisms"]["M14"] == 3
    for person in PEOPLE:
        assert out["resolution"][person]["tp0"] <= ResolutionLevel.GRAPH


def test_gated_out_entities_get_their_band_and_a_fresh_trajectory_snapshot():
    rested = {e: PhysicalState(fatigue=0.5) for e in PEOPLE}
    state = prepared(moment(importance=0.5), physical=rested)
    update = rest_and_gate(state, runtime())
    assert update["participants"] == {"tp0": []}
    for person in PEOPLE:
        phi = update["phi"][person]["tp0"]
        assert update["resolution"][person]["tp0"] == band(phi) < ResolutionLevel.DIALOG
        entity = state["entities"][person]
        known = [e.information for e in state["exposures"] if e.entity_id == person]
        expected = with_cognitive(
            build_baseline_tensor(entity, CognitiveState(), rested[person], known),
            CognitiveState(), rested[person])
        assert update["tensors"][person] == expected


def test_enforce_validators_repairs_and_rejects_injected_violations():
    state = prepared()
    maya = state["entities"]["maya_okonkwo"]
    tensor = build_baseline_tensor(maya, CognitiveState(), PhysicalState(), [])
    skewed = tensor.model_copy(update={"behavior": (1.0, 0.0) * 4 + tensor.behavior[8:]})
    state.update(
        dialogs=[Dialog(id="dlg-tp0", timepoint_id="tp0", participants=PEOPLE, turns=(
            DialogTurn(speaker="helen_park", content="Seven months, I hear.",
                       knowledge_references=("init-daniel_reyes-0",)),))],
        cognitive={"daniel_reyes": CognitiveState().model_copy(update={"energy": -4.0})},
        tensors={"maya_okonkwo": skewed},
    )
    update = enforce_validators(state, runtime())
    actions = {(r.validator, r.entity_id): r.action for r in update["validation"]}
    assert actions == {
        ("information_conservation", "helen_park"): "recorded",
        ("energy_budget", "daniel_reyes"): "repaired",
        ("behavioral_inertia", "maya_okonkwo"): "rejected",
    }
    assert update["cognitive"]["daniel_reyes"].energy == 0.0
    assert update["tensors"]["maya_okonkwo"].behavior == personality_of_record(maya)
    assert update["mechanisms"]["M4"] == 3


def test_add_timestep_chains_after_a_mode_graphs_own_node(offline_router):
    def open_moment(state):
        tp = moment(importance=0.7)
        return {"timepoints": [tp], "cursor": tp.id}

    graph = StateGraph(SimState, context_schema=RunContext)
    graph.add_node("open_moment", open_moment)
    graph.add_edge(START, "open_moment")
    last = add_timestep(graph, after="open_moment")
    graph.add_edge(last, END)
    assert last == EXPANSION_NODE == TIMESTEP_NODES[-1]
    start = {k: v for k, v in prepared().items() if k not in ("timepoints", "cursor")}
    out = invoke(graph, start, offline_router)
    assert out["cursor"] == "tp0" and len(out["dialogs"]) == 1
    assert not any(tp.moment_of for tp in out["timepoints"])


def test_scene_setup_then_one_timestep(offline_router):
    from daedalus.graphs.scene import add_scene_setup

    def open_moment(state):
        tp = Timepoint(id="tp0", timestamp=SCENARIO.start_time, importance=0.9,
                       event_description="The board meets", entities_present=tuple(state["entities"]))
        return {"timepoints": [tp], "cursor": tp.id}

    graph = StateGraph(SimState, context_schema=RunContext)
    graph.add_node("open_moment", open_moment)
    graph.add_edge(add_scene_setup(graph), "open_moment")
    graph.add_edge(add_timestep(graph, after="open_moment"), END)
    out = invoke(graph, {"scenario": SCENARIO}, offline_router)
    assert set(out["tensors"]) == set(PEOPLE) and out["plan"] is not None
    assert len(out["dialogs"]) == 1 and len(out["participants"]["tp0"]) >= 2
    # the tensors the scene populated agree with each entity's personality of record
    assert not [r for r in out["validation"] if r.validator == "behavioral_inertia"]
    for person in PEOPLE:
        assert out["tensors"][person].behavior == personality_of_record(out["entities"][person])


def test_the_fidelity_plan_decides_who_speaks_at_a_quiet_moment():
    """M1+M17: at a low-importance moment ADPRS alone seats nobody; a plan that spends DIALOG
    on the cast seats them (dropping the plan's floors from the gate fails this test)."""
    from tests.agents.test_cast import planned

    quiet = prepared(moment(importance=0.3))
    assert rest_and_gate(quiet, runtime())["participants"] == {"tp0": []}
    spent = planned(quiet, dict.fromkeys(quiet["entities"], ResolutionLevel.DIALOG))
    assert set(rest_and_gate(spent, runtime())["participants"]["tp0"]) == set(PEOPLE)
    saved = planned(quiet, dict.fromkeys(quiet["entities"], ResolutionLevel.TENSOR_ONLY))
    assert rest_and_gate(saved, runtime())["participants"] == {"tp0": []}


def test_low_fidelity_entities_live_compressed_and_are_expanded_when_raised():
    """M6: a present entity left at TENSOR_ONLY is stored as its compressed tensor (refreshed
    with its mind and body); when a later moment raises it to a participant, its tensor is the
    expansion of that compressed form, not the stale full tensor."""
    from daedalus.kernel.tensors import fit_compression
    from tests.agents.test_cast import planned

    quiet = prepared(moment(importance=0.05))
    bodies = dict(zip(PEOPLE, (PhysicalState(), PhysicalState(fatigue=0.5), PhysicalState(pain=0.4)),
                      strict=True))  # bodies vary, so the fitted biology block has components
    tensors = {e: build_baseline_tensor(quiet["entities"][e], CognitiveState(), bodies[e], [])
               for e in PEOPLE}
    fitted = fit_compression(tensors.values())
    quiet.update(tensors=tensors, compression=fitted,
                 compressed={e: fitted.compress(t) for e, t in tensors.items()},
                 physical={"helen_park": PhysicalState(fatigue=0.9)})
    low = planned(quiet, dict.fromkeys(quiet["entities"], ResolutionLevel.TENSOR_ONLY))
    first = rest_and_gate(low, runtime())
    assert set(first["resolution"]) == set(PEOPLE)
    assert "tensors" not in first and set(first["compressed"]) == set(PEOPLE)
    assert first["compressed"]["helen_park"] != low["compressed"]["helen_park"]  # refreshed body
    assert first["mechanisms"]["M6"] == 3
    # the round-trip error of each stored form is reported, measured against what was packed
    assert set(first["compression_error"]) == set(PEOPLE)
    assert all(isinstance(e, float) and 0.0 <= e < 1.0 for e in first["compression_error"].values())

    later = moment("tp1", when=SCENARIO.start_time + timedelta(hours=1), importance=0.9, parent="tp0")
    raised = {**low, "timepoints": [*low["timepoints"], later], "cursor": "tp1",
              "compressed": {**low["compressed"], **first["compressed"]},
              "resolution": first["resolution"]}
    second = rest_and_gate(raised, runtime())
    talking = second["participants"]["tp1"]
    assert len(talking) >= 2
    for person in talking:
        expanded = fitted.expand(first["compressed"][person])
        assert second["tensors"][person].behavior == expanded.behavior
        assert second["tensors"][person] != tensors[person]
