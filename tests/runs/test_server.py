"""The LangGraph server graphs: langgraph.json, input/context defaults, one run per mode."""

import asyncio
import importlib.util
import json
import os
import re
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

import httpx
import pytest
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph.state import CompiledStateGraph

from daedalus.context import RunContext
from daedalus.domain import ExposureKind, TemporalMode
from daedalus.errors import ConfigError, TemplateError
from daedalus.llm.actions import ActionType
from daedalus.llm.registry import ModelRegistry
from daedalus.llm.router import Router
from daedalus.llm.selection import PRESETS, fallback_chain
from daedalus.runs import server
from daedalus.store.record import RunMeta, RunRecord
from daedalus.templates import load_template

ROOT = Path(__file__).resolve().parents[2]
QUICK = {
    "pearl": "board_meeting",
    "portal": "litigation_portal",
    "branching": "vc_pitch_branching",
    "cyclical": "harvest_festival",
    "directorial": "courtroom_directorial",
    "nonlinear": "heist_reverse",
}


@pytest.fixture(autouse=True)
def no_key(monkeypatch):
    # The default context picks a real provider when a key is set; these runs stay offline.
    monkeypatch.delenv("OPENROUTER_API_KEY", raising=False)
    monkeypatch.delenv("OPENROUTER_BASE_URL", raising=False)


def invoke(graph, request, **kw):
    return asyncio.run(graph.ainvoke(request, **kw))


def shipped_yaml(template_id: str) -> str:
    return (resources.files("daedalus.templates") / f"{template_id}.yaml").read_text("utf-8")


def test_langgraph_json_names_one_graph_per_mode_and_they_load_by_path():
    config = json.loads((ROOT / "langgraph.json").read_text())
    assert config["dependencies"] == ["."]
    modes = {name: target for name, target in config["graphs"].items() if name != "world_loop"}
    assert set(modes) == {mode.value for mode in TemporalMode} == set(QUICK)
    for name, target in modes.items():
        path, _, attribute = target.partition(":")
        assert path == "./daedalus/runs/server.py" and attribute == name
        # The CLI imports the file by path, not as a package module.
        spec = importlib.util.spec_from_file_location(f"served_{name}", ROOT / path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        graph = getattr(module, attribute)
        assert isinstance(graph, CompiledStateGraph)
        assert graph.name == name
        assert graph.checkpointer is None  # the server supplies one
        assert set(graph.nodes) == {"__start__", server.LOAD_NODE, server.SIMULATE_NODE}


def test_schemas_the_server_publishes_are_json_schemas():
    graph = server.pearl
    assert set(graph.get_input_jsonschema()["properties"]) == {"template", "yaml", "seed"}
    output = graph.get_output_jsonschema()["properties"]
    assert {"timepoints", "exposures", "dialogs", "usage", "consistency"} <= set(output)
    context = graph.get_context_jsonschema()["properties"]
    assert {"model", "base_url", "budget_usd", "budget_mode", "concurrency"} <= set(context)
    assert all("default" in field for field in context.values())  # every field optional


@pytest.mark.parametrize("name", sorted(QUICK))
def test_each_graph_runs_a_quick_template_with_no_context(name):
    graph = server.GRAPHS[name]
    out = invoke(graph, {"template": QUICK[name], "seed": 1})
    scenario = out["scenario"]
    assert scenario.id == QUICK[name] and scenario.mode.value == name
    assert out["timepoints"] and out["exposures"]
    usage = out["usage"]
    assert usage["offline"] is True
    assert usage["totals"]["calls"] > 0 and usage["totals"]["cost_usd"] == 0.0
    assert set(usage["by_model"]) == {"offline"}
    judged = "pearl" if name == "branching" else name  # a branching main line is a PEARL line
    assert out["consistency"] is not None and out["consistency"].mode.value == judged
    assert out["mechanisms"]["M7"] > 0 and out["mechanisms"]["M17"] > 0
    # The output is a whole run: a record builds from it and answers provenance queries.
    meta = RunMeta(id="served", template=scenario.id, mode=scenario.mode, seed=1,
                   model="offline", offline=True, started_at=datetime(2026, 1, 1, tzinfo=UTC))
    record = RunRecord.from_state(out, meta=meta)
    witnessed = [e for e in record.exposures if e.kind is ExposureKind.WITNESSED]
    assert witnessed
    for seen in witnessed:
        assert seen in record.knowledge_at(seen.entity_id, seen.timepoint_id)
    assert "template" not in out and "seed" not in out  # the request is not part of the output
    MODE_RESULTS[name](out)


def _branches(out):
    ids = {b["id"] for b in out["branches"]}
    assert ids and all(any(tp.branch_id == b for tp in out["timepoints"]) for b in ids)


def _presentation(out):
    assert sorted(out["presentation"]) == sorted(tp.id for tp in out["timepoints"])
    assert out["presentation"] != [tp.id for tp in out["timepoints"]]


def _chain(out):
    assert out["portal"].chain


def _prophecies(out):
    assert out["prophecies"]


MODE_RESULTS = {
    "pearl": lambda out: None,
    "directorial": lambda out: None,
    "branching": _branches,
    "nonlinear": _presentation,
    "portal": _chain,
    "cyclical": _prophecies,
}


@pytest.mark.parametrize("name", sorted(QUICK))
def test_inline_yaml_runs_and_is_the_scenario_used(name):
    text = shipped_yaml(QUICK[name]).replace("\nname: ", "\nname: Served copy of ", 1)
    out = invoke(server.GRAPHS[name], {"yaml": text, "seed": 3})
    assert out["scenario"].name.startswith("Served copy of ")
    assert out["scenario"].id == QUICK[name] and out["timepoints"]


def test_the_seed_reaches_the_model():
    first = invoke(server.pearl, {"template": "board_meeting", "seed": 1})
    again = invoke(server.pearl, {"template": "board_meeting", "seed": 1})
    other = invoke(server.pearl, {"template": "board_meeting", "seed": 2})

    def text(out):
        return [tp.event_description for tp in out["timepoints"]]

    assert text(first) == text(again)
    assert text(first) != text(other)


def test_context_as_json_and_as_a_run_context():
    out = invoke(server.pearl, {"template": "board_meeting"}, context={"model": "offline"})
    assert out["usage"]["offline"] is True
    router = Router.offline(seed=4)
    out = invoke(server.pearl, {"template": "board_meeting"}, context=RunContext(router=router))
    # A RunContext handed in is used as it is: its router made every call.
    assert len(router.ledger) == out["usage"]["totals"]["calls"] > 0


def test_progress_events_reach_the_caller_stream():
    async def events():
        return [c async for c in server.pearl.astream(
            {"template": "board_meeting", "seed": 1}, stream_mode="custom")]

    seen = asyncio.run(events())
    moments = [e for e in seen if e.get("event") == "timepoint"]
    assert [e["id"] for e in moments] == ["tp-000", "tp-001"]


def test_branch_progress_reaches_the_caller_stream():
    async def events():
        return [c async for c in server.branching.astream(
            {"template": "vc_pitch_branching", "seed": 1}, stream_mode="custom")]

    seen = asyncio.run(events())
    forks = [e["id"] for e in seen if e.get("event") == "branch"]
    assert forks == ["b1", "b2"]
    branch_moments = [e["id"] for e in seen if e.get("event") == "timepoint"
                      and e["id"].startswith(("b1-", "b2-"))]
    assert {m.split("-")[0] for m in branch_moments} == {"b1", "b2"}


def test_runs_under_a_server_checkpointer():
    app = server.build_server_graph("branching").compile(checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "served-1"}}
    out = invoke(app, {"template": "vc_pitch_branching", "seed": 2}, config=config)
    assert out["branches"]
    stored = asyncio.run(app.aget_state(config))
    assert stored.next == () and len(stored.values["timepoints"]) == len(out["timepoints"])


@pytest.mark.parametrize(
    ("request_", "error", "match"),
    [
        ({"seed": 1}, ConfigError, "exactly one of"),
        ({"template": "board_meeting", "yaml": "id: x"}, ConfigError, "exactly one of"),
        ({"template": "no_such_template"}, TemplateError, "no shipped template"),
        ({"template": "../pyproject.toml"}, TemplateError, "no shipped template"),
        ({"yaml": "id: [unclosed"}, TemplateError, "not valid YAML"),
        ({"template": "litigation_portal"}, ConfigError, "run it on the 'portal' graph"),
        ({"template": "board_meeting", "seed": "one"}, ConfigError, "'seed' must be an integer"),
    ],
)
def test_bad_requests_fail_with_one_line(request_, error, match):
    with pytest.raises(error, match=match) as caught:
        invoke(server.pearl, request_)
    assert "\n" not in str(caught.value)


def test_unknown_mode_is_refused():
    with pytest.raises(ConfigError, match="unknown temporal mode"):
        server.build_server_graph("sideways")


def test_with_a_key_the_default_context_routes_each_action_by_m18(monkeypatch):
    monkeypatch.setenv("OPENROUTER_API_KEY", "sk-test-server-default")
    scenario = load_template("board_meeting")
    context, owned = server._context_for(None, scenario, 3)
    with context.router as router:
        assert owned and not router.is_offline and context.seed == 3 and router.seed == 3
        for action in (ActionType.SUMMARIZATION, ActionType.TEMPORAL_REASONING):
            chain = fallback_chain(action, ModelRegistry.default(), 3, PRESETS["balanced"])
            assert router.chain_for(action) == [p.id for p in chain]
        assert router.budget.mode.value == scenario.fidelity.budget_mode
    chosen, _ = server._context_for(
        server.ServerContext(model="offline", budget_usd=0.5, budget_mode="hard"), scenario, 1
    )
    with chosen.router as router:
        assert router.is_offline
        assert router.budget.limit_usd == 0.5 and router.budget.mode.value == "hard"


def test_a_routed_run_counts_m18_and_its_dollars():
    # The mocked OpenAI-compatible server of the end-to-end tests answers every call.
    from tests.runs_e2e.test_openrouter_run import COMPATIBLE_URL, COST, CompatibleServer, serve

    router = Router.openrouter(base_url=COMPATIBLE_URL, api_key="sk-test-server-routed",
                               http_async_client=httpx.AsyncClient())
    fake = CompatibleServer()
    with serve(COMPATIBLE_URL, fake):
        out = invoke(server.pearl, {"template": "board_meeting", "seed": 2},
                     context=RunContext(router=router, seed=2))
    assert out["usage"]["offline"] is False
    assert out["mechanisms"]["M18"] == len(router.ledger) == len(fake.requests) > 0
    assert out["usage"]["totals"]["cost_usd"] == pytest.approx(COST * len(fake.requests))
    offline = invoke(server.pearl, {"template": "board_meeting", "seed": 2})
    assert "M18" not in offline["mechanisms"]  # the offline model is not an M18 choice


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_until_serving(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    """Poll ``/ok`` until the server answers; fail with its log if it exits or never does."""
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"langgraph dev exited with {process.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{url}/ok", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    pytest.fail(f"langgraph dev did not answer within 180 s:\n{log.read_text()}")


def _langgraph_cli() -> Path:
    """The ``langgraph`` command of the ``server`` extra: in this environment, or in the
    separate ``.venv-server`` that ``.ci/run`` builds (langgraph-api pins jsonschema-rs
    below 0.45, which the fuzzing tools of ``dev`` cannot share)."""
    for candidate in (Path(sys.executable).parent / "langgraph",
                      ROOT / ".venv-server" / "bin" / "langgraph"):
        if candidate.exists():
            return candidate
    reason = "the server extra is not installed (pip install -e '.[server]' in .venv-server)"
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


def test_the_readmes_client_snippet_runs_against_langgraph_dev(tmp_path):
    """`langgraph dev` as the README starts it (on a free port), then the README's
    langgraph-sdk snippet, all offline and on loopback."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    (snippet,) = re.findall(r"^```python server\n(.*?)^```", readme, flags=re.S | re.M)
    assert ".venv/bin/langgraph dev --no-browser" in readme
    default = "http://127.0.0.1:2024"
    assert default in snippet
    url = f"http://127.0.0.1:{_free_port()}"
    env = {k: v for k, v in os.environ.items()
           if k not in ("OPENROUTER_API_KEY", "OPENROUTER_BASE_URL", "LANGSMITH_API_KEY")}
    env.update(LANGGRAPH_CLI_NO_ANALYTICS="1", LANGSMITH_TRACING="false",
               LANGCHAIN_TRACING_V2="false")
    log = tmp_path / "server.log"
    with log.open("wb") as sink:
        server = subprocess.Popen(
            [str(_langgraph_cli()), "dev", "--no-browser", "--no-reload",
             "--port", url.rsplit(":", 1)[1]],
            cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT,
        )
        try:
            _wait_until_serving(url, server, log)
            done = subprocess.run(
                [sys.executable, "-c", snippet.replace(default, url)], env=env,
                capture_output=True, text=True, timeout=180, check=False,
            )
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    assert done.returncode == 0, f"{done.stderr}\n{log.read_text()}"
    counts = re.match(r"(\d+) timepoints, (\d+) model calls\n", done.stdout)
    assert counts is not None and int(counts[1]) >= 2 and int(counts[2]) > 0, done.stdout
    assert "M11" in done.stdout.split() and "M19" in done.stdout.split()
