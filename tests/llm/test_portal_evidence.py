"""The offline model answers PORTAL trials and judgements by weighing the evidence sheet."""

import json

from langchain_core.messages import HumanMessage, SystemMessage

from daedalus.llm._dice import Dice
from daedalus.llm._portal_evidence import answer_from_evidence, judge_scores, simulate_trial
from daedalus.llm.offline import OfflineChatModel
from daedalus.portal import JudgeEntry, JudgeSheet, TrialSheet, TrialVerdict

FACTS = {"f1": "Ares III loses contact during orbital insertion",
         "f2": "telemetry shows life support and communications failing in cascade"}


def sheet(event, knows=(), rationale=""):
    return TrialSheet(event=event, rationale=rationale, cast={"lin": "Lin Zhang, engineer"},
                      knows={"lin": tuple(knows)}, state={"lin": (0.1, 0.4, 0.8, 0.2)},
                      facts=FACTS, endpoint=True)


def test_a_trial_explains_the_facts_its_event_and_people_bring():
    bus = "Life support and communications fail in cascade when their shared bus trips"
    reached = simulate_trial(sheet("Contact with Ares III is lost in orbital insertion", [bus]),
                             2, Dice.from_parts("t"))
    assert reached["verdict"] == "reached" and reached["explains"] == ["f1", "f2"]
    assert reached["contradicts"] == [] and len(reached["beats"]) == 2
    (lin,) = reached["people"]
    assert lin["entity"] == "lin" and bus in lin["knows"] and lin["fatigue"] == 0.3
    assert lin["energy"] == 0.7
    partly = simulate_trial(sheet("Contact with Ares III is lost in orbital insertion"), 1,
                            Dice.from_parts("t"))
    assert partly["verdict"] == "partly" and partly["explains"] == ["f1"]
    missed = simulate_trial(sheet("The budget office reviews travel claims"), 1, Dice.from_parts("t"))
    assert missed["verdict"] == "missed" and missed["explains"] == []


def test_a_trial_whose_event_negates_a_fact_contradicts_it():
    answer = simulate_trial(sheet("A review prevents contact loss during orbital insertion"), 1,
                            Dice.from_parts("t"))
    assert answer["contradicts"] == ["f1"] and "f1" not in answer["explains"]


def test_judge_scores_rise_with_the_evidence():
    judge = JudgeSheet(facts=FACTS, endpoint=True, candidates={})

    def entry(verdict, explains=(), contradicts=()):
        return JudgeEntry(event="Lin Zhang logs the valve leak", people=("Lin Zhang",),
                          verdict=verdict, explains=explains, contradicts=contradicts,
                          knows={"Lin Zhang": ("Lin Zhang logs the valve leak",)})

    reached = judge_scores(entry(TrialVerdict.REACHED, tuple(FACTS)), judge)
    partly = judge_scores(entry(TrialVerdict.PARTLY, ("f1",)), judge)
    missed = judge_scores(entry(TrialVerdict.MISSED), judge)
    against = judge_scores(entry(TrialVerdict.MISSED, (), ("f1",)), judge)
    for name in ("coherence", "necessity"):
        assert reached[name] > partly[name] > missed[name] > against[name]
    assert reached["plausibility"] == partly["plausibility"] == missed["plausibility"]


def test_offline_model_uses_the_sheet_only_for_the_portal_schemas():
    trial = sheet("Contact with Ares III is lost in orbital insertion")
    messages = [SystemMessage("Simulate."), HumanMessage(f"Sheet:\n{trial.model_dump_json()}\n")]
    schema = {"properties": {"beats": {"minItems": 2}}}
    answer = answer_from_evidence("PortalTrial", schema, messages, Dice.from_parts("x"))
    assert answer["verdict"] == "partly" and len(answer["beats"]) == 2
    assert answer_from_evidence("Other", schema, messages, Dice.from_parts("x")) is None
    judge_schema = {"required": ["c1"]}
    # a judge call whose prompt holds a trial sheet falls back to the general filler
    assert answer_from_evidence("PortalJudgements", judge_schema, messages, Dice.from_parts("x")) is None


def test_offline_judge_answers_through_the_chat_model_interface():
    from daedalus.agents.portal_judge import judge_schema

    entry = JudgeEntry(event="e", people=("A",), verdict=TrialVerdict.REACHED,
                       explains=tuple(FACTS))
    judge = JudgeSheet(facts=FACTS, endpoint=True, candidates={"c1": entry})
    model = OfflineChatModel(seed=4).with_structured_output(judge_schema(1), method="json_schema")
    out = model.invoke([HumanMessage(f"Evidence sheet (JSON):\n{judge.model_dump_json()}")])
    assert out.c1.coherence == judge_scores(entry, judge)["coherence"]
    assert json.loads(out.model_dump_json())["c1"]["critique"].startswith("Its trial reaches")
