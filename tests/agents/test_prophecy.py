import asyncio
from datetime import date, datetime, timedelta

import pytest
from langgraph.runtime import Runtime
from pydantic import ValidationError

from daedalus.agents.prophecy import (
    ACTION,
    JUDGE_ACTION,
    JUDGE_NODE,
    NODE,
    NOT_FULFILLED,
    PROPHECY_SOURCE,
    judge_prophecies,
    judge_schema,
    make_prophecy,
)
from daedalus.context import RunContext
from daedalus.domain import ExposureKind, Timepoint
from daedalus.errors import ConfigError
from daedalus.kernel.narrative import cycle_closures
from daedalus.kernel.temporal import Prophecy, Severity, TemporalRule, check_cyclical
from daedalus.llm.actions import ActionType
from daedalus.scenario import Scenario
from daedalus.testing import ScriptedModel

START = datetime(2031, 3, 1, 10)


def scenario(prophecy: str = "") -> Scenario:
    return Scenario.model_validate(
        {
            "id": "harvest",
            "name": "Harvest rite",
            "description": "A village repeats its harvest rite each autumn while the river rises.",
            "mode": "cyclical",
            "start": date(2031, 9, 1),
            "entities": [
                {"id": "mara", "name": "Mara", "role": "elder"},
                {"id": "tov", "name": "Tov", "role": "ferryman"},
            ],
            "timeline": {"steps": 6, "step": "1 year"},
            "cyclical": {"cycle_length": 3, "prophecy": prophecy},
        }
    )


def moments(count: int) -> list[Timepoint]:
    return [
        Timepoint(
            id=f"tp-{i:03d}",
            timestamp=START + timedelta(days=365 * i),
            causal_parent=f"tp-{i - 1:03d}" if i else None,
            event_description=f"Harvest {i}: the rite is held on the riverbank.",
            entities_present=("mara", "tov"),
        )
        for i in range(count)
    ]


def runtime(router) -> Runtime[RunContext]:
    return Runtime(context=RunContext(router=router))


def test_nodes_declare_names_and_actions():
    assert (NODE, ACTION) == ("prophecy", ActionType.TEMPORAL_REASONING)
    assert (JUDGE_NODE, JUDGE_ACTION) == ("prophecy_judge", ActionType.VALIDATION)


def test_scenario_prophecy_is_recorded_without_a_model_call(scripted_router):
    model = ScriptedModel({})
    state = {
        "scenario": scenario("The ferry will sink on the third harvest."),
        "timepoints": moments(1),
        "cursor": "tp-000",
    }
    delta = asyncio.run(make_prophecy(state, runtime(scripted_router(model))))
    assert model.calls == []
    assert delta["prophecies"] == [
        Prophecy(text="The ferry will sink on the third harvest.", made_at="tp-000")
    ]
    heard = delta["exposures"]
    assert [(e.entity_id, e.kind, e.source) for e in heard] == [
        ("mara", ExposureKind.WITNESSED, PROPHECY_SOURCE),
        ("tov", ExposureKind.WITNESSED, PROPHECY_SOURCE),
    ]
    assert all("The ferry will sink" in e.information and e.timepoint_id == "tp-000" for e in heard)


def test_model_makes_the_prophecy_from_the_scenario_and_opening(scripted_router):
    model = ScriptedModel({"prophecy": [{"prophecy": "When the elder's lamp goes out, the ford will close."}]})
    state = {"scenario": scenario(), "timepoints": moments(1), "cursor": "tp-000"}
    delta = asyncio.run(make_prophecy(state, runtime(scripted_router(model))))
    assert delta["prophecies"][0].text == "When the elder's lamp goes out, the ford will close."
    assert delta["prophecies"][0].made_at == "tp-000"
    (prompt,) = model.prompts_for("prophecy")
    assert "the river rises" in prompt
    assert "Harvest 0: the rite is held on the riverbank." in prompt
    assert "2 cycles of 3 moments" in prompt


def test_make_prophecy_needs_a_cursor(offline_router):
    with pytest.raises(ConfigError, match="needs 'cursor'"):
        asyncio.run(make_prophecy({"scenario": scenario(), "timepoints": moments(1)}, runtime(offline_router)))


def judged_state(made_at: str = "tp-000") -> dict:
    return {
        "scenario": scenario(),
        "timepoints": moments(6),
        "prophecies": [Prophecy(text="The ferry will sink.", made_at=made_at)],
    }


def test_judge_records_a_fulfilment_that_the_cyclical_check_accepts(scripted_router):
    model = ScriptedModel({"prophecy_judge": [{"fulfilled_at": "tp-004", "evidence": "The ferry goes down."}]})
    state = judged_state()
    delta = asyncio.run(judge_prophecies(state, runtime(scripted_router(model))))
    (prophecy,) = delta["prophecies"]
    assert prophecy.fulfilled_at == "tp-004"
    (record,) = delta["validation"]
    assert "fulfilled at tp-004: The ferry goes down." in record.message
    (prompt,) = model.prompts_for("prophecy_judge")
    assert "tp-000 (" not in prompt and "tp-001 (" in prompt  # only moments after it
    line = [tp.id for tp in state["timepoints"]]
    report = check_cyclical(state["timepoints"], 3, delta["prophecies"], cycle_closures(line, 3))
    assert report.valid and not report.violations


def test_not_fulfilled_leaves_an_unfulfilled_warning(scripted_router):
    model = ScriptedModel({"prophecy_judge": [{"fulfilled_at": NOT_FULFILLED, "evidence": "No moment sinks it."}]})
    state = judged_state()
    delta = asyncio.run(judge_prophecies(state, runtime(scripted_router(model))))
    assert delta["prophecies"][0].fulfilled_at is None
    line = [tp.id for tp in state["timepoints"]]
    report = check_cyclical(state["timepoints"], 3, delta["prophecies"], cycle_closures(line, 3))
    assert report.valid
    (warning,) = report.warnings
    assert warning.rule is TemporalRule.PROPHECY_UNFULFILLED
    assert warning.severity is Severity.WARNING


def test_judge_can_only_name_later_moments():
    schema = judge_schema(["tp-003", "tp-004"])
    assert schema.model_validate({"fulfilled_at": "tp-004", "evidence": "x"})
    assert schema.model_validate({"fulfilled_at": NOT_FULFILLED, "evidence": "x"})
    with pytest.raises(ValidationError):
        schema.model_validate({"fulfilled_at": "tp-001", "evidence": "x"})


def test_judge_skips_prophecies_with_nothing_after_them(scripted_router):
    model = ScriptedModel({})
    state = judged_state(made_at="tp-005")
    delta = asyncio.run(judge_prophecies(state, runtime(scripted_router(model))))
    assert model.calls == []
    assert delta["prophecies"] == state["prophecies"]


def test_offline_prophecy_and_verdict_are_valid(offline_router):
    state = {"scenario": scenario(), "timepoints": moments(6), "cursor": "tp-000"}
    made = asyncio.run(make_prophecy(state, runtime(offline_router)))
    state["prophecies"] = made["prophecies"]
    judged = asyncio.run(judge_prophecies(state, runtime(offline_router)))
    (prophecy,) = judged["prophecies"]
    assert prophecy.fulfilled_at in {None, "tp-001", "tp-002", "tp-003", "tp-004", "tp-005"}
