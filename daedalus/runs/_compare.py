"""``compare``: convergence across runs of one template (outcome similarity, role stability).

Outcome similarity is the mean pairwise overlap (Jaccard over content words) of how each run
ended: its last main-line moment and the last dialog's lines. Role stability asks whether each
entity plays the same part across runs: its share of dialog turns should not swing; stability is
``1 - spread / mean`` of that share (clamped to [0, 1]).
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Sequence
from itertools import combinations

from pydantic import BaseModel, ConfigDict

from daedalus.errors import ConfigError
from daedalus.runs._run import Run

__all__ = ["Convergence", "compare"]

_WORD = re.compile(r"[a-z]{4,}")


class Convergence(BaseModel):
    model_config = ConfigDict(frozen=True)

    template: str
    runs: tuple[str, ...]
    outcome_similarity: float
    role_stability: dict[str, float]
    mean_role_stability: float


def _ending(run: Run) -> set[str]:
    main = [tp for tp in run.timepoints if tp.branch_id == "main" and tp.moment_of is None]
    text = main[-1].event_description if main else ""
    if run.dialogs:
        text += " " + " ".join(turn.content for turn in run.dialogs[-1].turns)
    return set(_WORD.findall(text.lower()))


def _shares(run: Run) -> dict[str, float]:
    turns = [turn.speaker for dialog in run.dialogs for turn in dialog.turns]
    return {e: turns.count(e) / len(turns) for e in run.entities} if turns else {}


def compare(runs: Sequence[Run]) -> Convergence:
    """Convergence of two or more runs of the same template."""
    if len(runs) < 2:
        raise ConfigError("compare needs at least two runs")
    templates = {run.record.run.template for run in runs}
    if len(templates) != 1:
        raise ConfigError(f"compare needs runs of one template, got {sorted(templates)}")
    endings = [_ending(run) for run in runs]
    pairs = [
        len(a & b) / len(a | b) if a | b else 1.0 for a, b in combinations(endings, 2)
    ]
    shares = [_shares(run) for run in runs]
    stability: dict[str, float] = {}
    for entity in sorted(set().union(*shares)):
        values = [share.get(entity, 0.0) for share in shares]
        mean = statistics.fmean(values)
        spread = statistics.pstdev(values)
        stability[entity] = round(max(0.0, 1.0 - spread / mean), 4) if mean else 1.0
    return Convergence(
        template=templates.pop(),
        runs=tuple(run.id for run in runs),
        outcome_similarity=round(statistics.fmean(pairs), 4),
        role_stability=stability,
        mean_role_stability=round(statistics.fmean(stability.values()), 4) if stability else 1.0,
    )
