"""Small column helpers the systems share: grouped sums and safe ratios."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["DAY", "group_sum", "per_weight", "ratio", "working_age"]

DAY = 365.0
"""Days per year: ages are kept in days, yearly rates are divided by this."""


def group_sum(keys: NDArray[Any], weights: NDArray[Any], groups: int) -> NDArray[np.float64]:
    """The sum of ``weights`` per key in ``0..groups-1`` (float64, so money sums stay exact)."""
    sums = np.bincount(
        keys.astype(np.int64, copy=False), weights=weights.astype(np.float64, copy=False),
        minlength=groups,
    )
    return np.asarray(sums, dtype=np.float64)


def ratio(top: NDArray[Any], bottom: NDArray[Any], empty: float = 0.0) -> NDArray[np.float64]:
    """``top / bottom`` elementwise, ``empty`` where ``bottom`` is zero."""
    bottom64 = bottom.astype(np.float64)
    safe = np.where(bottom64 != 0, bottom64, 1.0)
    return np.where(bottom64 != 0, top / safe, empty)


def per_weight(values: NDArray[Any], weight: NDArray[Any]) -> NDArray[np.float64]:
    """``values / weight`` where the weight is positive, 0 elsewhere (unused slots)."""
    out = np.zeros(values.shape, dtype=np.float64)
    np.divide(values, weight, out=out, where=weight > 0)
    return out


def working_age(
    age_days: NDArray[Any], alive: NDArray[np.bool_], pension_age_years: int
) -> NDArray[np.bool_]:
    """Alive persons from 18 up to the pension age."""
    return alive & (age_days >= 18 * DAY) & (age_days < pension_age_years * DAY)
