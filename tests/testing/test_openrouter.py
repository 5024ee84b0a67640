"""The loopback OpenRouter stand-in: a real socket on 127.0.0.1 answering like a provider."""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from pathlib import Path

import pytest

import daedalus
from daedalus.testing import LoopbackOpenRouter, network_blocked


def post(url: str, body: dict[str, object]) -> tuple[int, dict[str, object]]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, json.loads(exc.read())


def test_it_answers_a_chat_completion_on_loopback_with_its_cost() -> None:
    assert network_blocked()  # the suite's guard is on: loopback is all it uses
    with LoopbackOpenRouter(cost=0.002) as server:
        assert server.base_url.startswith("http://127.0.0.1:")
        status, body = post(
            f"{server.base_url}/chat/completions",
            {"model": "acme/alpha", "messages": [{"role": "user", "content": "Say hi."}]},
        )
    assert status == 200
    choices = body["choices"]
    assert isinstance(choices, list) and choices[0]["message"]["role"] == "assistant"
    assert body["usage"]["cost"] == 0.002  # type: ignore[index]
    assert (server.requests, server.billed_usd, server.models) == (1, 0.002, ["acme/alpha"])


def test_unknown_routes_and_bad_bodies_are_provider_style_errors() -> None:
    with LoopbackOpenRouter() as server:
        assert post(f"{server.base_url}/embeddings", {})[0] == 404
        request = urllib.request.Request(f"{server.base_url}/chat/completions", data=b"{not json")
        with pytest.raises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(request, timeout=10)
        caught.value.close()
        assert caught.value.code == 400
    assert server.requests == 0


def test_requests_overlap_and_each_waits_the_latency() -> None:
    body = {"model": "m", "messages": [{"role": "user", "content": "x"}]}
    with LoopbackOpenRouter(latency=0.2) as server:
        threads = [
            threading.Thread(target=post, args=(f"{server.base_url}/chat/completions", body))
            for _ in range(4)
        ]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        took = time.perf_counter() - started
    assert server.requests == 4 and server.peak_in_flight >= 2
    assert 0.2 <= took < 0.7  # in parallel, not 4 x 0.2 s one after another


def test_a_real_model_run_goes_through_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENROUTER_API_KEY", "sk-loopback-test")
    with LoopbackOpenRouter(cost=0.0001) as server:
        run = daedalus.run(
            "board_meeting", model="auto", base_url=server.base_url, store=tmp_path, seed=1,
        )
    assert run.status == "completed" and server.requests > 0
    totals = run.ledger.totals()
    assert totals.calls - totals.cache_hits == server.requests
    assert totals.cost_usd == pytest.approx(server.billed_usd)


def test_a_stopped_server_frees_its_port() -> None:
    server = LoopbackOpenRouter().start()
    url = server.base_url
    server.stop()
    with pytest.raises(RuntimeError, match="not started"):
        _ = server.base_url
    with pytest.raises(OSError):
        urllib.request.urlopen(f"{url}/chat/completions", data=b"{}", timeout=2)
