"""The cast as PORTAL prompts show it (M1, M5): the slot's levels, attention raised to DIALOG."""

from daedalus.agents._portal_cast import bearing_on, portal_levels, portal_people
from daedalus.domain import ResolutionLevel
from tests.agents.test_cast import planned
from tests.builders import sim_state

L = ResolutionLevel


def test_people_show_the_plans_level_and_attention_raises_them_to_dialog():
    state = sim_state()
    first, *others = state["scenario"].entity_ids
    state = planned(state, dict.fromkeys(state["scenario"].entity_ids, L.TENSOR_ONLY))
    assert set(portal_levels(state, 0).values()) == {L.TENSOR_ONLY}
    assert portal_levels(state, 0, [first])[first] is L.DIALOG
    knows = {first: ("the pump log was altered",), others[0]: ("the ferry is late",)}
    shown = portal_people(state, 0, [first, *others], attention=[first], knows=knows)
    assert "knows: the pump log was altered" in shown[first]
    # A TENSOR_ONLY person is one line with no role and nothing it knows.
    assert "\n" not in shown[others[0]] and "ferry" not in shown[others[0]]
    role = state["entities"][others[0]].role
    assert not role or role not in shown[others[0]]
    capped = portal_people(state, 0, [first], attention=[first], knows=knows, cap=L.GRAPH)
    assert "pump" not in capped[first]


def test_attention_follows_whose_knowledge_bears_on_the_target():
    knows = {"a": ("The pump log was altered",), "b": ("Lunch is at noon",), "c": ()}
    assert bearing_on(knows, "Investigators find the altered pump log") == ("a",)
