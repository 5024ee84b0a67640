import asyncio
from datetime import date, datetime, timedelta

from daedalus.agents._common import SILENT
from daedalus.context import RunContext
from daedalus.domain import ExposureKind
from daedalus.graphs._forward import NEXT_EVENT, forward_recursion_limit
from daedalus.graphs.pearl import CHECK_NODE, build_pearl_graph
from daedalus.graphs.timestep import TIMESTEP_NODES
from daedalus.kernel.narrative import DecisionPoint, forward_line
from daedalus.kernel.temporal import check_pearl
from daedalus.llm.offline import OfflineChatModel
from daedalus.llm.router import Router
from daedalus.provenance import Provenance
from daedalus.scenario import Scenario
from daedalus.testing import ScriptedModel

START = datetime(2031, 3, 1, 10)
OFFLINE = OfflineChatModel(seed=0)


def scenario(steps: int = 3, **extra) -> Scenario:
    return Scenario.model_validate(
        {
            "id": "harbour",
            "name": "Harbour board",
            "description": "The harbour board must decide whether to close the old pier.",
            "mode": "pearl",
            "start": date(2031, 3, 1),
            "entities": [
                {"id": "ada", "name": "Ada Lin", "role": "chair",
                 "knowledge": ["The pier failed its last inspection."]},
                {"id": "bo", "name": "Bo Park", "role": "engineer",
                 "knowledge": ["Two pilings are split to the waterline."]},
                {"id": "cy", "name": "Cy Moss", "role": "treasurer",
                 "knowledge": ["The repair fund holds forty thousand."]},
            ],
            "relationships": [
                {"a": "ada", "b": "bo", "trust": 0.7},
                {"a": "bo", "b": "cy", "trust": 0.5},
                {"a": "ada", "b": "cy", "trust": 0.6},
            ],
            "timeline": {"steps": steps, "step": "1 day"},
            "scene": {"goals": ["decide on the pier"]},
            **extra,
        }
    )


def event(text: str, present=("ada", "bo", "cy"), importance: float = 0.9, **extra) -> dict:
    return {"description": text, "entities_present": list(present), "importance": importance,
            **extra}


def hybrid(script) -> ScriptedModel:
    """Scripted answers for the named nodes; every other call goes to the offline model."""
    return ScriptedModel(script, default=lambda messages, kwargs: OFFLINE.invoke(messages, **kwargs))


def run(graph, scenario_, router, seed: int = 0) -> tuple[dict, list]:
    async def go():
        streamed, final = [], None
        async for mode, chunk in graph.compile().astream(
            {"scenario": scenario_},
            context=RunContext(router=router, seed=seed),
            config={"recursion_limit": forward_recursion_limit(scenario_.timeline.steps + 2)},
            stream_mode=["custom", "values"],
        ):
            if mode == "custom":
                streamed.append(chunk)
            else:
                final = chunk
        return final, streamed

    return asyncio.run(go())


def assert_no_unexposed_references(out: dict) -> None:
    prov = Provenance(out["timepoints"], out["exposures"])
    for dialog in out["dialogs"]:
        for turn in dialog.turns:
            refused = prov.check_references(turn.speaker, dialog.timepoint_id,
                                            turn.knowledge_references)
            assert refused == (), (dialog.timepoint_id, turn.speaker, refused)


EVENTS = [
    event("Bo shows Ada and Cy the split pilings under the pier at low tide.",
          decision={"question": "Close the pier now?", "options": ["close it", "wait a week"]}),
    event("Cy tells the board the repair fund cannot cover new pilings."),
    event("The board votes to close the pier until the spring.", importance=0.95),
]


def test_graph_runs_setup_then_the_loop_then_the_check():
    nodes = set(build_pearl_graph().nodes)
    assert {"load_roster", "plan_strategy", NEXT_EVENT, *TIMESTEP_NODES, CHECK_NODE} <= nodes


def test_pearl_line_is_written_by_the_model_chained_witnessed_and_talked_through():
    model = hybrid({"next_event": EVENTS})
    out, streamed = run(build_pearl_graph(), scenario(), Router.for_chat_model(model))
    line = forward_line(out["timepoints"])
    assert [tp.id for tp in line] == ["tp-000", "tp-001", "tp-002"]
    assert [tp.causal_parent for tp in line] == [None, "tp-000", "tp-001"]
    assert [tp.timestamp for tp in line] == [START + timedelta(days=i) for i in range(3)]
    assert [tp.event_description for tp in line] == [e["description"] for e in EVENTS]
    assert [tp.importance for tp in line] == [0.9, 0.9, 0.95]
    witnessed = {(e.entity_id, e.timepoint_id) for e in out["exposures"]
                 if e.kind is ExposureKind.WITNESSED}
    for tp in line:
        assert {(entity, tp.id) for entity in tp.entities_present} <= witnessed
    talked = {d.timepoint_id for d in out["dialogs"] if d.turns}
    assert talked == {"tp-000", "tp-001", "tp-002"}
    assert out["decision_points"] == {
        "tp-000": DecisionPoint(question="Close the pier now?", options=("close it", "wait a week"))
    }
    assert [e for e in streamed if e["event"] == "timepoint"] == [
        {"event": "timepoint", "index": i, "of": 3, "id": f"tp-00{i}"} for i in range(3)
    ]
    details = {e["id"]: e["ids"] for e in streamed if e["event"] == "detail"}
    written = {tp.moment_of: [] for tp in out["timepoints"] if tp.moment_of is not None}
    for tp in out["timepoints"]:
        if tp.moment_of is not None:
            written[tp.moment_of].append(tp.id)
    assert details and details == written  # progress names every detail moment (M8)
    assert out["consistency"].valid and not out["consistency"].violations
    assert check_pearl(out["timepoints"]).valid
    assert out["mechanisms"]["M7"] >= 2 and out["mechanisms"]["M17"] >= 2  # the plan and the verdict
    assert_no_unexposed_references(out)


def test_each_event_is_written_from_the_previous_moment_and_its_dialog():
    model = hybrid({"next_event": EVENTS})
    out, _ = run(build_pearl_graph(), scenario(), Router.for_chat_model(model))
    prompts = model.prompts_for("next_event")
    assert len(prompts) == 3
    assert "(none yet: this is the opening moment)" in prompts[0]
    first_dialog = next(d for d in out["dialogs"] if d.timepoint_id == "tp-000")
    last_line = [t.content for t in first_dialog.turns if t.content != SILENT][-1]
    assert EVENTS[0]["description"] in prompts[1]
    assert last_line in prompts[1]
    assert EVENTS[1]["description"] in prompts[2]
    assert EVENTS[2]["description"] not in prompts[2]


def test_pearl_runs_end_to_end_offline(offline_router):
    out, streamed = run(build_pearl_graph(), scenario(steps=4), offline_router)
    line = forward_line(out["timepoints"])
    assert len(line) == 4 and sum(e["event"] == "timepoint" for e in streamed) == 4
    assert all(tp.event_description for tp in line)
    assert [tp.causal_parent for tp in line[1:]] == [tp.id for tp in line[:-1]]
    assert out["consistency"].valid
    assert_no_unexposed_references(out)
