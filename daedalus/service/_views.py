"""A run record seen from the API and the dashboard: plain JSON values, computed on demand.

Nothing here is stored: the timeline graph (branches as a tree, the PORTAL search per slot),
relationships over time (M13), knowledge at a moment (M3, M7), dialogs and costs are derived
from the record each time they are asked for.
"""

from __future__ import annotations

from typing import Any

from daedalus.errors import ProvenanceError
from daedalus.exports._portal_report import portal_json
from daedalus.service._problems import ProblemError
from daedalus.service._schemas import KnowledgeAnswer, KnownItem, RunItem
from daedalus.service.jobs import Job
from daedalus.store import RunSummary
from daedalus.store.record import RunRecord

__all__ = [
    "costs_view",
    "dialogs_view",
    "item_of",
    "knowledge_view",
    "queued_item",
    "relationships_view",
    "timeline_view",
]


def item_of(summary: RunSummary) -> RunItem:
    return RunItem(**summary.model_dump(mode="python"))


def queued_item(job: Job) -> RunItem:
    """A run whose job has not made its record yet."""
    request = job.request
    return RunItem(
        id=job.run_id, template=str(request.get("template") or "(yaml)"), mode="-",
        model=str(request.get("model") or "default"),
        status="failed" if job.status == "failed" else "queued", timepoints=0, dialogs=0,
        calls=0, tokens=0, cost_usd=0.0, offline=False, started_at=job.created_at,
        completed_at=None,
    )


def timeline_view(record: RunRecord) -> dict[str, Any]:
    """Moments as a graph (edges from causal parents), branches, and the PORTAL search."""
    dialogs_at: dict[str, int] = {}
    for dialog in record.dialogs:
        dialogs_at[dialog.timepoint_id] = dialogs_at.get(dialog.timepoint_id, 0) + 1
    order = {tp.id: index for index, tp in enumerate(record.story_order())}
    nodes = [
        {
            "id": tp.id,
            "label": tp.event_description,
            "branch": tp.branch_id,
            "timestamp": tp.timestamp.isoformat(),
            "importance": tp.importance,
            "parent": tp.causal_parent,
            "present": list(tp.entities_present),
            "dialogs": dialogs_at.get(tp.id, 0),
            "order": order.get(tp.id),
        }
        for tp in record.causal_order()
    ]
    known = {tp.id for tp in record.timepoints}
    edges = [
        {"source": tp.causal_parent, "target": tp.id}
        for tp in record.timepoints
        if tp.causal_parent is not None and tp.causal_parent in known
    ]
    portal = portal_json(record)
    return {
        "run_id": record.run.id,
        "mode": record.run.mode.value,
        "nodes": nodes,
        "edges": edges,
        "branches": [b.model_dump(mode="json") for b in record.branches],
        "portal": {"slots": portal.get("report", []), "pivots": portal.get("pivots", [])},
    }


def relationships_view(record: RunRecord) -> dict[str, Any]:
    """The cast and, after each moment, the relationships as they stood then (M13)."""
    entities = [
        {"id": e.id, "name": e.name, "kind": e.kind.value, "role": e.role}
        for e in record.entities
    ]
    current: dict[str, dict[str, Any]] = {}
    frames = []
    for tp in record.causal_order():
        snapshot = record.snapshot_at(tp.id)
        if snapshot is None:
            continue
        for key, rel in snapshot.relationships.items():
            current[key] = rel.model_dump(mode="json")
        frames.append({"timepoint": tp.id, "relationships": list(current.values())})
    final = [rel.model_dump(mode="json") for rel in record.relationships.values()]
    return {"run_id": record.run.id, "entities": entities, "frames": frames, "final": final}


def dialogs_view(record: RunRecord) -> list[dict[str, Any]]:
    """Every dialog in story order with its speakers' names."""
    position = {tp.id: index for index, tp in enumerate(record.story_order())}
    dialogs = sorted(record.dialogs, key=lambda d: position.get(d.timepoint_id, 0))
    return [
        {
            "id": d.id,
            "timepoint": d.timepoint_id,
            "participants": [record.name_of(p) for p in d.participants],
            "turns": [
                {
                    "speaker": record.name_of(t.speaker),
                    "content": t.content,
                    "tone": t.emotional_tone,
                }
                for t in d.turns
            ],
        }
        for d in dialogs
    ]


def costs_view(record: RunRecord) -> dict[str, Any]:
    """Calls, tokens and dollars of the run, by node and by model."""
    ledger = record.ledger_view()

    def rows(groups: dict[str, Any]) -> list[dict[str, Any]]:
        return [
            {"name": name, **totals.model_dump(), "tokens": totals.total_tokens}
            for name, totals in sorted(groups.items())
        ]

    return {
        "run_id": record.run.id,
        "offline": record.used_offline,
        "total": ledger.totals().model_dump(),
        "by_node": rows(ledger.by_node()),
        "by_model": rows(ledger.by_model()),
    }


def knowledge_view(record: RunRecord, entity_id: str, timepoint_id: str) -> KnowledgeAnswer:
    """What ``entity_id`` could know at ``timepoint_id`` (a 404 for an unknown one)."""
    if record.entity(entity_id) is None:
        raise ProblemError(404, "not-found", f"run {record.run.id!r} has no entity {entity_id!r}")
    try:
        known = record.knowledge_at(entity_id, timepoint_id)
    except ProvenanceError as exc:
        raise ProblemError(404, "not-found", str(exc)) from None
    return KnowledgeAnswer(
        run_id=record.run.id,
        entity=entity_id,
        entity_name=record.name_of(entity_id),
        timepoint=timepoint_id,
        known=[
            KnownItem(
                id=e.id, kind=e.kind.value, information=e.information, source=e.source,
                source_name=record.name_of(e.source), timepoint_id=e.timepoint_id,
                confidence=e.confidence,
            )
            for e in known
        ],
    )
