import asyncio

from daedalus.agents.steering import steering, steering_schema
from daedalus.domain import DialogTurn
from daedalus.kernel.dialog import DialogMove
from daedalus.testing import ScriptedModel
from tests.builders import dialog_input, runtime


def decision(**overrides):
    answer = {"next_speaker": "daniel_reyes", "move": "strategic_question", "target": "maya_okonkwo",
              "mood_shift": "sharper", "tension_delta": 0.2, "end": False, "reason": "press on cash"}
    answer.update(overrides)
    return answer


def run(state, scripted_router, *answers):
    router = scripted_router({"steering": list(answers)})
    update = asyncio.run(steering(state, runtime(router)))
    return update, router


def test_steering_sees_public_state_only(scripted_router):
    state = dialog_input()
    secret = "A rival has made an informal acquisition approach"
    assert any(k.information == secret for k in state["contexts"]["maya_okonkwo"].back.withheld)
    model = ScriptedModel({"steering": [decision()]})
    asyncio.run(steering(state, runtime(scripted_router(model))))
    (prompt,) = model.prompts_for("steering")
    assert secret not in prompt
    assert "Seven months" not in prompt and "seven months" not in prompt  # daniel's private facts
    for ctx in state["contexts"].values():
        for impulse in ctx.back.suppressed_impulses:
            assert impulse not in prompt
    assert "Maya Okonkwo" in prompt and "Boardroom" in prompt


def test_decision_is_applied_with_tension_and_mood(scripted_router):
    state = dialog_input()
    update, _ = run(state, scripted_router, decision())
    assert update["decision"].next_speaker == "daniel_reyes"
    assert update["decision"].move is DialogMove.STRATEGIC_QUESTION
    assert update["tension"] == state["tension"] + 0.2
    assert update["mood"] == "sharper"
    assert "mechanisms" not in update  # turns written are counted, not steering calls


def test_end_is_refused_until_everyone_was_heard_and_self_target_dropped(scripted_router):
    state = dialog_input()
    update, _ = run(state, scripted_router, decision(end=True, target="daniel_reyes"))
    assert update["decision"].end is False
    assert update["decision"].target is None
    everyone = [DialogTurn(speaker=p, content="x y z") for p in state["participants"]]
    update, _ = run({**state, "turns": everyone}, scripted_router, decision(end=True))
    assert update["decision"].end is True


def test_schema_offers_only_the_people_present():
    schema = steering_schema(("a", "b"))
    speaker = schema.model_json_schema()["properties"]["next_speaker"]
    assert speaker["enum"] == ["a", "b"]
