"""Helpers shared by the batch tests: a quick spec and a digest of what a run produced."""

from __future__ import annotations

import hashlib
from typing import Any

from daedalus.runs import Run

QUICK = {"timeline.steps": 2, "dialog.max_turns": 2}
"""Overrides that make board_meeting a run of a few offline calls."""


def digest(run: Run) -> str:
    """A hash of a run's outputs: moments, exposures and dialog lines, in order."""
    parts: list[Any] = [tp.event_description for tp in run.timepoints]
    parts += [(e.entity_id, e.information) for e in run.exposures]
    parts += [(t.speaker, t.content) for d in run.dialogs for t in d.turns]
    return hashlib.sha256(repr(parts).encode("utf-8")).hexdigest()


def paid_calls(run: Run) -> int:
    """Model calls a run paid for (its ledger rows that were not answered from the cache)."""
    totals = run.ledger.totals()
    return totals.calls - totals.cache_hits
