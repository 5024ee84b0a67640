import asyncio
import json

import pytest
from langgraph.runtime import Runtime

from daedalus.agents.portal_judge import ACTION, NODE, judge_schema, labels, portal_judge
from daedalus.context import RunContext
from daedalus.errors import ConfigError
from daedalus.llm.actions import ActionType
from daedalus.portal import (
    DecisionKind,
    EntityForecast,
    ForwardTrial,
    TrialVerdict,
    add_round,
    decide,
    new_candidates,
    open_round,
    start_record,
)
from daedalus.scenario import Scenario
from daedalus.testing import ScriptedModel

KNOWN = {"0": "Bo ran the seal test rig last spring", "1": "Ada set the burn week herself",
         "2": "Storm forecasts reach the launch team"}


def judged_state(weights=None):
    portal = {
        "endpoint": "The probe goes silent during its orbital burn.",
        "endpoint_time": "2029-01-01",
        "candidates": 3,
    }
    if weights:
        portal["weights"] = weights
    scenario = Scenario.model_validate(
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
            "timeline": {"steps": 3},
            "portal": portal,
        }
    )
    record = start_record(scenario.portal, scenario)
    frame = open_round(record)
    drafts = [
        ("Bo signs off a seal test he did not watch.", ["bo"], 0.7, "a bad seal flies"),
        ("Ada moves the burn up a week.", ["ada"], 0.5, "less margin"),
        ("A solar storm delays launch.", ["ada", "bo"], 0.3, "pressure builds"),
    ]
    record = add_round(record, new_candidates(frame, drafts))
    trials = {
        c.id: ForwardTrial(
            candidate_id=c.id,
            verdict=TrialVerdict.REACHED if c.id.endswith("c0") else TrialVerdict.MISSED,
            explains=("The probe goes silent during its orbital burn",) if c.id.endswith("c0") else (),
            beats=(f"beat after {c.id}",),
            outcome=f"outcome of {c.id}",
            forecasts=(EntityForecast(entity=c.entities[0], knows=(c.description, KNOWN[c.id[-1]])),),
        )
        for c in record.latest.candidates
    }
    return {"scenario": scenario, "portal": record, "portal_trials": trials}


def verdict(p, pr, n, ca, co, critique="weak link"):
    return {"plausibility": p, "precedent": pr, "necessity": n, "capability": ca,
            "coherence": co, "critique": critique}


def run(state, router):
    return asyncio.run(portal_judge(state, Runtime(context=RunContext(router=router))))


def test_node_declares_its_action():
    assert NODE == "portal_judge" and ACTION is ActionType.PORTAL_PATH_SCORING


def test_scripted_judgements_become_weighted_scores(scripted_router):
    state = judged_state(weights={"plausibility": 1.0, "coherence": 3.0})
    answer = {
        "c1": verdict(0.8, 0.1, 0.1, 0.1, 1.0, "convincing"),
        "c2": verdict(0.4, 0.9, 0.9, 0.9, 0.2),
        "c3": verdict(1.0, 1.0, 1.0, 1.0, 0.0, "never arrives"),
    }
    model = ScriptedModel({"portal_judge": [answer]})
    out = run(state, scripted_router(model))
    proposal = out["portal"].latest
    totals = {s.candidate_id: s.total for s in proposal.scores}
    assert totals == {"s002-r0-c0": 0.95, "s002-r0-c1": 0.25, "s002-r0-c2": 0.25}
    assert proposal.scores[0].scores.precedent == 0.1
    assert proposal.scores[2].critique == "never arrives"
    assert [t.outcome for t in proposal.trials] == [
        "outcome of s002-r0-c0", "outcome of s002-r0-c1", "outcome of s002-r0-c2",
    ]
    assert out["mechanisms"] == {"M17": 1}
    assert [s.verdict for s in proposal.scores] == [TrialVerdict.REACHED, TrialVerdict.MISSED,
                                                     TrialVerdict.MISSED]
    prompt = model.prompts_for("portal_judge")[0]
    sheet = json.loads(prompt[prompt.index("{"):])
    assert sheet["facts"] == {"f1": "The probe goes silent during its orbital burn"}
    assert sheet["candidates"]["c1"]["event"] == "Bo signs off a seal test he did not watch."
    assert sheet["candidates"]["c2"]["verdict"] == "missed"
    assert sheet["candidates"]["c2"]["outcome"] == "outcome of s002-r0-c1"
    # the event itself is not repeated as knowledge on arrival; each item is stated once
    ((name, (label,)),) = sheet["candidates"]["c3"]["knows"].items()
    assert name == "Ada Ruiz" and sheet["known"][label] == KNOWN["2"]
    assert len(sheet["known"]) == len(set(sheet["known"].values()))


def test_a_missing_judgement_is_re_asked_not_defaulted(scripted_router):
    state = judged_state()
    partial = {"c1": verdict(0.5, 0.5, 0.5, 0.5, 0.5), "c2": verdict(0.5, 0.5, 0.5, 0.5, 0.5)}
    full = {**partial, "c3": verdict(0.9, 0.9, 0.9, 0.9, 0.9)}

    async def no_wait(seconds):
        return None

    model = ScriptedModel({"portal_judge": [partial, full]})
    out = run(state, scripted_router(model, sleep=no_wait))
    assert len(model.calls_for("portal_judge")) == 2
    assert out["portal"].latest.scores[2].total == 0.9


def test_missing_trials_are_an_error(offline_router):
    state = judged_state()
    state["portal_trials"] = dict(list(state["portal_trials"].items())[:2])
    with pytest.raises(ConfigError, match="missing"):
        run(state, offline_router)


def test_schema_has_one_required_entry_per_label():
    schema = judge_schema(3)
    assert labels(3) == ("c1", "c2", "c3")
    assert set(schema.model_json_schema()["required"]) == {"c1", "c2", "c3"}


def test_offline_judge_scores_every_candidate(offline_router):
    out = run(judged_state(), offline_router)
    scores = out["portal"].latest.scores
    assert len(scores) == 3 and all(0.0 <= s.total <= 1.0 for s in scores)


def with_verdicts(state, verdicts):
    """``state`` whose trials carry ``verdicts`` (one per candidate, in order)."""
    fact = "The probe goes silent during its orbital burn"
    trials = {}
    for (cid, trial), verdict in zip(state["portal_trials"].items(), verdicts, strict=True):
        explains = (fact,) if verdict is TrialVerdict.REACHED else ()
        trials[cid] = trial.model_copy(update={"verdict": verdict, "explains": explains})
    return {**state, "portal_trials": trials}


def ranked(out):
    scores = out["portal"].latest.scores
    return [s.candidate_id for s in sorted(scores, key=lambda s: s.rank, reverse=True)]


def test_offline_judge_scores_follow_the_evidence_not_the_seed():
    from daedalus.llm.router import Router

    reached, missed = TrialVerdict.REACHED, TrialVerdict.MISSED
    first = with_verdicts(judged_state(), [reached, missed, missed])
    totals = [
        [s.total for s in run(first, Router.offline(seed=seed))["portal"].latest.scores]
        for seed in (0, 5)
    ]
    assert totals[0] == totals[1]
    assert totals[0][0] > max(totals[0][1:])
    # the same candidates with the evidence swapped swap places
    swapped = with_verdicts(judged_state(), [missed, reached, missed])
    again = [s.total for s in run(swapped, Router.offline(seed=0))["portal"].latest.scores]
    assert again[1] > max(again[0], again[2])


def test_offline_judge_critique_names_the_evidence(offline_router):
    out = run(with_verdicts(judged_state(), [TrialVerdict.REACHED, TrialVerdict.MISSED,
                                             TrialVerdict.MISSED]), offline_router)
    critiques = [s.critique for s in out["portal"].latest.scores]
    assert "reaches the target" in critiques[0]
    assert critiques[1] == "Its trial explains none of the target's facts."


def test_a_reaching_trial_outranks_a_missing_one_offline(offline_router):
    state = with_verdicts(judged_state(), [TrialVerdict.MISSED, TrialVerdict.REACHED,
                                           TrialVerdict.MISSED])
    out = run(state, offline_router)
    assert ranked(out)[0] == "s002-r0-c1"
    decision = decide(out["portal"])
    assert decision.kind is DecisionKind.ACCEPT and decision.candidate_id == "s002-r0-c1"


def test_a_reaching_trial_outranks_a_missing_one_the_judge_prefers(scripted_router):
    # The judge scores the missing candidate highest; the trial evidence still decides.
    state = with_verdicts(judged_state(), [TrialVerdict.MISSED, TrialVerdict.REACHED,
                                           TrialVerdict.MISSED])
    answer = {
        "c1": verdict(0.95, 0.95, 0.95, 0.95, 0.95, "judge's favourite"),
        "c2": verdict(0.75, 0.75, 0.75, 0.75, 0.75, "reaches the target"),
        "c3": verdict(0.5, 0.5, 0.5, 0.5, 0.5),
    }
    out = run(state, scripted_router(ScriptedModel({"portal_judge": [answer]})))
    assert ranked(out)[0] == "s002-r0-c1"
    decision = decide(out["portal"])
    assert decision.kind is DecisionKind.ACCEPT and decision.candidate_id == "s002-r0-c1"
    assert "won: s002-r0-c1 reached" in decision.evidence
    assert "runner-up s002-r0-c0 missed" in decision.evidence
