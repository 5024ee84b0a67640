import asyncio

import pytest
from langgraph.runtime import Runtime

from daedalus.agents.portal_candidates import (
    ACTION,
    NODE,
    candidates_schema,
    instruction_text,
    portal_candidates,
)
from daedalus.context import RunContext
from daedalus.llm.actions import ActionType
from daedalus.portal import CriterionScores as Scores
from daedalus.portal import (
    ForwardTrial,
    RoundReason,
    Side,
    TrialVerdict,
    apply_decision,
    decide,
    instruction_overlap,
    judge_round,
    normalised,
    start_record,
)
from daedalus.scenario import Scenario
from daedalus.testing import ScriptedModel


def portal_scenario(strategy="reverse_chronological", steps=3, candidates=3):
    return Scenario.model_validate(
        {
            "id": "probe",
            "name": "Probe loss",
            "description": "A deep-space probe team works against a launch deadline.",
            "mode": "portal",
            "start": "2026-01-01",
            "entities": [
                {"id": "ada", "name": "Ada Ruiz", "role": "flight director"},
                {"id": "bo", "name": "Bo Tan", "role": "propulsion engineer"},
            ],
            "timeline": {"steps": steps},
            "portal": {
                "endpoint": "The probe goes silent during its orbital burn.",
                "endpoint_time": "2029-01-01",
                "candidates": candidates,
                "strategy": strategy,
            },
        }
    )


def drafts(*descriptions, entities=("ada",)):
    return {
        "candidates": [
            {"description": d, "entities": list(entities), "importance": 0.6, "rationale": f"{d} leads on."}
            for d in descriptions
        ]
    }


async def no_wait(seconds):
    return None


def run(node, state, router):
    return asyncio.run(node(state, Runtime(context=RunContext(router=router))))


def state_for(scenario):
    return {"scenario": scenario, "portal": start_record(scenario.portal, scenario)}


def test_node_declares_its_action():
    assert NODE == "portal_candidates"
    assert ACTION is ActionType.PORTAL_BACKWARD_REASONING


def test_scripted_proposals_become_a_numbered_round(scripted_router):
    scenario = portal_scenario()
    answer = drafts("A valve test is skipped.", "The burn plan is rushed.", "A sensor is miswired.")
    answer["candidates"][1]["entities"] = ["bo", "bo"]
    model = ScriptedModel({"portal_candidates": [answer]})
    out = run(portal_candidates, state_for(scenario), scripted_router(model))
    record = out["portal"]
    proposal = record.latest
    assert record.pending is None and out["mechanisms"] == {"M17": 1}
    assert [c.id for c in proposal.candidates] == ["s002-r0-c0", "s002-r0-c1", "s002-r0-c2"]
    assert proposal.candidates[1].entities == ("bo",)
    assert proposal.candidates[0].description == "A valve test is skipped."
    assert proposal.side is Side.LATE and proposal.consequent.id == "endpoint"
    prompt = model.prompts_for("portal_candidates")[0]
    assert "The probe goes silent during its orbital burn." in prompt
    assert "exactly 3 candidate events" in prompt and "Bo Tan, propulsion engineer (id bo)" in prompt


def test_a_proposal_naming_an_unknown_person_is_re_asked(scripted_router):
    scenario = portal_scenario()
    bad = drafts("One.", "Two two.", "Three three.", entities=("zed",))
    good = drafts("A valve test is skipped.", "The burn plan is rushed.", "A sensor is miswired.")
    model = ScriptedModel({"portal_candidates": [bad, good]})
    out = run(portal_candidates, state_for(scenario), scripted_router(model, sleep=no_wait))
    assert len(model.calls_for("portal_candidates")) == 2
    assert "zed" in model.prompts_for("portal_candidates")[1]
    assert all(c.entities == ("ada",) for c in out["portal"].latest.candidates)


def test_schema_demands_exactly_the_requested_count():
    schema = candidates_schema(3, ("ada", "bo"))
    with pytest.raises(ValueError):
        schema.model_validate(drafts("A valve test is skipped.", "The burn plan is rushed."))


def test_re_proposal_prompt_carries_the_judges_feedback(scripted_router):
    scenario = portal_scenario()
    first = drafts("A valve test is skipped.", "The burn plan is rushed.", "A sensor is miswired.")
    second = drafts("Budget cuts thin the team.", "A vendor ships bad seals.", "Training is cut.")
    model = ScriptedModel({"portal_candidates": [first, second]})
    router = scripted_router(model)
    state = state_for(scenario)
    record = run(portal_candidates, state, router)["portal"]
    ids = [c.id for c in record.latest.candidates]
    trials = {i: ForwardTrial(candidate_id=i, verdict=TrialVerdict.MISSED, beats=("b",), outcome="drifts") for i in ids}
    low = Scores(plausibility=0.2, precedent=0.2, necessity=0.2, capability=0.2, coherence=0.1)
    judged = {i: (low, f"too weak a cause ({i})") for i in ids}
    record = judge_round(record, record.latest.id, trials, judged)
    record = apply_decision(record, decide(record))
    assert record.pending.reason is RoundReason.FEEDBACK
    out = run(portal_candidates, {**state, "portal": record}, router)
    prompt = model.prompts_for("portal_candidates")[1]
    assert "fell short of the judge's threshold" in prompt
    assert "A sensor is miswired." in prompt and "too weak a cause (s002-r0-c2)" in prompt
    latest = out["portal"].latest
    assert latest.id == "s002-r1" and latest.reason is RoundReason.FEEDBACK
    assert latest.excluded == tuple(ids)


def test_early_end_prompt_names_what_came_before_and_the_far_target(scripted_router):
    scenario = portal_scenario(strategy="oscillating", steps=4)
    answers = [drafts(f"Event {k}a.", f"Event {k}b.", f"Event {k}c.") for k in range(3)]
    model = ScriptedModel({"portal_candidates": answers})
    router = scripted_router(model)
    state = state_for(scenario)
    good = Scores(plausibility=0.9, precedent=0.9, necessity=0.9, capability=0.9, coherence=0.9)
    record = state["portal"]
    for _ in range(3):
        record = run(portal_candidates, {**state, "portal": record}, router)["portal"]
        ids = [c.id for c in record.latest.candidates]
        trials = {i: ForwardTrial(candidate_id=i, verdict=TrialVerdict.REACHED, beats=("b",), outcome="o") for i in ids}
        record = judge_round(record, record.latest.id, trials, {i: (good, "fine") for i in ids})
        record = apply_decision(record, decide(record))
    _, origin, third = model.prompts_for("portal_candidates")
    assert "This is the origin of the timeline" in origin
    assert "Where the chain must eventually arrive" in origin and "Event 0a." in origin
    assert "What came just before" not in origin
    assert record.pending.slot == 1 and record.latest.side is Side.LATE
    assert "What follows next" in third and "Event 0a." in third


def test_offline_model_proposes_valid_candidates(offline_router):
    scenario = portal_scenario(candidates=4)
    record = run(portal_candidates, state_for(scenario), offline_router)["portal"]
    proposal = record.latest
    assert 1 <= len(proposal.candidates) <= 4
    assert all(set(c.entities) <= {"ada", "bo"} and c.description for c in proposal.candidates)
    texts = [normalised(c.description) for c in proposal.candidates]
    assert len(set(texts)) == len(texts)
    instructions = instruction_text(4)
    assert not any(instruction_overlap(c.description, instructions) for c in proposal.candidates)
    assert not any(instruction_overlap(c.rationale, instructions) for c in proposal.candidates)


def test_near_duplicates_and_instruction_echoes_are_re_asked_once(scripted_router):
    scenario = portal_scenario(candidates=3)
    first = drafts("A valve test is skipped.", "A valve test is  SKIPPED!",
                   "Propose exactly 3 candidate events for this moment.")
    second = drafts("A vendor ships bad seals.", "A valve test is skipped again.")
    model = ScriptedModel({"portal_candidates": [first, second]})
    out = run(portal_candidates, state_for(scenario), scripted_router(model))
    assert len(model.calls_for("portal_candidates")) == 2
    retry = model.prompts_for("portal_candidates")[1]
    assert "Propose exactly 2 candidate" in retry and "already taken:\n- A valve test is skipped." in retry
    kept = [c.description for c in out["portal"].latest.candidates]
    assert kept == ["A valve test is skipped.", "A vendor ships bad seals."]
    assert [c.id for c in out["portal"].latest.candidates] == ["s002-r0-c0", "s002-r0-c1"]


def test_the_proposal_shows_what_each_person_knows_at_that_moment(scripted_router):
    from daedalus.domain import ExposureEvent, ExposureKind

    scenario = portal_scenario()
    state = state_for(scenario)
    state["exposures"] = [
        ExposureEvent(id="k0", entity_id="bo", kind=ExposureKind.INITIAL, source="scenario",
                      information="The seal bench test leaked twice"),
        ExposureEvent(id="k1", entity_id="bo", kind=ExposureKind.WITNESSED, source="portal",
                      information="A later briefing", timepoint_id="portal-002"),
    ]
    model = ScriptedModel({"portal_candidates": [drafts("A valve test is skipped.", "A vendor ships bad seals.", "Training is cut short.")]})
    run(portal_candidates, state, scripted_router(model))
    prompt = model.prompts_for("portal_candidates")[0]
    assert "(id bo); knows: The seal bench test leaked twice." in prompt
    assert "A later briefing" not in prompt


def test_people_enter_the_proposal_at_their_level_for_the_slot(scripted_router):
    """M1: the plan leaves everyone at TENSOR_ONLY; the people of the next link and those whose
    knowledge bears on it are raised to DIALOG, the rest stay one line without knowledge."""
    from daedalus.domain import ResolutionLevel
    from daedalus.kernel.fidelity import FidelityMap
    from daedalus.kernel.strategy import BudgetMode, FidelityTemplate, plan_fidelity
    from tests.builders import sim_state

    scenario = Scenario.model_validate({
        **portal_scenario().model_dump(mode="json", exclude={"entities"}),
        "entities": [
            {"id": "ada", "name": "Ada Ruiz", "role": "flight director"},
            {"id": "bo", "name": "Bo Tan", "role": "propulsion engineer",
             "knowledge": ["The canteen closes early on Fridays"]},
            {"id": "cy", "name": "Cy Park", "role": "test lead",
             "knowledge": ["The valve bench test was never finished"]},
        ],
    })
    state = {**sim_state(scenario), "timepoints": []}
    slots = {"slot-000": 0.5, "slot-001": 0.5, "slot-002": 0.5}
    plan = plan_fidelity(scenario.mode, FidelityTemplate.BALANCED, slots,
                         dict.fromkeys(state["entities"], 0.5), BudgetMode.MAX, None)
    cells = {e: dict.fromkeys(slots, ResolutionLevel.TENSOR_ONLY) for e in state["entities"]}
    state["plan"] = plan.model_copy(update={"cells": FidelityMap(levels=cells)})
    state["portal"] = start_record(scenario.portal, scenario)
    first = drafts("A valve test is skipped.", "The burn plan is rushed.", "A sensor is miswired.")
    second = drafts("Budget cuts thin the team.", "A vendor ships bad seals.", "Training is cut.")
    model = ScriptedModel({"portal_candidates": [first, second]})
    router = scripted_router(model)
    record = run(portal_candidates, state, router)["portal"]
    ids = [c.id for c in record.latest.candidates]
    trials = {i: ForwardTrial(candidate_id=i, verdict=TrialVerdict.REACHED, beats=("b",), outcome="o") for i in ids}
    good = Scores(plausibility=0.9, precedent=0.9, necessity=0.9, capability=0.9, coherence=0.9)
    record = judge_round(record, record.latest.id, trials, {i: (good, "fine") for i in ids})
    record = apply_decision(record, decide(record))
    run(portal_candidates, {**state, "portal": record}, router)
    at_endpoint, after_valve = model.prompts_for("portal_candidates")
    assert "knows: The canteen closes early on Fridays" in at_endpoint  # the endpoint holds all
    assert "- ada: Ada Ruiz" in after_valve and "flight director" in after_valve
    assert "knows: The valve bench test was never finished" in after_valve
    assert "canteen" not in after_valve and "propulsion engineer" not in after_valve
