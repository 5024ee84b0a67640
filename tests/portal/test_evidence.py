"""The evidence rule: trials' verdicts and contradictions decide before the judge's totals."""

from hypothesis import given
from hypothesis import strategies as st

from daedalus.domain import ExposureEvent, ExposureKind
from daedalus.portal import (
    CRITERIA,
    CriterionScores,
    DecisionKind,
    ForwardTrial,
    RoundReason,
    TrialVerdict,
    add_round,
    apply_decision,
    decide,
    distinct_drafts,
    judge_round,
    knowledge_before,
    new_candidates,
    open_round,
    start_record,
    target_facts,
)
from daedalus.scenario import Scenario

REACHED, PARTLY, MISSED = TrialVerdict.REACHED, TrialVerdict.PARTLY, TrialVerdict.MISSED
ENDPOINT = "The probe goes silent during its burn; the last telemetry shows a power fault."


def scenario(steps=2, max_backtracks=2):
    return Scenario.model_validate(
        {
            "id": "probe", "name": "Probe", "description": "A probe mission is lost.",
            "mode": "portal", "start": "2026-01-01",
            "entities": [{"id": "e0", "name": "E0"}, {"id": "e1", "name": "E1"}],
            "timeline": {"steps": steps},
            "portal": {"endpoint": ENDPOINT, "endpoint_time": "2029-01-01", "candidates": 3,
                       "strategy": "reverse_chronological", "max_backtracks": max_backtracks},
        }
    )


def judged(record, outcomes):
    """``record`` with a round of one candidate per (total, verdict, contradicts) judged."""
    frame = open_round(record)
    drafts = [(f"event {frame.id} number {i}", ["e0"], 0.5, "r") for i in range(len(outcomes))]
    record = add_round(record, new_candidates(frame, drafts))
    ids = [c.id for c in record.latest.candidates]
    trials, scores = {}, {}
    for cid, (total, verdict, contradicts) in zip(ids, outcomes, strict=True):
        trials[cid] = ForwardTrial(candidate_id=cid, verdict=verdict, beats=("b",), outcome="o",
                                   contradicts=contradicts)
        scores[cid] = (CriterionScores(**dict.fromkeys(CRITERIA, total)), "c")
    return judge_round(record, frame.id, trials, scores)


def test_target_facts_are_sentences_and_clauses():
    assert target_facts(ENDPOINT) == (
        "The probe goes silent during its burn",
        "the last telemetry shows a power fault",
    )
    assert target_facts("One. Ok.") == ("One; Ok",)


def test_knowledge_before_keeps_what_was_known_before_the_timeline_and_what_is_carried():
    def exposure(i, entity, timepoint):
        return ExposureEvent(id=f"x{i}", entity_id=entity, kind=ExposureKind.INITIAL,
                             information=f"fact {i}", source="scenario", timepoint_id=timepoint)

    events = [exposure(0, "e0", None), exposure(1, "e0", "portal-003"), exposure(2, "e1", None)]
    known = knowledge_before(events, ["e0"], carried={"e0": ["told later"], "e1": ["x"]})
    assert known == {"e0": ("fact 0", "told later")}


def test_a_reached_trial_wins_over_a_missed_one_with_a_higher_total():
    record = start_record(scenario().portal, scenario())
    record = judged(record, [(0.95, MISSED, ()), (0.75, REACHED, ()), (0.8, PARTLY, ())])
    decision = decide(record)
    assert (decision.kind, decision.candidate_id) == (DecisionKind.ACCEPT, "s001-r0-c1")
    assert decision.evidence.startswith("won: s001-r0-c1 reached")


def test_a_trial_contradicting_the_endpoint_is_disqualified():
    record = start_record(scenario().portal, scenario())
    fact = "the last telemetry shows a power fault"
    record = judged(record, [(0.99, REACHED, (fact,)), (0.72, PARTLY, ())])
    assert [s.disqualified for s in record.latest.scores] == [True, False]
    assert decide(record).candidate_id == "s001-r0-c1"


def test_no_passing_trial_reproposes_with_the_evidence_then_gives_up_on_the_best_ranked():
    spec = scenario(steps=1)
    record = start_record(spec.portal, spec)
    record = judged(record, [(0.9, MISSED, ()), (0.6, PARTLY, ())])
    decision = decide(record)
    assert decision.kind is DecisionKind.REPROPOSE
    assert "0 reached, 1 partly, 1 missed" in decision.evidence
    assert "trial missed" in decision.feedback
    record = apply_decision(record, decision)
    assert record.decisions[-1].evidence == decision.evidence
    record = judged(record, [(0.95, MISSED, ()), (0.5, PARTLY, ())])
    decision = decide(record)
    # every trial but one missed: the partly one is kept although its total is lowest
    assert decision.kind is DecisionKind.GIVE_UP and decision.candidate_id == "s000-r0-c1"
    record = apply_decision(record, decision)
    assert [d.kind for d in record.decisions] == [DecisionKind.REPROPOSE, DecisionKind.GIVE_UP]


def test_trials_contradicting_the_later_link_step_back_at_once():
    spec = scenario(steps=2)
    record = start_record(spec.portal, spec)
    record = judged(record, [(0.9, REACHED, ()), (0.85, REACHED, ())])
    record = apply_decision(record, decide(record))
    later = record.link(1).description
    record = judged(record, [(0.9, MISSED, (later,)), (0.8, PARTLY, (later,))])
    decision = decide(record)
    assert decision.kind is DecisionKind.BACKTRACK and decision.to_slot == 1
    assert decision.candidate_id == "s001-r0-c1"
    assert "every trial contradicted slot 1's event" in decision.evidence
    assert "next-best here: s001-r0-c1 reached" in decision.evidence
    record = apply_decision(record, decision)
    assert record.pending.reason is RoundReason.INITIAL and record.step(1).chosen == "s001-r0-c1"


@given(st.lists(st.tuples(st.floats(0, 1), st.sampled_from(list(TrialVerdict))), min_size=2,
                max_size=6))
def test_a_missed_trial_never_wins_while_another_did_not_miss(outcomes):
    spec = scenario(steps=1, max_backtracks=0)
    record = start_record(spec.portal, spec)
    record = judged(record, [(total, verdict, ()) for total, verdict in outcomes])
    decision = decide(record)
    if decision.kind is DecisionKind.REPROPOSE:
        record = apply_decision(record, decision)
        record = judged(record, [(total, verdict, ()) for total, verdict in outcomes])
        decision = decide(record)
    chosen = next(s for r in record.step(0).rounds for s in r.scores
                  if s.candidate_id == decision.candidate_id)
    if any(verdict is not MISSED for _, verdict in outcomes):
        assert chosen.verdict is not MISSED


def test_distinct_drafts_rejects_repeats_echoes_and_taken_events():
    drafts = [
        ("A valve test is skipped.", ("e0",), 0.5, "r"),
        ("a VALVE test is skipped", ("e1",), 0.5, "r"),
        ("Managers freeze the budget.", ("e0",), 0.5, "propose exactly three candidate events now"),
        ("A vendor ships bad seals.", ("e0",), 0.5, "r"),
    ]
    kept, rejected = distinct_drafts(
        drafts, "Propose exactly three candidate events now.", taken=["A vendor ships bad seals"]
    )
    assert [d[0] for d in kept] == ["A valve test is skipped."]
    assert len(rejected) == 3 and rejected[1].startswith("repeats the instructions")


def test_a_draft_restating_the_event_it_leads_to_is_rejected():
    drafts = [
        ("The probe goes silent during its burn after a power fault.", ("e0",), 0.5, "r"),
        ("A power supply ships with a cracked housing.", ("e0",), 0.5, "r"),
    ]
    kept, rejected = distinct_drafts(drafts, "Propose events.", neighbours=[ENDPOINT])
    assert [d[0] for d in kept] == ["A power supply ships with a cracked housing."]
    assert rejected[0].startswith("restates the event it must connect to")


def test_slot_reports_tell_candidates_outcomes_and_why_the_winner_won():
    from daedalus.portal import slot_reports

    spec = scenario(steps=1)
    record = start_record(spec.portal, spec)
    fact = "the last telemetry shows a power fault"
    record = judged(record, [(0.9, MISSED, ()), (0.8, REACHED, ()), (0.99, REACHED, (fact,))])
    record = apply_decision(record, decide(record))
    (report,) = slot_reports(record)
    assert report.chosen == "s000-r0-c1" and report.rounds == 1
    assert report.why.startswith("accept: won: s000-r0-c1 reached")
    assert [(c.verdict, c.chosen, c.disqualified) for c in report.candidates] == [
        ("missed", False, False), ("reached", True, False), ("reached", False, True),
    ]
    assert report.candidates[2].contradicts == (fact,)


def test_on_the_early_end_trials_start_from_the_accepted_trials_predicted_state():
    from daedalus.portal import EntityForecast, trial_requests

    base = scenario(steps=4)
    portal = base.portal.model_copy(update={"strategy": "oscillating"})
    record = start_record(portal, base)
    forecast = EntityForecast(entity="e0", knows=("the pump was swapped",), valence=-0.6,
                              arousal=0.9, energy=0.4, fatigue=0.5)
    for _ in range(4):
        frame = open_round(record)
        if frame.antecedent is not None and frame.antecedent.slot == 0:
            break
        record = add_round(record, new_candidates(frame, [(f"event at {frame.id}", ["e0"], 0.5, "r")]))
        (cid,) = [c.id for c in record.latest.candidates]
        trial = ForwardTrial(candidate_id=cid, verdict=REACHED, beats=("b",), outcome="o",
                             forecasts=(forecast,) if frame.slot == 0 else ())
        scores = {cid: (CriterionScores(**dict.fromkeys(CRITERIA, 0.9)), "c")}
        record = judge_round(record, frame.id, {cid: trial}, scores)
        record = apply_decision(record, decide(record))
    frame = open_round(record)
    assert frame.antecedent is not None and frame.antecedent.slot == 0
    record = add_round(record, new_candidates(frame, [("the next event", ["e0"], 0.5, "r")]))
    (request,) = trial_requests(record, {"e0": "E0"}, "Probe", {"e0": ()},
                                {"e0": (0.5, 0.5, 1.0, 0.0)})
    assert request.sheet.state["e0"] == (-0.6, 0.9, 0.4, 0.5)
    assert "the pump was swapped" in request.sheet.knows["e0"]
