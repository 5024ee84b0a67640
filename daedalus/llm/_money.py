"""Dollar amounts as exact decimals, so sums and caps compare the way people count money."""

from __future__ import annotations

from collections.abc import Iterable
from fractions import Fraction

__all__ = ["exact_dollars", "sum_dollars"]


def exact_dollars(amount: float) -> Fraction:
    """The decimal a float was written as (``0.1`` is one tenth, not its binary neighbour).

    Providers send costs as decimal JSON numbers, so the shortest decimal that reads back as
    the same float is the amount that was billed.
    """
    return Fraction(repr(float(amount)))


def sum_dollars(amounts: Iterable[float]) -> float:
    """The exact decimal sum of ``amounts``, rounded once to the nearest float."""
    return float(sum((exact_dollars(a) for a in amounts), Fraction(0)))
