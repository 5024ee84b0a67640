import numpy as np

from daedalus.world import World
from daedalus.world.actors import ActorWorld, GateLimits, ReplayProvider, SafetyGate
from tests.world.conftest import small_config


class Hostile:
    """A provider returning garbage, out-of-range values and a flood, and counting its calls."""

    name = "hostile"

    def __init__(self):
        self.calls = 0

    def propose(self, tick, observations):
        self.calls += 1
        bad = []
        for obs in observations:
            tax = obs.state["tax_rate"]
            bad += [
                {"actor_id": obs.actor_id, "verb": "set_tax_rate", "args": {"rate": -1.0},
                 "confidence": 1.0, "rationale": "negative"},
                {"actor_id": obs.actor_id, "verb": "set_transfers", "args": {"level": 1e9},
                 "confidence": 1.0, "rationale": "stocks go negative"},
                {"actor_id": obs.actor_id, "verb": "set_tax_rate", "args": {"rate": tax + 0.02},
                 "confidence": 0.7, "rationale": "a sane one"},
                ["not", "a", "proposal"],
            ]
        return bad + bad * 10  # and a flood of repeats


def _run(provider, ticks=6):
    world = World(small_config())
    actors = ActorWorld(world, provider, cadence=2,
                        gate=SafetyGate(GateLimits(dry_run_ticks=1, max_proposals_per_tick=40)))
    digests = [actors.step()["digest"] for _ in range(ticks)]
    return actors, digests


def test_hostile_proposals_never_push_state_out_of_bounds_and_fall_back_to_rules():
    actors, _ = _run(Hostile())
    regions = actors.world.tables["regions"].columns
    assert np.all((regions["tax_rate"] >= 0.05) & (regions["tax_rate"] <= 0.6))
    assert np.all((regions["transfer_level"] >= 0.0) & (regions["transfer_level"] <= 1.5))
    kinds = {entry["kind"] for entry in actors.log}
    assert {"proposal", "verdict", "applied", "fallback"} <= kinds
    assert all(e["reason"] for e in actors.log if e["kind"] == "verdict" and not e["accepted"])


def test_a_replay_from_the_log_calls_no_provider_and_gives_identical_digests():
    hostile = Hostile()
    original, digests = _run(hostile)
    calls = hostile.calls
    replayed, again = _run(ReplayProvider(original.log))
    assert again == digests and hostile.calls == calls == 3
    assert [e for e in replayed.log if e["kind"] != "proposal"] == [
        e for e in original.log if e["kind"] != "proposal"
    ]


def test_applied_actions_wait_for_the_next_tick_boundary():
    world = World(small_config())
    actors = ActorWorld(world, cadence=1, gate=SafetyGate(GateLimits(dry_run_ticks=1)))
    actors.step()
    assert actors.pending and not any(e["kind"] == "applied" for e in actors.log)
    actors.step()
    applied = [e for e in actors.log if e["kind"] == "applied"]
    assert applied and [e["actor"] for e in applied] == sorted(e["actor"] for e in applied)
