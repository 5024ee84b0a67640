from datetime import timedelta

import pytest
from pydantic import ValidationError

from daedalus.domain import TemporalMode
from daedalus.scenario import KnowledgeItem, Scenario, parse_duration


def minimal(**extra):
    data = {
        "id": "demo",
        "name": "Demo",
        "description": "A demo scenario.",
        "mode": "pearl",
        "start": "2026-01-01",
        "entities": [{"id": "a", "name": "A"}, {"id": "b", "name": "B"}],
    }
    data.update(extra)
    return data


def test_minimal_scenario_gets_defaults():
    scenario = Scenario.model_validate(minimal())
    assert scenario.mode is TemporalMode.PEARL
    assert scenario.timeline.steps >= 1
    assert scenario.start_time.hour == 10


def test_knowledge_accepts_plain_strings_and_private_items():
    scenario = Scenario.model_validate(
        minimal(
            entities=[{"id": "a", "name": "A", "knowledge": ["x", {"text": "y", "private": True}]}]
        )
    )
    assert scenario.entities[0].knowledge == (
        KnowledgeItem(text="x"),
        KnowledgeItem(text="y", private=True),
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"mode": "sideways"}, "mode"),
        ({"portal": None, "mode": "portal"}, "needs a 'portal' section"),
        ({"relationships": [{"a": "a", "b": "zed"}]}, "unknown entity 'zed'"),
        ({"entities": [{"id": "a", "name": "A"}, {"id": "a", "name": "B"}]}, "repeated: a"),
        ({"timeline": {"steps": 3, "step": "soon"}}, "expected a duration"),
        ({"id": "Bad-Id"}, "id"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_invalid_scenarios_are_refused(change, message):
    with pytest.raises(ValidationError, match=message):
        Scenario.model_validate(minimal(**change))


def test_portal_endpoint_must_follow_start():
    with pytest.raises(ValidationError, match="later than start"):
        Scenario.model_validate(
            minimal(mode="portal", portal={"endpoint": "x", "endpoint_time": "2025-01-01"})
        )


def test_parse_duration():
    assert parse_duration("6 months") == timedelta(days=6 * 365.25 / 12)
    assert parse_duration("90 minutes") == timedelta(minutes=90)
    assert parse_duration("2 d") == timedelta(days=2)
    with pytest.raises(ValueError, match="expected a duration"):
        parse_duration("fortnight")


def test_calendar_steps_keep_the_time_of_day():
    from datetime import datetime

    from daedalus.scenario import TimelineSection, add_months

    start = datetime(2026, 1, 31, 9, 30)
    assert add_months(start, 1) == datetime(2026, 2, 28, 9, 30)
    assert add_months(start, -2) == datetime(2025, 11, 30, 9, 30)
    six = TimelineSection(steps=10, step="6 months")
    assert [six.at(start, i).hour for i in range(10)] == [9] * 10
    assert six.at(start, 10) == datetime(2031, 1, 31, 9, 30)
    assert TimelineSection(step="90 minutes").at(start, 2) == datetime(2026, 1, 31, 12, 30)
    assert TimelineSection(step="1.5 months").at(start, 1) == start + TimelineSection(step="1.5 months").step_delta
