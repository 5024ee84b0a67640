"""The offline model: deterministic, schema-valid, written from the prompt, no network (M18)."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
from typing import Annotated, Literal

import pytest
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from pydantic import BaseModel, Field

from daedalus.domain import DialogTurn
from daedalus.errors import ModelRequestError
from daedalus.llm._tokens import estimate_prompt_tokens, estimate_tokens
from daedalus.llm.offline import OfflineChatModel

SCENE = (
    "The observatory on Mount Kell is snowed in for the third night.\n"
    "- mara_voss (Mara Voss, astronomer): believes the comet will pass closer than announced.\n"
    "- [exp_3] Mara read the corrected orbit in a telegram from Geneva.\n"
    "- otto_lind (Otto Lind, director): wants the press kept away until the data is checked.\n"
    '"If we are wrong, the whole valley panics," Otto Lind said.\n'
    "The generator coughs every hour and the telescope dome is frozen half open."
)
MESSAGES: list[BaseMessage] = [
    SystemMessage(SCENE),
    HumanMessage("What does Mara say to Otto about the comet and the press?"),
]
SPEAKERS = ("mara_voss", "otto_lind", "nobody_else")


class NextBeat(BaseModel):
    next_speaker: Literal["mara_voss", "otto_lind", "nobody_else"]
    beat: str = Field(description="What happens next, in one sentence")
    reason: str
    urgency: Annotated[int, Field(ge=1, le=5)]
    knowledge_references: Annotated[list[Literal["exp_3", "exp_4"]], Field(max_length=2)]


def schema_format(model: type[BaseModel]) -> dict[str, object]:
    return {
        "type": "json_schema",
        "json_schema": {
            "name": model.__name__,
            "schema": model.model_json_schema(),
            "strict": True,
        },
    }


def words_of(text: str) -> set[str]:
    return {w.lower() for w in re.findall(r"[A-Za-z][A-Za-z'-]*", text)}


PROMPT_WORDS = words_of(SCENE + " " + str(MESSAGES[1].content))


def test_json_schema_output_validates_and_is_labelled_offline() -> None:
    reply = OfflineChatModel(seed=4).invoke(MESSAGES, response_format=schema_format(NextBeat))
    NextBeat.model_validate_json(str(reply.content))
    assert reply.response_metadata["offline"] is True
    assert reply.response_metadata["model_name"] == "offline"
    assert reply.response_metadata["token_usage"]["cost"] == 0.0


def test_pydantic_class_as_response_format() -> None:
    reply = OfflineChatModel().invoke(MESSAGES, response_format=DialogTurn)
    DialogTurn.model_validate_json(str(reply.content))


def test_same_inputs_give_the_same_answer_across_instances() -> None:
    kwargs = {"response_format": schema_format(NextBeat), "temperature": 0.7}
    first = OfflineChatModel(seed=11).invoke(MESSAGES, **kwargs)
    second = OfflineChatModel(seed=11).invoke(MESSAGES, **kwargs)
    assert first.content == second.content
    assert (
        OfflineChatModel(seed=11).invoke(MESSAGES).content
        == OfflineChatModel(seed=11).invoke(MESSAGES).content
    )


def test_answers_are_stable_across_processes() -> None:
    code = (
        "from langchain_core.messages import HumanMessage, SystemMessage\n"
        "from daedalus.llm.offline import OfflineChatModel\n"
        f"m = [SystemMessage({SCENE!r}), HumanMessage({MESSAGES[1].content!r})]\n"
        "print(OfflineChatModel(seed=5).invoke(m).content)\n"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert out.stdout.strip() == OfflineChatModel(seed=5).invoke(MESSAGES).content


def test_different_seeds_write_different_free_text() -> None:
    beats = {
        NextBeat.model_validate_json(
            str(
                OfflineChatModel(seed=s)
                .invoke(MESSAGES, response_format=schema_format(NextBeat))
                .content
            )
        ).beat
        for s in range(8)
    }
    texts = {OfflineChatModel(seed=s).invoke(MESSAGES).content for s in range(8)}
    assert len(beats) >= 4 and len(texts) >= 4


def test_a_call_seed_overrides_the_model_seed() -> None:
    model = OfflineChatModel(seed=1)
    assert (
        model.invoke(MESSAGES, seed=9).content
        == OfflineChatModel(seed=9).invoke(MESSAGES, seed=9).content
    )
    assert model.invoke(MESSAGES, seed=9).response_metadata["seed"] == 9
    assert model.invoke(MESSAGES, seed=None).content == model.invoke(MESSAGES).content


def test_free_text_is_made_of_the_prompt_words() -> None:
    joiners = {"and", "because", "given", "that", "since"}
    for seed in range(10):
        reply = OfflineChatModel(seed=seed).invoke(
            MESSAGES, response_format=schema_format(NextBeat)
        )
        value = NextBeat.model_validate_json(str(reply.content))
        assert words_of(value.beat) <= PROMPT_WORDS | joiners
        assert words_of(value.reason) <= PROMPT_WORDS | joiners
        assert words_of(str(OfflineChatModel(seed=seed).invoke(MESSAGES).content)) <= PROMPT_WORDS


def test_enum_choices_depend_on_seed_and_prompt() -> None:
    fmt = schema_format(NextBeat)
    picks = [
        json.loads(str(OfflineChatModel(seed=s).invoke(MESSAGES, response_format=fmt).content))[
            "next_speaker"
        ]
        for s in range(60)
    ]
    assert len(set(picks)) >= 2
    assert picks.count("mara_voss") > picks.count("nobody_else")


def test_plain_text_prefers_material_relevant_to_the_question() -> None:
    relevant = "The comet tail now spans half the northern sky."
    filler = [f"Crate {n} of canned beans sits in the cellar corner." for n in range(8)]
    messages = [
        SystemMessage("\n".join([*filler, relevant])),
        HumanMessage("How big is the comet tail tonight?"),
    ]
    answers = [str(OfflineChatModel(seed=s).invoke(messages).content) for s in range(30)]
    hits = sum(relevant in answer for answer in answers)
    assert hits > max(sum(f in answer for answer in answers) for f in filler)


def test_max_tokens_bounds_plain_text() -> None:
    model = OfflineChatModel(seed=2)
    for limit in (3, 12, 30):
        reply = model.invoke(MESSAGES, max_tokens=limit)
        assert estimate_tokens(str(reply.content)) <= limit
    short = model.invoke(MESSAGES, max_tokens=3)
    assert short.response_metadata["finish_reason"] == "length"


def test_stop_sequences_cut_text() -> None:
    full = str(OfflineChatModel(seed=3).invoke(MESSAGES).content)
    word = full.split()[2]
    cut = OfflineChatModel(seed=3).invoke(MESSAGES, stop=[word])
    assert cut.content == full[: full.find(word)]


def test_usage_is_estimated_and_sampling_is_recorded() -> None:
    fmt = schema_format(NextBeat)
    reply = OfflineChatModel().invoke(
        MESSAGES,
        response_format=fmt,
        temperature=0.2,
        top_p=0.9,
        max_tokens=400,
        frequency_penalty=0.1,
        presence_penalty=0.3,
    )
    assert isinstance(reply, AIMessage) and reply.usage_metadata is not None
    prompt = estimate_prompt_tokens(MESSAGES, [json.dumps(fmt, sort_keys=True)])
    assert reply.usage_metadata["input_tokens"] == prompt
    assert reply.usage_metadata["output_tokens"] == estimate_tokens(str(reply.content))
    usage = reply.response_metadata["token_usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    assert reply.response_metadata["sampling"] == {
        "temperature": 0.2,
        "top_p": 0.9,
        "max_tokens": 400,
        "frequency_penalty": 0.1,
        "presence_penalty": 0.3,
    }


def test_tool_calls_through_bind_tools() -> None:
    class Unrelated(BaseModel):
        """Weather in a far city."""

        city: str

    bound = OfflineChatModel().bind_tools([Unrelated, NextBeat], tool_choice="NextBeat")
    reply = bound.invoke(MESSAGES)
    assert isinstance(reply, AIMessage) and reply.content == ""
    (call,) = reply.tool_calls
    assert call["name"] == "NextBeat" and call["id"]
    NextBeat.model_validate(call["args"])
    assert reply.response_metadata["finish_reason"] == "tool_calls"


def test_auto_tool_choice_picks_the_tool_the_prompt_is_about() -> None:
    class ShipCargo(BaseModel):
        """Load crates onto a ship."""

        crates: int

    class CometReport(BaseModel):
        """Report what the astronomer says about the comet and the press."""

        text: str

    reply = OfflineChatModel().bind_tools([ShipCargo, CometReport]).invoke(MESSAGES)
    assert isinstance(reply, AIMessage)
    assert reply.tool_calls[0]["name"] == "CometReport"


def test_with_structured_output_returns_the_model() -> None:
    result = OfflineChatModel(seed=8).with_structured_output(NextBeat).invoke(MESSAGES)
    assert isinstance(result, NextBeat)


def test_unknown_tool_choice_is_rejected() -> None:
    with pytest.raises(ModelRequestError, match="tool_choice names 'Missing'"):
        OfflineChatModel().bind_tools([NextBeat], tool_choice="Missing").invoke(MESSAGES)


def test_json_mode_reads_the_schema_from_the_system_message() -> None:
    schema = json.dumps(NextBeat.model_json_schema(), indent=2)
    messages = [
        SystemMessage(f"{SCENE}\n\nAnswer with one JSON object.\nJSON schema:\n{schema}"),
        MESSAGES[1],
    ]
    for seed in range(5):
        reply = OfflineChatModel(seed=seed).invoke(
            messages, response_format={"type": "json_object"}
        )
        NextBeat.model_validate_json(str(reply.content))
        assert "properties" not in words_of(str(reply.content))


def test_json_mode_without_a_schema_answers_an_object() -> None:
    reply = OfflineChatModel().invoke(MESSAGES, response_format={"type": "json_object"})
    assert set(json.loads(str(reply.content))) == {"content"}


def test_unsupported_response_format_is_rejected() -> None:
    with pytest.raises(ModelRequestError, match="unsupported response_format"):
        OfflineChatModel().invoke(MESSAGES, response_format={"type": "xml"})


def test_latency_sleeps_in_sync_calls() -> None:
    slept: list[float] = []
    OfflineChatModel(latency=0.25, sleep=slept.append).invoke(MESSAGES)
    OfflineChatModel(sleep=slept.append).invoke(MESSAGES)
    assert slept == [0.25]


def test_latency_awaits_in_async_calls_so_calls_overlap() -> None:
    inside = 0
    peak = 0
    gate = asyncio.Event()

    async def fake_sleep(seconds: float) -> None:
        nonlocal inside, peak
        assert seconds == 0.5
        inside += 1
        peak = max(peak, inside)
        if inside == 3:
            gate.set()
        await gate.wait()
        inside -= 1

    model = OfflineChatModel(latency=0.5, async_sleep=fake_sleep)

    async def run() -> list[BaseMessage]:
        return await asyncio.gather(*(model.ainvoke(MESSAGES) for _ in range(3)))

    replies = asyncio.run(asyncio.wait_for(run(), timeout=5))
    assert peak == 3 and len({r.content for r in replies}) == 1
