"""The KPIs of a tick, read from the closed books: GDP, unemployment, inflation, Gini, energy
reliability, infections and the rest of the dashboard figures (spec 5, 9.1)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from daedalus.world.core import Table
from daedalus.world.systems.media import polarization

__all__ = ["KPI_NAMES", "gini", "population_share", "tick_kpis"]

KPI_NAMES: tuple[str, ...] = (
    "tick", "population", "firms", "gdp", "unemployment", "inflation", "cpi", "gini",
    "energy_reliability", "infections", "money_stock", "public_debt", "policy_rate",
    "mean_wage", "polarization", "approval", "trade_value", "biomass", "minerals_extracted",
    "credit_to_gdp",
)
"""Every KPI, in column order."""


def gini(values: NDArray[Any]) -> float:
    """The Gini coefficient of non-negative ``values`` (0 equal, towards 1 concentrated)."""
    x = np.sort(np.maximum(values.astype(np.float64), 0.0))
    n, total = x.size, float(x.sum())
    if n == 0 or total <= 0:
        return 0.0
    ranks = np.arange(1, n + 1, dtype=np.float64)
    return float(2.0 * (ranks * x).sum() / (n * total) - (n + 1.0) / n)


def population_share(regions: Table) -> Callable[[NDArray[Any]], float]:
    """A function averaging a per-region column weighted by the regions' populations."""
    population = regions["population"].astype(np.float64)
    total = max(float(population.sum()), 1.0)
    return lambda column: float((column * population).sum() / total)


def tick_kpis(tables: Mapping[str, Table], tick: int) -> dict[str, float]:
    """The KPIs after ``tick``; inflation is the last 30 days' price change, annualised."""
    persons, firms, regions = tables["persons"], tables["firms"], tables["regions"]
    share = population_share(regions)
    tiles, macro, history = tables["tiles"], tables["macro"], tables["history"]
    alive = persons.alive
    cpi = float(macro["cpi"][0])
    month_ago = float(history["cpi"][(tick + 1) % history.capacity])
    demand = float(regions["energy_demand"].sum())
    gdp = float(macro["gdp"][0])
    extracted = tiles["minerals_initial"].astype(np.float64).sum()
    return {
        "tick": float(tick),
        "population": float(persons["weight"][alive].sum()),
        "firms": float(firms.count()),
        "gdp": gdp,
        "unemployment": share(regions["unemployment"]),
        "inflation": (cpi / month_ago) ** (365.0 / 30.0) - 1.0 if month_ago > 0 else 0.0,
        "cpi": cpi,
        "gini": gini(persons["deposits"][alive]),
        "energy_reliability": float(regions["energy_served"].sum() / demand) if demand > 0 else 1.0,
        "infections": float((tiles["i"].astype(np.float64) * tiles["population"]).sum()),
        "money_stock": float(macro["money_stock"][0]),
        "public_debt": float(regions["debt"].sum()),
        "policy_rate": float(macro["policy_rate"][0]),
        "mean_wage": share(regions["mean_wage"]),
        "polarization": polarization(tiles["opinion"], tiles["population"]),
        "approval": share(regions["approval"]),
        "trade_value": float(tables["pairs"]["trade_value"].sum()),
        "biomass": float(tiles["biomass"].astype(np.float64).sum()),
        "minerals_extracted": float(1.0 - tiles["minerals"].astype(np.float64).sum() / extracted)
        if extracted > 0 else 0.0,
        "credit_to_gdp": float(tables["banks"]["loans"].sum() / (gdp * 365.0)) if gdp > 0 else 0.0,
    }
