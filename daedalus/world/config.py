"""World presets: the YAML schema, its validation, and the shipped presets.

``load_preset("tiny_island")`` loads a shipped preset; ``load_preset("my_world.yaml")`` a file.
A bad file raises ``ConfigError`` in one line naming the file, the field path and the value.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from daedalus.errors import ConfigError

__all__ = [
    "EconomyConfig",
    "EnergyConfig",
    "FinanceConfig",
    "GoodSpec",
    "GovernmentConfig",
    "HealthConfig",
    "MediaConfig",
    "PopulationConfig",
    "SnapshotConfig",
    "SpatialConfig",
    "TradeConfig",
    "WorldConfig",
    "list_presets",
    "load_preset",
    "parse_preset",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SnapshotConfig(_Strict):
    every_ticks: int = Field(30, ge=0, description="0 disables periodic snapshots")
    compression: Literal["zstd", "snappy", "none"] = "zstd"


class SpatialConfig(_Strict):
    level: int = Field(7, ge=1, le=12)
    width_tiles: int = Field(ge=2, le=4096)
    height_tiles: int = Field(ge=2, le=4096)
    regions: int = Field(4, ge=1, le=64, description="polities, each a band of the grid")


class PopulationConfig(_Strict):
    persons: int = Field(ge=10)
    use_representative_households: bool = True
    persons_per_agent: float = Field(1.0, gt=0, description="weight of each person slot")
    household_size: float = Field(2.5, ge=1)
    headroom: float = Field(0.1, ge=0, le=4, description="spare slots for births, as a share")
    fertility_base: float = Field(1.8, ge=0, le=10, description="children per woman")
    mortality_base: float = Field(0.01, ge=0, le=1, description="yearly deaths per person")
    migration_rate: float = Field(
        0.002, ge=0, le=1, description="daily chance a jobless adult moves"
    )


class GoodSpec(_Strict):
    name: str = Field(min_length=1)
    sector: str
    input: str | None = None
    input_per_unit: float = Field(0.0, ge=0)
    resource: Literal["none", "biomass", "minerals"] = "none"
    resource_per_unit: float = Field(0.0, ge=0)
    spoilage: float = Field(0.0, ge=0, lt=1, description="share of stock lost per day")
    household_share: float = Field(0.0, ge=0, le=1)
    energy_intensity: float = Field(0.1, ge=0)
    base_stock_days: float = Field(10.0, gt=0)
    price: float = Field(1.0, gt=0)
    firm_share: float = Field(1.0, gt=0, description="relative number of firms making it")


class EconomyConfig(_Strict):
    firms: int = Field(ge=2)
    sectors: list[str] = Field(min_length=1)
    goods: list[GoodSpec] = Field(min_length=2)
    market_model: Literal["posted_price"] = "posted_price"
    inventory_policy: Literal["base_stock"] = "base_stock"
    labour_share: float = Field(0.7, gt=0, lt=1, description="Cobb-Douglas exponent of labour")
    price_step: float = Field(0.002, gt=0, le=0.5, description="largest daily price change")
    demand_elasticity: float = Field(4.0, gt=0)
    propensity_income: float = Field(0.9, ge=0, le=1.5)
    propensity_wealth: float = Field(0.004, ge=0, le=1)
    firm_size_alpha: float = Field(1.3, gt=0.5, description="Pareto tail of initial capital")
    wage: float = Field(1.0, gt=0, description="initial daily wage")
    dividend_buffer_days: float = Field(30.0, ge=0)
    demand_shock: float = Field(1.0, gt=0, description="multiplier on household demand")

    @model_validator(mode="after")
    def _goods_are_consistent(self) -> EconomyConfig:
        names = [g.name for g in self.goods]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"good {dupes[0]!r} is listed twice")
        for index, good in enumerate(self.goods):
            if good.sector not in self.sectors:
                raise ValueError(
                    f"goods[{index}].sector {good.sector!r} is not one of sectors {self.sectors}"
                )
            if good.input is not None and (good.input not in names or good.input == good.name):
                raise ValueError(
                    f"goods[{index}].input {good.input!r} must name another good of this economy"
                )
        if not any(g.household_share > 0 for g in self.goods):
            raise ValueError("at least one good needs a household_share above 0")
        if "energy" in names and self.goods[names.index("energy")].household_share > 0:
            raise ValueError("energy is billed by the grid; its household_share must be 0")
        return self


class FinanceConfig(_Strict):
    enable_banks: bool = True
    interbank_market: bool = False
    policy_rate: float = Field(0.02, ge=0, le=0.5)
    loan_spread: float = Field(0.03, ge=0, le=0.5)
    taylor_inflation: float = Field(0.5, ge=0, le=5)
    inflation_target: float = Field(0.02, ge=-0.5, le=1)
    buffer_days: float = Field(10.0, ge=0, description="wage bills of cash firms keep")

    @model_validator(mode="after")
    def _modelled(self) -> FinanceConfig:
        if self.interbank_market:
            raise ValueError("interbank_market: no interbank model exists yet; set it to false")
        return self


class GovernmentConfig(_Strict):
    tax_rate: float = Field(0.25, ge=0, lt=1)
    transfer_level: float = Field(0.4, ge=0, le=2, description="benefit as a share of mean wage")
    pension_age_years: int = Field(65, ge=30, le=120)
    public_rate: float = Field(0.02, ge=0, le=0.5, description="yearly interest on public debt")
    tax_adjust: float = Field(0.0005, ge=0, le=0.05, description="daily tax-rate step")
    election_every_days: int = Field(1460, ge=1)


class EnergyConfig(_Strict):
    dispatch_model: Literal["merit_order_lite"] = "merit_order_lite"
    grid_resolution: Literal["low", "medium", "high"] = "low"
    household_demand: float = Field(0.05, ge=0, description="energy per person per day")
    plant_capacity: float = Field(1.0, gt=0, description="energy per unit of plant capital")


class MediaConfig(_Strict):
    neighbour_weight: float = Field(0.05, ge=0, le=1)
    media_weight: float = Field(0.01, ge=0, le=1)
    noise: float = Field(0.002, ge=0, le=1)


class HealthConfig(_Strict):
    enable: bool = True
    r0: float = Field(2.0, ge=0, le=20)
    incubation_days: float = Field(4.0, gt=0)
    infectious_days: float = Field(7.0, gt=0)
    immunity_days: float = Field(180.0, gt=0)
    fatality: float = Field(0.005, ge=0, le=1)
    seed_share: float = Field(0.0005, ge=0, le=1, description="share infectious at the start")


class TradeConfig(_Strict):
    enable: bool = True
    conflict: bool = False
    gravity: float = Field(0.05, ge=0, le=1)
    tariff: float = Field(0.05, ge=0, le=1)
    conflict_onset: float = Field(0.0005, ge=0, le=1)
    conflict_end: float = Field(0.01, ge=0, le=1)


class WorldConfig(_Strict):
    """A whole world preset (see ``presets/*.yaml`` for the shipped ones)."""

    name: str = Field(min_length=1)
    random_seed: int = Field(ge=0)
    snapshot: SnapshotConfig = SnapshotConfig()
    spatial: SpatialConfig
    population: PopulationConfig
    economy: EconomyConfig
    finance: FinanceConfig = FinanceConfig()
    government: GovernmentConfig = GovernmentConfig()
    energy: EnergyConfig = EnergyConfig()
    media: MediaConfig = MediaConfig()
    health: HealthConfig = HealthConfig()
    trade: TradeConfig = TradeConfig()
    strict: bool = Field(True, description="check the invariants after every tick")

    @model_validator(mode="after")
    def _fits(self) -> WorldConfig:
        tiles = self.spatial.width_tiles * self.spatial.height_tiles
        if self.spatial.regions > self.spatial.height_tiles:
            raise ValueError(
                f"spatial.regions {self.spatial.regions} exceeds height_tiles "
                f"{self.spatial.height_tiles} (each region is a band of rows)"
            )
        if self.economy.firms > tiles:
            raise ValueError(f"economy.firms {self.economy.firms} exceeds the {tiles} tiles")
        return self

    def scaled(self, persons: int, firms: int, **changes: Any) -> WorldConfig:
        """A copy with other person and firm counts (for small test worlds); other top-level
        fields can be replaced by keyword."""
        data = self.model_dump()
        data["population"]["persons"] = persons
        data["economy"]["firms"] = firms
        data.update(changes)
        return WorldConfig.model_validate(data)


def _shipped() -> dict[str, Any]:
    root = resources.files("daedalus.world.presets")
    return {p.name[:-5]: p for p in root.iterdir() if p.name.endswith(".yaml")}


def list_presets() -> list[str]:
    """The shipped preset names, sorted."""
    return sorted(_shipped())


def load_preset(name_or_path: str | os.PathLike[str]) -> WorldConfig:
    """A shipped preset by name, or a YAML file by path; ``ConfigError`` when invalid."""
    key = str(name_or_path)
    shipped = _shipped()
    if key in shipped:
        return parse_preset(shipped[key].read_text(encoding="utf-8"), source=f"preset {key}")
    path = Path(key)
    if path.suffix in (".yaml", ".yml") or path.exists():
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read the file ({exc.strerror})") from None
        return parse_preset(text, source=str(path))
    known = ", ".join(sorted(shipped))
    raise ConfigError(f"no world preset named {key!r}; shipped presets: {known}")


def parse_preset(text: str, *, source: str = "<string>") -> WorldConfig:
    """Validate YAML text as a ``WorldConfig``; errors name ``source`` and the field path."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{source}:{where} is not valid YAML") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: expected a mapping of preset fields at the top level")
    try:
        return WorldConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{source}: {_describe(exc)}") from None


def _describe(exc: ValidationError) -> str:
    first = exc.errors(include_url=False)[0]
    path = ".".join(str(part) for part in first["loc"]) or "(top level)"
    if first["type"] == "extra_forbidden":
        return f"{path}: unknown key"
    if first["type"] == "missing":
        return f"{path}: required field is missing"
    message = str(first["msg"]).removeprefix("Value error, ")
    given = first.get("input")
    shown = "" if isinstance(given, dict | list) or given is None else f" (got {given!r})"
    return f"{path}: {message}{shown}"
