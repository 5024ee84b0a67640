"""The Decision API (PANARCHY 6.1, 6.5): what an actor sees and what it may propose.

An ``Observation`` is an aggregated slice (rolling averages, deltas, top-K lists; never raw
rows), the verbs the actor may use with their JSON schemas, and the hard bounds. An
``ActionProposal`` is a verb, its arguments, a confidence and a short rationale.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from daedalus.world.world import World

__all__ = ["GOVERNMENT_VERBS", "ActionProposal", "Observation", "VerbSpec", "observe_government"]

WINDOW = 30
"""Ticks in a rolling average or a delta."""
TOP_K = 3


class VerbSpec(BaseModel):
    """A verb an actor may use: the column of the actor's row it acts on (in ``table``), its
    hard bounds and the largest change one decision may make.

    ``effect`` says what the argument does: ``set`` writes it into the column; the firm and
    bank effects (``scale``, ``hire``, ``fire``, ``invest``, ``standing``) live in
    ``daedalus.world.actors.effects``. ``max_step`` bounds the distance from ``baseline``, or
    from the column's current value when ``baseline`` is None.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    verb: str
    column: str
    argument: str
    minimum: float
    maximum: float
    max_step: float
    table: str = "regions"
    effect: str = "set"
    baseline: float | None = None

    def json_schema(self) -> dict[str, Any]:
        """The JSON schema of the verb's arguments, as shown to a model."""
        return {
            "type": "object",
            "properties": {
                self.argument: {"type": "number", "minimum": self.minimum, "maximum": self.maximum}
            },
            "required": [self.argument],
            "additionalProperties": False,
        }


GOVERNMENT_VERBS: tuple[VerbSpec, ...] = (
    VerbSpec(verb="set_tax_rate", column="tax_rate", argument="rate",
             minimum=0.05, maximum=0.6, max_step=0.05),
    VerbSpec(verb="set_transfers", column="transfer_level", argument="level",
             minimum=0.0, maximum=1.5, max_step=0.1),
)
"""What a region's government may do (spec 5.8): its tax rate and its transfer level."""


class Observation(BaseModel):
    """What one actor sees at a decision tick."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    actor_id: str
    actor_type: str
    tick: int
    state: dict[str, float]
    top: dict[str, list[tuple[int, float]]] = Field(default_factory=dict)
    action_space: tuple[VerbSpec, ...]
    constraints: dict[str, float] = Field(default_factory=dict)

    def verb(self, name: str) -> VerbSpec | None:
        """The verb spec named ``name``, or None when the actor may not use it."""
        return next((v for v in self.action_space if v.verb == name), None)


class ActionProposal(BaseModel):
    """One proposed action; anything else a provider returns fails the gate's schema check."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    actor_id: str
    verb: str
    args: dict[str, float]
    confidence: float = Field(ge=0.0, le=1.0)
    rationale: str = Field(max_length=280)


def _mean(values: list[float]) -> float:
    return float(np.mean(values)) if values else 0.0


def observe_government(world: World, region: int) -> Observation:
    """Region ``region``'s government's view: its own figures now, world KPIs averaged and
    differenced over the last 30 ticks, and its top employers."""
    regions = world.tables["regions"].columns
    history = [record["kpis"] for record in world.history[-WINDOW:]]
    first, last = (history[0], history[-1]) if history else ({}, {})
    yearly_revenue = float(regions["revenue"][region]) * 365.0
    state = {
        "unemployment": float(regions["unemployment"][region]),
        "approval": float(regions["approval"][region]),
        "tax_rate": float(regions["tax_rate"][region]),
        "transfer_level": float(regions["transfer_level"][region]),
        "debt_to_revenue": float(regions["debt"][region]) / max(yearly_revenue, 1e-9),
        "mean_wage": float(regions["mean_wage"][region]),
        "inflation_avg": _mean([k["inflation"] for k in history]),
        "unemployment_avg": _mean([k["unemployment"] for k in history]),
        "gdp_delta": float(last.get("gdp", 0.0)) - float(first.get("gdp", 0.0)),
        "gini": float(last.get("gini", 0.0)),
    }
    firms = world.tables["firms"].columns
    mine = np.flatnonzero(firms["alive"] & (firms["region"] == region))
    staff = firms["employees"][mine]
    order = np.argsort(-staff.astype(np.int64), kind="stable")[:TOP_K]
    top = {"employers": [(int(mine[i]), float(staff[i])) for i in order]}
    return Observation(
        actor_id=f"government:{region}", actor_type="government", tick=world.tick, state=state,
        top=top, action_space=GOVERNMENT_VERBS,
        constraints={v.verb + ".max_step": v.max_step for v in GOVERNMENT_VERBS},
    )
