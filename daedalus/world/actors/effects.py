"""Large firms and banks as actors (PANARCHY 6.1): their verbs, observations and effects.

A large firm (``firm:<slot>``, the biggest employers of each region) may ``set_price`` (scale
its posted price), ``hire`` or ``fire`` a share of its staff and ``invest`` a share of its cash
in capital (paid to the region's households, so money is only moved). A bank
(``bank:<region>``) may ``set_lending_rate`` and ``set_credit_limit``: standing policies applied
at every tick boundary until changed. The lending rate charges the region's borrowers the gap
between the bank's rate and the posted one (moved between firm and bank cash); the credit
limit makes firms owing more than ``factor`` times the default limit repay a tenth of the
excess a day from their cash (money destroyed, counted in ``banks.repaid``).

``effect_problem`` is the gate's invariant pre-check: an action that would leave a stock
negative or has nothing to act on is refused before any dry run.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import TYPE_CHECKING, Any

import numpy as np

from daedalus.world.actors.decision import TOP_K, Observation, VerbSpec
from daedalus.world.systems._columns import DAY, group_sum, working_age
from daedalus.world.systems.finance import CREDIT_LIMIT_DAYS

if TYPE_CHECKING:
    from daedalus.world.actors.gate import Action
    from daedalus.world.world import World

__all__ = [
    "BANK_VERBS", "FIRM_VERBS", "apply_effect", "apply_standing", "effect_problem",
    "large_firms", "observe_bank", "observe_firm", "standing_key",
]

FIRM_VERBS: tuple[VerbSpec, ...] = (
    VerbSpec(verb="set_price", column="price", argument="factor", table="firms", effect="scale",
             minimum=0.9, maximum=1.1, max_step=0.1, baseline=1.0),
    VerbSpec(verb="hire", column="employees", argument="share", table="firms", effect="hire",
             minimum=0.0, maximum=0.2, max_step=0.2, baseline=0.0),
    VerbSpec(verb="fire", column="employees", argument="share", table="firms", effect="fire",
             minimum=0.0, maximum=0.2, max_step=0.2, baseline=0.0),
    VerbSpec(verb="invest", column="capital", argument="share", table="firms", effect="invest",
             minimum=0.0, maximum=0.2, max_step=0.2, baseline=0.0),
)
"""What a large firm may do: price (a factor on its posted price), staff and capital (shares)."""

BANK_VERBS: tuple[VerbSpec, ...] = (
    VerbSpec(verb="set_lending_rate", column="rate", argument="rate", table="banks",
             effect="standing", minimum=0.0, maximum=0.3, max_step=0.02),
    VerbSpec(verb="set_credit_limit", column="loans", argument="factor", table="banks",
             effect="standing", minimum=0.25, maximum=1.5, max_step=0.5, baseline=1.0),
)
"""What a region's bank may do: its lending rate and its credit limit (a factor on the
default limit of 60 days of wage bill), both standing until changed."""

CAPITAL_PRICE = 50.0
"""Money per unit of capital an investment buys."""
REPAY_SHARE = 0.1
"""Share of the debt above a bank's credit limit repaid per day."""


def standing_key(actor_id: str, verb: str) -> str:
    """The key of a standing policy (``bank:0|set_lending_rate``)."""
    return f"{actor_id}|{verb}"


def large_firms(world: World, per_region: int) -> list[int]:
    """The ``per_region`` biggest employers of every region (alive firms, by slot order on a
    tie), region by region."""
    firms = world.tables["firms"].columns
    chosen: list[int] = []
    for region in range(world.tables["regions"].capacity):
        mine = np.flatnonzero(firms["alive"] & (firms["region"] == region))
        order = np.argsort(-firms["employees"][mine].astype(np.int64), kind="stable")
        chosen += [int(mine[i]) for i in order[:per_region]]
    return chosen


def _wage_bill(firms: dict[str, Any], rows: Any) -> Any:
    return np.maximum(firms["employees"][rows] * firms["wage_offer"][rows].astype(np.float64),
                      1e-9)


def observe_firm(world: World, firm: int) -> Observation:
    """A large firm's view: its price against its good's index, staff, cash and debt in days
    of wage bill, stock cover, and its region's unemployment."""
    firms = world.tables["firms"].columns
    good = int(firms["good"][firm])
    bill = float(_wage_bill(firms, np.array([firm]))[0])
    expected = max(float(firms["expected_sales"][firm]), 1e-9)
    region = int(firms["region"][firm])
    state = {
        "price": float(firms["price"][firm]),
        "relative_price": float(firms["price"][firm])
        / max(float(world.tables["goods"].columns["price_index"][good]), 1e-9),
        "employees": float(firms["employees"][firm]),
        "vacancies": float(firms["vacancies"][firm]),
        "cash_days": float(firms["cash"][firm]) / bill,
        "debt_days": float(firms["debt"][firm]) / bill,
        "stock_days": float(firms["inventory"][firm]) / expected,
        "target_stock_days": float(world.tables["goods"].columns["base_stock_days"][good]),
        "capital": float(firms["capital"][firm]),
        "unemployment": float(world.tables["regions"].columns["unemployment"][region]),
    }
    return Observation(
        actor_id=f"firm:{firm}", actor_type="firm", tick=world.tick, state=state,
        action_space=FIRM_VERBS,
        constraints={v.verb + ".max_step": v.max_step for v in FIRM_VERBS},
    )


def observe_bank(world: World, bank: int) -> Observation:
    """A region's bank: its posted rate, loans, cash and losses, and its largest debtors."""
    banks = world.tables["banks"].columns
    firms = world.tables["firms"].columns
    mine = np.flatnonzero(firms["alive"] & (firms["region"] == bank))
    debt = firms["debt"][mine]
    order = np.argsort(-debt, kind="stable")[:TOP_K]
    loans = float(banks["loans"][bank])
    state = {
        "rate": float(banks["rate"][bank]),
        "loans": loans,
        "cash": float(banks["cash"][bank]),
        "cash_to_loans": float(banks["cash"][bank]) / max(loans, 1e-9),
        "written_off": float(banks["written_off"][bank]),
        "unemployment": float(world.tables["regions"].columns["unemployment"][bank]),
    }
    return Observation(
        actor_id=f"bank:{bank}", actor_type="bank", tick=world.tick, state=state,
        top={"debtors": [(int(mine[i]), float(debt[i])) for i in order]},
        action_space=BANK_VERBS,
        constraints={v.verb + ".max_step": v.max_step for v in BANK_VERBS},
    )


def _jobless(world: World, region: int) -> Any:
    persons = world.tables["persons"].columns
    adult = working_age(persons["age_days"], persons["alive"],
                        world.config.government.pension_age_years)
    return np.flatnonzero(adult & (persons["employer"] < 0) & (persons["region"] == region))


def _headcount(world: World, firm: int, share: float) -> int:
    return round(share * float(world.tables["firms"].columns["employees"][firm]))


def effect_problem(world: World, action: Action) -> str:
    """Empty when ``action`` can act without leaving a stock negative; otherwise why not."""
    if action.table != "firms":
        return ""
    firms = world.tables["firms"].columns
    firm = action.region
    if not 0 <= firm < firms["alive"].size or not firms["alive"][firm]:
        return f"firm {firm} is not alive"
    if action.effect == "fire" and _headcount(world, firm, action.value) > firms["employees"][firm]:
        return "would leave employees negative"
    if action.effect == "hire":
        wanted = _headcount(world, firm, action.value)
        if wanted > _jobless(world, int(firms["region"][firm])).size:
            return f"hiring {wanted} needs more jobless adults than the region has"
    if action.effect == "invest" and float(firms["cash"][firm]) * action.value < 0:
        return "would leave cash negative"
    return ""


def _hire(world: World, firm: int, share: float) -> None:
    persons, firms = world.tables["persons"].columns, world.tables["firms"].columns
    picked = _jobless(world, int(firms["region"][firm]))[: _headcount(world, firm, share)]
    persons["employer"][picked] = firm
    persons["wage"][picked] = firms["wage_offer"][firm]
    firms["employees"][firm] += picked.size


def _fire(world: World, firm: int, share: float) -> None:
    persons, firms = world.tables["persons"].columns, world.tables["firms"].columns
    staff = np.flatnonzero(persons["alive"] & (persons["employer"] == firm))
    gone = staff[::-1][: _headcount(world, firm, share)]
    persons["employer"][gone] = -1
    persons["wage"][gone] = 0.0
    firms["employees"][firm] -= gone.size


def _invest(world: World, firm: int, share: float) -> None:
    """Spend ``share`` of the firm's cash on capital, paid to its region's households in
    proportion to their deposits (to the firm itself if nobody holds any: nothing moves)."""
    persons, firms = world.tables["persons"].columns, world.tables["firms"].columns
    spend = max(float(firms["cash"][firm]) * share, 0.0)
    home = persons["alive"] & (persons["region"] == firms["region"][firm])
    stake = np.where(home, persons["deposits"], 0.0)
    total = float(stake.sum())
    if spend <= 0 or total <= 0:
        return
    firms["cash"][firm] -= spend
    persons["deposits"] += spend * stake / total
    firms["capital"][firm] += spend / CAPITAL_PRICE


def apply_effect(world: World, action: Action, standing: MutableMapping[str, float]) -> None:
    """Carry out one checked action on the world's columns (a standing one is recorded in
    ``standing`` and acts at every boundary from now on)."""
    if action.effect == "set":
        world.tables[action.table].columns[action.column][action.region] = action.value
    elif action.effect == "scale":
        world.tables[action.table].columns[action.column][action.region] *= action.value
    elif action.effect == "hire":
        _hire(world, action.region, action.value)
    elif action.effect == "fire":
        _fire(world, action.region, action.value)
    elif action.effect == "invest":
        _invest(world, action.region, action.value)
    elif action.effect == "standing":
        standing[standing_key(action.actor_id, action.verb)] = action.value
    else:
        raise ValueError(f"unknown effect {action.effect!r} for verb {action.verb!r}")


def apply_standing(world: World, standing: MutableMapping[str, float]) -> None:
    """One day of the banks' standing policies (see the module docstring), in key order; the
    books reopen afterwards so strict mode checks the next tick against the edited state."""
    if not standing:
        return
    firms, banks = world.tables["firms"].columns, world.tables["banks"].columns
    regions = world.tables["regions"].capacity
    alive = firms["alive"]
    f_region = firms["region"].astype(np.int64)
    for key in sorted(standing):
        actor_id, verb = key.split("|", 1)
        bank = int(actor_id.split(":", 1)[1])
        value = standing[key]
        mine = alive & (f_region == bank)
        if verb == "set_lending_rate":
            gap = value - float(banks["rate"][bank])
            due = np.where(mine, gap * firms["debt"] / DAY, 0.0)
            if gap >= 0:
                paid = np.minimum(due, firms["cash"])
            else:
                owed = -float(due.sum())
                scale = min(float(banks["cash"][bank]) / owed, 1.0) if owed > 0 else 0.0
                paid = due * scale
            firms["cash"] -= paid
            banks["cash"][bank] += float(paid.sum())
        elif verb == "set_credit_limit":
            limit = value * CREDIT_LIMIT_DAYS * _wage_bill(firms, slice(None))
            excess = np.where(mine, np.maximum(firms["debt"] - limit, 0.0), 0.0)
            back = np.minimum(REPAY_SHARE * excess, firms["cash"])
            firms["cash"] -= back
            firms["debt"] -= back
            repaid = group_sum(f_region, back, regions)
            banks["loans"] -= repaid
            banks["repaid"] += repaid
    world.open_books()
