from daedalus.agents.world_actor import LLMProvider
from daedalus.llm.ledger import Ledger
from daedalus.llm.router import Router
from daedalus.world import World
from daedalus.world.actors import ActorWorld, GateLimits, ReplayProvider, SafetyGate
from tests.world.conftest import small_config


def _actors(provider, ticks=4):
    actors = ActorWorld(World(small_config()), provider, cadence=2,
                        gate=SafetyGate(GateLimits(dry_run_ticks=1)))
    return actors, [actors.step()["digest"] for _ in range(ticks)]


def test_governments_decide_through_the_router_one_call_per_actor_per_decision():
    ledger = Ledger()
    router = Router.offline(seed=3, ledger=ledger)
    provider = LLMProvider(router, max_tokens_per_decision=256)
    actors, _ = _actors(provider)
    regions = actors.world.tables["regions"].capacity
    assert provider.calls == len(ledger) == 2 * regions  # two decision ticks
    assert {r.node for r in ledger.records} == {"world_actor"}
    verdicts = [e for e in actors.log if e["kind"] == "verdict"]
    assert verdicts and all(e["reason"] or e["accepted"] for e in verdicts)


def test_the_call_limits_hand_the_remaining_actors_to_the_rules():
    ledger = Ledger()
    provider = LLMProvider(Router.offline(ledger=ledger), max_calls_per_tick=1,
                           max_calls_per_run=1)
    actors, _ = _actors(provider)
    assert provider.calls == len(ledger) == 1
    assert any(e["kind"] == "applied" for e in actors.log)


def test_a_replay_of_an_ai_run_makes_no_call_and_repeats_every_digest():
    ledger = Ledger()
    original, digests = _actors(LLMProvider(Router.offline(seed=5, ledger=ledger)))
    calls = len(ledger)
    _, again = _actors(ReplayProvider(original.log))
    assert again == digests and len(ledger) == calls > 0
