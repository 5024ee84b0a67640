"""Finance and banking: the policy rate, loans, interest, repayment, defaults, and the
dividends that return firm and bank profits to households (spec 5.4).

With ``finance.enable_banks`` off only dividends run: no credit, no interest, no defaults.
Money is created by loans issued (banks.issued) and destroyed by repayments (banks.repaid);
interest and dividends move money between holders. A closed firm's remaining cash goes to its
bank, its debt beyond that is written off, its stock is written off as goods.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from daedalus.world.core import FirmsClosed, System, SystemContext, Writes
from daedalus.world.systems._columns import DAY, group_sum, ratio

__all__ = ["FINANCE", "distribute", "policy_rate"]

CREDIT_LIMIT_DAYS = 60.0
"""A firm may owe at most this many days of its wage bill."""
INSOLVENT_DAYS = 90.0
"""A firm owing more than this many days of wage bill, with no cash buffer left, closes."""
PAYOUT_SHARE = 0.1
"""Share of excess cash firms and banks pay out each day."""
BANK_CAPITAL_RATIO = 0.08


def policy_rate(neutral: float, inflation: float, target: float, response: float) -> float:
    """A Taylor rule: the neutral rate plus ``response`` times the inflation gap, at least 0."""
    return float(np.clip(neutral + response * (inflation - target), 0.0, 0.25))


def distribute(
    amount_by_region: NDArray[Any], region: NDArray[Any], stake: NDArray[Any]
) -> NDArray[np.float64]:
    """Each person's part of their region's payout, in proportion to ``stake`` (their
    deposits: owners of capital hold the wealth)."""
    regions = amount_by_region.size
    total = group_sum(region, stake, regions)
    return np.asarray(amount_by_region[region] * ratio(stake, total[region]), dtype=np.float64)


def _run(ctx: SystemContext) -> Writes:
    cfg = ctx.config
    fin = cfg.finance
    banks_on = fin.enable_banks
    regions = ctx.capacity("regions")
    alive = ctx.col("firms.alive").copy()
    f_region = ctx.col("firms.region").astype(np.int64)
    cash = ctx.col("firms.cash").copy()
    debt = ctx.col("firms.debt").copy()
    inventory = ctx.col("firms.inventory").copy()
    input_stock = ctx.col("firms.input_stock").copy()
    bank_cash = ctx.col("banks.cash").copy()
    loans = ctx.col("banks.loans").copy()
    wage_bill = ctx.col("firms.employees") * ctx.col("firms.wage_offer").astype(np.float64)
    wage_bill = np.maximum(wage_bill, ctx.config.economy.wage)

    cpi, history = float(ctx.col("macro.cpi")[0]), ctx.col("history.cpi")
    month_ago = float(history[ctx.tick % history.size])
    inflation = (cpi / month_ago) ** (DAY / 30.0) - 1.0 if month_ago > 0 else 0.0
    rate = policy_rate(fin.policy_rate, inflation, fin.inflation_target, fin.taylor_inflation)
    loan_rate = np.full(regions, rate + fin.loan_spread)
    issued = np.zeros(regions)
    repaid = np.zeros(regions)
    written_off = np.zeros(regions)
    closed = np.zeros(0, dtype=np.int64)
    lost_goods = np.zeros(ctx.capacity("goods"))
    if banks_on:
        due = debt * loan_rate[f_region] / DAY
        interest = np.minimum(due, cash)
        cash -= interest
        bank_cash += group_sum(f_region, interest, regions)
        buffer = fin.buffer_days * wage_bill
        room = np.maximum(CREDIT_LIMIT_DAYS * wage_bill - debt, 0.0)
        borrow = np.where(alive & (cash < buffer), np.minimum(buffer - cash, room), 0.0)
        cash += borrow
        debt += borrow
        issued = group_sum(f_region, borrow, regions)
        spare = cash - 2 * buffer
        back = np.where(alive & (spare > 0), np.minimum(debt, 0.1 * spare), 0.0)
        cash -= back
        debt -= back
        repaid = group_sum(f_region, back, regions)
        loans = loans + issued - repaid
        insolvent = alive & (debt > INSOLVENT_DAYS * wage_bill) & (cash < wage_bill)
        closed = np.flatnonzero(insolvent)
        recovered = np.minimum(cash[closed], debt[closed])
        bank_cash += group_sum(f_region[closed], cash[closed], regions)
        loss = debt[closed] - recovered
        written_off = group_sum(f_region[closed], loss, regions)
        loans = loans - group_sum(f_region[closed], debt[closed], regions)
        good = ctx.col("firms.good").astype(np.int64)
        lost_goods = group_sum(good[closed], inventory[closed], lost_goods.size)
        input_of = np.maximum(ctx.col("goods.input")[good[closed]].astype(np.int64), 0)
        lost_goods += group_sum(input_of, input_stock[closed], lost_goods.size)
        for column in (cash, debt, inventory, input_stock):
            column[closed] = 0.0
        alive[closed] = False
        ctx.events.emit(FirmsClosed(closed, loss))

    # Dividends: cash beyond the buffer flows to the region's depositors (if it has any).
    p_alive = ctx.col("persons.alive")
    p_region = ctx.col("persons.region").astype(np.int64)
    deposits = ctx.col("persons.deposits")
    stake = np.where(p_alive, deposits, 0.0)
    owners = group_sum(p_region, stake, regions) > 0
    keep = cfg.economy.dividend_buffer_days * wage_bill
    payout = np.where(alive & owners[f_region], PAYOUT_SHARE * np.maximum(cash - keep, 0.0), 0.0)
    cash -= payout
    bank_keep = BANK_CAPITAL_RATIO * np.maximum(loans, 0.0)
    bank_payout = np.where(owners, PAYOUT_SHARE * np.maximum(bank_cash - bank_keep, 0.0), 0.0)
    bank_cash -= bank_payout
    by_region = group_sum(f_region, payout, regions) + bank_payout
    dividends = distribute(by_region, p_region, stake)
    return {
        "firms.alive": alive,
        "firms.cash": cash,
        "firms.debt": debt,
        "firms.inventory": inventory,
        "firms.input_stock": input_stock,
        "banks.cash": bank_cash,
        "banks.loans": loans,
        "banks.rate": loan_rate.astype(np.float32),
        "banks.issued": issued,
        "banks.repaid": repaid,
        "banks.written_off": written_off,
        "goods.written_off": lost_goods,
        "macro.policy_rate": np.array([rate], dtype=np.float32),
        "persons.deposits": deposits + dividends,
    }


FINANCE = System(
    name="finance",
    reads=frozenset({
        "firms.region", "firms.employees", "firms.wage_offer", "firms.good", "goods.input",
        "macro.cpi", "history.cpi", "persons.alive", "persons.region",
    }),
    writes=frozenset({
        "firms.alive", "firms.cash", "firms.debt", "firms.inventory", "firms.input_stock",
        "banks.cash", "banks.loans", "banks.rate", "banks.issued", "banks.repaid",
        "banks.written_off", "goods.written_off", "macro.policy_rate", "persons.deposits",
    }),
    run=_run,
)
