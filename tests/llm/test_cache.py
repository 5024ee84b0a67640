"""The response cache: content-addressed keys and one conformance suite for both stores."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from pydantic import BaseModel

from daedalus.llm.cache import (
    CachedAnswer,
    InMemoryResponseCache,
    ResponseCache,
    SQLiteResponseCache,
    cache_key,
)
from daedalus.llm.params import SamplingParams
from daedalus.llm.registry import StructuredOutputMethod


class Verdict(BaseModel):
    holds: bool


class Other(BaseModel):
    holds: int


BASE: dict[str, Any] = {
    "model": "acme/alpha",
    "messages": [SystemMessage("judge"), HumanMessage("claim")],
    "params": SamplingParams(temperature=0.2),
    "schema": Verdict,
    "method": StructuredOutputMethod.JSON_SCHEMA,
    "seed": 7,
}


def key(**changes: Any) -> str:
    return cache_key(**{**BASE, **changes})


def test_equal_requests_have_equal_keys():
    assert key() == key(messages=[SystemMessage("judge"), HumanMessage("claim")])
    assert len(key()) == 64 and int(key(), 16) >= 0


@pytest.mark.parametrize(
    "change",
    [
        {"model": "acme/beta"},
        {"messages": [SystemMessage("judge"), HumanMessage("claim!")]},
        {"messages": [HumanMessage("judge"), HumanMessage("claim")]},
        {"params": SamplingParams(temperature=0.3)},
        {"params": SamplingParams(temperature=0.2, max_tokens=10)},
        {"schema": Other},
        {"schema": None},
        {"method": StructuredOutputMethod.FUNCTION_CALLING},
        {"seed": 8},
    ],
)
def test_every_part_of_the_request_changes_the_key(change):
    assert key(**change) != key()


def test_tool_calls_count_but_their_ids_do_not():
    def asked(args: dict[str, Any], call_id: str) -> str:
        call = AIMessage("", tool_calls=[{"name": "f", "args": args, "id": call_id}])
        return key(messages=[HumanMessage("q"), call, HumanMessage("again")])

    assert asked({"a": 1}, "id-1") == asked({"a": 1}, "id-2")
    assert asked({"a": 1}, "id-1") != asked({"a": 2}, "id-1")


def test_method_is_ignored_for_plain_text():
    assert key(schema=None, method=None) == key(schema=None)


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ResponseCache]:
    if request.param == "memory":
        yield InMemoryResponseCache()
    else:
        with SQLiteResponseCache(tmp_path / "cache" / "answers.db") as cache:
            yield cache


ANSWER = CachedAnswer(
    model="acme/beta",
    text="",
    tool_args={"holds": True, "nested": {"x": [1, 2]}},
    prompt_tokens=12,
    completion_tokens=3,
    cost_usd=0.0005,
)


def test_store_round_trip(store):
    assert isinstance(store, ResponseCache)
    assert store.get("k") is None
    store.put("k", ANSWER)
    assert store.get("k") == ANSWER
    text = CachedAnswer(model="m", text="plain ✓ text")
    store.put("k", text)
    assert store.get("k") == text


def test_store_is_thread_safe(store):
    def worker(i: int) -> None:
        for j in range(50):
            store.put(f"{i}-{j}", CachedAnswer(model="m", text=f"{i}/{j}"))
            assert store.get(f"{i}-{j}") is not None

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(store) == 300  # type: ignore[arg-type]
    assert store.get("5-49") == CachedAnswer(model="m", text="5/49")


def test_sqlite_is_shared_by_separate_connections(tmp_path):
    path = tmp_path / "shared.db"
    with SQLiteResponseCache(path) as writer, SQLiteResponseCache(path) as reader:
        writer.put("k", ANSWER)
        assert reader.get("k") == ANSWER
    with SQLiteResponseCache(path) as reopened:
        assert reopened.get("k") == ANSWER and len(reopened) == 1
        (mode,) = reopened._conn.execute("PRAGMA journal_mode").fetchone()
    assert mode == "wal"
