"""The offline model's readings: a relationship reading of a transcript (M13) and a query answer
that dates what the entity knew (M5). Driven through the real prompts and schemas."""

import json
from datetime import datetime

from daedalus.agents._common import render
from daedalus.agents.query_answer import answer_schema, knowledge_lines
from daedalus.agents.relationships import relationships_schema
from daedalus.domain import ExposureEvent, ExposureKind
from daedalus.llm.offline import OfflineChatModel


def ask(messages, schema):
    reply = OfflineChatModel(seed=3).invoke(
        messages,
        response_format={"type": "json_schema",
                         "json_schema": {"name": schema.__name__, "schema": schema.model_json_schema()}},
    )
    return json.loads(reply.content)


def test_pairs_that_answered_each_other_gain_trust_and_a_denial_is_a_contradiction():
    pairs = ["ada|ben", "ada|cy", "ben|cy"]
    transcript = "\n".join([
        "0: Ada Reyes: The pump seal failed during the night shift test.",
        "1: Ben Okafor: The pump seal never failed during the night shift test.",
        "2: Ada Reyes: Then who signed the test log?",
    ])
    listing = "\n".join(["- ada|ben (Ada Reyes and Ben Okafor)", "- ada|cy (Ada Reyes and Cy Lund)",
                         "- ben|cy (Ben Okafor and Cy Lund)"])
    answer = ask(render("relationships", pairs=listing, transcript=transcript),
                 relationships_schema(pairs, 3))
    shifts = {p["pair"]: p for p in answer["pairs"]}
    assert shifts["ada|ben"]["trust_delta"] > 0 and "twice" in shifts["ada|ben"]["note"]
    assert shifts["ada|cy"]["trust_delta"] == 0 == shifts["ben|cy"]["alignment_delta"]
    (clash,) = answer["contradictions"]
    assert (clash["first_turn"], clash["second_turn"]) == (0, 1)
    assert "pump" in clash["topic"] and "seal" in clash["topic"]


def test_a_query_answer_says_when_and_how_each_item_was_learned():
    at = datetime(2026, 3, 19, 9, 0)
    known = [
        ExposureEvent(id="init-ada-0", entity_id="ada", kind=ExposureKind.INITIAL,
                      information="The bylaws need a two-thirds vote", source="scenario"),
        ExposureEvent(id="told-1", entity_id="ada", kind=ExposureKind.TOLD,
                      information="Cash covers seven months", source="ben_okafor",
                      timepoint_id="tp-001", timestamp=at),
    ]
    messages = render("query_answer", question="What did Ada know?", name="Ada Reyes",
                      role="director", time="2026-03-19 09:00", moment="The board meets",
                      knowledge="\n".join(knowledge_lines(known)), detail="one plain sentence")
    answer = ask(messages, answer_schema([e.id for e in known]))
    text = answer["answer"]
    assert "At tp-001 (2026-03-19 09:00), Ada was told by Ben Okafor: Cash covers seven months." in text
    assert "Before the timeline began, Ada knew from the start: The bylaws" in text
    assert answer["cited"] == ["told-1", "init-ada-0"]
    assert "answer only from it" not in text
