import asyncio

from daedalus.agents.character import ANIMISTIC_ACTION, character, turn_schema
from daedalus.domain import DialogTurn, EntityKind
from daedalus.kernel.dialog import SteeringDecision
from daedalus.testing import ScriptedModel
from tests.builders import dialog_input, runtime, sim_state, with_kinds

SECRET = "A rival has made an informal acquisition approach"


def beat(speaker="maya_okonkwo", move="direct_statement"):
    return SteeringDecision(next_speaker=speaker, move=move, target="daniel_reyes", reason="push")


def line(content="Two enterprise customers signed letters of intent.", refs=()):
    return {"content": content, "emotional_tone": "urgent", "confidence": 0.7,
            "knowledge_references": list(refs)}


def speak(state, model, scripted_router):
    return asyncio.run(character(state, runtime(scripted_router(model))))


def test_prompt_holds_own_layers_and_nothing_of_others(scripted_router):
    state = {**dialog_input(), "decision": beat()}
    model = ScriptedModel({"character": [line()]})
    speak(state, model, scripted_router)
    (prompt,) = model.prompts_for("character")
    assert SECRET in prompt  # her own back layer shapes her voice
    assert "Revenue missed the quarterly plan" in prompt
    assert "two-thirds vote" not in prompt  # Helen's knowledge
    state = {**state, "decision": beat("helen_park")}
    model = ScriptedModel({"character": [line("Who signed?")]})
    speak(state, model, scripted_router)
    (prompt,) = model.prompts_for("character")
    assert SECRET not in prompt and "rival" not in prompt.lower()
    assert "two-thirds vote" in prompt


def test_turn_is_appended_with_references_and_persona_params(scripted_router):
    state = {**dialog_input(), "decision": beat()}
    model = ScriptedModel({"character": [line(refs=["init-maya_okonkwo-1"])]})
    update = speak(state, model, scripted_router)
    (turn,) = update["turns"]
    assert turn.speaker == "maya_okonkwo" and turn.knowledge_references == ("init-maya_okonkwo-1",)
    assert turn.move == "direct_statement" and turn.target == "daniel_reyes"
    kwargs = model.calls[0].kwargs
    for key in ("temperature", "top_p", "max_tokens", "frequency_penalty", "presence_penalty"):
        assert key in kwargs, key
    assert "mechanisms" not in update  # a dialog counts its effects once (dialog_effects)


def test_persona_params_are_recomputed_as_energy_is_spent(scripted_router):
    state = {**dialog_input(), "decision": beat()}
    long_turns = [DialogTurn(speaker="maya_okonkwo", content="word " * 300) for _ in range(3)]
    model = ScriptedModel({"character": [line(), line()]})
    speak(state, model, scripted_router)
    speak({**state, "turns": long_turns}, model, scripted_router)
    fresh, tired = (call.kwargs["max_tokens"] for call in model.calls)
    assert tired < fresh


def test_references_outside_the_front_layer_are_refused_by_the_schema():
    schema = turn_schema(frozenset({"e1", "e2"}))
    refs = schema.model_json_schema()["properties"]["knowledge_references"]
    assert refs["items"]["enum"] == ["e1", "e2"]
    empty = turn_schema(frozenset())
    assert empty.model_json_schema()["properties"]["knowledge_references"]["maxItems"] == 0


def test_silence_costs_no_call(scripted_router):
    state = {**dialog_input(), "decision": beat(move="silence")}
    model = ScriptedModel({})
    update = speak(state, model, scripted_router)
    assert model.calls == [] and update["turns"][0].content == "(stays silent)"


def test_redo_replaces_the_turn_in_place(scripted_router):
    turns = [DialogTurn(speaker="maya_okonkwo", content="first"),
             DialogTurn(speaker="daniel_reyes", content="second")]
    state = {**dialog_input(), "decision": beat(), "turns": turns, "redo_index": 0}
    update = speak(state, ScriptedModel({"character": [line("rewritten")]}), scripted_router)
    assert [t.content for t in update["turns"]] == ["rewritten", "second"]


def test_non_human_speakers_use_their_mode(scripted_router):
    base = sim_state()
    state = dialog_input(with_kinds(base, {"helen_park": EntityKind.BUILDING}))
    state = {**state, "decision": beat("helen_park")}
    model = ScriptedModel({"character": [line("The ventilation ticks louder.")]})
    update = speak(state, model, scripted_router)
    assert model.calls[0].action == ANIMISTIC_ACTION.value
    assert "building" in model.prompts_for("character")[0]
    assert "mechanisms" not in update
