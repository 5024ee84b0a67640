import asyncio
from datetime import timedelta

import pytest
from langgraph.runtime import Runtime
from pydantic import ValidationError

from daedalus.agents.elaboration import (
    IDLE_TICKS,
    NODE,
    elaboration_schema,
    logical_tick,
    progressive_training,
    with_trait_scores,
)
from daedalus.context import RunContext
from daedalus.domain import (
    Dialog,
    DialogTurn,
    Entity,
    EntityMetadata,
    ExposureEvent,
    ExposureKind,
    Relationship,
    ResolutionLevel,
    Timepoint,
)
from daedalus.kernel.tensors import BEHAVIOR_AXES
from daedalus.templates import load_template
from daedalus.testing import ScriptedModel
from daedalus.validators.enforcement import behaviour_axes, personality_of_record

MAYA, DANIEL, HELEN = "maya_okonkwo", "daniel_reyes", "helen_park"


def prepared(*, moments=1, metadata=None, extra_exposures=()):
    """board_meeting with a dialog between Maya and Daniel at the last moment; Helen is away."""
    scenario = load_template("board_meeting")
    entities = {
        s.id: Entity(id=s.id, name=s.name, kind=s.kind, role=s.role, traits=s.traits,
                     metadata=(metadata or {}).get(s.id, EntityMetadata()))
        for s in scenario.entities
    }
    exposures = [
        ExposureEvent(id=f"init-{s.id}-{n}", entity_id=s.id, kind=ExposureKind.INITIAL,
                      information=item.text, source="scenario")
        for s in scenario.entities for n, item in enumerate(s.knowledge)
    ]
    relationships = {}
    for spec in scenario.relationships:
        rel = Relationship(a=spec.a, b=spec.b, trust=spec.trust)
        relationships[rel.key] = rel
    timepoints = []
    for i in range(moments):
        timepoints.append(Timepoint(
            id=f"tp{i}", timestamp=scenario.start_time + timedelta(days=7 * i),
            causal_parent=f"tp{i - 1}" if i else None, event_description="The board meets",
            entities_present=(MAYA, DANIEL), importance=0.7,
        ))
    cursor = timepoints[-1].id
    turns = (
        DialogTurn(speaker=MAYA, content="Look at the pipeline, not the quarter.",
                   knowledge_references=(f"init-{MAYA}-1",), target=DANIEL),
        DialogTurn(speaker=DANIEL, content="Seven months of cash. That is the number.",
                   knowledge_references=(f"init-{DANIEL}-0",), target=MAYA),
        # Maya cites Daniel's exposure: the turn slips through but must not count
        DialogTurn(speaker=MAYA, content="Your spreadsheet says we are fine.",
                   knowledge_references=(f"init-{DANIEL}-0",), target=DANIEL),
    )
    told = ExposureEvent(id=f"dlg-{cursor}-told-0-{MAYA}", entity_id=MAYA, kind=ExposureKind.TOLD,
                         information="Cash covers seven months of operations", source=DANIEL,
                         timepoint_id=cursor)
    return {
        "scenario": scenario, "entities": entities, "timepoints": timepoints,
        "exposures": [*exposures, told, *extra_exposures], "relationships": relationships,
        "dialogs": [Dialog(id=f"dlg-{cursor}", timepoint_id=cursor, participants=(MAYA, DANIEL),
                           turns=turns)],
        "cursor": cursor,
    }


def run(state, model, scripted_router):
    runtime = Runtime(context=RunContext(router=scripted_router(model)))
    return asyncio.run(progressive_training(state, runtime))


def profile(entity, delta):
    axes = dict(zip(BEHAVIOR_AXES, behaviour_axes(personality_of_record(entity)), strict=True))
    return {"entity": entity.id, **{a: min(1.0, max(0.0, v + delta(a))) for a, v in axes.items()}}


def test_participants_gain_metadata_and_dialog_resolution_without_a_call(scripted_router):
    model = ScriptedModel()
    update = run(prepared(), model, scripted_router)
    assert model.calls == []
    maya, daniel = update["entities"][MAYA].metadata, update["entities"][DANIEL].metadata
    assert maya.training_iterations == daniel.training_iterations == 1
    # Daniel addressed Maya once; Maya's second line to Daniel cited what she could not know
    assert maya.query_count == 1 and daniel.query_count == 1
    assert maya.last_accessed == 0 and maya.eigenvector_centrality > 0
    assert update["resolution"] == {MAYA: {"tp0": ResolutionLevel.DIALOG},
                                    DANIEL: {"tp0": ResolutionLevel.DIALOG}}
    assert HELEN not in update["resolution"]
    assert update["mechanisms"]["M2"] == 2


def test_absent_entities_are_compressed_by_disuse(scripted_router):
    helen = EntityMetadata(query_count=5, resolution=ResolutionLevel.DIALOG, last_accessed=0)
    update = run(prepared(moments=IDLE_TICKS + 1, metadata={HELEN: helen}), ScriptedModel(),
                 scripted_router)
    assert update["entities"][HELEN].metadata.resolution == ResolutionLevel.GRAPH
    assert update["entities"][HELEN].metadata.query_count == 5


def test_crossing_a_level_triggers_exactly_one_elaboration_for_everyone(scripted_router):
    near = {e: EntityMetadata(training_iterations=5) for e in (MAYA, DANIEL)}
    state = prepared(metadata=near)
    answer = {"profiles": [profile(state["entities"][MAYA], lambda a: 0.05),
                           profile(state["entities"][DANIEL], lambda a: -0.05)]}
    model = ScriptedModel({NODE: [answer]})
    update = run(state, model, scripted_router)
    assert len(model.calls) == 1
    prompt = model.prompts_for(NODE)[0]
    assert "Look at the pipeline" in prompt and "Cash covers seven months" in prompt
    assert "Your spreadsheet says" not in prompt
    for person in (MAYA, DANIEL):
        entity = update["entities"][person]
        assert set(entity.profile.trait_scores) == set(BEHAVIOR_AXES)
        assert entity.metadata.training_iterations == 6
        assert update["tensors"][person].behavior == personality_of_record(entity)
        assert update["compressed"][person] == update["compression"].compress(
            update["tensors"][person])
    assert update["mechanisms"]["M6"] == len(update["compressed"]) > 0
    assert update["validation"] == []


def test_inertia_rejects_a_wild_shift_unless_something_happened(scripted_router):
    near = {e: EntityMetadata(training_iterations=5) for e in (MAYA, DANIEL)}
    shock = ExposureEvent(id="shock", entity_id=DANIEL, kind=ExposureKind.WITNESSED,
                          information="The lead investor walked out", timepoint_id="tp0")
    state = prepared(metadata=near, extra_exposures=[shock])
    flip = lambda a: 1.0 if a in ("extraversion", "neuroticism", "assertiveness") else -1.0  # noqa: E731
    answer = {"profiles": [profile(state["entities"][MAYA], flip),
                           profile(state["entities"][DANIEL], flip)]}
    update = run(state, ScriptedModel({NODE: [answer]}), scripted_router)
    assert update["entities"][MAYA].profile is None
    assert MAYA not in update.get("tensors", {})
    [record] = update["validation"]
    assert (record.entity_id, record.action, record.validator) == (MAYA, "rejected",
                                                                  "behavioral_inertia")
    # Daniel witnessed something at this moment: the same shift is accepted for him
    assert update["entities"][DANIEL].profile is not None
    assert DANIEL in update["tensors"]


def test_no_dialog_means_no_training(scripted_router):
    state = {**prepared(), "dialogs": []}
    update = run(state, ScriptedModel(), scripted_router)
    assert update["resolution"] == {} and update["entities"] == {}


def test_logical_tick_skips_details_and_never_runs_backwards():
    state = prepared(moments=3)
    detail = Timepoint(id="tp0.m1", timestamp=state["timepoints"][0].timestamp,
                       causal_parent="tp0", moment_of="tp0")
    timepoints = [state["timepoints"][0], detail, *state["timepoints"][1:]]
    assert logical_tick(timepoints, "tp2", state["entities"]) == 2
    late = {MAYA: state["entities"][MAYA].model_copy(
        update={"metadata": EntityMetadata(last_accessed=9)})}
    assert logical_tick(timepoints, "tp2", late) == 9


def test_trait_scores_merge_into_the_profile():
    entity = prepared()["entities"][MAYA]
    once = with_trait_scores(entity, {"openness": 0.7})
    twice = with_trait_scores(once, {"caution": 0.2})
    assert dict(twice.profile.trait_scores) == {"openness": 0.7, "caution": 0.2}


def test_schema_accepts_only_the_named_entities_and_bounded_scores():
    schema = elaboration_schema([MAYA])
    good = {"entity": MAYA, **dict.fromkeys(BEHAVIOR_AXES, 0.5)}
    assert schema.model_validate({"profiles": [good]})
    with pytest.raises(ValidationError):
        schema.model_validate({"profiles": [{**good, "entity": HELEN}]})
    with pytest.raises(ValidationError):
        schema.model_validate({"profiles": [{**good, "openness": 1.5}]})
