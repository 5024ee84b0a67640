"""Government and policy: estates, unemployment benefits and pensions, interest on public
debt, borrowing and repayment, a tax rule, approval and elections (spec 5.8).

The budget identity each tick, per region: cash change = revenue (income tax, booked by the
labour market) + estates + tariffs (booked by trade) - spending - interest + borrowed -
repaid, and debt change = borrowed - repaid. Public borrowing creates money and repayment and
interest (paid to the central bank, outside the economy) destroy it.
"""

from __future__ import annotations

import numpy as np

from daedalus.world.core import Deaths, System, SystemContext, Writes
from daedalus.world.systems._columns import DAY, group_sum, per_weight, ratio, working_age

__all__ = ["GOVERNMENT", "approval_after"]

CASH_BUFFER_DAYS = 30.0
"""Days of spending a government keeps before it repays debt."""
PENSION_SHARE = 0.8
"""A pension as a share of the unemployment benefit."""


def approval_after(
    approval: np.ndarray, unemployment: np.ndarray, inflation: float, target: float,
    opinion: np.ndarray,
) -> np.ndarray:
    """Approval after a day: it drifts towards a level set by jobs, prices and the mood."""
    level = 0.8 - 3.0 * unemployment - 2.0 * abs(inflation - target) + 0.2 * opinion
    return np.clip(0.95 * approval + 0.05 * level, 0.0, 1.0).astype(np.float32)


def _run(ctx: SystemContext) -> Writes:
    cfg = ctx.config
    gov = cfg.government
    regions = ctx.capacity("regions")
    alive, age = ctx.col("persons.alive"), ctx.col("persons.age_days")
    region = ctx.col("persons.region").astype(np.int64)
    employer, weight = ctx.col("persons.employer"), ctx.col("persons.weight").astype(np.float64)
    adult = working_age(age, alive, gov.pension_age_years)
    employed = alive & (employer >= 0)
    retired = alive & (age >= gov.pension_age_years * DAY)
    # One bincount over (region, status) gives every head count: status bits adult, employed,
    # retired, and 8 for a dead slot, so a region's figures are sums of its status bins.
    status = adult + 2 * employed.astype(np.int64) + 4 * retired.astype(np.int64)
    status[~alive] = 8
    heads = group_sum(region * 9 + status, weight, regions * 9).reshape(regions, 9)
    labour_force = heads[:, [1, 3, 5, 7]].sum(axis=1)
    jobless_heads = heads[:, [1, 5]].sum(axis=1)
    unemployment = ratio(jobless_heads, labour_force)
    staff = heads[:, [2, 3, 6, 7]].sum(axis=1)
    population = heads[:, :8].sum(axis=1)
    wage_sum = group_sum(region, np.where(employed, ctx.col("persons.wage") * weight, 0.0), regions)
    mean_wage = ratio(wage_sum, staff, cfg.economy.wage)

    estates = np.zeros(regions)
    for event in ctx.events.take(Deaths):
        estates += group_sum(event.regions, event.estates, regions)
    transfer_level = ctx.col("regions.transfer_level").astype(np.float64)
    benefit = transfer_level * mean_wage
    # A jobless adult draws the benefit, a pensioner its pension share (the two never overlap).
    share = np.where(adult & (employer < 0), 1.0, np.where(retired, PENSION_SHARE, 0.0))
    each = benefit[region] * share * weight
    spending = group_sum(region, each, regions)
    debt = ctx.col("regions.debt").copy()
    interest = debt * gov.public_rate / DAY
    cash = ctx.col("regions.cash") + estates
    need = spending + interest
    borrowed = np.maximum(need - cash, 0.0)
    cash = cash + borrowed - need
    excess = cash - CASH_BUFFER_DAYS * spending
    repaid = np.clip(excess, 0.0, debt)
    cash -= repaid
    debt = debt + borrowed - repaid

    yearly_revenue = np.maximum(ctx.col("regions.revenue") * DAY, 1e-9)
    tax = ctx.col("regions.tax_rate").astype(np.float64)
    tax = np.where(debt > 0.6 * yearly_revenue, tax + gov.tax_adjust, tax)
    tax = np.where((debt == 0) & (excess > 0), tax - gov.tax_adjust, tax)
    tax = np.clip(tax, 0.05, 0.6)

    cpi, history = float(ctx.col("macro.cpi")[0]), ctx.col("history.cpi")
    month_ago = float(history[ctx.tick % history.size])
    inflation = (cpi / month_ago) ** (DAY / 30.0) - 1.0 if month_ago > 0 else 0.0
    tile_region = ctx.col("tiles.region").astype(np.int64)
    tile_pop = ctx.col("tiles.population").astype(np.float64)
    opinion = ratio(
        group_sum(tile_region, ctx.col("tiles.opinion") * tile_pop, regions),
        group_sum(tile_region, tile_pop, regions),
    )
    approval = approval_after(
        ctx.col("regions.approval"), unemployment, inflation, cfg.finance.inflation_target, opinion
    )
    if ctx.tick > 0 and ctx.tick % gov.election_every_days == 0:
        ousted = approval < 0.4
        draw = ctx.rng.uniform("platform", regions)
        transfer_level = np.where(ousted, gov.transfer_level * (0.8 + 0.4 * draw), transfer_level)
        tax = np.where(ousted, gov.tax_rate, tax)
        approval = np.where(ousted, 0.55, approval).astype(np.float32)

    return {
        "regions.cash": cash,
        "regions.debt": debt,
        "regions.estates": estates,
        "regions.spending": spending,
        "regions.interest": interest,
        "regions.borrowed": borrowed,
        "regions.repaid": repaid,
        "regions.tax_rate": tax.astype(np.float32),
        "regions.transfer_level": transfer_level.astype(np.float32),
        "regions.approval": approval,
        "regions.unemployment": unemployment.astype(np.float32),
        "regions.mean_wage": mean_wage.astype(np.float32),
        "regions.population": population,
        "persons.deposits": ctx.col("persons.deposits") + each,
        "persons.income": (ctx.col("persons.income") + 0.05 * per_weight(each, weight)).astype(
            np.float32
        ),
    }


GOVERNMENT = System(
    name="government",
    reads=frozenset({
        "persons.alive", "persons.age_days", "persons.region", "persons.employer",
        "persons.weight", "persons.wage", "regions.revenue", "macro.cpi", "history.cpi",
        "tiles.region", "tiles.population", "tiles.opinion",
    }),
    writes=frozenset({
        "regions.cash", "regions.debt", "regions.estates", "regions.spending",
        "regions.interest", "regions.borrowed", "regions.repaid", "regions.tax_rate",
        "regions.transfer_level", "regions.approval", "regions.unemployment",
        "regions.mean_wage", "regions.population", "persons.deposits", "persons.income",
    }),
    run=_run,
)
