"""The world-loop graph: same digests as ActorWorld, parallel decisions, replay without calls,
a JSON-safe state and its entry in langgraph.json."""

import importlib.util
import json
from pathlib import Path

import pytest
from langgraph.graph.state import CompiledStateGraph

from daedalus.agents.world_actor import LLMProvider
from daedalus.errors import ConfigError
from daedalus.graphs.world_loop import WorldLoopContext, run_world_loop, world_loop
from daedalus.llm.ledger import Ledger
from daedalus.llm.router import Router
from daedalus.world import World
from daedalus.world.actors import ActorWorld, GateLimits, ReplayProvider, SafetyGate
from tests.world.conftest import small_config

ROOT = Path(__file__).resolve().parents[2]
TICKS = 5


def _gate():
    return SafetyGate(GateLimits(dry_run_ticks=1))


def _loop_digests(provider=None, **actors):
    loop = ActorWorld(World(small_config()), provider, cadence=2, gate=_gate(), **actors)
    return loop, [loop.step()["digest"] for _ in range(TICKS)]


def _graph(provider=None, **actors):
    context = WorldLoopContext(World(small_config()), provider, cadence=2, gate=_gate(), **actors)
    return run_world_loop(context, TICKS)


def test_the_graph_gives_the_loops_digests_with_firms_and_banks_deciding():
    loop, digests = _loop_digests(firms=2, banks=True)
    out = _graph(firms=2, banks=True)
    assert out["digests"] == digests and len(digests) == TICKS
    applied = [e for e in out["log"] if e["kind"] == "applied"]
    assert applied == [e for e in loop.log if e["kind"] == "applied"]
    assert {e["actor"].split(":")[0] for e in applied} == {"government", "firm", "bank"}
    json.dumps(out)  # the whole state is JSON: no world, no numpy


def test_llm_actors_fan_out_one_call_each_and_replay_with_zero_calls():
    ledger = Ledger()
    _, digests = _loop_digests(LLMProvider(Router.offline(seed=5, ledger=Ledger())))
    out = _graph(LLMProvider(Router.offline(seed=5, ledger=ledger)))
    regions = small_config().spatial.regions
    assert out["digests"] == digests
    assert len(ledger) == 2 * regions  # one call per government on each of two decision ticks
    calls = len(ledger)
    again = _graph(ReplayProvider(out["log"]))
    assert again["digests"] == digests and len(ledger) == calls


def test_the_call_limits_hold_in_the_graph_as_in_the_loop():
    loop_ledger, ledger = Ledger(), Ledger()
    limits = {"max_calls_per_tick": 1, "max_calls_per_run": 1}
    _, digests = _loop_digests(LLMProvider(Router.offline(seed=5, ledger=loop_ledger), **limits))
    out = _graph(LLMProvider(Router.offline(seed=5, ledger=ledger), **limits))
    assert len(ledger) == len(loop_ledger) == 1  # one call in the run, the first actor's
    assert out["digests"] == digests


def test_the_graph_refuses_a_missing_context():
    with pytest.raises(ConfigError, match="WorldLoopContext"):
        world_loop.invoke({"ticks": 1})


def test_langgraph_json_loads_the_world_loop_by_path():
    config = json.loads((ROOT / "langgraph.json").read_text())
    path, _, attribute = config["graphs"]["world_loop"].partition(":")
    assert path == "./graphs/world_loop.py" and attribute == "world_loop"
    spec = importlib.util.spec_from_file_location("served_world_loop", ROOT / path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    graph = getattr(module, attribute)
    assert isinstance(graph, CompiledStateGraph) and graph.name == "world_loop"
    assert graph.checkpointer is None
    assert {"tick", "decide", "gate"} <= set(graph.nodes)


def test_the_gate_reviews_in_actor_order_so_a_capped_tick_matches_the_loop():
    # With a cap of 1 action a tick, which model answers pass depends on the review order.
    capped = GateLimits(dry_run_ticks=1, max_actions_per_tick=1)
    actors = {"firms": 1, "banks": True}
    loop = ActorWorld(World(small_config()), LLMProvider(Router.offline(seed=2)), cadence=2,
                      gate=SafetyGate(capped), **actors)
    digests = [loop.step()["digest"] for _ in range(TICKS)]
    context = WorldLoopContext(World(small_config()), LLMProvider(Router.offline(seed=2)),
                               cadence=2, gate=SafetyGate(capped), **actors)
    out = run_world_loop(context, TICKS)
    assert any(e.get("reason") == "over max_actions_per_tick" for e in out["log"])
    assert out["digests"] == digests
