"""The offline model's dialog answers: rotation, speech from the speaker's own knowledge, facts
that keep their turn (M11, M19). Driven through the real prompts and schemas."""

import json

from daedalus.agents.character import build_character_messages, turn_schema
from daedalus.agents.extraction import extraction_schema
from daedalus.agents.steering import build_steering_messages, steering_schema
from daedalus.domain import DialogTurn, EntityKind
from daedalus.kernel.dialog import DialogMove, SteeringDecision
from daedalus.llm.offline import OfflineChatModel
from tests.builders import dialog_input

PEOPLE = ("maya_okonkwo", "daniel_reyes", "helen_park")


def ask(messages, schema):
    reply = OfflineChatModel(seed=3).invoke(
        messages,
        response_format={"type": "json_schema",
                         "json_schema": {"name": schema.__name__, "schema": schema.model_json_schema()}},
    )
    return json.loads(reply.content)


def test_steering_gives_the_floor_to_whoever_has_not_spoken():
    inp = dialog_input()
    turns = [DialogTurn(speaker="helen_park", content="The vote needs two thirds of the board.")]
    answer = ask(build_steering_messages(inp["public"], {**inp, "turns": turns}), steering_schema(PEOPLE))
    assert answer["next_speaker"] in {"maya_okonkwo", "daniel_reyes"}
    assert answer["target"] == "helen_park" and answer["end"] is False
    heard = [*turns, DialogTurn(speaker="maya_okonkwo", content="Two customers signed letters.")]
    again = ask(build_steering_messages(inp["public"], {**inp, "turns": heard}), steering_schema(PEOPLE))
    assert again["next_speaker"] == "daniel_reyes"


def test_a_character_says_what_it_knows_and_cites_it():
    inp = dialog_input()
    ctx = inp["contexts"]["daniel_reyes"]
    names = dict(inp["public"].names)
    beat = SteeringDecision(next_speaker="daniel_reyes", move=DialogMove.DIRECT_STATEMENT,
                            target="maya_okonkwo", reason="answer her")
    answer = ask(build_character_messages(ctx, EntityKind.HUMAN, beat, [], names),
                 turn_schema(ctx.usable_exposure_ids))
    [ref] = answer["knowledge_references"]
    fact = next(k.information for k in ctx.front.knowledge if k.exposure_id == ref)
    assert fact.rstrip(".") in answer["content"] and answer["content"].startswith("Maya, ")
    assert "(id " not in answer["content"] and "Daniel Reyes" not in answer["content"]
    # once it has been said, the next turn says something else
    said = [DialogTurn(speaker="daniel_reyes", content=answer["content"])]
    nxt = ask(build_character_messages(ctx, EntityKind.HUMAN, beat, said, names),
              turn_schema(ctx.usable_exposure_ids))
    assert nxt["knowledge_references"] != answer["knowledge_references"]


def test_extraction_keeps_each_statement_with_its_own_turn():
    from daedalus.agents._common import render, transcript

    turns = [DialogTurn(speaker="maya_okonkwo", content="Helen, let me be clear: Cash covers seven months."),
             DialogTurn(speaker="helen_park", content="What does the vote need?"),
             DialogTurn(speaker="daniel_reyes", content="Two enterprise customers signed letters of intent.")]
    names = {"maya_okonkwo": "Maya Okonkwo", "helen_park": "Helen Park", "daniel_reyes": "Daniel Reyes"}
    answer = ask(render("extraction", transcript=transcript(turns, names, indexed=True)), extraction_schema(3))
    assert answer["facts"] == [
        {"turn_index": 0, "information": "Cash covers seven months", "confidence": 0.8},
        {"turn_index": 2, "information": "Two enterprise customers signed letters of intent",
         "confidence": 0.8},
    ]


def test_new_scenarios_take_their_cast_and_mode_from_the_description():
    import asyncio

    from daedalus.agents.config_generator import generate_scenario
    from daedalus.domain import EntityKind, TemporalMode
    from daedalus.llm.router import Router

    council = asyncio.run(generate_scenario(
        "a city council votes on closing the harbour", Router.offline(seed=1)))
    kinds = {e.kind for e in council.entities}
    assert EntityKind.INSTITUTION in kinds and EntityKind.HUMAN in kinds
    assert council.mode is TemporalMode.PEARL
    facts = [k.text for e in council.entities for k in e.knowledge]
    assert len(facts) == len(set(facts))  # no member repeats another's line
    what_if = asyncio.run(generate_scenario(
        "what if the bakery had not signed the lease", Router.offline(seed=1)))
    assert what_if.mode is TemporalMode.BRANCHING
    ending = asyncio.run(generate_scenario(
        "the bridge collapsed in May; how did it come to that", Router.offline(seed=1)))
    assert ending.mode is TemporalMode.PORTAL


def test_a_grounded_moment_states_the_worlds_leading_signal():
    from daedalus.agents.event_writer import build_event_messages, event_schema
    from daedalus.kernel.narrative import EventGuidance
    from tests.builders import sim_state

    state = sim_state(timepoints=1)
    when = state["timepoints"][0].timestamp
    messages = build_event_messages(state, EventGuidance(), 2, 3, when)
    plain = ask(messages, event_schema(PEOPLE))["description"]
    assert "Around them" not in plain
    world = ("\n\nThe world around this moment in and around Port (let the moment reflect it):\n"
             "- An epidemic is spreading: 12 infections per 100,000 people.\n"
             "- figures on day 9 of the world: unemployment 5.0%")
    marker = f"at {when:%Y-%m-%d %H:%M}."
    grounded = [messages[0], type(messages[1])(
        content=str(messages[1].content).replace(marker, marker + world))]
    description = ask(grounded, event_schema(PEOPLE))["description"]
    assert "Around them, an epidemic is spreading: 12 infections per 100,000 people." in description
