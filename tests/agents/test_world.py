import asyncio

import pytest

from daedalus.agents._world import moment_world
from daedalus.agents.character import character
from daedalus.agents.event_writer import build_event_messages
from daedalus.graphs.grounding import world_news
from daedalus.kernel.dialog import SteeringDecision
from daedalus.kernel.narrative import EventGuidance
from daedalus.templates import load_template
from daedalus.testing import ScriptedModel
from daedalus.world.grounding import WORLD_SOURCE, load_history, tick_for
from tests.builders import dialog_input, runtime, sim_state
from tests.graphs.test_grounding import grounded
from tests.world.grounding.support import write_small_preset

LINE = {"content": "We vote tonight.", "emotional_tone": "firm", "confidence": 0.8,
        "knowledge_references": []}


@pytest.fixture(scope="module")
def small_preset(tmp_path_factory: pytest.TempPathFactory) -> str:
    return write_small_preset(tmp_path_factory)


def event_prompt(state) -> str:
    when = state["timepoints"][-1].timestamp
    messages = build_event_messages(state, EventGuidance(), 2, 3, when)
    return "\n".join(str(m.content) for m in messages)


def test_the_event_writer_sees_the_world_of_the_moments_date(small_preset):
    scenario = grounded(small_preset)
    state = sim_state(scenario, timepoints=2)
    prompt = event_prompt(state)
    when = state["timepoints"][-1].timestamp
    section = scenario.world
    tick = tick_for(section, scenario.start_time, scenario.end_time, when)
    assert "The world around this moment in and around Port Alder" in prompt
    assert f"figures on day {tick} of the world" in prompt
    for signal in load_history(section).signals(tick):
        assert signal.text in prompt
    assert moment_world(scenario, when) in prompt


def test_an_ungrounded_prompt_has_no_world_section():
    state = sim_state(load_template("board_meeting"), timepoints=2)
    prompt = event_prompt(state)
    assert "world" not in prompt.lower()
    assert "at 2026-03-13 09:00.\n\nMoments so far" in prompt


def speak_prompt(state, speaker, scripted_router) -> str:
    decision = SteeringDecision(next_speaker=speaker, move="direct_statement", reason="argue")
    model = ScriptedModel({"character": [LINE]})
    asyncio.run(character({**dialog_input(state), "decision": decision},
                          runtime(scripted_router(model))))
    (prompt,) = model.prompts_for("character")
    return prompt


def test_a_character_sees_only_the_world_news_it_was_exposed_to(small_preset, scripted_router):
    state = sim_state(grounded(small_preset), timepoints=2)
    update = world_news(state, runtime(scripted_router(ScriptedModel({}))))
    state = {**state, "exposures": [*state["exposures"], *update["exposures"]]}
    mayor = [e for e in update["exposures"] if e.entity_id == "mayor_ines_toll"]
    prompt = speak_prompt(state, "mayor_ines_toll", scripted_router)
    world_part = prompt.split("What you have learned of the wider world", 1)[1]
    for exposure in mayor:
        assert f"- [{exposure.id}] {exposure.information}" in world_part
    before = prompt.split("What you have learned of the wider world", 1)[0]
    assert WORLD_SOURCE + "-" not in before.split("What you may draw on", 1)[1]
    away = speak_prompt(state, "councillor_amara_vale", scripted_router)
    assert "wider world" not in away
    assert not any(e.information in away for e in update["exposures"])
