"""Numbers for JSON schemas: bounds (inclusive, exclusive, or guessed from the default) and
``multipleOf``, drawn from a ``Dice`` stream."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from daedalus.errors import ModelRequestError
from daedalus.llm._dice import Dice

__all__ = ["integer_for", "number_for"]


def integer_for(schema: Mapping[str, Any], dice: Dice) -> int:
    """A whole number within the schema's bounds, a multiple of ``multipleOf`` if set."""
    low, high = _bounds(schema, integer=True)
    step = schema.get("multipleOf")
    if isinstance(step, int | float) and step > 0:
        first, last = math.ceil(low / step), math.floor(high / step)
        if last < first:
            raise ModelRequestError(f"no multiple of {step} lies in [{low}, {high}]")
        return int(dice.between(int(first), int(last)) * step)
    return dice.between(int(low), int(high))


def number_for(schema: Mapping[str, Any], dice: Dice) -> float:
    """A number within the schema's bounds (rounded to thousandths unless ``multipleOf``)."""
    low, high = _bounds(schema, integer=False)
    step = schema.get("multipleOf")
    if isinstance(step, int | float) and step > 0:
        first, last = math.ceil(low / step), math.floor(high / step)
        if last < first:
            raise ModelRequestError(f"no multiple of {step} lies in [{low}, {high}]")
        multiple = dice.between(int(first), int(last))
        value = round(multiple * step, 10)  # 73 * 0.1 is 7.300000000000001 in binary
        return value if low <= value <= high else float(multiple * step)
    value = round(low + dice.unit() * (high - low), 3)
    return min(max(value, low), high)


def _bounds(schema: Mapping[str, Any], *, integer: bool) -> tuple[float, float]:
    """The closed interval the number must lie in; open bounds are shrunk (by 1 for
    integers, by a thousandth of the span for numbers). A missing bound is set from the
    default when there is one (``ge=0, default=100`` spans 0..200), else 10 (or 1) away."""
    low: float | None = schema.get("minimum")
    high: float | None = schema.get("maximum")
    exclusive_low = schema.get("exclusiveMinimum")
    exclusive_high = schema.get("exclusiveMaximum")
    span_guess = 10.0 if integer else 1.0
    if exclusive_low is not None:
        low = max(low, exclusive_low) if low is not None else exclusive_low
    if exclusive_high is not None:
        high = min(high, exclusive_high) if high is not None else exclusive_high
    default = schema.get("default")
    middle = None
    if isinstance(default, int | float) and not isinstance(default, bool):
        middle = float(default)
    if middle is not None:  # an open side reaches as far past the default as the known side
        half = max(abs(middle), span_guess / 2)
        if low is None:
            low = middle - half if high is None else min(middle - half, high - span_guess)
        if high is None:
            high = max(middle + (middle - low), low + span_guess)
    if low is None and high is None:
        low, high = 0.0, span_guess
    elif low is None:
        low = high - span_guess if high is not None else 0.0
    elif high is None:
        high = low + span_guess
    assert low is not None and high is not None
    nudge = 1.0 if integer else max((high - low) / 1000.0, 1e-9)
    if exclusive_low is not None and low == exclusive_low:
        low += nudge
    if exclusive_high is not None and high == exclusive_high:
        high -= nudge
    if integer:
        low, high = math.ceil(low), math.floor(high)
    if high < low:
        raise ModelRequestError(f"no number lies between {low} and {high}")
    return low, high
