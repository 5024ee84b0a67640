"""What a benchmark returns: measured figures, each against its target when it has one."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "Comparison",
    "Measurement",
    "Report",
    "at_least",
    "at_most",
    "exactly",
    "figure",
    "median",
]

Comparison = Literal["<=", ">=", "=="]
"""How a measured value is held against its target."""


class Measurement(BaseModel):
    """One measured figure. ``target`` and ``ok`` are ``None`` for figures reported for context.

    ``ratio`` is value / target (for ``>=`` targets, target / value), so a ratio at or below 1.0
    always means the target is met.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    value: float
    unit: str
    target: float | None = None
    compare: Comparison | None = None
    note: str = ""

    @property
    def ok(self) -> bool | None:
        """Whether the target is met; ``None`` when the figure has no target."""
        if self.target is None or self.compare is None:
            return None
        if self.compare == "<=":
            return self.value <= self.target
        if self.compare == ">=":
            return self.value >= self.target
        return self.value == self.target

    @property
    def ratio(self) -> float | None:
        """value / target (inverted for ``>=``); ``None`` without a target or when undefined."""
        if self.target is None or self.compare is None:
            return None
        top, bottom = (
            (self.target, self.value) if self.compare == ">=" else (self.value, self.target)
        )
        if bottom == 0:
            return 1.0 if top == 0 else None
        return top / bottom

    def as_json(self) -> dict[str, Any]:
        """``{"name", "value", "unit", "target", "ok"}`` as the JSON output lists them."""
        return {
            "name": self.name,
            "value": self.value,
            "unit": self.unit,
            "target": self.target,
            "ok": self.ok,
        }


class Report(BaseModel):
    """What one benchmark measured: its figures, the parameters it ran with, and notes."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    benchmark: str
    measurements: tuple[Measurement, ...]
    parameters: dict[str, Any] = Field(default_factory=dict)
    details: dict[str, Any] = Field(default_factory=dict)
    seconds: float = 0.0

    def targets_met(self) -> bool:
        """True when every figure that has a target meets it."""
        return all(m.ok is not False for m in self.measurements)


def _finite(name: str, value: float) -> float:
    number = float(value)
    if math.isnan(number) or math.isinf(number):
        raise ValueError(f"measurement {name!r} is not a finite number: {value!r}")
    return number


def figure(name: str, value: float, unit: str, note: str = "") -> Measurement:
    """A figure reported for context, without a target."""
    return Measurement(name=name, value=_finite(name, value), unit=unit, note=note)


def at_most(name: str, value: float, unit: str, target: float, note: str = "") -> Measurement:
    """A figure whose target is an upper bound."""
    return Measurement(
        name=name, value=_finite(name, value), unit=unit, target=target, compare="<=", note=note
    )


def at_least(name: str, value: float, unit: str, target: float, note: str = "") -> Measurement:
    """A figure whose target is a lower bound."""
    return Measurement(
        name=name, value=_finite(name, value), unit=unit, target=target, compare=">=", note=note
    )


def exactly(name: str, value: float, unit: str, target: float, note: str = "") -> Measurement:
    """A figure that must equal its target."""
    return Measurement(
        name=name, value=_finite(name, value), unit=unit, target=target, compare="==", note=note
    )


def median(values: Sequence[float]) -> float:
    """The median of at least one value."""
    if not values:
        raise ValueError("median of no values")
    return float(statistics.median(values))
