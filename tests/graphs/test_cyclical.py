import asyncio
from datetime import date, datetime

from daedalus.agents.prophecy import PROPHECY_SOURCE
from daedalus.context import RunContext
from daedalus.domain import Timepoint
from daedalus.graphs._forward import forward_recursion_limit
from daedalus.graphs.cyclical import (
    CLOSE_NODE,
    PROPHECY_NODE,
    SETTLE_NODE,
    build_cyclical_graph,
    cyclical_guidance,
    cyclical_steps,
)
from daedalus.kernel.narrative import forward_line
from daedalus.kernel.temporal import Prophecy, Severity, TemporalRule, check_cyclical
from daedalus.llm.offline import OfflineChatModel
from daedalus.llm.router import Router
from daedalus.provenance import Provenance
from daedalus.scenario import Scenario
from daedalus.testing import ScriptedModel

OFFLINE = OfflineChatModel(seed=0)
PROPHECY = "When the ferryman refuses the crossing, the old bridge will fall."


def scenario(steps: int = 4, cycle_length: int = 2, prophecy: str = "") -> Scenario:
    return Scenario.model_validate(
        {
            "id": "harvest",
            "name": "Harvest rite",
            "description": "A river village repeats its harvest rite each autumn as the water rises.",
            "mode": "cyclical",
            "start": date(2031, 9, 1),
            "entities": [
                {"id": "mara", "name": "Mara", "role": "elder",
                 "knowledge": ["The bridge timbers are rotting."]},
                {"id": "tov", "name": "Tov", "role": "ferryman",
                 "knowledge": ["The river rose a hand higher than last year."]},
                {"id": "lio", "name": "Lio", "role": "miller"},
            ],
            "relationships": [
                {"a": "mara", "b": "tov", "trust": 0.7},
                {"a": "tov", "b": "lio", "trust": 0.5},
                {"a": "mara", "b": "lio", "trust": 0.6},
            ],
            "timeline": {"steps": steps, "step": "1 day"},
            "cyclical": {"cycle_length": cycle_length, "prophecy": prophecy},
        }
    )


def event(text: str) -> dict:
    return {"description": text, "entities_present": ["mara", "tov", "lio"], "importance": 0.9}


EVENTS = [
    event("The village gathers at the bridge to begin the harvest rite."),
    event("The rite ends with the boats drawn up beside the bridge."),
    event("A year on, the village gathers at the bridge again, the river higher."),
    event("Tov refuses the crossing and the old bridge gives way in the flood."),
]


def hybrid(script) -> ScriptedModel:
    return ScriptedModel(script, default=lambda messages, kwargs: OFFLINE.invoke(messages, **kwargs))


def run(scenario_: Scenario, router) -> dict:
    return asyncio.run(
        build_cyclical_graph().compile().ainvoke(
            {"scenario": scenario_},
            context=RunContext(router=router),
            config={"recursion_limit": forward_recursion_limit(cyclical_steps(scenario_))},
        )
    )


def assert_no_unexposed_references(out: dict) -> None:
    prov = Provenance(out["timepoints"], out["exposures"])
    for dialog in out["dialogs"]:
        for turn in dialog.turns:
            assert prov.check_references(
                turn.speaker, dialog.timepoint_id, turn.knowledge_references
            ) == ()


def test_graph_has_prophecy_closure_and_settlement():
    assert {PROPHECY_NODE, CLOSE_NODE, SETTLE_NODE} <= set(build_cyclical_graph().nodes)


def test_prophecy_made_first_constrains_later_events_and_is_fulfilled():
    model = hybrid({
        "next_event": EVENTS,
        "prophecy": [{"prophecy": PROPHECY}],
        "prophecy_judge": [{"fulfilled_at": "tp-003", "evidence": "Tov refuses; the bridge falls."}],
    })
    out = run(scenario(), Router.for_chat_model(model))
    line = [tp.id for tp in forward_line(out["timepoints"])]
    assert line == ["tp-000", "tp-001", "tp-002", "tp-003"]
    assert out["prophecies"] == [Prophecy(text=PROPHECY, made_at="tp-000", fulfilled_at="tp-003")]
    assert out["closures"] == {"tp-001": "tp-000", "tp-003": "tp-002"}
    report = out["consistency"]
    assert report.valid and not report.violations
    assert check_cyclical(forward_line(out["timepoints"]), 2, out["prophecies"],
                          out["closures"]).valid
    heard = [e for e in out["exposures"] if e.source == PROPHECY_SOURCE]
    assert {e.entity_id for e in heard} == {"mara", "tov", "lio"}
    assert {e.timepoint_id for e in heard} == {"tp-000"}
    prompts = model.prompts_for("next_event")
    assert PROPHECY not in prompts[0]  # spoken only once the first moment exists
    assert all(PROPHECY in p and "The future constrains the past" in p for p in prompts[1:])
    assert "Cycle 1 of 2, moment 2 of 2." in prompts[1]
    assert "This moment closes the cycle" in prompts[1]
    assert "Cycle 2 of 2, moment 1 of 2." in prompts[2]
    assert "A new turn of the cycle begins" in prompts[2] and EVENTS[0]["description"] in prompts[2]
    (judge_prompt,) = model.prompts_for("prophecy_judge")
    assert "tp-003 (" in judge_prompt and "tp-000 (" not in judge_prompt
    assert_no_unexposed_references(out)


def test_a_prophecy_that_never_comes_true_leaves_the_unfulfilled_warning():
    model = hybrid({
        "next_event": EVENTS,
        "prophecy_judge": [{"fulfilled_at": "none", "evidence": "The bridge still stands."}],
    })
    out = run(scenario(prophecy=PROPHECY), Router.for_chat_model(model))
    assert model.calls_for("prophecy") == []  # the scenario's prophecy needs no model
    assert out["prophecies"] == [Prophecy(text=PROPHECY, made_at="tp-000")]
    report = out["consistency"]
    assert report.valid
    (warning,) = report.violations
    assert warning.rule is TemporalRule.PROPHECY_UNFULFILLED
    assert warning.severity is Severity.WARNING
    assert any(r.validator == "temporal:prophecy_unfulfilled" for r in out["validation"])


def test_steps_are_rounded_up_to_whole_cycles(offline_router):
    sc = scenario(steps=3, cycle_length=2)
    assert cyclical_steps(sc) == 4
    out = run(sc, offline_router)
    line = forward_line(out["timepoints"])
    assert len(line) == 4
    assert out["closures"] == {"tp-001": "tp-000", "tp-003": "tp-002"}
    assert not any(v.rule is TemporalRule.CYCLE_INCOMPLETE for v in out["consistency"].violations)
    assert out["consistency"].valid
    assert_no_unexposed_references(out)


def test_guidance_names_the_cycle_position_and_the_prophecy():
    sc = scenario(steps=6, cycle_length=3)
    assert cyclical_guidance({"scenario": sc, "timepoints": []}).notes == (
        "Cycle 1 of 2, moment 1 of 3.",
    )
    first_cycle = [
        Timepoint(id="tp-000", timestamp=datetime(2031, 9, 1, 10), event_description="The rite opens."),
        Timepoint(id="tp-001", timestamp=datetime(2031, 9, 2, 10), causal_parent="tp-000",
                  event_description="The boats are blessed."),
    ]
    made = Prophecy(text=PROPHECY, made_at="tp-000")
    notes = cyclical_guidance({"scenario": sc, "timepoints": first_cycle, "prophecies": [made]}).notes
    assert notes[0] == "Cycle 1 of 2, moment 3 of 3."
    assert "closes the cycle" in notes[1] and "The rite opens." in notes[1]
    assert PROPHECY in notes[2] and "tp-000" in notes[2]
    second = cyclical_guidance({"scenario": sc, "timepoints": [*first_cycle, first_cycle[1].model_copy(
        update={"id": "tp-002", "causal_parent": "tp-001", "timestamp": datetime(2031, 9, 3, 10)})]})
    assert second.notes[0] == "Cycle 2 of 2, moment 1 of 3."
    assert "A new turn of the cycle begins" in second.notes[1]
