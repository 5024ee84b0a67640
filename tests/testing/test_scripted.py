"""ScriptedModel: answers per node or action, recorded calls, scripted failures."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from pydantic import BaseModel

from daedalus.errors import ConfigError, ModelUnavailableError
from daedalus.llm._tokens import estimate_tokens
from daedalus.llm.actions import ActionType
from daedalus.testing.scripted import ScriptedCall, ScriptedModel

PROMPT: list[BaseMessage] = [SystemMessage("You steer a dialog."), HumanMessage("Ada, then Bo.")]


class Beat(BaseModel):
    speaker: str
    beat: str


def ask(model: Any, node: str | None = None, action: str | None = None, **kwargs: Any) -> Any:
    metadata = {k: v for k, v in (("daedalus_node", node), ("daedalus_action", action)) if v}
    return model.invoke(PROMPT, config={"metadata": metadata}, **kwargs)


def schema_format() -> dict[str, Any]:
    return {
        "type": "json_schema",
        "json_schema": {"name": "Beat", "schema": Beat.model_json_schema(), "strict": True},
    }


def test_answers_are_consumed_in_order_per_node() -> None:
    model = ScriptedModel({"steering": ["first", "second"], "character": ["line"]})
    assert ask(model, "steering").content == "first"
    assert ask(model, "character").content == "line"
    assert ask(model, "steering").content == "second"
    assert model.remaining == {"steering": 0, "character": 0}


def test_node_name_wins_over_action_value() -> None:
    model = ScriptedModel({"steering": ["by node"], ActionType.DIALOG_SYNTHESIS: ["by action"]})
    assert ask(model, "steering", ActionType.DIALOG_SYNTHESIS.value).content == "by node"
    assert ask(model, "other", ActionType.DIALOG_SYNTHESIS.value).content == "by action"


def test_a_sequence_answers_every_call() -> None:
    model = ScriptedModel(["one", "two"])
    assert [ask(model, "a").content, ask(model).content] == ["one", "two"]


def test_running_out_names_the_key() -> None:
    model = ScriptedModel({"steering": ["only"]})
    ask(model, "steering")
    with pytest.raises(ConfigError, match="ran out of answers for 'steering' after 1"):
        ask(model, "steering")


def test_cycle_repeats_the_last_answer() -> None:
    model = ScriptedModel({"steering": ["a", "b"]}, cycle=True)
    assert [ask(model, "steering").content for _ in range(4)] == ["a", "b", "b", "b"]


def test_default_answers_unscripted_keys_and_no_default_is_an_error() -> None:
    assert ask(ScriptedModel({}, default="fallback"), "anything").content == "fallback"
    with pytest.raises(ConfigError, match=r"no answer for node 'judge'.*'steering'"):
        ask(ScriptedModel({"steering": ["x"]}), "judge")


def test_structured_answers_follow_the_request_shape() -> None:
    beat = Beat(speaker="ada", beat="Ada objects.")
    model = ScriptedModel({"steering": [beat, {"speaker": "bo", "beat": "Bo agrees."}]})
    as_json = ask(model, "steering", response_format=schema_format())
    assert Beat.model_validate_json(as_json.content) == beat
    as_tool = ask(model.bind_tools([Beat], tool_choice="Beat"), "steering")
    assert as_tool.tool_calls[0]["name"] == "Beat"
    assert as_tool.tool_calls[0]["args"] == {"speaker": "bo", "beat": "Bo agrees."}


def test_raw_json_text_becomes_a_tool_call_and_malformed_text_stays_content() -> None:
    model = ScriptedModel(['{"speaker": "ada", "beat": "Go."}', "not json"])
    bound = model.bind_tools([Beat], tool_choice="Beat")
    assert ask(bound).tool_calls[0]["args"] == {"speaker": "ada", "beat": "Go."}
    malformed = ask(bound)
    assert malformed.tool_calls == [] and malformed.content == "not json"


def test_with_structured_output_round_trips() -> None:
    model = ScriptedModel([Beat(speaker="ada", beat="Ada objects.")])
    assert model.with_structured_output(Beat).invoke(PROMPT) == Beat(
        speaker="ada", beat="Ada objects."
    )


def test_callables_see_messages_and_kwargs() -> None:
    seen: list[tuple[int, dict[str, Any]]] = []

    def answer(messages: list[BaseMessage], kwargs: dict[str, Any]) -> str:
        seen.append((len(messages), kwargs))
        return f"temperature {kwargs['temperature']}"

    assert ask(ScriptedModel([answer]), temperature=0.3).content == "temperature 0.3"
    assert seen == [(2, {"temperature": 0.3})]


def test_exceptions_are_raised_in_order_for_retry_tests() -> None:
    model = ScriptedModel({"judge": [TimeoutError, ModelUnavailableError("down"), "ok"]})
    with pytest.raises(TimeoutError, match="scripted TimeoutError for 'judge'"):
        ask(model, "judge")
    with pytest.raises(ModelUnavailableError, match="down"):
        ask(model, "judge")
    assert ask(model, "judge").content == "ok"
    assert len(model.calls_for("judge")) == 3


def test_an_aimessage_is_returned_as_is_with_usage_added() -> None:
    reply = ask(ScriptedModel([AIMessage("exact", response_metadata={"custom": 1})]))
    assert reply.content == "exact" and reply.response_metadata["custom"] == 1
    assert reply.usage_metadata is not None


def test_calls_and_prompts_are_recorded() -> None:
    model = ScriptedModel(default="fine")
    ask(model, "steering", "dialog_synthesis", temperature=0.5)
    ask(model, "character")
    (call,) = model.calls_for("steering")
    assert call == ScriptedCall("steering", "dialog_synthesis", tuple(PROMPT), {"temperature": 0.5})
    assert model.calls_for("dialog_synthesis") == [call]
    assert model.prompts_for("character") == ["You steer a dialog.\n\nAda, then Bo."]
    assert [c.node for c in model.calls] == ["steering", "character"]


def test_usage_is_estimated_with_zero_cost() -> None:
    reply = ask(ScriptedModel(["Bo speaks next."]))
    assert reply.usage_metadata["output_tokens"] == estimate_tokens("Bo speaks next.")
    assert reply.response_metadata["token_usage"]["cost"] == 0.0
    assert reply.response_metadata["model_name"] == "scripted"


def test_async_calls_share_the_script() -> None:
    model = ScriptedModel({"steering": ["a", "b", "c"]})
    config = {"metadata": {"daedalus_node": "steering"}}

    async def run() -> list[Any]:
        return await asyncio.gather(*(model.ainvoke(PROMPT, config=config) for _ in range(3)))

    assert sorted(r.content for r in asyncio.run(run())) == ["a", "b", "c"]


def test_bad_scripts_are_rejected() -> None:
    with pytest.raises(ConfigError, match="must be a list of answers"):
        ScriptedModel({"steering": "not a list"})  # type: ignore[dict-item]
    with pytest.raises(ConfigError, match="is not a str, dict"):
        ask(ScriptedModel([42]))  # type: ignore[list-item]


def test_json_dicts_answer_plain_calls_as_json_text() -> None:
    assert json.loads(ask(ScriptedModel([{"a": 1}])).content) == {"a": 1}
