import asyncio
import re
from datetime import date, datetime

import pytest
from langgraph.runtime import Runtime

from daedalus.context import RunContext
from daedalus.domain import Atmosphere, Entity, EntityKind, Relationship, Timepoint
from daedalus.errors import ConfigError
from daedalus.graphs._forward import forward_recursion_limit
from daedalus.graphs.directorial import (
    CAST_NODE,
    DIRECT_NODE,
    build_directorial_graph,
    cast_pov,
    direct_scene,
    directorial_guidance,
)
from daedalus.kernel.narrative import Act, SceneDirection, act_schedule, forward_line, steer_tension
from daedalus.kernel.temporal import check_directorial
from daedalus.llm.offline import OfflineChatModel
from daedalus.llm.router import Router
from daedalus.provenance import Provenance
from daedalus.scenario import Scenario
from daedalus.testing import ScriptedModel

OFFLINE = OfflineChatModel(seed=0)
FIVE_ACTS = ["setup", "rising_action", "climax", "falling_action", "resolution"]


def scenario(steps: int = 5, directorial: dict | None = None, **extra) -> Scenario:
    return Scenario.model_validate(
        {
            "id": "harbour",
            "name": "Harbour board",
            "description": "The harbour board must decide whether to close the old pier.",
            "mode": "directorial",
            "start": date(2031, 3, 1),
            "entities": [
                {"id": "ada", "name": "Ada Lin", "role": "chair",
                 "knowledge": ["The pier failed its last inspection."]},
                {"id": "bo", "name": "Bo Park", "role": "engineer",
                 "knowledge": ["Two pilings are split to the waterline."]},
                {"id": "cy", "name": "Cy Moss", "role": "treasurer"},
                {"id": "pier", "name": "The old pier", "kind": "place"},
            ],
            # ada is the hub of the relationship graph, so the most central entity
            "relationships": [
                {"a": "ada", "b": "bo", "trust": 0.9},
                {"a": "ada", "b": "cy", "trust": 0.9},
                {"a": "bo", "b": "cy", "trust": 0.1},
            ],
            "timeline": {"steps": steps, "step": "1 day"},
            "directorial": directorial or {},
            **extra,
        }
    )


def event(text: str, present=("bo", "cy"), importance: float = 0.9) -> dict:
    return {"description": text, "entities_present": list(present), "importance": importance}


def hybrid(script) -> ScriptedModel:
    return ScriptedModel(script, default=lambda messages, kwargs: OFFLINE.invoke(messages, **kwargs))


def run(scenario_: Scenario, router) -> dict:
    return asyncio.run(
        build_directorial_graph().compile().ainvoke(
            {"scenario": scenario_},
            context=RunContext(router=router),
            config={"recursion_limit": forward_recursion_limit(scenario_.timeline.steps)},
        )
    )


def assert_no_unexposed_references(out: dict) -> None:
    prov = Provenance(out["timepoints"], out["exposures"])
    for dialog in out["dialogs"]:
        for turn in dialog.turns:
            assert prov.check_references(
                turn.speaker, dialog.timepoint_id, turn.knowledge_references
            ) == ()


# the POV (ada) is left out of every scripted event on purpose
EVENTS = [
    event("Bo and Cy walk the pier at dawn and count the split pilings."),
    event("Cy finds the repair fund was spent on the ferry dock."),
    event("Bo threatens to go to the press if the pier stays open."),
    event("The ferry captain refuses to dock at the pier."),
    event("Bo and Cy sign the closure notice together."),
]


def tension_of_first_beat(model: ScriptedModel, when: datetime) -> float:
    stamp = when.strftime("%A %d %B %Y, %H:%M")
    prompt = next(p for p in model.prompts_for("steering") if f"Time: {stamp}" in p)
    return float(re.search(r"\(tension ([0-9.]+)\)", prompt).group(1))


def test_graph_has_the_director_around_each_moment():
    graph = build_directorial_graph()
    assert {DIRECT_NODE, CAST_NODE} <= set(graph.nodes)
    assert ("rest_and_gate", CAST_NODE) in graph.edges and (CAST_NODE, "dialog") in graph.edges
    assert ("rest_and_gate", "dialog") not in graph.edges


def test_acts_pov_and_tension_are_directed_for_every_moment():
    model = hybrid({"next_event": EVENTS})
    out = run(scenario(), Router.for_chat_model(model))
    line = forward_line(out["timepoints"])
    assert [tp.event_description for tp in line] == [e["description"] for e in EVENTS]
    scenes = [out["scenes"][tp.id] for tp in line]
    assert [s.act.value for s in scenes] == FIVE_ACTS
    assert [s.target_tension for s in scenes] == [b.target_tension for b in act_schedule(5)]
    assert {s.pov for s in scenes} == {"ada"}
    for tp in line:
        assert tp.entities_present[0] == "ada"
        assert "ada" in out["participants"][tp.id]
        dialog = next(d for d in out["dialogs"] if d.timepoint_id == tp.id)
        assert "ada" in dialog.participants
    prompts = model.prompts_for("next_event")
    assert "Act 3 of 5, climax: the decisive confrontation" in prompts[2]
    assert "Tension to reach: 0.90" in prompts[2]
    assert "Point of view: Ada Lin." in prompts[0]
    assert "These must take part in the moment: Ada Lin (ada)." in prompts[4]
    setup = tension_of_first_beat(model, line[0].timestamp)
    climax = tension_of_first_beat(model, line[2].timestamp)
    assert setup == pytest.approx(steer_tension(0.3, 0.3), abs=0.01)
    assert climax >= 0.72 > setup
    assert out["consistency"].valid
    assert check_directorial(out["timepoints"]).valid
    assert_no_unexposed_references(out)


def test_given_pov_and_three_acts_with_own_targets():
    model = hybrid({"next_event": EVENTS[:4]})
    chosen = {"acts": 3, "tension_targets": [0.2, 0.8, 0.1], "pov": "cy"}
    out = run(scenario(steps=4, directorial=chosen), Router.for_chat_model(model))
    scenes = [out["scenes"][tp.id] for tp in forward_line(out["timepoints"])]
    assert [(s.act, s.target_tension) for s in scenes] == [
        (Act.SETUP, 0.2), (Act.CLIMAX, 0.8), (Act.CLIMAX, 0.8), (Act.RESOLUTION, 0.1),
    ]
    assert {s.pov for s in scenes} == {"cy"}


def test_directorial_runs_offline(offline_router):
    out = run(scenario(steps=3), offline_router)
    line = forward_line(out["timepoints"])
    assert len(line) == 3 and out["consistency"].valid
    for tp in line:
        assert out["scenes"][tp.id].pov in tp.entities_present
        assert out["scenes"][tp.id].pov in out["participants"][tp.id]
    assert_no_unexposed_references(out)


# ---- the director's nodes alone ------------------------------------------------------------


def state_before(index: int, **extra) -> dict:
    sc = extra.pop("scenario", scenario())
    entities = {s.id: Entity(id=s.id, name=s.name, kind=s.kind) for s in sc.entities}
    moments = [
        Timepoint(id=f"tp-{i:03d}", timestamp=datetime(2031, 3, 1 + i, 10),
                  causal_parent=f"tp-{i - 1:03d}" if i else None, entities_present=("bo",))
        for i in range(index)
    ]
    relationships = {}
    for spec in sc.relationships:
        rel = Relationship(a=spec.a, b=spec.b, trust=spec.trust)
        relationships[rel.key] = rel
    return {"scenario": sc, "entities": entities, "timepoints": moments,
            "relationships": relationships, **extra}


def runtime() -> Runtime[RunContext]:
    return Runtime(context=RunContext(router=Router.offline(seed=0)))


def test_direct_scene_steers_the_tension_toward_the_acts_target():
    delta = direct_scene(state_before(2, atmosphere=Atmosphere(tension=0.2)), runtime())
    direction = delta["direction"]
    assert direction.act is Act.CLIMAX and direction.target_tension == 0.9
    assert delta["atmosphere"].tension == pytest.approx(0.2 + 0.8 * (0.9 - 0.2))


def test_pov_holds_within_an_act_and_is_chosen_again_when_an_act_opens():
    sc = scenario(steps=10)
    held = SceneDirection(act=Act.SETUP, act_number=1, target_tension=0.3, pov="bo")
    inside = direct_scene(state_before(1, scenario=sc, scenes={"tp-000": held}), runtime())
    assert inside["direction"].pov == "bo"  # tp-001 is still the setup
    opening = direct_scene(state_before(2, scenario=sc, scenes={"tp-001": held}), runtime())
    assert opening["direction"].act is Act.RISING_ACTION
    assert opening["direction"].pov == "ada"  # a new act: the most central entity


def test_places_cannot_hold_the_pov_unless_animism_lets_them_speak():
    sc = scenario(directorial={"pov": "pier"})
    with pytest.raises(ConfigError, match="'pier' is a place, which animism level 0"):
        direct_scene(state_before(0, scenario=sc), runtime())
    with pytest.raises(ConfigError, match="'zed' is not an entity"):
        direct_scene(state_before(0, scenario=scenario(directorial={"pov": "zed"})), runtime())
    spoken = scenario(directorial={"pov": "pier"}, animism=2)
    assert direct_scene(state_before(0, scenario=spoken), runtime())["direction"].pov == "pier"
    guidance = directorial_guidance(
        state_before(0, scenario=spoken, direction=SceneDirection(
            act=Act.SETUP, act_number=1, target_tension=0.3, pov="pier"))
    )
    assert guidance.required == ("pier",)
    assert any("Point of view: The old pier." in note for note in guidance.notes)


def test_cast_pov_puts_a_gated_out_pov_first_and_records_the_repair():
    direction = SceneDirection(act=Act.CLIMAX, act_number=3, target_tension=0.9, pov="ada")
    state = state_before(1, direction=direction, cursor="tp-000",
                         participants={"tp-000": ["bo", "cy"]}, focus={"tp-000": "the vote"})
    delta = cast_pov(state, runtime())
    assert delta["participants"] == {"tp-000": ["ada", "bo", "cy"]}
    (record,) = delta["validation"]
    assert record.action == "repaired" and record.entity_id == "ada"
    assert delta["scenes"]["tp-000"].focus == "the vote"
    capped = scenario(dialog={"participants": 2})
    delta = cast_pov({**state, "scenario": capped}, runtime())
    assert delta["participants"] == {"tp-000": ["ada", "bo"]}
    kept = cast_pov({**state, "participants": {"tp-000": ["bo", "ada"]}}, runtime())
    assert "participants" not in kept and "validation" not in kept


def test_non_human_entities_are_not_chosen_as_pov_at_animism_zero():
    sc = Scenario.model_validate({
        **scenario().model_dump(mode="json"),
        "relationships": [{"a": "pier", "b": "bo", "trust": 1.0}, {"a": "pier", "b": "cy", "trust": 1.0}],
    })
    assert sc.entity("pier").kind is EntityKind.PLACE
    assert direct_scene(state_before(0, scenario=sc), runtime())["direction"].pov != "pier"


def test_directed_state_survives_a_checkpoint(offline_router):
    from daedalus.store.checkpoint import memory_checkpointer

    graph = build_directorial_graph().compile(checkpointer=memory_checkpointer())
    config = {"recursion_limit": forward_recursion_limit(2), "configurable": {"thread_id": "d"}}
    asyncio.run(graph.ainvoke({"scenario": scenario(steps=2)},
                              context=RunContext(router=offline_router), config=config))
    saved = graph.get_state(config).values
    assert all(isinstance(s, SceneDirection) for s in saved["scenes"].values())
    assert saved["consistency"].valid
