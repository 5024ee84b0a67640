"""The PostgreSQL store opened by URL: schema versions, the cache, the ledger, checkpoints,
and the one-line refusal of a store that cannot be used."""

import asyncio

import psycopg
import pytest

from daedalus.errors import ConfigError
from daedalus.llm.actions import ActionType
from daedalus.llm.cache import CachedAnswer, ResponseCache
from daedalus.llm.ledger import CallRecord
from daedalus.store import Store, open_store
from daedalus.store.ledger_log import CallLog
from daedalus.store.postgres._schema import SCHEMA_VERSION
from tests.postgres import server_url


def test_opening_twice_keeps_the_tables_and_the_version(postgres_url):
    with open_store(postgres_url) as first, open_store(postgres_url) as second:
        assert isinstance(first, Store)
        schema = first.target.schema
        assert first.location.endswith(f"(schema {schema})")
        assert second.runs.list_runs() == first.runs.list_runs()
    with psycopg.connect(server_url()) as conn:
        row = conn.execute(f'SELECT version FROM "{schema}".store_schema'.encode()).fetchone()
    assert row == (SCHEMA_VERSION,)


def test_a_store_written_by_a_newer_version_is_refused(postgres_url):
    with open_store(postgres_url) as opened:
        schema = opened.target.schema
    with psycopg.connect(server_url(), autocommit=True) as conn:
        conn.execute(f'UPDATE "{schema}".store_schema SET version = 99'.encode())
        try:
            with pytest.raises(ConfigError, match="schema version 99, newer than this Daedalus"):
                open_store(postgres_url)
        finally:
            conn.execute(
                f'UPDATE "{schema}".store_schema SET version = {SCHEMA_VERSION}'.encode()
            )


def test_cached_answers_read_back_exactly_across_stores(postgres_url):
    answer = CachedAnswer(model="m", text="nul \x00 and é", tool_args={"a": [1, 2]},
                          prompt_tokens=3, completion_tokens=4, cost_usd=0.25)
    with open_store(postgres_url) as writer, open_store(postgres_url) as reader:
        cache = writer.cache()
        assert isinstance(cache, ResponseCache)
        cache.put("k1", answer)
        cache.put("k1", answer)
        assert reader.cache().get("k1") == answer
        assert reader.cache().get("absent") is None


def test_the_ledger_keeps_in_doubt_rows_until_settled(postgres_url):
    row = CallRecord(node="n", action=ActionType.GENERAL, model="m", cost_usd=0.5)
    with open_store(postgres_url) as opened:
        log = opened.call_log("ledger-run")
        assert isinstance(log, CallLog)
        log.append(row)
        log.append(row.model_copy(update={"in_doubt": True, "request_id": "r1"}))
        log.append(row.model_copy(update={"in_doubt": True, "request_id": "r2"}))
        log.settle("r1")
        with open_store(postgres_url) as again:  # closed here, not by a later collection
            rows = again.call_log("ledger-run").read()
    assert [(r.in_doubt, r.request_id) for r in rows] == [(False, None), (True, "r2")]


def test_checkpoints_are_kept_in_the_store(postgres_url):
    from langgraph.graph import StateGraph
    from typing_extensions import TypedDict

    class Count(TypedDict):
        n: int

    graph = StateGraph(Count)
    graph.add_node("inc", lambda state: {"n": state["n"] + 1})
    graph.set_entry_point("inc")
    graph.set_finish_point("inc")
    config = {"configurable": {"thread_id": "cp-test"}}

    async def twice(opened):
        async with opened.checkpointer() as saver:
            app = graph.compile(checkpointer=saver)
            await app.ainvoke({"n": 1}, config)
        async with opened.checkpointer() as saver:
            app = graph.compile(checkpointer=saver)
            return (await app.aget_state(config)).values

    with open_store(postgres_url) as opened:
        assert asyncio.run(twice(opened)) == {"n": 2}


def test_an_unreachable_store_is_one_line_with_the_password_masked():
    url = "postgresql://ann:s3cret@127.0.0.1:1/db?schema=x"
    with pytest.raises(ConfigError) as caught:
        open_store(url)
    message = str(caught.value)
    assert message.startswith("cannot use the store postgresql://ann:***@127.0.0.1:1/db")
    assert "expected a reachable PostgreSQL server" in message
    assert "s3cret" not in message and "\n" not in message


def test_run_paths_hold_no_credentials(postgres_url):
    with open_store(postgres_url) as opened:
        paths = opened.run_paths("r")
    assert paths["exports"] == "exports/r" and "postgresql://" in paths["store"]
