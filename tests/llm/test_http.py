"""One connection pool per event loop: a process may run many loops, one after another."""

from __future__ import annotations

import asyncio
import gc
from pathlib import Path

import httpx
import pytest

import daedalus
from daedalus.llm._http import LoopLocalAsyncClient
from daedalus.testing import LoopbackOpenRouter


def test_two_real_model_runs_in_one_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Each run has its own event loop; pooled connections of the first loop must not serve
    # the second ("Event loop is closed" when langchain-openai's process-wide client did).
    monkeypatch.setenv("OPENROUTER_API_KEY", "sk-loopback-test")
    with LoopbackOpenRouter() as server:
        first = daedalus.run("board_meeting", model="auto", base_url=server.base_url,
                             store=tmp_path, seed=1)
        paid = server.requests
        second = daedalus.run("board_meeting", model="auto", base_url=server.base_url,
                              store=tmp_path, seed=2)
    assert (first.status, second.status) == ("completed", "completed")
    assert paid > 0 and server.requests > paid


def test_each_loop_gets_its_own_client_closed_when_the_loop_shuts_down() -> None:
    client = LoopLocalAsyncClient(timeout=5.0)
    seen: list[httpx.AsyncClient] = []

    async def one(url: str) -> int:
        response = await client.post(
            f"{url}/chat/completions", json={"model": "m", "messages": []}
        )
        inner = await client._current()
        seen.append(inner)
        assert client.open_loops == 1 and not inner.is_closed
        return response.status_code

    with LoopbackOpenRouter() as server:
        assert asyncio.run(one(server.base_url)) == 200
        assert asyncio.run(one(server.base_url)) == 200
    assert seen[0] is not seen[1]
    assert all(inner.is_closed for inner in seen)  # closed by the loop's shutdown
    assert client.open_loops == 0
    gc.collect()  # an unclosed socket would warn here (the suite turns that into an error)


def test_aclose_closes_the_running_loops_client() -> None:
    client = LoopLocalAsyncClient()

    async def use_and_close(url: str) -> httpx.AsyncClient:
        await client.post(f"{url}/chat/completions", json={"model": "m", "messages": []})
        inner = await client._current()
        await client.aclose()
        return inner

    with LoopbackOpenRouter() as server:
        inner = asyncio.run(use_and_close(server.base_url))
    assert inner.is_closed and client.open_loops == 0
