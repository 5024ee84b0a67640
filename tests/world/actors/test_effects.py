"""Large firms and banks: observations, rules within bounds, effects on the columns, and
hostile proposals that never push the world outside its bounds."""

import numpy as np

from daedalus.world import World
from daedalus.world.actors import (
    BANK_VERBS,
    FIRM_VERBS,
    ActorWorld,
    GateLimits,
    RulesProvider,
    SafetyGate,
    observe_bank,
    observe_firm,
)
from daedalus.world.actors.effects import apply_standing, large_firms
from daedalus.world.actors.gate import Action, apply_actions
from daedalus.world.invariants import money_stock
from tests.world.conftest import small_config


def _world(ticks=2, **changes):
    world = World(small_config(**changes))
    world.run(ticks)
    return world


def _staffed(world, firm):
    persons = world.tables["persons"].columns
    return int(np.count_nonzero(persons["alive"] & (persons["employer"] == firm)))


def test_firm_and_bank_views_are_aggregates_and_the_rules_keep_their_bounds():
    world = _world()
    firms = large_firms(world, 2)
    assert len(firms) == 2 * world.tables["regions"].capacity
    specs = {v.verb: v for v in FIRM_VERBS + BANK_VERBS}
    views = [observe_firm(world, f) for f in firms]
    views += [observe_bank(world, b) for b in range(world.tables["regions"].capacity)]
    for view in views:
        assert view.actor_type in ("firm", "bank") and all(np.isfinite(list(view.state.values())))
        for proposal in RulesProvider().decide(view):
            spec = specs[proposal.verb]
            assert spec.minimum <= proposal.args[spec.argument] <= spec.maximum
    assert len(observe_bank(world, 0).top["debtors"]) <= 3


def test_firm_effects_change_prices_staff_and_capital_and_only_move_money():
    world = _world()
    firm = large_firms(world, 1)[0]
    firms = world.tables["firms"].columns
    price, staff, capital = float(firms["price"][firm]), int(firms["employees"][firm]), float(
        firms["capital"][firm])
    money = money_stock(world.tables)

    def act(verb, value):
        spec = next(v for v in FIRM_VERBS if v.verb == verb)
        return Action(actor_id=f"firm:{firm}", verb=verb, region=firm, column=spec.column,
                      value=value, table="firms", effect=spec.effect)

    apply_actions(world, [act("set_price", 1.05), act("fire", 0.2), act("invest", 0.1)])
    assert np.isclose(firms["price"][firm], price * 1.05)
    assert firms["employees"][firm] == staff - round(0.2 * staff) == _staffed(world, firm)
    assert firms["capital"][firm] > capital
    assert np.isclose(money_stock(world.tables), money, rtol=1e-12)
    apply_actions(world, [act("hire", 0.2)])
    assert firms["employees"][firm] == _staffed(world, firm) > staff - round(0.2 * staff)


def test_bank_policies_stand_and_act_every_boundary():
    world = _world(ticks=20, strict=True)
    firms, banks = world.tables["firms"].columns, world.tables["banks"].columns
    firms["debt"][:] = np.where(firms["alive"], 1000.0, 0.0)  # every firm deep in debt
    banks["loans"][:] = np.bincount(firms["region"][firms["alive"]], minlength=banks["loans"].size,
                                    weights=firms["debt"][firms["alive"]])
    world.open_books()
    money, debt = money_stock(world.tables), float(firms["debt"].sum())
    bank_cash, repaid = float(banks["cash"][0]), float(banks["repaid"][1])
    standing = {"bank:0|set_lending_rate": float(banks["rate"][0]) + 0.02,
                "bank:1|set_credit_limit": 0.25}
    apply_standing(world, standing)
    assert banks["cash"][0] > bank_cash  # the premium went from borrowers to the bank
    assert firms["debt"].sum() < debt and banks["repaid"][1] > 0  # over the limit: repaid
    destroyed = money - money_stock(world.tables)  # repayment destroys money, the premium moves it
    assert destroyed > 0 and np.isclose(destroyed, banks["repaid"][1] - repaid, rtol=1e-9)
    world.step()  # the books were reopened: strict checks hold on the next tick


class HostileMarket:
    """Firms and banks proposing garbage, out-of-bounds values, impossible hires and floods."""

    name = "hostile-market"

    def propose(self, tick, observations):
        bad = []
        for obs in observations:
            me = obs.actor_id
            bad += [
                {"actor_id": me, "verb": "set_price", "args": {"price": 0.0},
                 "confidence": 1.0, "rationale": "wrong argument"},
                {"actor_id": me, "verb": "set_price", "args": {"factor": -3.0},
                 "confidence": 1.0, "rationale": "negative prices"},
                {"actor_id": me, "verb": "hire", "args": {"share": 50.0},
                 "confidence": 1.0, "rationale": "hire everyone"},
                {"actor_id": me, "verb": "invest", "args": {"share": float("inf")},
                 "confidence": 1.0, "rationale": "spend more than all cash"},
                {"actor_id": me, "verb": "set_lending_rate", "args": {"rate": 9.0},
                 "confidence": 1.0, "rationale": "usury"},
                {"actor_id": me, "verb": "set_credit_limit", "args": {"factor": 0.0},
                 "confidence": 1.0, "rationale": "call every loan"},
                {"actor_id": me, "verb": "seize_deposits", "args": {"share": 1.0},
                 "confidence": 1.0, "rationale": "not a verb"},
                "free money",
            ]
        return bad * 20  # a flood


def test_hostile_firms_and_banks_never_leave_the_bounds_and_fall_back_to_rules():
    world = World(small_config(), strict=True)  # every invariant checked every tick
    actors = ActorWorld(world, HostileMarket(), cadence=2, actors=[], firms=2, banks=True,
                        gate=SafetyGate(GateLimits(dry_run_ticks=1, max_proposals_per_tick=200)))
    actors.run(7)
    firms, banks = world.tables["firms"].columns, world.tables["banks"].columns
    alive = firms["alive"]
    assert np.all(firms["price"][alive] > 0) and np.all(firms["cash"][alive] >= 0)
    assert np.all(firms["employees"] >= 0) and np.all(banks["cash"] >= 0)
    for firm in np.flatnonzero(alive):
        assert firms["employees"][firm] == _staffed(world, firm)
    specs = {v.verb: v for v in BANK_VERBS}
    for key, value in actors.standing.items():
        spec = specs[key.split("|")[1]]
        assert spec.minimum <= value <= spec.maximum
    verdicts = [e for e in actors.log if e["kind"] == "verdict"]
    assert verdicts and not any(e["accepted"] for e in verdicts)
    assert {"schema", "precheck", "rate"} <= {e["stage"] for e in verdicts}
    assert any(e["kind"] == "fallback" for e in actors.log)


def test_a_hire_beyond_the_jobless_pool_is_refused_before_any_dry_run():
    world = _world()
    firm = large_firms(world, 1)[0]
    view = observe_firm(world, firm)
    persons = world.tables["persons"].columns
    persons["employer"][persons["employer"] < 0] = firm  # nobody left to hire
    raw = {"actor_id": view.actor_id, "verb": "hire", "args": {"share": 0.2},
           "confidence": 1.0, "rationale": "grow"}
    verdict = SafetyGate().review(world, {view.actor_id: view}, [raw])[0]
    assert verdict.stage == "precheck" and "jobless" in verdict.reason
