from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from daedalus.errors import ConfigError
from daedalus.kernel.temporal import check_portal
from daedalus.portal import (
    CRITERIA,
    CandidateScore,
    CriterionScores,
    DecisionKind,
    ForwardTrial,
    PortalRecord,
    RoundReason,
    Side,
    TrialVerdict,
    add_round,
    apply_decision,
    backward_chain,
    chain_timepoints,
    decide,
    detect_pivots,
    judge_round,
    new_candidates,
    next_slot,
    normalise_weights,
    open_round,
    resolve_strategy,
    side_of,
    slot_order,
    slot_times,
    start_record,
    trial_requests,
    weighted_total,
    with_chain,
    witnessed_exposures,
)
from daedalus.provenance import Provenance
from daedalus.scenario import PortalStrategy, Scenario

REVERSE = PortalStrategy.REVERSE_CHRONOLOGICAL
OSCILLATING = PortalStrategy.OSCILLATING
ADAPTIVE = PortalStrategy.ADAPTIVE


def scenario(steps=3, strategy="reverse_chronological", candidates=3, entities=2, **portal):
    return Scenario.model_validate(
        {
            "id": "probe",
            "name": "Probe",
            "description": "A probe mission is lost.",
            "mode": "portal",
            "start": "2026-01-01",
            "entities": [{"id": f"e{i}", "name": f"E{i}"} for i in range(entities)],
            "timeline": {"steps": steps},
            "portal": {
                "endpoint": "The probe goes silent.",
                "endpoint_time": "2029-01-01",
                "candidates": candidates,
                "strategy": strategy,
                **portal,
            },
        }
    )


def flat(value):
    return CriterionScores(**dict.fromkeys(CRITERIA, value))


def reached(cid):
    return ForwardTrial(candidate_id=cid, verdict=TrialVerdict.REACHED, beats=("b",), outcome="o")


Scores = Callable[[PortalRecord, int], list[float]]
"""(record, slot) -> one uniform score per candidate of the round being judged."""


def play(record, scores: Scores, limit=200):
    """Drive the pure search to the end: propose, trial, judge, decide, apply."""
    decisions = []
    for _ in range(limit):
        if record.pending is None:
            return record, decisions
        frame = open_round(record)
        values = scores(record, frame.slot)
        drafts = [(f"event {frame.id} #{i}", ["e0"], 0.4, "because") for i in range(len(values))]
        record = add_round(record, new_candidates(frame, drafts))
        ids = [c.id for c in record.latest.candidates]
        trials = {i: reached(i) for i in ids}
        judged = {i: (flat(v), f"critique {i}") for i, v in zip(ids, values, strict=True)}
        record = judge_round(record, frame.id, trials, judged)
        decision = decide(record)
        decisions.append(decision)
        record = apply_decision(record, decision)
    raise AssertionError("the search did not finish")


def chosen_chain(record):
    return [record.step(s).chosen for s in range(record.slot_count)]


# -- weights and totals ------------------------------------------------------------------


def test_weighted_total_uses_normalised_weights():
    scores = CriterionScores(plausibility=1.0, precedent=0.0, necessity=0.5, capability=0.0, coherence=1.0)
    assert weighted_total(scores, {"plausibility": 1, "coherence": 1}) == 1.0
    assert weighted_total(scores, {"plausibility": 2, "precedent": 2}) == 0.5
    default = scenario().portal.weights
    assert weighted_total(scores, default) == round(0.25 + 0.2 * 0.5 + 0.25, 4)


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        ({"charisma": 1.0}, "unknown portal criteria"),
        ({"plausibility": -0.1, "coherence": 1.0}, "non-negative"),
        ({"plausibility": 0.0}, "not all be zero"),
    ],
)
def test_bad_weights_are_refused(weights, message):
    with pytest.raises(ConfigError, match=message):
        normalise_weights(weights)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(0, 1), min_size=5, max_size=5),
    st.lists(st.floats(0, 10), min_size=5, max_size=5).filter(lambda w: sum(w) > 0.01),
)
def test_total_lies_between_lowest_and_highest_weighted_score(values, weights):
    scores = CriterionScores(**dict(zip(CRITERIA, values, strict=True)))
    weight_map = dict(zip(CRITERIA, weights, strict=True))
    used = [v for v, w in zip(values, weights, strict=True) if w > 0]
    total = weighted_total(scores, weight_map)
    assert min(used) - 1e-4 <= total <= max(used) + 1e-4
    assert sum(normalise_weights(weight_map).values()) == pytest.approx(1.0)


# -- slots and strategies ----------------------------------------------------------------


def test_slot_times_are_evenly_spaced_from_origin_to_endpoint():
    times = slot_times(datetime(2026, 1, 1, 9), date(2031, 1, 1), 10)
    assert len(times) == 11
    assert times[0] == datetime(2026, 1, 1, 9) and times[-1] == datetime(2031, 1, 1, 12)
    assert all(t.time() == time(9, 0) for t in times[:-1])  # the origin's time of day
    gaps = [later.date() - earlier.date() for earlier, later in pairwise(times)]
    assert max(gaps) - min(gaps) <= timedelta(days=1)
    assert times[5].date() == date(2028, 7, 2)
    hours = slot_times(datetime(2026, 1, 1, 9), datetime(2026, 1, 1, 15), 3)
    assert [t.hour for t in hours] == [9, 11, 13, 15]
    with pytest.raises(ConfigError, match="must be after"):
        slot_times(datetime(2031, 1, 2), date(2031, 1, 1), 3)
    with pytest.raises(ConfigError, match="at least 1"):
        slot_times(datetime(2026, 1, 1), date(2031, 1, 1), 0)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 60), st.integers(1, 4000), st.integers(0, 23))
def test_slot_times_strictly_increase(steps, days, hour):
    origin = datetime(2026, 1, 1, hour)
    times = slot_times(origin, origin + timedelta(days=days, hours=1), steps)
    assert len(times) == steps + 1
    assert all(earlier < later for earlier, later in pairwise(times))


def test_reverse_order_runs_from_endpoint_to_origin():
    assert slot_order(10, REVERSE) == (9, 8, 7, 6, 5, 4, 3, 2, 1, 0)


def test_oscillating_order_alternates_ends_and_meets_in_the_middle():
    assert slot_order(10, OSCILLATING) == (9, 0, 8, 1, 7, 2, 6, 3, 5, 4)
    filled = set(slot_order(10, OSCILLATING)[:-1])
    assert side_of(4, filled, 10) is Side.BRIDGE


def test_adaptive_chooses_oscillating_for_complex_scenarios_only():
    assert resolve_strategy(ADAPTIVE, steps=10, entity_count=4) is OSCILLATING
    assert resolve_strategy(ADAPTIVE, steps=3, entity_count=5) is OSCILLATING
    assert resolve_strategy(ADAPTIVE, steps=3, entity_count=2) is REVERSE
    assert resolve_strategy(REVERSE, steps=20, entity_count=9) is REVERSE
    assert slot_order(10, ADAPTIVE) == slot_order(10, OSCILLATING)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 40), st.sampled_from(list(PortalStrategy)))
def test_every_strategy_fills_each_slot_once(steps, strategy):
    order = slot_order(steps, strategy)
    assert sorted(order) == list(range(steps))
    assert order[0] == steps - 1


def test_next_slot_refuses_detached_slots():
    with pytest.raises(ConfigError, match="not attached"):
        next_slot({2}, 6, REVERSE)
    assert next_slot(set(range(4)), 4, OSCILLATING) is None


def test_sides_of_slots():
    assert side_of(3, set(), 4) is Side.LATE
    assert side_of(0, {3}, 4) is Side.EARLY
    assert side_of(1, {0, 3}, 4) is Side.EARLY
    assert side_of(2, {0, 1, 3}, 4) is Side.BRIDGE


# -- pivots --------------------------------------------------------------------------------


def scored(cid, total):
    return CandidateScore(candidate_id=cid, scores=flat(total), total=total, verdict=TrialVerdict.REACHED)


def test_pivots_close_call_and_wide_spread():
    close = detect_pivots(2, [scored("a", 0.80), scored("b", 0.78), scored("c", 0.6)])
    assert [(p.kind, p.candidate_ids) for p in close] == [("close_call", ("a", "b"))]
    wide = detect_pivots(2, [scored("a", 0.95), scored("b", 0.7), scored("c", 0.2)])
    assert [(p.kind, p.candidate_ids) for p in wide] == [("wide_spread", ("a", "c"))]
    both = detect_pivots(1, [scored("a", 0.9), scored("b", 0.9), scored("c", 0.1)])
    assert {p.kind for p in both} == {"close_call", "wide_spread"}
    assert detect_pivots(1, [scored("a", 0.9), scored("b", 0.7), scored("c", 0.6)]) == ()
    assert detect_pivots(1, [scored("a", 0.9)]) == ()


# -- the search -----------------------------------------------------------------------------


def test_search_accepts_the_best_passing_candidate_each_step():
    record = start_record(scenario().portal, scenario())
    final, decisions = play(record, lambda r, s: [0.5, 0.9, 0.8])
    assert [d.kind for d in decisions] == [DecisionKind.ACCEPT] * 3
    assert [open_slot.slot for open_slot in decisions] == [2, 1, 0]
    assert all(chosen.endswith("-c1") for chosen in chosen_chain(final))
    assert final.done and final.pending is None and not final.warnings
    assert final.step(0).chosen_index == 1


def test_failed_round_is_reproposed_with_feedback_and_exclusions():
    record = start_record(scenario().portal, scenario())
    calls = []

    def scores(r, slot):
        calls.append(slot)
        return [0.2, 0.3, 0.1] if len(calls) == 1 else [0.9, 0.5, 0.5]

    final, decisions = play(record, scores)
    assert decisions[0].kind is DecisionKind.REPROPOSE
    assert decisions[0].excluded == ("s002-r0-c0", "s002-r0-c1", "s002-r0-c2")
    assert "critique s002-r0-c1" in decisions[0].feedback
    second = final.step(2).rounds[1]
    assert second.reason is RoundReason.FEEDBACK and second.excluded == decisions[0].excluded
    assert final.step(2).chosen == "s002-r1-c0"


def test_backtrack_takes_the_next_best_passing_candidate_of_the_earlier_step():
    record = start_record(scenario(max_backtracks=2).portal, scenario())
    seen = []

    def scores(r, slot):
        seen.append((slot, r.link(slot + 1).id))
        if slot == 2:
            return [0.95, 0.85, 0.2]
        if slot == 1 and r.link(2).id == "s002-r0-c0":
            return [0.1, 0.2, 0.3]  # the first choice at slot 2 leads nowhere
        return [0.9, 0.5, 0.5]

    final, decisions = play(record, scores)
    kinds = [d.kind for d in decisions]
    assert kinds[:4] == [
        DecisionKind.ACCEPT, DecisionKind.REPROPOSE, DecisionKind.BACKTRACK, DecisionKind.ACCEPT,
    ]
    back = final.backtracks[0]
    assert (back.from_slot, back.to_slot, back.dropped, back.replacement) == (
        1, 2, "s002-r0-c0", "s002-r0-c1",
    )
    assert final.step(2).chosen == "s002-r0-c1" and final.step(2).dropped == ("s002-r0-c0",)
    fresh = final.step(1).rounds[2]
    assert fresh.reason is RoundReason.INITIAL and fresh.consequent.id == "s002-r0-c1"
    assert final.step(1).chosen == "s001-r2-c0"
    assert final.done and not final.warnings


def test_backtrack_without_a_passing_alternative_reproposes_the_earlier_step():
    record = start_record(scenario(max_backtracks=1).portal, scenario())

    def scores(r, slot):
        if slot == 2 and len(r.step(2).rounds) == 0:
            return [0.9, 0.2, 0.2]
        if slot == 1 and r.link(2).id == "s002-r0-c0":
            return [0.1, 0.1, 0.1]
        return [0.8, 0.3, 0.3]

    final, decisions = play(record, scores)
    back = next(d for d in decisions if d.kind is DecisionKind.BACKTRACK)
    assert back.candidate_id is None and back.to_slot == 2
    assert "s002-r0-c0" in back.excluded
    again = final.step(2).rounds[1]
    assert again.reason is RoundReason.BACKTRACK and "dropped" in again.feedback
    assert final.step(2).chosen == "s002-r1-c0"
    assert final.backtracks[0].replacement is None
    assert final.done


def test_exhausted_budget_keeps_the_best_with_a_warning():
    record = start_record(scenario(max_backtracks=0).portal, scenario())
    final, decisions = play(record, lambda r, s: [0.3, 0.4, 0.35])
    assert [d.kind for d in decisions].count(DecisionKind.GIVE_UP) == 3
    assert not final.backtracks and final.done
    assert len(final.warnings) == 3
    assert "coherence threshold 0.70" in final.warnings[0]
    assert final.step(2).chosen == "s002-r0-c1"  # 0.4 over the feedback round's equal 0.4


def test_steps_anchored_to_the_endpoint_never_backtrack():
    record = start_record(scenario(max_backtracks=3).portal, scenario())
    final, decisions = play(record, lambda r, s: [0.1, 0.2, 0.1] if s == 2 else [0.9, 0.1, 0.1])
    assert decisions[1].kind is DecisionKind.GIVE_UP
    assert "fixed endpoint" in final.warnings[0]
    assert not final.backtracks


def test_adaptive_reverse_run_switches_to_oscillating_when_scores_sag():
    spec = scenario(steps=5, strategy="adaptive", max_backtracks=0)
    record = start_record(spec.portal, spec)
    assert record.strategy is REVERSE
    final, decisions = play(record, lambda r, s: [0.4, 0.3, 0.2])
    filled_order = [d.slot for d in decisions if d.kind is DecisionKind.GIVE_UP]
    assert filled_order == [4, 3, 0, 1, 2]  # the early end catches up, then they meet
    assert final.strategy is OSCILLATING and final.switched_after == 2
    assert final.configured is ADAPTIVE


def test_oscillating_rounds_carry_their_anchors_and_meet_in_a_bridge():
    spec = scenario(steps=4, strategy="oscillating")
    record = start_record(spec.portal, spec)
    frames = []

    def scores(r, slot):
        frames.append(open_round(r))
        return [0.9, 0.1, 0.1]

    final, _ = play(record, scores)
    sides = [(f.slot, f.side) for f in frames]
    assert sides == [(3, Side.LATE), (0, Side.EARLY), (2, Side.LATE), (1, Side.BRIDGE)]
    early = frames[1]
    assert early.antecedent is None and early.consequent is None
    assert early.target.id == "s003-r0-c0"
    bridge = frames[3]
    assert bridge.antecedent.id == "s000-r0-c0" and bridge.consequent.id == "s002-r0-c0"
    timepoints = chain_timepoints(final, spec.entity_ids)
    assert not check_portal(timepoints, backward_chain(final)).violations


def test_trial_requests_aim_at_the_round_target():
    spec = scenario()
    record = start_record(spec.portal, spec)
    frame = open_round(record)
    drafts = [("A storm hits.", ["e1", "e1"], 0.7, "r"), ("A fuse blows.", ["e0"], 0.2, "r")]
    record = add_round(record, new_candidates(frame, drafts))
    knows = {"e0": ("the fuel is low",), "e1": ()}
    requests = trial_requests(record, {"e0": "E0 (pilot)", "e1": "E1"}, "Mission control", knows)
    assert [r.candidate_id for r in requests] == ["s002-r0-c0", "s002-r0-c1"]
    assert requests[0].sheet.event == "A storm hits."
    assert requests[0].sheet.cast == {"e1": "E1"} and requests[1].sheet.cast == {"e0": "E0 (pilot)"}
    assert requests[1].sheet.knows == {"e0": ("the fuel is low",)}
    assert requests[0].sheet.endpoint
    assert requests[0].sheet.facts == {"f1": "The probe goes silent"}
    assert requests[0].beats == spec.portal.forward_steps


def test_rounds_out_of_turn_are_refused():
    spec = scenario()
    record = start_record(spec.portal, spec)
    frame = open_round(record)
    with pytest.raises(ConfigError, match="no candidates"):
        add_round(record, frame)
    record = add_round(record, new_candidates(frame, [("x", ["e0"], 0.5, "")]))
    with pytest.raises(ConfigError, match="not been judged"):
        decide(record)
    with pytest.raises(ConfigError, match="lacks trials"):
        judge_round(record, frame.id, {}, {})
    with pytest.raises(ConfigError, match="not filled slots"):
        chain_timepoints(record, spec.entity_ids)


@settings(max_examples=40, deadline=None)
@given(
    st.integers(1, 6),
    st.sampled_from(list(PortalStrategy)),
    st.integers(0, 3),
    st.lists(st.floats(0, 1), min_size=3, max_size=3),
    st.integers(0, 2**16),
)
def test_any_scores_end_in_a_complete_linked_chain(steps, strategy, budget, base, salt):
    spec = scenario(steps=steps, strategy=strategy.value, max_backtracks=budget)
    record = start_record(spec.portal, spec)

    def scores(r, slot):
        shift = ((r.round_count * 7919 + slot * 31 + salt) % 100) / 100
        return [round((value + shift) % 1.0, 3) for value in base]

    final, decisions = play(record, scores, limit=400)
    assert final.done
    assert len(final.backtracks) <= budget
    assert final.round_count <= 2 * steps + 4 * budget  # the bound portal_recursion_limit uses
    for step in final.steps:
        assert step.chosen not in step.dropped
    passed = [d for d in decisions if d.kind is DecisionKind.ACCEPT]
    assert all(final.step(d.slot).score(d.candidate_id).total >= final.threshold for d in passed)
    assert len(final.warnings) == sum(d.kind is DecisionKind.GIVE_UP for d in decisions)
    timepoints = chain_timepoints(final, spec.entity_ids)
    report = check_portal(timepoints, backward_chain(final))
    assert not report.violations, report
    assert PortalRecord.model_validate_json(final.model_dump_json()) == final


# -- the chain -------------------------------------------------------------------------------


def test_chain_timepoints_link_origin_to_endpoint_with_witnesses():
    spec = scenario()
    final, _ = play(start_record(spec.portal, spec), lambda r, s: [0.9, 0.2, 0.2])
    timepoints = chain_timepoints(final, spec.entity_ids)
    assert [t.id for t in timepoints] == ["portal-000", "portal-001", "portal-002", "portal-003"]
    assert timepoints[0].causal_parent is None
    assert [t.causal_parent for t in timepoints[1:]] == ["portal-000", "portal-001", "portal-002"]
    assert timepoints[-1].event_description == "The probe goes silent."
    assert timepoints[-1].entities_present == ("e0", "e1") and timepoints[-1].importance == 1.0
    assert timepoints[1].event_description == final.chosen_candidate(1).description
    assert backward_chain(final) == ("portal-003", "portal-002", "portal-001", "portal-000")
    witnessed = witnessed_exposures(timepoints[1])
    assert [(e.entity_id, e.timepoint_id, e.kind.value) for e in witnessed] == [
        ("e0", "portal-001", "witnessed")
    ]
    assert witnessed[0].id == "portal-001-witnessed-e0"
    finished = with_chain(final, spec.entity_ids)
    assert finished.timeline == timepoints and finished.chain == backward_chain(final)
    prov = Provenance(timepoints, witnessed)
    assert prov.knowledge_at("e0", "portal-002") == witnessed
    assert prov.knowledge_at("e0", "portal-000") == ()
