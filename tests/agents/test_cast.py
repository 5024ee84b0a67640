"""The cast at its resolution (M1): levels per (entity, moment) and what each prompt shows."""

from daedalus.agents._cast import cast_text, levels_at, planned_floors
from daedalus.domain import ResolutionLevel
from daedalus.kernel.fidelity import FidelityMap
from daedalus.kernel.render import Audience
from daedalus.kernel.strategy import BudgetMode, FidelityTemplate, plan_fidelity
from tests.builders import sim_state

L = ResolutionLevel


def planned(state, cells):
    """``state`` with a fidelity plan whose slot-000 cells are ``cells``."""
    base = plan_fidelity(state["scenario"].mode, FidelityTemplate.BALANCED, {"slot-000": 0.5},
                         {e: 0.5 for e in state["entities"]}, BudgetMode.MAX, None)
    levels = {e: {"slot-000": level} for e, level in cells.items()}
    return {**state, "plan": base.model_copy(update={"cells": FidelityMap(levels=levels)})}


def test_levels_follow_the_plan_then_participation_then_recorded_cells():
    state = sim_state()
    helen, *others = state["scenario"].entity_ids
    state = planned(state, {helen: L.GRAPH, **{o: L.TENSOR_ONLY for o in others}})
    assert levels_at(state, "tp-000") == {helen: L.GRAPH, **{o: L.TENSOR_ONLY for o in others}}
    talking = {**state, "participants": {"tp-000": [others[0]]}}
    assert levels_at(talking, "tp-000")[others[0]] == L.DIALOG
    recorded = {**talking, "resolution": {others[0]: {"tp-000": L.TRAINED}}}
    assert levels_at(recorded, "tp-000")[others[0]] == L.TRAINED
    uniform = {**state, "scenario": state["scenario"].model_copy(update={
        "fidelity": state["scenario"].fidelity.model_copy(update={"render": "uniform"})})}
    assert set(levels_at(uniform, "tp-000").values()) == {L.DIALOG}
    assert set(planned_floors(uniform, 0).values()) == {L.DIALOG}


def test_the_prompt_grows_with_the_level_and_the_narrator_sees_knowledge():
    state = sim_state()
    people = state["scenario"].entity_ids
    low = cast_text(planned(state, dict.fromkeys(people, L.TENSOR_ONLY)), people, "tp-000")
    high = cast_text(planned(state, dict.fromkeys(people, L.DIALOG)), people, "tp-000")
    assert len(high) > 2 * len(low)
    assert low.count("\n") == len(people) - 1
    secret = next(e.information for e in state["exposures"] if e.entity_id == people[0])
    assert secret in high and secret not in low


def test_the_public_never_reads_anyone_s_knowledge():
    state = planned(sim_state(), {})
    people = state["scenario"].entity_ids
    uniform = {**state, "scenario": state["scenario"].model_copy(update={
        "fidelity": state["scenario"].fidelity.model_copy(update={"render": "uniform"})})}
    text = cast_text(uniform, people, "tp-000", audience=Audience.PUBLIC)
    for event in state["exposures"]:
        assert event.information not in text
