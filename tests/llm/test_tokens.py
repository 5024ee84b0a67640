"""The token estimate used by models without a tokenizer."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

from daedalus.llm._tokens import (
    estimate_prompt_tokens,
    estimate_tokens,
    response_metadata,
    usage_metadata,
)


def test_golden_estimates() -> None:
    assert estimate_tokens("") == 0
    assert estimate_tokens("the") == 1
    assert estimate_tokens("simulation") == 2
    assert estimate_tokens("interoperability") == 4
    assert estimate_tokens("12345") == 2
    assert estimate_tokens("Hello, world!") == 4


@settings(max_examples=60)
@given(st.text(max_size=40), st.text(max_size=40))
def test_estimate_adds_up_across_a_space(left: str, right: str) -> None:
    assert estimate_tokens(f"{left} {right}") == estimate_tokens(left) + estimate_tokens(right)


def test_prompt_counts_framing_extras_and_tool_calls() -> None:
    messages = [SystemMessage("Be brief."), HumanMessage("Hello there")]
    base = estimate_prompt_tokens(messages)
    assert base == 3 + (3 + 3) + (3 + 2)
    assert estimate_prompt_tokens(messages, ['{"type": "object"}']) > base
    call = AIMessage("", tool_calls=[{"name": "vote", "args": {"choice": "yes"}, "id": "c1"}])
    assert estimate_prompt_tokens([*messages, call]) > base + 3


def test_usage_and_metadata_agree() -> None:
    usage = usage_metadata(10, 4)
    assert usage == {"input_tokens": 10, "output_tokens": 4, "total_tokens": 14}
    meta = response_metadata("offline", 10, 4, finish_reason="stop", extra={"offline": True})
    assert meta["token_usage"] == {
        "prompt_tokens": 10,
        "completion_tokens": 4,
        "total_tokens": 14,
        "cost": 0.0,
    }
    assert meta["offline"] is True and meta["model_name"] == "offline"
