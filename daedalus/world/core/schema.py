"""The world's tables and their columns: float32 for state, float64 for money and goods ledgers.

Money and goods are float64 so that sums over every slot reconcile to rounding error; indexes
and enums use the smallest unsigned type that holds them.
"""

from __future__ import annotations

import numpy as np

from daedalus.world.core.tables import TableSchema

__all__ = ["SCHEMAS", "TABLE_ORDER"]

F4, F8, I4, U1, U2, U4 = np.float32, np.float64, np.int32, np.uint8, np.uint16, np.uint32

PERSONS = TableSchema("persons", {
    "age_days": I4, "sex": U1, "health": F4, "education": U1, "skill": F4,
    "employer": I4, "wage": F4, "deposits": F8, "income": F4,
    "tile": U4, "region": U2, "household": U4, "weight": F4,
})
FIRMS = TableSchema("firms", {
    "good": U2, "sector": U2, "tile": U4, "region": U2, "capital": F4, "tfp": F4,
    "inventory": F8, "input_stock": F8, "price": F4, "wage_offer": F4, "employees": I4,
    "vacancies": I4, "target_output": F4, "produced": F8, "sold": F8, "expected_sales": F4,
    "cash": F8, "debt": F8, "energy_use": F8, "marginal_cost": F4, "age_days": I4,
})
TILES = TableSchema("tiles", {
    "lat": F4, "temp": F4, "precip": F4, "fertility": F4, "biomass": F4, "biomass_cap": F4,
    "minerals": F4, "minerals_initial": F4, "land": U1, "region": U2, "opinion": F4,
    "population": F4, "s": F4, "e": F4, "i": F4, "r": F4,
}, dynamic=False)
REGIONS = TableSchema("regions", {
    "x": F4, "y": F4, "tax_rate": F4, "transfer_level": F4, "cash": F8, "debt": F8,
    "revenue": F8, "spending": F8, "interest": F8, "borrowed": F8, "repaid": F8,
    "estates": F8, "tariffs": F8, "approval": F4, "energy_reliability": F4,
    "energy_price": F4, "energy_demand": F8, "energy_served": F8, "media_bias": F4,
    "unemployment": F4, "mean_wage": F4, "population": F8, "cash_open": F8, "debt_open": F8,
}, dynamic=False)
PAIRS = TableSchema("pairs", {
    "source": U2, "target": U2, "distance": F4, "conflict": U1, "trade_value": F8,
}, dynamic=False)
BANKS = TableSchema("banks", {
    "region": U2, "cash": F8, "loans": F8, "rate": F4, "issued": F8, "repaid": F8,
    "written_off": F8,
}, dynamic=False)
GOODS = TableSchema("goods", {
    "sector": U2, "input": np.int16, "input_per_unit": F4, "resource": U1,
    "resource_per_unit": F4, "spoilage": F4, "household_share": F4, "energy_intensity": F4,
    "base_stock_days": F4, "is_energy": np.bool_, "base_price": F8, "produced": F8,
    "consumed": F8, "used": F8,
    "waste": F8, "written_off": F8, "stock": F8, "unmet": F8, "traded": F8, "price_index": F8,
}, dynamic=False)
MACRO = TableSchema("macro", {
    "policy_rate": F4, "cpi": F8, "money_stock": F8, "gdp": F8, "spent": F8,
}, dynamic=False)
HISTORY = TableSchema("history", {"cpi": F8, "unemployment": F4}, dynamic=False)

SCHEMAS: dict[str, TableSchema] = {
    s.name: s for s in (PERSONS, FIRMS, TILES, REGIONS, PAIRS, BANKS, GOODS, MACRO, HISTORY)
}
"""Every table of a world, by name."""

TABLE_ORDER: tuple[str, ...] = tuple(SCHEMAS)
"""Tables in the order snapshots write them."""
