"""The world's invariants as code: each check reads the tables at the end of a tick (with the
opening balances bookkeeping kept from the previous one) and returns what it found broken.

- non-negative stocks and balances: deposits, cash, inventories, resources, SEIR shares;
- money is conserved except where named mechanisms create or destroy it: loans issued and
  public borrowing create it; loan repayment, public repayment and public interest destroy it;
- the government budget identity, region by region;
- goods are conserved: stock change = produced - consumed - used as input - waste - written off.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from daedalus.world.core import Table

__all__ = [
    "RELATIVE_TOLERANCE",
    "budget_identity",
    "check_invariants",
    "goods_balance",
    "goods_stock",
    "money_balance",
    "money_stock",
    "non_negative",
]

RELATIVE_TOLERANCE = 1e-9
"""Allowed float64 rounding, relative to the larger side of a balance."""

_NON_NEGATIVE = (
    ("persons", "deposits"), ("firms", "cash"), ("firms", "debt"), ("firms", "inventory"),
    ("firms", "input_stock"), ("tiles", "biomass"), ("tiles", "minerals"), ("tiles", "s"),
    ("tiles", "e"), ("tiles", "i"), ("tiles", "r"), ("regions", "cash"), ("regions", "debt"),
    ("banks", "cash"), ("tiles", "population"), ("firms", "price"),
)


def _close(a: float, b: float, scale: float) -> bool:
    return abs(a - b) <= RELATIVE_TOLERANCE * max(abs(scale), 1.0) + 1e-7


def money_stock(tables: Mapping[str, Table]) -> float:
    """All money held: persons' deposits, firms', banks' and governments' cash."""
    return float(
        tables["persons"]["deposits"][tables["persons"].alive].sum()
        + tables["firms"]["cash"][tables["firms"].alive].sum()
        + tables["banks"]["cash"].sum()
        + tables["regions"]["cash"].sum()
    )


def goods_stock(tables: Mapping[str, Table]) -> NDArray[np.float64]:
    """Per good, everything held: sellers' inventories plus buyers' input stocks."""
    firms, goods = tables["firms"], tables["goods"]
    n = goods.capacity
    alive = firms.alive
    good = firms["good"].astype(np.int64)
    held = np.bincount(good[alive], weights=firms["inventory"][alive], minlength=n)
    input_good = goods["input"][good].astype(np.int64)
    buys = alive & (input_good >= 0)
    held += np.bincount(input_good[buys], weights=firms["input_stock"][buys], minlength=n)
    return np.asarray(held, dtype=np.float64)


def non_negative(tables: Mapping[str, Table]) -> list[str]:
    """Columns holding a negative value in a live slot."""
    found = []
    for table, column in _NON_NEGATIVE:
        values: NDArray[Any] = tables[table][column][tables[table].alive]
        if values.size and float(values.min()) < -1e-9:
            found.append(f"{table}.{column} has a negative value ({float(values.min()):.6g})")
    return found


def money_balance(tables: Mapping[str, Table], opening: float) -> list[str]:
    """Money now = money at the tick's start + created - destroyed, by named mechanism."""
    banks, regions = tables["banks"], tables["regions"]
    created = float(banks["issued"].sum() + regions["borrowed"].sum())
    destroyed = float(banks["repaid"].sum() + regions["repaid"].sum() + regions["interest"].sum())
    now = money_stock(tables)
    expected = opening + created - destroyed
    if not _close(now, expected, max(now, opening)):
        return [f"money not conserved: {now:.6f} held, {expected:.6f} expected "
                f"(opening {opening:.6f} + created {created:.6f} - destroyed {destroyed:.6f})"]
    return []


def budget_identity(tables: Mapping[str, Table]) -> list[str]:
    """Per region: cash change = revenue + estates + tariffs - spending - interest + borrowed
    - repaid, and debt change = borrowed - repaid."""
    r = tables["regions"]
    found = []
    inflow = r["revenue"] + r["estates"] + r["tariffs"] + r["borrowed"]
    outflow = r["spending"] + r["interest"] + r["repaid"]
    for k in range(r.capacity):
        scale = float(r["cash"][k] + inflow[k] + outflow[k])
        moved, net = float(r["cash"][k] - r["cash_open"][k]), float(inflow[k] - outflow[k])
        if not _close(moved, net, scale):
            found.append(f"region {k}: budget identity broken (cash moved {moved:.6f}, "
                         f"flows {net:.6f})")
        debt_move = float(r["debt"][k] - r["debt_open"][k])
        if not _close(debt_move, float(r["borrowed"][k] - r["repaid"][k]), float(r["debt"][k])):
            found.append(f"region {k}: debt moved {debt_move:.6f} but borrowing net of "
                         f"repayment was {r['borrowed'][k] - r['repaid'][k]:.6f}")
    return found


def goods_balance(tables: Mapping[str, Table], opening: NDArray[np.float64]) -> list[str]:
    """Per good: stock change = produced - consumed - used - waste - written off."""
    g = tables["goods"]
    now = goods_stock(tables)
    flows = g["produced"] - g["consumed"] - g["used"] - g["waste"] - g["written_off"]
    found = []
    for k in range(g.capacity):
        scale = float(max(now[k], opening[k], g["produced"][k]))
        if not _close(float(now[k] - opening[k]), float(flows[k]), scale):
            found.append(f"good {k}: stock moved {now[k] - opening[k]:.6f} but flows sum to "
                         f"{flows[k]:.6f}")
    return found


def check_invariants(tables: Mapping[str, Table]) -> list[str]:
    """Every invariant, against the opening balances kept in macro, goods and regions."""
    return [
        *non_negative(tables),
        *money_balance(tables, float(tables["macro"]["money_stock"][0])),
        *budget_identity(tables),
        *goods_balance(tables, tables["goods"]["stock"]),
    ]
