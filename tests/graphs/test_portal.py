import asyncio
import itertools
import json
import re

import pytest
from pydantic import PrivateAttr

from daedalus.context import RunContext
from daedalus.errors import ConfigError
from daedalus.graphs.portal import build_portal_graph, portal_recursion_limit
from daedalus.kernel.temporal import check_portal
from daedalus.llm._request import call_labels
from daedalus.llm.offline import OfflineChatModel
from daedalus.llm.router import Router
from daedalus.portal import DecisionKind, RoundReason, Side, TrialVerdict
from daedalus.provenance import Provenance
from daedalus.scenario import Scenario
from daedalus.testing import ScriptedModel


def portal_scenario(steps=3, candidates=3, strategy="reverse_chronological", **portal):
    return Scenario.model_validate(
        {
            "id": "probe",
            "name": "Probe loss",
            "description": "A deep-space probe team works against a launch deadline.",
            "mode": "portal",
            "start": "2026-01-01",
            "entities": [
                {"id": "ada", "name": "Ada Ruiz", "role": "flight director",
                 "knowledge": ["The launch window closes in 2028."]},
                {"id": "bo", "name": "Bo Tan", "role": "propulsion engineer",
                 "knowledge": ["Seal tests are behind schedule."]},
            ],
            "relationships": [{"a": "ada", "b": "bo", "kind": "colleague", "trust": 0.6}],
            "timeline": {"steps": steps},
            "dialog": {"max_turns": 3},
            "portal": {
                "endpoint": "The probe goes silent during its orbital burn.",
                "endpoint_time": "2029-01-01",
                "candidates": candidates,
                "strategy": strategy,
                **portal,
            },
        }
    )


ACTS = ("the team cuts a valve test", "managers freeze the budget", "a vendor ships bad seals",
        "the crew skips a drill", "engineers rewire the bus", "auditors lose a report",
        "payroll delays overtime", "the simulator crashes twice", "a director resigns early",
        "contractors swap suppliers", "inspectors miss a crack", "planners shorten the margin",
        "doctors clear a tired pilot", "legal rewrites the waiver", "the press leaks a memo")
PROPOSALS = itertools.count()


def propose(messages, kwargs):
    """Distinct, dated candidates: 'On <date>, <act> (option <k>, round <r>).'; every round
    takes fresh acts, so no candidate restates an event already in the chain."""
    offset = 3 * next(PROPOSALS)
    prompt = messages[-1].content
    when = re.search(r"Moment to fill: (\S+)", prompt).group(1)
    count = int(re.search(r"Propose exactly (\d+)", prompt).group(1))
    round_no = prompt.count("fell short") + prompt.count("was dropped")
    return {
        "candidates": [
            {
                "description": f"On {when}, {ACTS[(offset + k) % len(ACTS)]} "
                               f"(option {k}, round {round_no}).",
                "entities": [["ada"], ["ada", "bo"], ["bo"]][k % 3],
                "importance": 0.5 + 0.1 * k,
                "rationale": "Less testing leaves a flaw in place.",
            }
            for k in range(count)
        ]
    }


def sheet_of(messages):
    prompt = messages[-1].content
    return json.loads(prompt[prompt.index("{"):prompt.rindex("}") + 1])


def trial(messages, kwargs):
    """Every trial reaches its target; each person arrives knowing the event and the beat."""
    sheet = sheet_of(messages)
    start = sheet["event"]
    beat = f"After '{start}', schedules tighten."
    return {"beats": [beat],
            "people": [{"entity": e, "knows": [start, beat], "valence": -0.1, "arousal": 0.6, "energy": 0.5,
                        "fatigue": 0.1} for e in sheet["cast"]],
            "explains": list(sheet["facts"]), "contradicts": [], "verdict": "reached",
            "outcome": f"outcome of {start}"}


def verdict(*totals):
    """A judge answer giving candidate i a flat score of totals[i] on every criterion."""
    return {
        f"c{i + 1}": {
            "plausibility": t, "precedent": t, "necessity": t, "capability": t, "coherence": t,
            "critique": f"c{i + 1} scored {t}",
        }
        for i, t in enumerate(totals)
    }


def hybrid_model(judge):
    """PORTAL nodes scripted; every other node (setup, dialog, training) answered offline."""
    offline = OfflineChatModel(seed=0)
    return ScriptedModel(
        {"portal_candidates": [propose], "portal_forward": [trial], "portal_judge": judge},
        default=lambda messages, kwargs: offline.invoke(messages, **kwargs),
        cycle=True,
    )


def run(scenario, router):
    graph = build_portal_graph().compile()
    events = []
    final = None

    async def go():
        nonlocal final
        async for mode, chunk in graph.astream(
            {"scenario": scenario},
            context=RunContext(router=router),
            config={"recursion_limit": portal_recursion_limit(scenario)},
            stream_mode=["custom", "values"],
        ):
            if mode == "custom":
                events.append(chunk)
            else:
                final = chunk

    asyncio.run(go())
    return final, events


def main_line(state):
    return [tp for tp in state["timepoints"] if tp.moment_of is None]


def assert_dialog_knowledge_is_upstream(state):
    prov = Provenance(state["timepoints"], state["exposures"])
    cited = 0
    for dialog in state["dialogs"]:
        for turn in dialog.turns:
            cited += len(turn.knowledge_references)
            refused = prov.check_references(turn.speaker, dialog.timepoint_id, turn.knowledge_references)
            assert refused == (), (dialog.id, turn)
    return cited


def test_scripted_search_builds_a_linked_chain_from_endpoint_to_origin():
    model = hybrid_model([verdict(0.6, 0.9, 0.75)])
    state, events = run(portal_scenario(), Router.for_chat_model(model))
    record = state["portal"]
    line = main_line(state)
    assert [tp.id for tp in line] == ["portal-000", "portal-001", "portal-002", "portal-003"]
    assert [tp.causal_parent for tp in line] == [None, "portal-000", "portal-001", "portal-002"]
    assert line[-1].event_description == "The probe goes silent during its orbital burn."
    assert line[0].timestamp == portal_scenario().start_time and line[1].timestamp.year == 2027
    assert record.chain == ("portal-003", "portal-002", "portal-001", "portal-000")
    for slot in range(3):
        step = record.step(slot)
        (proposal,) = step.rounds
        assert len(proposal.candidates) == 3 and len(proposal.scores) == 3
        assert [s.total for s in proposal.scores] == [0.6, 0.9, 0.75]
        assert proposal.trials[1].outcome == f"outcome of {proposal.candidates[1].description}"
        assert step.chosen == f"s{slot:03d}-r0-c1"
        assert line[slot].event_description == proposal.candidates[1].description
        assert line[slot].entities_present == ("ada", "bo")
    assert not record.warnings and not record.backtracks
    assert not check_portal(state["timepoints"], record.chain).violations
    assert state["consistency"].valid
    witnessed = {(e.entity_id, e.timepoint_id) for e in state["exposures"]
                 if e.kind == "witnessed" and e.source == "portal"}
    assert witnessed == {(e, tp.id) for tp in line for e in tp.entities_present}
    # one proposal, one trial per candidate, one judgement per backward step
    assert len(model.calls_for("portal_candidates")) == 3
    assert len(model.calls_for("portal_forward")) == 9
    assert len(model.calls_for("portal_judge")) == 3
    steps = [e for e in events if e["event"] == "portal_step"]
    assert [(e["step"], e["of"], e["slot"], e["decision"]) for e in steps] == [
        (1, 3, 2, "accept"), (2, 3, 1, "accept"), (3, 3, 0, "accept"),
    ]
    forward = [e for e in events if e["event"] == "portal_forward"]
    assert [(e["step"], e["of"], e["id"]) for e in forward] == [
        (1, 4, "portal-000"), (2, 4, "portal-001"), (3, 4, "portal-002"), (4, 4, "portal-003"),
    ]
    assert state["mechanisms"]["M17"] >= 3 * 5 + 2
    assert {d.timepoint_id for d in state["dialogs"]} == {tp.id for tp in line}
    assert assert_dialog_knowledge_is_upstream(state) > 0
    # what each accepted trial predicted its people would know at the next slot, they hold there
    prov = Provenance(state["timepoints"], state["exposures"])
    for slot in range(1, 4):
        accepted = record.chosen_trial(slot - 1)
        for forecast in accepted.forecasts:
            held = {e.information for e in prov.knowledge_at(forecast.entity, f"portal-{slot:03d}")}
            assert set(forecast.knows) <= held
    assert not [v for v in state["validation"] if v.validator == "portal:trial_knowledge"]


def test_judge_feedback_reaches_the_proposer_and_trials_reach_the_judge():
    model = hybrid_model([verdict(0.9, 0.2, 0.2)])
    run(portal_scenario(steps=1), Router.for_chat_model(model))
    trials = model.prompts_for("portal_forward")
    assert len(trials) == 3 and len(set(trials)) == 3  # one trial per candidate, in parallel
    judge = model.prompts_for("portal_judge")[0]
    for k in range(3):
        assert f"(option {k}, round 0)" in judge


def test_failing_steps_are_reproposed_then_backtracked_and_the_chain_changes():
    judge = [
        verdict(0.9, 0.8, 0.1),  # slot 2: c0 accepted, c1 also passes
        verdict(0.2, 0.3, 0.1),  # slot 1 under c0: fails
        verdict(0.3, 0.2, 0.4),  # slot 1 re-proposed with feedback: fails again -> backtrack
        verdict(0.1, 0.95, 0.2),  # slot 1 under the replacement at slot 2: passes
        verdict(0.85, 0.1, 0.1),  # slot 0
    ]
    model = hybrid_model(judge)
    state, events = run(portal_scenario(max_backtracks=1), Router.for_chat_model(model))
    record = state["portal"]
    (back,) = record.backtracks
    assert (back.from_slot, back.to_slot, back.dropped, back.replacement) == (
        1, 2, "s002-r0-c0", "s002-r0-c1",
    )
    slot2 = record.step(2)
    assert slot2.chosen == "s002-r0-c1" and slot2.dropped == ("s002-r0-c0",)
    slot1 = record.step(1)
    assert [r.reason for r in slot1.rounds] == [
        RoundReason.INITIAL, RoundReason.FEEDBACK, RoundReason.INITIAL,
    ]
    assert slot1.rounds[0].consequent.id == "s002-r0-c0"
    assert slot1.rounds[2].consequent.id == "s002-r0-c1"
    assert slot1.chosen == "s001-r2-c1"
    line = main_line(state)
    dropped_event = slot2.rounds[0].candidates[0].description
    assert line[2].event_description == slot2.rounds[0].candidates[1].description
    assert dropped_event not in {tp.event_description for tp in state["timepoints"]}
    assert line[1].event_description == slot1.rounds[2].candidates[1].description
    reproposal = model.prompts_for("portal_candidates")[2]
    assert "fell short of the judge's threshold" in reproposal and "c3 scored 0.1" in reproposal
    assert [e["decision"] for e in events if e["event"] == "portal_step"] == [
        "accept", "repropose", "backtrack", "accept", "accept",
    ]
    assert not record.warnings
    assert state["consistency"].valid
    assert_dialog_knowledge_is_upstream(state)


def test_exhausted_backtracks_keep_the_best_and_warn():
    model = hybrid_model([verdict(0.3, 0.5, 0.4)])
    state, _ = run(portal_scenario(steps=2, max_backtracks=0), Router.for_chat_model(model))
    record = state["portal"]
    assert record.done and len(record.warnings) == 2
    assert all("coherence threshold 0.70" in w for w in record.warnings)
    assert all(len(record.step(s).rounds) == 2 for s in range(2))
    assert state["consistency"].valid


def test_oscillating_search_meets_in_a_bridge_and_yields_one_chain():
    model = hybrid_model([verdict(0.9, 0.5, 0.5)])
    state, _ = run(portal_scenario(steps=4, strategy="oscillating"), Router.for_chat_model(model))
    record = state["portal"]
    rounds = sorted((r for s in record.steps for r in s.rounds), key=lambda r: r.number)
    assert [(r.slot, r.side) for r in rounds] == [
        (3, Side.LATE), (0, Side.EARLY), (2, Side.LATE), (1, Side.BRIDGE),
    ]
    bridge = rounds[-1]
    assert bridge.antecedent.id == record.step(0).chosen
    assert bridge.consequent.id == record.step(2).chosen
    bridge_prompt = model.prompts_for("portal_candidates")[3]
    assert "What came just before" in bridge_prompt and "What follows next" in bridge_prompt
    line = main_line(state)
    assert [tp.causal_parent for tp in line] == [None, "portal-000", "portal-001", "portal-002", "portal-003"]
    assert not check_portal(state["timepoints"], record.chain).violations
    assert_dialog_knowledge_is_upstream(state)


def test_offline_end_to_end_small_portal():
    scenario = portal_scenario(steps=3, candidates=3, strategy="adaptive")
    state, events = run(scenario, Router.offline(seed=5))
    record = state["portal"]
    assert record.done and len(record.timeline) == 4
    assert [tp.id for tp in main_line(state)] == ["portal-000", "portal-001", "portal-002", "portal-003"]
    rounds = [r for s in record.steps for r in s.rounds]
    assert all(1 <= len(r.candidates) <= 3 and len(r.scores) == len(r.candidates) for r in rounds)
    assert state["consistency"].valid
    assert state["dialogs"]
    assert_dialog_knowledge_is_upstream(state)
    assert len([e for e in events if e["event"] == "portal_forward"]) == 4
    assert record.model_dump_json()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_offline_search_chooses_by_the_trials_evidence(seed):
    state, _ = run(portal_scenario(steps=3, candidates=4), Router.offline(seed=seed))
    record = state["portal"]
    scores = [s for step in record.steps for r in step.rounds for s in r.scores]
    by_verdict = {v: [s.total for s in scores if s.verdict is v] for v in TrialVerdict}
    reached, missed = by_verdict[TrialVerdict.REACHED], by_verdict[TrialVerdict.MISSED]
    if reached and missed:
        assert min(reached) > max(missed)
    for trace in record.decisions:
        assert trace.evidence
        if trace.kind is DecisionKind.ACCEPT:
            winner = record.step(trace.slot).score(trace.candidate_id)
            assert winner.verdict is not TrialVerdict.MISSED and winner.contradictions == 0
            assert winner.total >= record.threshold


def test_a_scenario_without_portal_section_is_refused():
    scenario = portal_scenario().model_copy(update={"portal": None})
    with pytest.raises(ConfigError, match="no 'portal' section"):
        run(scenario, Router.offline(seed=0))


def test_runs_under_a_checkpointer_and_the_record_survives_serialisation():
    from daedalus.store.checkpoint import memory_checkpointer

    scenario = portal_scenario(steps=2)
    graph = build_portal_graph().compile(checkpointer=memory_checkpointer())
    config = {"recursion_limit": portal_recursion_limit(scenario), "configurable": {"thread_id": "p"}}
    out = asyncio.run(
        graph.ainvoke({"scenario": scenario}, context=RunContext(router=Router.offline(seed=1)), config=config)
    )
    stored = graph.get_state(config).values
    assert stored["portal"] == out["portal"] and stored["portal"].chain == ("portal-002", "portal-001", "portal-000")
    assert set(stored["portal_trials"]) == {c.id for s in out["portal"].steps for r in s.rounds for c in r.candidates}


def test_portal_check_reports_predicted_knowledge_the_run_lost():
    from langgraph.runtime import Runtime

    from daedalus.graphs.portal import portal_advance, portal_check

    model = hybrid_model([verdict(0.6, 0.9, 0.75)])
    state, _ = run(portal_scenario(steps=1), Router.for_chat_model(model))
    record = state["portal"]
    runtime = Runtime(context=RunContext(router=Router.offline()))
    carried = portal_advance({**state, "portal_next": 1, "exposures": []}, runtime)["exposures"]
    learned = [e for e in carried if e.kind == "learned"]
    assert learned and all(e.source == f"portal-trial:{record.step(0).chosen}" for e in learned)
    lost = next(e for e in learned if e.information.startswith("After"))
    kept = [e for e in state["exposures"] if e.id != lost.id]
    out = portal_check({**state, "exposures": kept}, runtime)
    (warning,) = [v for v in out["validation"] if v.validator == "portal:trial_knowledge"]
    assert lost.entity_id in warning.message and "portal-001" in warning.message
    assert out["portal"].warnings[-1] in warning.message


def test_the_accepted_trial_seeds_the_moment_and_state_drift_is_reported():
    from langgraph.runtime import Runtime

    from daedalus.graphs.portal import portal_advance, portal_check
    from daedalus.state import Snapshot

    model = hybrid_model([verdict(0.6, 0.9, 0.75)])
    state, _ = run(portal_scenario(steps=1), Router.for_chat_model(model))
    runtime = Runtime(context=RunContext(router=Router.offline()))
    out = portal_advance({**state, "portal_next": 1}, runtime)
    (forecast, *_) = state["portal"].chosen_trial(0).forecasts
    mind, body = out["cognitive"][forecast.entity], out["physical"][forecast.entity]
    assert (mind.valence, mind.arousal, body.fatigue) == (-0.1, 0.6, 0.1)
    assert mind.energy == 0.5 * mind.energy_capacity
    calm = mind.model_copy(update={"valence": 0.8})
    snapshot = Snapshot(timepoint_id="portal-001", cognitive={forecast.entity: calm},
                        physical={forecast.entity: body})
    checked = portal_check({**state, "snapshots": {"portal-001": snapshot}}, runtime)
    (warning,) = [v for v in checked["validation"] if "departs" in v.message]
    assert forecast.entity in warning.message and "valence -0.10 -> 0.80" in warning.message


def test_portal_check_records_each_violation():
    from langgraph.runtime import Runtime

    from daedalus.domain import Timepoint
    from daedalus.graphs.portal import portal_check
    from daedalus.portal import start_record

    scenario = portal_scenario(steps=1)
    record = start_record(scenario.portal, scenario).model_copy(
        update={"chain": ("portal-001", "portal-000")}
    )
    origin = Timepoint(id="portal-000", timestamp=scenario.start_time)
    unlinked = Timepoint(id="portal-001", timestamp=scenario.start_time.replace(year=2029))
    out = portal_check(
        {"timepoints": [origin, unlinked], "portal": record},
        Runtime(context=RunContext(router=Router.offline())),
    )
    assert not out["consistency"].valid
    (found,) = out["validation"]
    assert found.validator == "temporal:portal_link" and found.timepoint_id == "portal-001"


class FanOutProbe(OfflineChatModel):
    """The offline model, holding each call open a moment and counting calls in flight per
    node, so a test sees whether a node's calls overlapped."""

    _in_flight: dict = PrivateAttr(default_factory=dict)
    _peak: dict = PrivateAttr(default_factory=dict)

    async def _agenerate(self, messages, stop=None, run_manager=None, **kwargs):
        node, _ = call_labels(run_manager)
        self._in_flight[node] = self._in_flight.get(node, 0) + 1
        self._peak[node] = max(self._peak.get(node, 0), self._in_flight[node])
        try:
            for _ in range(3):
                await asyncio.sleep(0.005)
            return await super()._agenerate(messages, stop, run_manager, **kwargs)
        finally:
            self._in_flight[node] -= 1


def test_forward_trials_of_a_round_run_at_the_same_time():
    model = FanOutProbe(seed=3)
    state, _ = run(portal_scenario(steps=2, candidates=4), Router.for_chat_model(model))
    widest = max(len(r.candidates) for s in state["portal"].steps for r in s.rounds)
    assert widest >= 2
    # one at a time would peak at 1: every trial of the widest round was in flight together
    assert model._peak["portal_forward"] == widest
    assert model._peak["portal_judge"] == 1
