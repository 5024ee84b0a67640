"""``Run``: a finished (or interrupted) run, read from the run store."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from daedalus.domain import Dialog, Entity, ExposureEvent, Relationship, Timepoint
from daedalus.exports import EXPORT_FORMATS, write_exports
from daedalus.llm.ledger import Ledger
from daedalus.store import SqliteRunStore, StoreLayout
from daedalus.store.record import RunRecord

__all__ = ["Run"]


class Run:
    """A run as stored: its timeline, cast, knowledge, dialogs, costs and mechanisms.

    ``knowledge_at`` answers from provenance (M3, M7); ``query`` (M5) elevates resolution
    where it lands and answers from provenance with a model; ``export`` writes every format.
    """

    def __init__(self, record: RunRecord, layout: StoreLayout) -> None:
        self.record = record
        self.layout = layout

    def __repr__(self) -> str:
        return (
            f"Run({self.id!r}, template={self.record.run.template!r}, "
            f"mode={self.record.run.mode.value!r}, status={self.status!r})"
        )

    @property
    def id(self) -> str:
        return self.record.run.id

    @property
    def status(self) -> str:
        return self.record.run.status

    @property
    def offline(self) -> bool:
        return self.record.used_offline

    @property
    def timepoints(self) -> tuple[Timepoint, ...]:
        return self.record.timepoints

    @property
    def entities(self) -> dict[str, Entity]:
        return {entity.id: entity for entity in self.record.entities}

    @property
    def exposures(self) -> tuple[ExposureEvent, ...]:
        return self.record.exposures

    @property
    def dialogs(self) -> tuple[Dialog, ...]:
        return self.record.dialogs

    @property
    def relationships(self) -> dict[str, Relationship]:
        return dict(self.record.relationships)

    @property
    def ledger(self) -> Ledger:
        return self.record.ledger_view()

    @property
    def mechanisms(self) -> dict[str, int]:
        return self.record.mechanism_counts()

    def knowledge_at(self, entity_id: str, timepoint_id: str) -> tuple[ExposureEvent, ...]:
        """What ``entity_id`` could know at ``timepoint_id``: exposures causally upstream."""
        return self.record.knowledge_at(entity_id, timepoint_id)

    def summary(self) -> dict[str, Any]:
        """Headline figures: timepoints (of which ``detail_moments``: the beats M8 wrote inside
        a moment, ids ending ``.m1``, ``.m2``, ...), dialogs, calls, tokens, dollars (billed, and
        the worst case of requests in doubt), mechanisms fired."""
        totals = self.ledger.totals()
        fired = sorted((k for k, v in self.mechanisms.items() if v), key=lambda k: int(k[1:]))
        return {
            "run": self.id,
            "template": self.record.run.template,
            "mode": self.record.run.mode.value,
            "status": self.status,
            "model": self.record.run.model,
            "offline": self.offline,
            "timepoints": len(self.timepoints),
            "detail_moments": sum(1 for tp in self.timepoints if tp.moment_of is not None),
            "dialogs": len(self.dialogs),
            "turns": sum(len(d.turns) for d in self.dialogs),
            "exposures": len(self.exposures),
            "calls": totals.calls,
            "cache_hits": totals.cache_hits,
            "prompt_tokens": totals.prompt_tokens,
            "completion_tokens": totals.completion_tokens,
            "cost_usd": totals.cost_usd,
            "in_doubt_calls": totals.in_doubt,
            "in_doubt_usd": totals.in_doubt_usd,
            "mechanisms_fired": fired,
        }

    def export(
        self, out: str | os.PathLike[str] | None = None, formats: Sequence[str] = EXPORT_FORMATS
    ) -> dict[str, Path]:
        """Write the exports (default: ``<store>/exports/<run id>/``); returns the paths."""
        target = Path(out) if out is not None else self.layout.exports_dir(self.id)
        return write_exports(self.record, target, formats=formats)

    def query(self, question: str, *, model: str | None = None) -> Any:
        """Ask about an entity at a moment (M5 lazy resolution, M9 for unknown names).

        Returns a ``daedalus.graphs.query.QueryAnswer``; the elevated resolution is saved
        to the run.
        """
        from daedalus.runs._query import ask

        answer, record = ask(self, question, model=model)
        self.record = record
        return answer

    def refresh(self) -> Run:
        """Re-read the run from the store (after a resume or a branch elsewhere)."""
        with SqliteRunStore(self.layout.runs_db) as runs:
            self.record = runs.load_record(self.id)
        return self
