import numpy as np

from daedalus.world import World
from daedalus.world.actors import GateLimits, SafetyGate, observe_government
from tests.world.conftest import small_config


def _world_and_views():
    world = World(small_config())
    world.run(2)
    views = {}
    for region in range(world.tables["regions"].capacity):
        obs = observe_government(world, region)
        views[obs.actor_id] = obs
    return world, views


def _tax(actor="government:0", rate=None, world=None, **extra):
    if rate is None:
        rate = float(world.tables["regions"].columns["tax_rate"][0]) + 0.01
    return {"actor_id": actor, "verb": "set_tax_rate", "args": {"rate": rate},
            "confidence": 0.9, "rationale": "test", **extra}


def test_malformed_and_out_of_bounds_proposals_are_rejected_at_their_stage():
    world, views = _world_and_views()
    before = world.digest()
    proposals = [
        "raise taxes!",                                            # not an object
        {"verb": "set_tax_rate"},                                  # missing fields
        _tax(world=world, extra_field=1),                          # unknown field
        {**_tax(world=world), "verb": "print_money"},              # verb not offered
        {**_tax(world=world), "args": {"rate": 0.3, "x": 1.0}},    # args off schema
        _tax(rate=5.0),                                            # above the hard bound
        _tax(rate=float("nan")),                                   # not finite
        _tax(actor="government:99", world=world),                  # not an actor here
        _tax(rate=0.59),                                           # too big a step
    ]
    verdicts = SafetyGate().review(world, views, proposals)
    stages = [v.stage for v in verdicts]
    assert stages == ["schema"] * 5 + ["precheck"] * 2 + ["schema", "rate"]
    assert not any(v.accepted for v in verdicts) and all(v.reason for v in verdicts)
    assert world.digest() == before  # reviewing never touches the world


def test_a_flood_is_capped_and_one_action_per_verb_and_actor_passes():
    world, views = _world_and_views()
    flood = [_tax(world=world)] * 200
    verdicts = SafetyGate(GateLimits(max_proposals_per_tick=50)).review(world, views, flood)
    assert [v.accepted for v in verdicts].count(True) == 1
    assert sum(v.stage == "rate" for v in verdicts) == 199


def test_the_dry_run_rejects_an_action_that_breaks_a_kpi_bound_and_keeps_the_world():
    world, views = _world_and_views()
    before = world.digest()
    strict = GateLimits(kpi_bounds={"unemployment": (0.0, 1e-9)}, dry_run_ticks=1)
    verdict = SafetyGate(strict).review(world, views, [_tax(world=world)])[0]
    assert verdict.stage == "dry_run" and not verdict.accepted
    assert "unemployment" in verdict.reason
    assert world.digest() == before
    ok = SafetyGate(GateLimits(dry_run_ticks=1)).review(world, views, [_tax(world=world)])[0]
    assert ok.accepted and ok.action is not None and np.isclose(
        ok.action.value, world.tables["regions"].columns["tax_rate"][0] + 0.01)
