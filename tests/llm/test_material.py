"""What the offline model takes from a prompt, and how it writes with it."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

from daedalus.llm._compose import TONES, Writer
from daedalus.llm._dice import Dice
from daedalus.llm._material import Material, gather_material

PROMPT = [
    SystemMessage(
        "You are the narrator. Reply with JSON only.\n"
        "Setting: the ferry terminal at Port Alder, 2029-06-01T18:30.\n"
        "- lena_kos (Lena Kos, ticket clerk): refuses to sell the last berth.\n"
        "- [exp_21] Lena saw the captain hide a parcel under the bench.\n"
        "- tor_vik: waits by the gangway with a lantern.\n"
        'Captain Ivo Brandt said "The crossing leaves at nine, with or without you" twice.\n'
        '{"state": {"tension": 0.8, "secret": "never quote this"}}\n'
        "JSON schema:\n"
        '{"type": "object", "properties": {"hidden_field": {"type": "string"}}}'
    ),
    AIMessage("The model's own earlier words are not material."),
    HumanMessage("Why does Lena refuse the berth?"),
]
MATERIAL = gather_material(PROMPT)


def test_bullets_lose_their_bookkeeping() -> None:
    assert "Lena Kos refuses to sell the last berth." in MATERIAL.bullets
    assert "Lena saw the captain hide a parcel under the bench." in MATERIAL.bullets
    assert "Tor Vik waits by the gangway with a lantern." in MATERIAL.bullets


def test_quotes_names_ids_and_dates_are_found() -> None:
    assert "The crossing leaves at nine, with or without you" in MATERIAL.quotes
    assert {"Port Alder", "Lena Kos", "Ivo Brandt"} <= set(MATERIAL.names) | {
        n.removeprefix("Captain ") for n in MATERIAL.names
    }
    assert {"lena_kos", "exp_21", "tor_vik"} <= set(MATERIAL.ids)
    assert MATERIAL.dates == ("2029-06-01T18:30",)


def test_json_instructions_questions_and_model_turns_are_not_content() -> None:
    content = " ".join(MATERIAL.passages)
    assert "never quote this" not in MATERIAL.text and "hidden_field" not in MATERIAL.text
    assert "earlier words" not in MATERIAL.text
    assert "narrator" not in content and "Why does" not in content
    assert "You are the narrator." in MATERIAL.instructions
    assert MATERIAL.focus == {"lena", "refuse", "berth"}


def test_relevance_and_mentions() -> None:
    assert MATERIAL.relevance("Lena sold the berth") == 2
    assert MATERIAL.mentions("lena_kos") >= 1 and MATERIAL.mentions("zeppelin") == 0


def test_writer_draws_every_role_from_the_material() -> None:
    writer = Writer(MATERIAL)
    dice = Dice(b"roles")
    assert writer.name(dice.child("n")) in MATERIAL.names
    assert writer.tone(dice.child("t")) in TONES
    assert writer.slugs(dice.child("s"), "speaker_id")[0] in MATERIAL.ids
    assert writer.slugs(dice.child("s"), "id", fresh=True)[0] not in MATERIAL.ids
    passage = writer.passage(dice.child("p"))
    assert passage and passage.endswith((".", "!", "?"))


def test_empty_material_writes_nothing_rather_than_filler() -> None:
    writer = Writer(Material())
    assert writer.passage(Dice(b"e")) == "" and writer.phrase(Dice(b"e")) == ""


@settings(max_examples=60)
@given(
    text=st.text(max_size=80),
    shortest=st.integers(0, 60),
    extra=st.integers(0, 60),
    key=st.binary(max_size=4),
)
def test_fit_always_lands_in_range(text: str, shortest: int, extra: int, key: bytes) -> None:
    for writer in (Writer(MATERIAL), Writer(Material())):
        fitted = writer.fit(text, Dice(key), shortest, shortest + extra)
        assert shortest <= len(fitted) <= shortest + extra
