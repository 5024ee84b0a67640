"""``run.json``: the whole run as one JSON document with a fixed shape.

Top-level keys, always all present: ``run``, ``entities``, ``timepoints``, ``exposures``,
``dialogs``, ``relationships``, ``branches``, ``portal``, ``ledger``, ``mechanisms``
(M1..M19, 0 when unused), ``validation`` and ``shadow_report`` (ADPRS predicted band against
the level used). Ids and timestamps are strings, resolution levels their labels. Timepoints
come in the order the run tells them (``RunRecord.story_order``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from daedalus.domain import Entity, ResolutionLevel, Timepoint
from daedalus.exports._files import write_text
from daedalus.exports._portal_report import portal_json
from daedalus.kernel.adprs import band
from daedalus.llm.ledger import UsageTotals
from daedalus.store.record import RunRecord

__all__ = ["RUN_JSON_KEYS", "run_document", "write_run_json"]

RUN_JSON_KEYS: tuple[str, ...] = (
    "run",
    "entities",
    "timepoints",
    "exposures",
    "dialogs",
    "relationships",
    "branches",
    "portal",
    "ledger",
    "mechanisms",
    "validation",
    "shadow_report",
)
"""The top-level keys of ``run.json``, in file order."""


def run_document(record: RunRecord) -> dict[str, Any]:
    """The ``run.json`` document of ``record`` as plain JSON values."""
    meta = record.run
    return {
        "run": {
            "id": meta.id,
            "template": meta.template,
            "mode": meta.mode.value,
            "seed": meta.seed,
            "model": meta.model,
            "offline": record.used_offline,
            "status": meta.status,
            "started_at": meta.started_at.isoformat(),
            "completed_at": _iso(meta.completed_at),
        },
        "entities": [_entity(record, entity) for entity in record.entities],
        "timepoints": [_timepoint(record, tp) for tp in record.story_order()],
        "exposures": [
            {
                "id": e.id,
                "entity_id": e.entity_id,
                "kind": e.kind.value,
                "information": e.information,
                "source": e.source,
                "timepoint_id": e.timepoint_id,
                "timestamp": _iso(e.timestamp),
                "confidence": e.confidence,
            }
            for e in record.exposures
        ],
        "dialogs": [
            {
                "id": d.id,
                "timepoint_id": d.timepoint_id,
                "participants": list(d.participants),
                "turns": [
                    {
                        "speaker": t.speaker,
                        "content": t.content,
                        "emotional_tone": t.emotional_tone,
                        "confidence": t.confidence,
                        "knowledge_references": list(t.knowledge_references),
                    }
                    for t in d.turns
                ],
            }
            for d in record.dialogs
        ],
        "relationships": [
            record.relationships[key].model_dump(mode="json")
            for key in sorted(record.relationships)
        ],
        "branches": [b.model_dump(mode="json") for b in record.branches],
        "portal": portal_json(record),
        "ledger": _ledger(record),
        "mechanisms": record.mechanism_counts(),
        "validation": [v.model_dump(mode="json") for v in record.validation],
        "shadow_report": _shadow(record),
    }


def write_run_json(record: RunRecord, path: str | os.PathLike[str]) -> Path:
    """Write ``run_document(record)`` to ``path`` (indented, keys in the documented order)."""
    text = json.dumps(run_document(record), indent=2, ensure_ascii=False) + "\n"
    return write_text(path, text)


def _iso(value: Any) -> str | None:
    return None if value is None else str(value.isoformat())


def _entity(record: RunRecord, entity: Entity) -> dict[str, Any]:
    mind = record.cognitive.get(entity.id)
    body = record.physical.get(entity.id)
    return {
        "id": entity.id,
        "name": entity.name,
        "kind": entity.kind.value,
        "role": entity.role,
        "traits": list(entity.traits),
        "metadata": {
            **entity.metadata.model_dump(mode="json"),
            "resolution": entity.metadata.resolution.label,
        },
        "cognitive": None if mind is None else mind.model_dump(mode="json"),
        "physical": None if body is None else body.model_dump(mode="json"),
    }


def _timepoint(record: RunRecord, tp: Timepoint) -> dict[str, Any]:
    levels = {
        entity_id: by_tp[tp.id].label
        for entity_id, by_tp in sorted(record.resolution.items())
        if tp.id in by_tp
    }
    return {
        "id": tp.id,
        "timestamp": tp.timestamp.isoformat(),
        "causal_parent": tp.causal_parent,
        "event": tp.event_description,
        "entities_present": list(tp.entities_present),
        "importance": tp.importance,
        "branch": tp.branch_id,
        "resolution": levels,
    }


def _usage(totals: UsageTotals) -> dict[str, Any]:
    return {
        "calls": totals.calls,
        "prompt_tokens": totals.prompt_tokens,
        "completion_tokens": totals.completion_tokens,
        "cost_usd": totals.cost_usd,
    }


def _ledger(record: RunRecord) -> dict[str, Any]:
    ledger = record.ledger_view()
    return {
        **_usage(ledger.totals()),
        "by_node": {name: _usage(t) for name, t in ledger.by_node().items()},
        "by_model": {name: _usage(t) for name, t in ledger.by_model().items()},
    }


def _label(level: ResolutionLevel | None) -> str | None:
    return None if level is None else level.label


def _shadow(record: RunRecord) -> dict[str, Any]:
    report = record.shadow_report()
    position = {tp.id: index for index, tp in enumerate(record.causal_order())}
    cells = sorted(
        {(e, tp) for e, by_tp in record.phi.items() for tp in by_tp}
        | {(e, tp) for e, by_tp in record.resolution.items() for tp in by_tp},
        key=lambda cell: (cell[0], position.get(cell[1], len(position)), cell[1]),
    )
    return {
        "evaluations": report.evaluations,
        "divergent": report.divergent,
        "divergence_rate": report.divergence_rate,
        "mean_divergence": report.mean_divergence,
        "actual_above": report.actual_above,
        "actual_below": report.actual_below,
        "predicted_only": report.predicted_only,
        "actual_only": report.actual_only,
        "rows": [
            {
                "entity_id": row.entity_id,
                "evaluations": row.evaluations,
                "divergent": row.divergent,
                "phi_min": row.phi_min,
                "phi_max": row.phi_max,
                "predicted_bands": [level.label for level in row.predicted_bands],
                "actual_levels": [level.label for level in row.actual_levels],
            }
            for row in report.rows
        ],
        "cells": [_cell(record, entity_id, tp_id) for entity_id, tp_id in cells],
    }


def _cell(record: RunRecord, entity_id: str, timepoint_id: str) -> dict[str, Any]:
    phi = record.phi.get(entity_id, {}).get(timepoint_id)
    return {
        "entity_id": entity_id,
        "timepoint_id": timepoint_id,
        "phi": phi,
        "predicted": None if phi is None else band(phi).label,
        "actual": _label(record.resolution.get(entity_id, {}).get(timepoint_id)),
    }
