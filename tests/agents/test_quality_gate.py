import asyncio

from daedalus.agents.quality_gate import after_gate, quality_gate
from daedalus.domain import DialogTurn
from daedalus.kernel.dialog import SteeringDecision, SurfaceIssue
from daedalus.testing import ScriptedModel
from tests.builders import dialog_input, runtime

GOOD = {"narrative_advancement": 0.8, "specificity": 0.8, "voice_distinctiveness": 0.8,
        "naturalness": 0.8, "passed": True, "weakest_turn": None, "feedback": ""}


def gate(state, model, scripted_router):
    return asyncio.run(quality_gate(state, runtime(scripted_router(model))))


def state_with(turns, end=False, **extra):
    speaker = turns[-1].speaker
    return {**dialog_input(), "turns": turns, "retries": 0,
            "decision": SteeringDecision(next_speaker=speaker, end=end), **extra}


def test_failing_turn_is_replaced_and_rewritten(scripted_router):
    turns = [DialogTurn(speaker="maya_okonkwo", content="Certainly, the pipeline is strong.")]
    model = ScriptedModel({})
    update = gate(state_with(turns), model, scripted_router)
    assert update["turns"] == [] and update["retries"] == 1
    assert update["feedback_rewrite"] is True and "filler" in update["feedback"]
    assert update["gate_log"][0].issues == (SurfaceIssue.GENERIC_OPENER,)
    assert after_gate({**update, "ended": False}) == "rewrite"
    assert model.calls == []  # surface checks cost nothing


def test_retry_bound_accepts_after_max_retries(scripted_router):
    turns = [DialogTurn(speaker="maya_okonkwo", content="Certainly, the pipeline is strong.")]
    state = state_with(turns, retries=2, max_retries=2)
    update = gate(state, ScriptedModel({}), scripted_router)
    assert "turns" not in update and update["retries"] == 0
    assert update["gate_log"][0].action == "accepted_after_retries"
    assert after_gate({**state, **update}) == "steer"


def test_speaker_order_problems_go_back_to_steering(scripted_router):
    people = ["maya_okonkwo", "daniel_reyes", "helen_park"]
    texts = ["Pipeline.", "Cash covers seven months only.", "Who decides?", "We raise now, quickly.",
             "Seven months, I said.", "Vote first."]
    turns = [DialogTurn(speaker=people[i % 3], content=t) for i, t in enumerate(texts)]
    update = gate(state_with(turns, turn_budget=20), ScriptedModel({}), scripted_router)
    assert update["feedback_rewrite"] is False and len(update["turns"]) == 5
    assert after_gate({**update, "ended": False}) == "steer"


def test_end_of_dialog_is_judged_once(scripted_router):
    turns = [DialogTurn(speaker="maya_okonkwo", content="We raise a bridge round this month."),
             DialogTurn(speaker="daniel_reyes", content="Seven months of cash says otherwise.")]
    model = ScriptedModel({"quality_gate": [GOOD]})
    update = gate(state_with(turns, end=True), model, scripted_router)
    assert update["ended"] is True and update["verdict"].specificity == 0.8
    assert len(model.calls_for("quality_gate")) == 1
    assert after_gate({**update}) == "finish"


def test_turn_budget_ends_the_dialog_even_without_the_steering_agent(scripted_router):
    turns = [DialogTurn(speaker="maya_okonkwo", content="We raise a bridge round this month."),
             DialogTurn(speaker="daniel_reyes", content="Seven months of cash says otherwise.")]
    model = ScriptedModel({"quality_gate": [GOOD]})
    update = gate(state_with(turns, turn_budget=2), model, scripted_router)
    assert update["ended"] is True and update["end_reason"] == "turn budget reached"


def test_failing_verdict_rewrites_the_weakest_turn_once(scripted_router):
    turns = [DialogTurn(speaker="maya_okonkwo", content="We raise a bridge round this month.", move="direct_statement"),
             DialogTurn(speaker="daniel_reyes", content="Seven months of cash says otherwise.")]
    weak = {**GOOD, "specificity": 0.1, "passed": False, "weakest_turn": 0, "feedback": "vague"}
    model = ScriptedModel({"quality_gate": [weak, weak]})
    first = gate(state_with(turns, end=True), model, scripted_router)
    assert first["redo_index"] == 0 and first["ended"] is False
    assert first["decision"].next_speaker == "maya_okonkwo"
    assert after_gate({**first}) == "rewrite"
    state = {**state_with(turns, end=True), **first}
    second = gate(state, model, scripted_router)
    assert second["ended"] is True and second["redo_index"] is None  # bounded: one rewrite


def test_a_leaked_secret_is_never_accepted(scripted_router):
    leak = "Between us, a rival has made an informal acquisition approach."
    turns = [DialogTurn(speaker="maya_okonkwo", content=leak, knowledge_references=())]
    retry = gate(state_with(turns), ScriptedModel({}), scripted_router)
    assert retry["turns"] == [] and SurfaceIssue.WITHHELD_LEAK in retry["gate_log"][0].issues
    final = gate(state_with(turns, retries=2, max_retries=2), ScriptedModel({}), scripted_router)
    assert final["turns"][-1].content == "(stays silent)"
    assert final["gate_log"][0].action == "withdrawn"
