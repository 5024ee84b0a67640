"""The world at tick 0: tiles, polities, persons, firms, banks and goods built from a preset.

Initial firm productivity is calibrated so that each firm's first-day output meets its share
of the demand the starting incomes imply; from there prices, wages and stocks move freely.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from daedalus.world.config import WorldConfig
from daedalus.world.core import SCHEMAS, KeyedRng, Table

__all__ = ["build_tables", "goods_order"]

_DAY = 365.0


def goods_order(config: WorldConfig) -> list[int]:
    """Goods indexes, every good after the goods that use it as input (demand flows upstream)."""
    goods = config.economy.goods
    names = [g.name for g in goods]
    order: list[int] = []
    pending = list(range(len(goods)))
    while pending:
        for index in pending:
            users = [j for j, g in enumerate(goods) if g.input == names[index]]
            if all(u in order for u in users):
                order.append(index)
                pending.remove(index)
                break
        else:  # a cycle of inputs: demand is then approximated in declaration order
            order.extend(pending)
            break
    return order


def _tiles(config: WorldConfig, rng: KeyedRng) -> Table:
    w, h, regions = config.spatial.width_tiles, config.spatial.height_tiles, config.spatial.regions
    t = Table.empty(SCHEMAS["tiles"], w * h)
    row = np.repeat(np.arange(h), w)
    t.columns["lat"][:] = (row + 0.5) / h * 2.0 - 1.0
    t.columns["region"][:] = row * regions // h
    fertility = 0.3 + 0.7 * rng.uniform("genesis", "fertility", 0, w * h)
    t.columns["fertility"][:] = fertility
    t.columns["biomass_cap"][:] = 200.0 * fertility
    t.columns["biomass"][:] = 160.0 * fertility
    deposit = rng.uniform("genesis", "deposit", 0, w * h) < 0.2
    minerals = np.where(deposit, 5e4 * (0.5 + rng.uniform("genesis", "ore", 0, w * h)), 0.0)
    t.columns["minerals"][:] = minerals
    t.columns["minerals_initial"][:] = minerals
    land = rng.uniform("genesis", "land", 0, w * h)
    t.columns["land"][:] = np.where(land < 0.35, 0, np.where(land < 0.9, 1, 2))
    t.columns["opinion"][:] = rng.uniform("genesis", "opinion", 0, w * h) * 0.4 - 0.2
    t.columns["s"][:] = 1.0
    return t


def _regions(config: WorldConfig) -> tuple[Table, Table, Table]:
    n = config.spatial.regions
    r = Table.empty(SCHEMAS["regions"], n)
    r.columns["x"][:] = 0.5
    r.columns["y"][:] = (np.arange(n) + 0.5) / n
    r.columns["tax_rate"][:] = config.government.tax_rate
    r.columns["transfer_level"][:] = config.government.transfer_level
    r.columns["approval"][:] = 0.5
    r.columns["energy_reliability"][:] = 1.0
    r.columns["energy_price"][:] = 1.0
    r.columns["media_bias"][:] = np.linspace(-0.3, 0.3, n) if n > 1 else 0.0
    r.columns["mean_wage"][:] = config.economy.wage
    pairs = Table.empty(SCHEMAS["pairs"], n * n)
    pairs.columns["source"][:] = np.repeat(np.arange(n), n)
    pairs.columns["target"][:] = np.tile(np.arange(n), n)
    gap = np.abs(pairs.columns["source"].astype(np.float32) - pairs.columns["target"])
    pairs.columns["distance"][:] = 1.0 + gap
    banks = Table.empty(SCHEMAS["banks"], n)
    banks.columns["region"][:] = np.arange(n)
    banks.columns["rate"][:] = config.finance.policy_rate + config.finance.loan_spread
    return r, pairs, banks


def _goods(config: WorldConfig) -> Table:
    goods = config.economy.goods
    names = [g.name for g in goods]
    sectors = config.economy.sectors
    g = Table.empty(SCHEMAS["goods"], len(goods))
    for i, spec in enumerate(goods):
        g.columns["sector"][i] = sectors.index(spec.sector)
        g.columns["input"][i] = names.index(spec.input) if spec.input else -1
        g.columns["input_per_unit"][i] = spec.input_per_unit
        g.columns["resource"][i] = ("none", "biomass", "minerals").index(spec.resource)
        g.columns["resource_per_unit"][i] = spec.resource_per_unit
        g.columns["spoilage"][i] = spec.spoilage
        g.columns["household_share"][i] = spec.household_share
        g.columns["energy_intensity"][i] = spec.energy_intensity
        g.columns["base_stock_days"][i] = spec.base_stock_days
        g.columns["is_energy"][i] = spec.name == "energy"
        g.columns["price_index"][i] = spec.price
        g.columns["base_price"][i] = spec.price
    return g


def _persons(config: WorldConfig, tiles: Table, rng: KeyedRng) -> Table:
    pop = config.population
    n = pop.persons
    capacity = int(np.ceil(n * (1.0 + pop.headroom))) + 8
    p = Table.empty(SCHEMAS["persons"], capacity)
    c = p.columns
    c["alive"][:n] = True
    c["uid"][:n] = np.arange(n)
    # Settlement follows fertility: people live where land feeds them.
    weights = tiles["fertility"].astype(np.float64) ** 3
    cdf = np.cumsum(weights) / weights.sum()
    tile = np.searchsorted(cdf, rng.uniform("genesis", "tile", 0, n), side="right")
    c["tile"][:n] = np.minimum(tile, tiles.capacity - 1)
    c["region"][:n] = tiles["region"][c["tile"][:n]]
    ages = rng.uniform("genesis", "age", 0, n)
    c["age_days"][:n] = (85.0 * (1.0 - np.sqrt(1.0 - ages)) * _DAY).astype(np.int32)
    c["sex"][:n] = rng.uniform("genesis", "sex", 0, n) < 0.5
    c["health"][:n] = 0.7 + 0.3 * rng.uniform("genesis", "health", 0, n)
    c["education"][:n] = np.minimum(c["age_days"][:n] // int(_DAY * 4), 5)
    c["skill"][:n] = 0.5 + rng.uniform("genesis", "skill", 0, n)
    c["employer"][:] = -1
    wage = config.economy.wage
    c["deposits"][:n] = wage * 20.0 * np.exp(1.2 * rng.normal("genesis", "wealth", 0, n) - 0.72)
    c["income"][:n] = wage * 0.6
    c["household"][:n] = (np.arange(n) / pop.household_size).astype(np.uint32)
    c["weight"][:n] = pop.persons_per_agent
    return p


def _working(persons: Table, config: WorldConfig) -> NDArray[np.bool_]:
    age = persons["age_days"]
    retire = config.government.pension_age_years * _DAY
    return persons.alive & (age >= 18 * _DAY) & (age < retire)


def _firms(config: WorldConfig, persons: Table, goods: Table, rng: KeyedRng) -> Table:
    econ = config.economy
    n = econ.firms
    f = Table.empty(SCHEMAS["firms"], int(n * 1.1) + 4)
    c = f.columns
    c["alive"][:n] = True
    c["uid"][:n] = np.arange(n)
    shares = np.array([g.firm_share for g in econ.goods])
    bounds = np.cumsum(shares) / shares.sum()
    good = np.searchsorted(bounds, (np.arange(n) + 0.5) / n)
    regions = config.spatial.regions
    energy = np.flatnonzero(goods["is_energy"])
    if energy.size and np.count_nonzero(good == energy[0]) < regions:
        good[:regions] = energy[0]  # every region's grid needs a plant of its own
    c["good"][:n] = good
    c["sector"][:n] = goods["sector"][good]
    # Firms of each good go round the regions in turn, so every region has a market (and a
    # grid) for every good, and settle on the tile of a random resident of their region.
    alive = np.flatnonzero(persons.alive)
    order = alive[np.argsort(persons["region"][alive], kind="stable")]
    counts = np.bincount(persons["region"][order], minlength=regions)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    draw = rng.uniform("genesis", "firm_tile", 0, n)
    rank_in_good = np.zeros(n, dtype=np.int64)
    for index in np.unique(good):
        members = np.flatnonzero(good == index)
        rank_in_good[members] = np.arange(members.size)
    turn = rank_in_good % regions
    turn = np.where(counts[turn] > 0, turn, np.argmax(counts))
    home = starts[turn] + (draw * counts[turn]).astype(np.int64)
    c["tile"][:n] = persons["tile"][order[home]]
    c["region"][:n] = persons["region"][order[home]]
    pareto = (1.0 - rng.uniform("genesis", "capital", 0, n)) ** (-1.0 / econ.firm_size_alpha)
    c["capital"][:n] = np.minimum(pareto, 500.0)
    prices = np.array([g.price for g in econ.goods])
    noise = 1.0 + 0.05 * (rng.uniform("genesis", "price", 0, n) - 0.5)
    c["price"][:n] = prices[good] * noise
    c["wage_offer"][:n] = econ.wage
    c["marginal_cost"][:n] = 0.3 + 1.2 * rng.uniform("genesis", "marginal_cost", 0, n)
    c["age_days"][:n] = (rng.uniform("genesis", "firm_age", 0, n) * 20 * _DAY).astype(np.int32)
    return f


def _calibrate(config: WorldConfig, persons: Table, firms: Table, goods: Table) -> None:
    """Employ most working-age persons and set each firm's productivity, stock and cash so the
    first day's output meets the demand the starting wages imply."""
    econ = config.economy
    n_goods = len(econ.goods)
    fc, pc = firms.columns, persons.columns
    alive_f = firms.alive
    working = np.flatnonzero(_working(persons, config))
    employed = working[: int(working.size * 0.92)]
    wage_bill = float(employed.size) * econ.wage
    budget = wage_bill * econ.propensity_income
    prices = np.array([g.price for g in econ.goods])
    value = np.array([g.household_share for g in econ.goods]) * budget
    quantity = value / prices
    for index in goods_order(config):
        spec = econ.goods[index]
        if spec.input is not None:
            upstream = [g.name for g in econ.goods].index(spec.input)
            quantity[upstream] += spec.input_per_unit * quantity[index]
            value[upstream] = quantity[upstream] * prices[upstream]
    is_energy = goods["is_energy"]
    energy_need = float((quantity * goods["energy_intensity"]).sum())
    energy_need += config.energy.household_demand * config.population.persons
    quantity[is_energy] = energy_need
    value[is_energy] = energy_need * prices[is_energy]
    good = fc["good"].astype(np.int64)
    capital = np.where(alive_f, fc["capital"], 0.0)
    capital_by_good = np.bincount(good, weights=capital, minlength=n_goods)
    share = capital / np.maximum(capital_by_good[good], 1e-9)
    staff = np.floor(employed.size * (value / value.sum())[good] * share).astype(np.int64)
    staff = np.where(alive_f, np.maximum(staff, 1), 0)
    slots = np.repeat(np.arange(firms.capacity), staff)[: employed.size]
    pc["employer"][employed[: slots.size]] = slots
    pc["wage"][employed[: slots.size]] = econ.wage
    fc["employees"][:] = np.bincount(slots, minlength=firms.capacity)
    expected = quantity[good] * share
    labour = np.maximum(fc["employees"], 1).astype(np.float64)
    a = econ.labour_share
    # Output covers expected sales plus what spoils, with a tenth to spare (some slack keeps
    # a pool of job seekers, as real labour markets have).
    spoils = 1.0 + goods["spoilage"][good] * goods["base_stock_days"][good]
    fc["tfp"][:] = np.where(
        alive_f, 1.1 * spoils * expected / (capital ** (1 - a) * labour**a + 1e-9), 0.0
    )
    fc["expected_sales"][:] = expected
    fc["target_output"][:] = expected
    days = goods["base_stock_days"][good]
    fc["inventory"][:] = np.where(alive_f & ~is_energy[good], expected * days, 0.0)
    inputs = goods["input"][good]
    need = goods["input_per_unit"][good] * expected * 5.0
    fc["input_stock"][:] = np.where(alive_f & (inputs >= 0), need, 0.0)
    fc["cash"][:] = np.where(alive_f, fc["employees"] * econ.wage * 30.0, 0.0)
    # Each region's grid is its own: size its plants to 1.3 times its share of the need.
    regions = config.spatial.regions
    region = fc["region"].astype(np.int64)
    people = np.bincount(pc["region"][persons.alive], minlength=regions).astype(np.float64)
    need_by_region = energy_need * people / max(people.sum(), 1.0)
    plants = alive_f & is_energy[good]
    installed = np.bincount(region[plants], weights=capital[plants], minlength=regions)
    scale = np.where(installed > 0, 1.3 * need_by_region / np.maximum(installed, 1e-9), 1.0)
    per_unit = config.energy.plant_capacity
    fc["capital"][:] = np.where(plants, fc["capital"] * scale[region] / per_unit, fc["capital"])


def build_tables(config: WorldConfig) -> dict[str, Table]:
    """Every table of the world at tick 0, deterministic in the preset's seed."""
    rng = KeyedRng(config.random_seed)
    tiles = _tiles(config, rng)
    regions, pairs, banks = _regions(config)
    goods = _goods(config)
    persons = _persons(config, tiles, rng)
    firms = _firms(config, persons, goods, rng)
    _calibrate(config, persons, firms, goods)
    macro = Table.empty(SCHEMAS["macro"], 1)
    macro.columns["policy_rate"][0] = config.finance.policy_rate
    macro.columns["cpi"][0] = 1.0
    history = Table.empty(SCHEMAS["history"], 31)
    history.columns["cpi"][:] = 1.0
    regions.columns["cash"][:] = 0.0
    tables = {
        "persons": persons, "firms": firms, "tiles": tiles, "regions": regions, "pairs": pairs,
        "banks": banks, "goods": goods, "macro": macro, "history": history,
    }
    # The health system seeds its first cases on fertile, populated tiles.
    if config.health.enable:
        seeded = rng.uniform("genesis", "infection", 0, tiles.capacity) < config.health.seed_share
        tiles.columns["i"][:] = np.where(seeded, 0.05, 0.0)
        tiles.columns["s"][:] = 1.0 - tiles.columns["i"]
    return tables
