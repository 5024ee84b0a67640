"""Batch runs: many simulations of one or more scenarios, on a local backend or on Ray.
May import daedalus.runs and everything below it.
"""

from __future__ import annotations

__all__: list[str] = []
