"""Runs a mode graph on a checkpoint thread and keeps the run store up to date.

The graph runs under the store's checkpointer (thread id = run id), so a run killed at
any point resumes from its last superstep; every model answer is in the store's response cache,
so nothing already paid for is paid again; every ledger row is stored the moment it exists.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

from langchain_core.runnables import RunnableConfig

from daedalus.context import RunContext
from daedalus.domain import TemporalMode
from daedalus.errors import StateConflictError
from daedalus.graphs.branching import BranchSpec, fork_branch
from daedalus.graphs.modes import build_graph, recursion_limit_for
from daedalus.llm.router import Router
from daedalus.runs._lease import HeldLease
from daedalus.scenario import Scenario
from daedalus.state import add_counts
from daedalus.store import Store
from daedalus.store.record import RunMeta, RunRecord

T = TypeVar("T")

__all__ = ["Execution", "ProgressSink", "merge_branch", "now", "record_state", "run_coroutine"]

ProgressSink = Callable[[Mapping[str, Any]], None]
"""Receives the graphs' custom progress events (``{"event": "timepoint", ...}``)."""


def now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Execution:
    """Everything one process needs to drive a run's graph."""

    scenario: Scenario
    meta: RunMeta
    store: Store
    router: Router
    seed: int
    progress: ProgressSink | None = None
    lease: HeldLease | None = None

    @property
    def config(self) -> RunnableConfig:
        return {
            "configurable": {"thread_id": self.meta.id},
            "recursion_limit": recursion_limit_for(self.scenario),
        }

    @property
    def context(self) -> RunContext:
        return RunContext(router=self.router, seed=self.seed)

    def record(self, values: Mapping[str, Any], *, status: str) -> RunRecord:
        """The run record of ``values`` with every ledger row written so far."""
        # A branch added to a finished run keeps the run's own completion time.
        done = (self.meta.completed_at or now()) if status == "completed" else None
        meta = self.meta.model_copy(update={"status": status, "completed_at": done})
        rows = self.store.call_log(self.meta.id).read()
        selections = sum(1 for row in rows if row.selected)
        if selections:  # M18 works in the router, outside the graph state: count its choices
            values = {**values, "mechanisms": {**values.get("mechanisms", {}), "M18": selections}}
        return RunRecord.from_state(values, meta=meta, ledger=rows)

    def save(self, values: Mapping[str, Any], *, status: str) -> RunRecord:
        """Save the record of ``values``; refused once another process took the run's lease."""
        if self.lease is not None:
            self.lease.check()
        record = self.record(values, status=status)
        self.store.runs.save_record(record)
        return record

    async def drive(self, graph_input: Mapping[str, Any] | None) -> dict[str, Any]:
        """Run (or resume, with ``graph_input=None``) the graph to its end; returns the final
        state, with BRANCHING runs' branches merged in. On any failure the partial record is
        saved as ``interrupted`` before the error propagates."""
        async with self.store.checkpointer() as saver:
            app = build_graph(self.scenario.mode).compile(checkpointer=saver)
            latest: dict[str, Any] = {}
            if graph_input is None and (await app.aget_state(self.config)).created_at is None:
                graph_input = {"scenario": self.scenario}  # stopped before its first checkpoint
            try:
                async for kind, chunk in app.astream(
                    graph_input,
                    self.config,
                    context=self.context,
                    stream_mode=["custom", "values"],
                ):
                    if kind == "custom" and self.progress is not None:
                        self.progress(cast(Mapping[str, Any], chunk))
                    elif kind == "values":
                        latest = cast(dict[str, Any], chunk)
                values = dict((await app.aget_state(self.config)).values or latest)
                if self.scenario.mode is TemporalMode.BRANCHING:
                    for spec in values.get("branch_plan") or []:
                        values = await self._branch(app, values, spec)
            except BaseException:
                snapshot = await app.aget_state(self.config)
                self.save(dict(snapshot.values or latest), status="interrupted")
                raise
            return values

    async def _branch(self, app: Any, values: dict[str, Any], spec: BranchSpec) -> dict[str, Any]:
        if self.progress is not None:
            self.progress({"event": "branch", "id": spec.id, "fork": spec.fork_timepoint})
        # fork_branch continues a branch thread an earlier process left unfinished.
        seeded, final = await fork_branch(
            app, self.config, spec, context=self.context,
            recursion_limit=recursion_limit_for(self.scenario), progress=self.progress,
        )
        return merge_branch(values, seeded, final, spec)


_FINDINGS = frozenset({"validation", "contradictions"})
"""Logs whose ids are per line, not per branch: a branch's own finding is renamed, not lost."""


def record_state(record: RunRecord) -> dict[str, Any]:
    """A run record as graph-state-shaped values (for merging a new branch into it)."""
    return {
        "scenario": record.scenario,
        "entities": {entity.id: entity for entity in record.entities},
        "timepoints": list(record.timepoints),
        "exposures": list(record.exposures),
        "withheld": {e: list(ids) for e, ids in record.withheld.items()},
        "dialogs": list(record.dialogs),
        "relationships": dict(record.relationships),
        "cognitive": dict(record.cognitive),
        "physical": dict(record.physical),
        "environment": record.environment,
        "snapshots": {s.timepoint_id: s for s in record.snapshots},
        "contradictions": list(record.contradictions),
        "portal": record.portal,
        "mechanisms": dict(record.mechanisms),
        "validation": list(record.validation),
        "phi": {e: dict(m) for e, m in record.phi.items()},
        "resolution": {e: dict(m) for e, m in record.resolution.items()},
        "presentation_order": list(record.presentation_order),
        "prophecies": list(record.prophecies),
        "branches": [{"id": b.id, "intervention": b.intervention} for b in record.branches],
    }


def merge_branch(
    parent: Mapping[str, Any],
    seeded: Mapping[str, Any],
    final: Mapping[str, Any],
    spec: BranchSpec,
) -> dict[str, Any]:
    """``parent`` plus what the branch added after its seed (M12).

    Logs gain the branch's new items (their ids are branch-prefixed, so the parent's are never
    replaced); a branch finding whose id the parent already uses for another finding (the
    mode's verdict numbers its records from 0 on every line) is kept as ``<branch>:<id>``.
    Mechanism counts gain the branch's own counts; the branch's intervention is kept under
    ``branches``. Per-entity maps keep the parent's latest values. Raises
    ``StateConflictError`` when the branch holds a different moment, exposure or dialog under
    an id of the parent's.
    """
    merged = dict(parent)
    for key in ("timepoints", "exposures", "dialogs", "validation", "contradictions"):
        have = {item.id: item for item in merged.get(key, [])}
        seeded_ids = {item.id for item in seeded.get(key, [])}
        added = []
        for item in final.get(key, []):
            if item.id in seeded_ids or have.get(item.id) == item:
                continue
            if item.id in have:
                if key not in _FINDINGS:
                    raise StateConflictError(
                        f"branch {spec.id!r} holds another {key[:-1]} under the parent's id "
                        f"{item.id!r}"
                    )
                item = item.model_copy(update={"id": f"{spec.id}:{item.id}"})
                if item.id in have:
                    continue
            have[item.id] = item
            added.append(item)
        merged[key] = [*merged.get(key, []), *added]
    snapshots = dict(merged.get("snapshots", {}))
    for moment, snapshot in final.get("snapshots", {}).items():
        snapshots.setdefault(moment, snapshot)  # the branch's own moments (ids branch-prefixed)
    merged["snapshots"] = snapshots
    for key in ("phi", "resolution"):
        combined = {e: dict(m) for e, m in merged.get(key, {}).items()}
        for entity, cells in final.get(key, {}).items():
            combined.setdefault(entity, {}).update(cells)
        merged[key] = combined
    seeded_counts = seeded.get("mechanisms", {})
    own = {
        k: v - seeded_counts.get(k, 0)
        for k, v in final.get("mechanisms", {}).items()
        if v - seeded_counts.get(k, 0) > 0
    }
    merged["mechanisms"] = add_counts(merged.get("mechanisms", {}), own)
    branches = [b for b in merged.get("branches", []) if b.get("id") != spec.id]
    merged["branches"] = [*branches, {"id": spec.id, "intervention": spec.intervention}]
    return merged


def run_coroutine(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` to completion from sync code, even when a loop is already running
    (notebooks): then it runs on a fresh loop in a worker thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()
