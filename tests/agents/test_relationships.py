import asyncio

from daedalus.agents.relationships import relationships, relationships_schema
from daedalus.domain import DialogTurn
from daedalus.testing import ScriptedModel
from tests.builders import dialog_input, runtime

TURNS = [
    DialogTurn(speaker="maya_okonkwo", content="The round closes in March."),
    DialogTurn(speaker="daniel_reyes", content="No round closes before June."),
    DialogTurn(speaker="helen_park", content="Then we wait."),
]


def test_deltas_and_contradictions(scripted_router):
    state = {**dialog_input(), "turns": TURNS}
    reading = {
        "pairs": [{"pair": "daniel_reyes|maya_okonkwo", "trust_delta": -0.2, "alignment_delta": -0.1, "note": ""}],
        "contradictions": [
            {"first_turn": 1, "second_turn": 0, "topic": "when the round closes"},
            {"first_turn": 0, "second_turn": 0, "topic": "same speaker, ignored"},
        ],
    }
    model = ScriptedModel({"relationships": [reading]})
    update = asyncio.run(relationships(state, runtime(scripted_router(model))))
    assert update["relationship_deltas"] == {"daniel_reyes|maya_okonkwo": (-0.2, -0.1)}
    (clash,) = update["contradictions"]
    assert (clash.first_turn, clash.second_turn) == (0, 1)
    assert {clash.first_speaker, clash.second_speaker} == {"maya_okonkwo", "daniel_reyes"}
    assert len(model.calls) == 1


def test_schema_offers_only_present_pairs():
    schema = relationships_schema(["a|b", "a|c"], 3)
    pair = schema.model_json_schema()["$defs"]["PairShift"]["properties"]["pair"]
    assert pair["enum"] == ["a|b", "a|c"]
