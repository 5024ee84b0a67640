"""The ``world:`` section of a scenario: which world grounds it, over which ticks, where, and
which entities stand for which world actors.

    world:
      preset: tiny_island          # or run: path/to/worlds/<run id> (a saved world run)
      seed: 7                      # preset only; the preset's own seed when absent
      ticks: [10, 45]              # first and last tick, laid over the scenario's dates
      place: {name: Harbour town, region: 1}    # or tile: [x, y]
      actors: {mayor: government, founder: "firm:12", banker: "bank:0"}
      signals: [recession, unrest]   # the kinds it hears, leading first (default: all)

Checked when the scenario loads: the preset or run exists, the ticks fit the run, the place
and the actor slots exist in that world. Errors are one line (the scenario loader adds the
file and field path).
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from daedalus.errors import ConfigError
from daedalus.world.config import WorldConfig, list_presets, load_preset
from daedalus.world.grounding._signals import SIGNAL_KINDS

__all__ = ["ActorTie", "WorldPlace", "WorldSection", "parse_actor"]

_ACTOR = re.compile(r"^(?P<kind>government|firm|bank)(?::(?P<slot>\d+))?$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ActorTie(_Strict):
    """A world actor an entity stands for: a region's government, a firm slot or a bank."""

    kind: str
    slot: int


def parse_actor(text: str, default_region: int = 0) -> ActorTie:
    """``"government"``, ``"government:2"``, ``"firm:12"`` or ``"bank:0"`` as an ``ActorTie``
    (a bare ``government`` is the place's region's); ``ValueError`` for anything else."""
    match = _ACTOR.match(text.strip())
    if match is None:
        raise ValueError(
            f"actor {text!r} is not one of 'government', 'government:<region>', "
            "'firm:<slot>', 'bank:<slot>'"
        )
    kind, slot = match["kind"], match["slot"]
    if slot is None and kind != "government":
        raise ValueError(f"actor {text!r} needs a slot number, like '{kind}:0'")
    return ActorTie(kind=kind, slot=default_region if slot is None else int(slot))


@lru_cache(maxsize=16)
def _run_meta(run: str) -> dict[str, Any]:
    from daedalus.world.io.runs import load_meta

    try:
        meta = load_meta(Path(run))
    except ConfigError as exc:
        raise ValueError(str(exc)) from None
    if not (Path(run) / "kpis.parquet").exists():
        raise ValueError(f"{run}: the world run has no kpis.parquet (it wrote no tick)")
    return meta


@lru_cache(maxsize=16)
def _preset_config(preset: str, seed: int | None) -> WorldConfig:
    known = list_presets()
    if preset not in known and not preset.endswith((".yaml", ".yml")):
        raise ValueError(f"preset {preset!r} is not one of {known} nor a .yaml path")
    try:
        config = load_preset(preset)
    except ConfigError as exc:
        raise ValueError(str(exc)) from None
    return config if seed is None else config.model_copy(update={"random_seed": seed})


class WorldPlace(_Strict):
    """Where the scenario happens in the world: a region or a tile, and the name entities use
    for it in their ``location``."""

    name: str = Field(min_length=1)
    region: int | None = Field(default=None, ge=0)
    tile: tuple[int, int] | None = None

    @model_validator(mode="after")
    def _one_spot(self) -> Self:
        if (self.region is None) == (self.tile is None):
            raise ValueError("give exactly one of region or tile")
        return self


class WorldSection(_Strict):
    """A world that grounds a scenario (see the module docstring)."""

    preset: str | None = Field(default=None, description="a preset name or a preset YAML path")
    run: str | None = Field(default=None, description="a saved world run folder")
    seed: int | None = Field(default=None, ge=0)
    ticks: tuple[int, int]
    place: WorldPlace | None = None
    actors: dict[str, str] = Field(default_factory=dict)
    signals: tuple[str, ...] = Field(
        default=SIGNAL_KINDS, description="the signal kinds this scenario hears, in order"
    )

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        unknown = [kind for kind in self.signals if kind not in SIGNAL_KINDS]
        if unknown or not self.signals:
            raise ValueError(
                f"signals must name some of {list(SIGNAL_KINDS)}, got {list(self.signals)}"
            )
        if (self.preset is None) == (self.run is None):
            raise ValueError("give exactly one of preset (a world to run) or run (a saved run)")
        if self.run is not None and self.seed is not None:
            raise ValueError("seed applies to a preset; a saved run has its own")
        first, last = self.ticks
        if first < 1 or last < first:  # tick 0 is genesis: no KPIs yet
            raise ValueError(
                f"ticks must be [first, last] with 1 <= first <= last, got {[first, last]}"
            )
        if last > 3650:
            raise ValueError(f"ticks ends at {last}; a grounding world runs at most 3650 ticks")
        config = self.config
        if self.run is not None:
            recorded = int(self.run_meta.get("ticks", 0))
            if last > recorded:
                raise ValueError(f"ticks ends at {last} but the run {self.run} has {recorded}")
        spatial = config.spatial
        region = self.place.region if self.place is not None else None
        if region is not None and region >= spatial.regions:
            raise ValueError(
                f"place.region {region} is not in the world's {spatial.regions} regions "
                f"(0..{spatial.regions - 1})"
            )
        if self.place is not None and self.place.tile is not None:
            x, y = self.place.tile
            if not (0 <= x < spatial.width_tiles and 0 <= y < spatial.height_tiles):
                raise ValueError(
                    f"place.tile {[x, y]} is off the {spatial.width_tiles} x "
                    f"{spatial.height_tiles} grid"
                )
        for entity_id, text in self.actors.items():
            tie = parse_actor(text, self.region)
            limit = {"government": spatial.regions, "bank": spatial.regions,
                     "firm": config.economy.firms}[tie.kind]
            if tie.slot >= limit:
                raise ValueError(
                    f"actors.{entity_id}: {text!r} names slot {tie.slot} but the world has "
                    f"{limit} {tie.kind} slots (0..{limit - 1})"
                )
        return self

    @property
    def run_meta(self) -> dict[str, Any]:
        """The saved run's meta.json (empty for a preset)."""
        return {} if self.run is None else _run_meta(self.run)

    @property
    def config(self) -> WorldConfig:
        """The world's configuration (the preset, seeded; or the saved run's)."""
        if self.run is not None:
            return WorldConfig.model_validate(self.run_meta["config"])
        assert self.preset is not None
        return _preset_config(self.preset, self.seed)

    @property
    def region(self) -> int:
        """The place's region (its tile's band of the grid); region 0 without a place."""
        if self.place is None:
            return 0
        if self.place.region is not None:
            return self.place.region
        assert self.place.tile is not None
        spatial = self.config.spatial
        return self.place.tile[1] * spatial.regions // spatial.height_tiles

    def ties(self) -> dict[str, ActorTie]:
        """Entity id -> the world actor it stands for."""
        return {entity: parse_actor(text, self.region) for entity, text in self.actors.items()}
