"""The labour market: layoffs, retirements, matching jobless adults to vacancies, wages paid
with income tax withheld, and wage offers that follow unfilled vacancies (spec 5.3, 4.2).

Reads persons, firms.vacancies/wage_offer/cash/alive/region and regions.tax_rate; writes
persons.employer/wage/deposits/income, firms.employees/cash/wage_offer and regions.revenue
and regions.cash (the tax). Emits ``Hires`` and ``Layoffs``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from daedalus.world.core import Hires, Layoffs, System, SystemContext, Writes
from daedalus.world.systems._columns import per_weight, ratio, working_age

__all__ = ["LABOUR", "match_by_region", "matches_per_region"]

MATCHING_EFFICIENCY = 0.5
"""Scale of the matching function ``m * sqrt(U * V)`` (hires per day)."""


def matches_per_region(jobless: NDArray[Any], vacancies: NDArray[Any]) -> NDArray[np.int64]:
    """Hires per region today: ``m * sqrt(U * V)``, never more than either side."""
    u, v = jobless.astype(np.float64), vacancies.astype(np.float64)
    return np.minimum(np.minimum(u, v), np.floor(MATCHING_EFFICIENCY * np.sqrt(u * v) + 0.5))


def _region_draw_order(
    items: NDArray[Any], draw: NDArray[Any], region: NDArray[Any], regions: int,
) -> NDArray[np.intp]:
    """``np.lexsort((items, draw, region))``, faster: when no two draws are equal the items
    never break a tie, so a quicksort by draw and a stable radix sort by region give the same
    order; with a tie (or a NaN) it is the lexsort itself."""
    by_draw = np.argsort(draw)
    ranked = draw[by_draw]
    if regions > 1 << 16 or not np.all(ranked[1:] > ranked[:-1]):
        return np.lexsort((items, draw, region))
    return by_draw[np.argsort(region[by_draw].astype(np.uint16), kind="stable")]


def _first_per_region(
    items: NDArray[np.int64], region: NDArray[Any], draw: NDArray[Any], quota: NDArray[Any],
) -> NDArray[np.int64]:
    """The ``quota[r]`` items of each region with the lowest draws, ordered by region."""
    order = _region_draw_order(items, draw, region, quota.size)
    items, region = items[order], region[order]
    counts = np.bincount(region, minlength=quota.size)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    rank = np.arange(items.size) - starts[region]
    return np.asarray(items[rank < quota[region]], dtype=np.int64)


def match_by_region(
    seekers: NDArray[np.int64], seeker_region: NDArray[Any], seeker_draw: NDArray[Any],
    firms: NDArray[np.int64], firm_region: NDArray[Any], firm_draw: NDArray[Any],
    openings: NDArray[Any], regions: int,
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Pairs (person, firm) hired today: per region, the luckiest seekers meet the luckiest
    open positions (a firm with k vacancies holds k positions)."""
    seeker_region = seeker_region.astype(np.int64)
    jobless = np.bincount(seeker_region, minlength=regions)
    positions = np.repeat(firms, openings)
    position_region = np.repeat(firm_region.astype(np.int64), openings)
    position_draw = np.repeat(firm_draw, openings) + np.arange(positions.size) * 1e-12
    open_count = np.bincount(position_region, minlength=regions)
    quota = matches_per_region(jobless, open_count).astype(np.int64)
    hired = _first_per_region(seekers, seeker_region, seeker_draw, quota)
    slots = _first_per_region(np.arange(positions.size), position_region, position_draw, quota)
    return hired, positions[slots]


def _run(ctx: SystemContext) -> Writes:
    cfg = ctx.config
    step = cfg.economy.price_step
    employer = ctx.col("persons.employer").copy()
    wage = ctx.col("persons.wage").copy()
    alive, age = ctx.col("persons.alive"), ctx.col("persons.age_days")
    region = ctx.col("persons.region").astype(np.int64)
    n = alive.size
    vacancies = ctx.col("firms.vacancies")
    firm_alive = ctx.col("firms.alive")
    firm_count = firm_alive.size
    wage_offer = ctx.col("firms.wage_offer").copy()
    employed = alive & (employer >= 0)

    # Layoffs: each worker of a shrinking firm goes with the firm's layoff share.
    shrink = np.maximum(-vacancies, 0).astype(np.float64)
    heads = np.maximum(ctx.col("firms.employees"), 1).astype(np.float64)
    leave_share = np.minimum(shrink / heads, 1.0)
    at_risk = np.flatnonzero(employed & (leave_share[np.maximum(employer, 0)] > 0))
    fired = np.zeros(n, dtype=np.bool_)
    fired[at_risk] = ctx.rng.at("layoff", at_risk) < leave_share[employer[at_risk]]
    adult = working_age(age, alive, cfg.government.pension_age_years)
    retired = employed & ~adult
    gone = np.flatnonzero(fired | retired)
    employer[gone] = -1
    wage[gone] = 0.0
    ctx.events.emit(Layoffs(gone))

    seekers = np.flatnonzero(adult & (employer < 0))
    hiring = np.flatnonzero(firm_alive & (vacancies > 0))
    hired, firms = match_by_region(
        seekers, region[seekers], ctx.rng.at("seek", seekers),
        hiring, ctx.col("firms.region")[hiring],
        ctx.rng.uniform("post", firm_count)[hiring], vacancies[hiring], ctx.capacity("regions"),
    )
    employer[hired] = firms
    wage[hired] = wage_offer[firms]
    ctx.events.emit(Hires(hired, firms))

    # Wages: a firm short of cash pays every worker the same share of what it owes.
    working = alive & (employer >= 0)
    weight = ctx.col("persons.weight")
    owed_each = np.where(working, wage * weight, 0.0)
    slot = np.maximum(employer, 0).astype(np.int64)  # dead or jobless slots owe 0 to firm 0
    owed = np.bincount(slot, weights=owed_each, minlength=firm_count)
    cash = ctx.col("firms.cash")
    paid_share = np.minimum(ratio(cash, owed, 1.0), 1.0)
    gross = owed_each * paid_share[slot]
    tax_rate = ctx.col("regions.tax_rate").astype(np.float64)
    net = gross * (1.0 - tax_rate[region])
    tax = gross - net
    regions = ctx.capacity("regions")
    revenue = np.bincount(region, weights=tax, minlength=regions)
    firm_paid = np.bincount(slot, weights=gross, minlength=firm_count)
    income = ctx.col("persons.income") * 0.95 + 0.05 * per_weight(net, weight)

    # Wage offers rise with unfilled vacancies and ease while a firm sheds workers.
    draw = ctx.rng.uniform("wage", firm_count)
    unfilled = np.maximum(vacancies, 0) - np.bincount(firms, minlength=firm_count)
    wage_offer = np.where(unfilled > 0, wage_offer * (1.0 + step * draw), wage_offer)
    wage_offer = np.where(vacancies < 0, wage_offer * (1.0 - 0.5 * step * draw), wage_offer)
    return {
        "persons.employer": employer,
        "persons.wage": wage,
        "persons.deposits": ctx.col("persons.deposits") + net,
        "persons.income": income.astype(np.float32),
        "firms.employees": np.bincount(
            slot, weights=np.where(working, weight, 0.0), minlength=firm_count
        ).astype(np.int32),
        "firms.cash": cash - firm_paid,
        "firms.wage_offer": np.maximum(wage_offer, 0.05).astype(np.float32),
        "regions.revenue": revenue,
        "regions.cash": ctx.col("regions.cash") + revenue,
    }


LABOUR = System(
    name="labour_market",
    reads=frozenset({
        "persons.alive", "persons.age_days", "persons.region", "persons.weight",
        "firms.vacancies", "firms.alive", "firms.region", "regions.tax_rate",
    }),
    writes=frozenset({
        "persons.employer", "persons.wage", "persons.deposits", "persons.income",
        "firms.employees", "firms.cash", "firms.wage_offer", "regions.revenue", "regions.cash",
    }),
    run=_run,
)
