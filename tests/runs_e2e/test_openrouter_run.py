"""A whole run over HTTP against a mocked OpenAI-compatible server (respx: no network).

The mocked server answers every chat completion with what the offline model would say to the
same messages and schema, shaped as an OpenAI completion billed at ``COST`` dollars. So a run
goes through everything a real provider run goes through: M18 routing, the wire format of each
structured-output method, sampling parameters, costs from ``usage.cost`` and key handling.
"""

import asyncio
import importlib
import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
from langchain_core.messages import convert_to_messages

from daedalus.context import RunContext
from daedalus.exports import write_exports
from daedalus.graphs.modes import build_graph, recursion_limit_for
from daedalus.llm.ledger import CallRecord
from daedalus.llm.offline import OfflineChatModel
from daedalus.llm.openrouter import DEFAULT_BASE_URL
from daedalus.llm.registry import ModelRegistry, StructuredOutputMethod
from daedalus.llm.router import Router
from daedalus.llm.selection import PRESETS, fallback_chain
from daedalus.scenario import Scenario
from daedalus.store import SqliteRunStore
from daedalus.store.record import RunMeta, RunRecord
from daedalus.templates import load_template

KEY = "sk-test-e2e-3f9b1c07d2a4"
COMPATIBLE_URL = "https://openrouter.test/api/v1"
COST = 0.0001
REGISTRY = ModelRegistry.default()
ANSWERS = OfflineChatModel(seed=0)
WRITER_NODE = importlib.import_module("daedalus.agents.event_writer").NODE
CALL_KWARGS = ("response_format", "tools", "tool_choice", "seed", "max_tokens", "temperature")


class CompatibleServer:
    """Answers chat completions like a provider would; records every request it saw."""

    def __init__(self, unavailable: frozenset[str] = frozenset()) -> None:
        self.unavailable = unavailable
        self.requests: list[tuple[httpx.Request, dict[str, Any]]] = []
        self.billed: list[float] = []

    @property
    def bodies(self) -> list[dict[str, Any]]:
        return [body for _, body in self.requests]

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.requests.append((request, body))
        if body["model"] in self.unavailable:
            error = {"code": 404, "message": f"no endpoints found for {body['model']}"}
            return httpx.Response(404, json={"error": error})
        messages = convert_to_messages(body["messages"])
        kwargs = {key: body[key] for key in CALL_KWARGS if key in body}
        answer = ANSWERS.answer(messages, **kwargs)
        message: dict[str, Any] = {"role": "assistant", "content": answer.content}
        if answer.tool_calls:
            message["content"] = None
            message["tool_calls"] = [
                {
                    "id": call["id"],
                    "type": "function",
                    "function": {"name": call["name"], "arguments": json.dumps(call["args"])},
                }
                for call in answer.tool_calls
            ]
        usage = answer.usage_metadata or {"input_tokens": 0, "output_tokens": 0}
        self.billed.append(COST)
        return httpx.Response(
            200,
            json={
                "id": f"gen-{len(self.requests)}",
                "object": "chat.completion",
                "created": 1,
                "model": body["model"],
                "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
                "usage": {
                    "prompt_tokens": usage["input_tokens"],
                    "completion_tokens": usage["output_tokens"],
                    "total_tokens": usage["input_tokens"] + usage["output_tokens"],
                    "cost": COST,
                },
            },
        )


def serve(base_url: str, server: CompatibleServer) -> respx.MockRouter:
    mock = respx.mock(assert_all_called=True, assert_all_mocked=True)
    mock.post(f"{base_url}/chat/completions").mock(side_effect=server)
    return mock


def first_choice(row: CallRecord) -> str:
    return fallback_chain(row.action, REGISTRY, 3, PRESETS["balanced"])[0].id


def sent(rows: list[CallRecord]) -> Counter[str]:
    """Requests per model the ledger accounts for (each row is 1 + its retries requests)."""
    counts: Counter[str] = Counter()
    for row in rows:
        if not row.cache_hit:
            counts[row.model] += 1 + row.retries
    return counts


def assert_structured_shape(body: dict[str, Any]) -> None:
    """The request asks for structured output the way its model's registry entry says."""
    method = REGISTRY.get(body["model"]).structured_output
    if method is StructuredOutputMethod.FUNCTION_CALLING:
        name = body["tool_choice"]["function"]["name"]
        assert [tool["function"]["name"] for tool in body["tools"]] == [name]
        assert "response_format" not in body
    elif method is StructuredOutputMethod.JSON_SCHEMA:
        assert body["response_format"]["type"] == "json_schema"
        assert body["response_format"]["json_schema"]["schema"]["type"] == "object"
        assert "tools" not in body
    else:
        assert body["response_format"] == {"type": "json_object"}
        assert "JSON schema:" in body["messages"][0]["content"]


def assert_node_params(bodies: list[dict[str, Any]], rows: list[CallRecord]) -> None:
    """Each node's sampling parameters reach the wire on exactly that node's requests."""
    for name in ("event_writer", "extraction", "quality_gate", "steering"):
        module = importlib.import_module(f"daedalus.agents.{name}")
        params = module._PARAMS
        on_wire = sum(
            1 for b in bodies
            if (b["temperature"], b["max_tokens"]) == (params.temperature, params.max_tokens)
        )
        requests = sum(1 + r.retries for r in rows if r.node == module.NODE and not r.cache_hit)
        assert requests > 0, module.NODE
        assert on_wire == requests, module.NODE


def files_under(*roots: Path) -> list[Path]:
    return [p for root in roots for p in root.rglob("*") if p.is_file()]


def simulate(scenario: Scenario, router: Router, seed: int = 0) -> dict[str, Any]:
    app = build_graph(scenario.mode).compile()
    return asyncio.run(app.ainvoke(
        {"scenario": scenario},
        context=RunContext(router=router, seed=seed),
        config={"recursion_limit": recursion_limit_for(scenario)},
    ))


def test_pointing_the_base_url_at_a_compatible_server_drives_a_real_run(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENROUTER_API_KEY", KEY)
    monkeypatch.setenv("OPENROUTER_BASE_URL", COMPATIBLE_URL)
    scenario = load_template("board_meeting")
    server = CompatibleServer()
    # The key and the URL come from the environment, as for `daedalus run`; only the HTTP
    # client is handed in, because respx intercepts httpx clients only.
    router = Router.from_env(http_async_client=httpx.AsyncClient(), seed=5)
    assert not router.is_offline
    with serve(COMPATIBLE_URL, server):
        state = simulate(scenario, router, seed=5)

    assert state["consistency"] is not None and state["timepoints"] and state["dialogs"]
    rows = list(router.ledger.records)
    assert rows and all(r.error is None and not r.offline for r in rows)
    bodies = server.bodies
    # M18: every call went to the first model of its action's fallback chain.
    for row in rows:
        assert row.model == first_choice(row), (row.node, row.action)
    assert Counter(b["model"] for b in bodies) == sent(rows)
    assert len({r.action for r in rows}) >= 3
    assert len({b["model"] for b in bodies}) >= 2  # different actions, different models
    for request, body in server.requests:
        assert request.url == f"{COMPATIBLE_URL}/chat/completions"
        assert request.headers["authorization"] == f"Bearer {KEY}"
        assert body["seed"] == 5 and "temperature" in body and "max_tokens" in body
        assert_structured_shape(body)
        assert "provider" not in body  # OpenRouter's routing options stay off other servers
    assert_node_params(bodies, rows)
    # Dollars: exactly what the server billed.
    assert router.ledger.totals().cost_usd == pytest.approx(sum(server.billed), abs=1e-12)
    assert router.ledger.totals().cost_usd == pytest.approx(COST * len(bodies), abs=1e-12)
    # Stored and exported like any run: the key is in no byte of either.
    meta = RunMeta(id="run_e2e", template=scenario.id, mode=scenario.mode, seed=5, model="auto",
                   offline=router.is_offline, started_at=datetime(2026, 1, 1, tzinfo=UTC),
                   status="completed")
    record = RunRecord.from_state(state, meta=meta, ledger=router.ledger)
    assert record.ledger_view().totals().cost_usd == pytest.approx(COST * len(bodies), abs=1e-12)
    with SqliteRunStore(tmp_path / "runs.db") as runs:
        runs.create_run(meta)
        runs.save_record(record)
    written = write_exports(record, tmp_path / "out")
    exported = json.loads((tmp_path / "out" / "run.json").read_text())
    assert exported["run"]["id"] == "run_e2e" and exported["ledger"]["calls"] == len(rows)
    assert exported["ledger"]["cost_usd"] == pytest.approx(COST * len(bodies), abs=1e-12)
    assert written and files_under(tmp_path)
    for path in files_under(tmp_path):
        assert KEY.encode() not in path.read_bytes(), path


@pytest.mark.parametrize(
    ("base_url", "on_openrouter"), [(COMPATIBLE_URL, False), (DEFAULT_BASE_URL, True)]
)
def test_a_mode_graph_over_the_openrouter_router(base_url, on_openrouter):
    scenario = load_template("courtroom_directorial")
    server = CompatibleServer()
    router = Router.openrouter(
        base_url=base_url, api_key=KEY, http_async_client=httpx.AsyncClient(), seed=9
    )
    with serve(base_url, server):
        state = simulate(scenario, router, seed=9)
    assert state["consistency"] is not None and state["timepoints"] and state["dialogs"]
    rows = list(router.ledger.records)
    assert all(row.model == first_choice(row) for row in rows)
    assert Counter(b["model"] for b in server.bodies) == sent(rows)
    for request, body in server.requests:
        assert body["seed"] == 9
        assert_structured_shape(body)
        if on_openrouter:
            # Every call asks for structured output: only providers honouring it may answer.
            assert body["provider"] == {"require_parameters": True}
            assert request.headers["x-title"] == "Daedalus"
        else:
            assert "provider" not in body
    assert router.ledger.totals().cost_usd == pytest.approx(sum(server.billed), abs=1e-12)
    assert KEY not in "".join(r.model_dump_json() for r in rows)


def test_an_unavailable_first_choice_falls_back_and_only_answers_are_billed():
    scenario = load_template("board_meeting")
    down = frozenset({"deepseek/deepseek-chat"})  # first choice for temporal reasoning
    server = CompatibleServer(unavailable=down)
    router = Router.openrouter(
        base_url=COMPATIBLE_URL, api_key=KEY, http_async_client=httpx.AsyncClient()
    )
    with serve(COMPATIBLE_URL, server):
        state = simulate(scenario, router)
    assert state["timepoints"]
    rows = list(router.ledger.records)
    failed = [r for r in rows if r.error is not None]
    assert failed and {r.model for r in failed} == set(down)
    assert all(r.cost_usd == 0.0 for r in failed)
    writer_rows = [r for r in rows if r.node == WRITER_NODE and r.error is None]
    # The next model of the chain answered, in JSON mode (schema stated in the system message).
    assert {r.model for r in writer_rows} == {"qwen/qwq-32b"}
    json_mode = [b for b in server.bodies if b["model"] == "qwen/qwq-32b"]
    assert json_mode and all(b["response_format"] == {"type": "json_object"} for b in json_mode)
    assert router.ledger.totals().cost_usd == pytest.approx(sum(server.billed), abs=1e-12)
    assert len(server.billed) < len(server.requests)
