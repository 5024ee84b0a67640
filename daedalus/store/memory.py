"""The in-memory run store: the reference every other store must behave like."""

from __future__ import annotations

import threading
from datetime import datetime

from daedalus.errors import RunError
from daedalus.store._base import (
    DEFAULT_LIST_LIMIT,
    RunSummary,
    check_limit,
    check_status,
    no_runs,
    start_order,
    unknown_run,
    unleased,
)
from daedalus.store.lease import LEASE_TTL_S, Lease, busy, take
from daedalus.store.record import RunMeta, RunRecord, RunStatus

__all__ = ["MemoryRunStore"]

_WHERE = "the in-memory run store"


class MemoryRunStore:
    """A ``RunStore`` in a dict, safe to share between threads; gone when the process ends."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: dict[str, RunRecord] = {}
        self._created: dict[str, int] = {}
        self._leases: dict[str, Lease] = {}
        self._counter = 0

    def create_run(
        self, meta: RunMeta, *, owner: str | None = None, ttl_s: float = LEASE_TTL_S
    ) -> RunRecord:
        record = RunRecord(run=meta)
        with self._lock:
            if meta.id in self._records:
                raise RunError(f"run {meta.id!r} already exists in {_WHERE}; pick another id")
            self._put(record)
            if owner is not None:
                self._leases[meta.id] = take(None, meta.id, owner, ttl_s)
        return record

    def save_record(self, record: RunRecord) -> None:
        with self._lock:
            self._put(record)

    def update_status(
        self, run_id: str, status: RunStatus, completed_at: datetime | None = None
    ) -> RunRecord:
        check_status(status)
        with self._lock:
            record = self._get(run_id)
            changes: dict[str, object] = {"status": status}
            if completed_at is not None:
                changes["completed_at"] = completed_at
            updated = record.model_copy(update={"run": record.run.model_copy(update=changes)})
            self._records[run_id] = updated
        return updated

    def load_record(self, run_id: str) -> RunRecord:
        with self._lock:
            return self._get(run_id)

    def has_run(self, run_id: str) -> bool:
        with self._lock:
            return run_id in self._records

    def list_runs(
        self, template: str | None = None, limit: int = DEFAULT_LIST_LIMIT
    ) -> list[RunSummary]:
        check_limit(limit)
        with self._lock:
            chosen = [
                r for r in self._records.values() if template is None or r.run.template == template
            ]
            chosen.sort(key=self._newest_first)
            return [RunSummary.of(r, self._leases.get(r.run.id)) for r in chosen[:limit]]

    def latest_run_id(self) -> str:
        with self._lock:
            if not self._records:
                raise no_runs(_WHERE)
            return min(self._records.values(), key=self._newest_first).run.id

    def delete_run(self, run_id: str) -> None:
        with self._lock:
            self._get(run_id)
            del self._records[run_id]
            del self._created[run_id]
            self._leases.pop(run_id, None)

    def acquire_lease(
        self, run_id: str, owner: str, ttl_s: float = LEASE_TTL_S, *, replacing: str | None = None
    ) -> Lease:
        with self._lock:
            self._get(run_id)
            lease = take(self._leases.get(run_id), run_id, owner, ttl_s, replacing=replacing)
            self._leases[run_id] = lease
            return lease

    def renew_lease(self, run_id: str, owner: str, ttl_s: float = LEASE_TTL_S) -> Lease:
        with self._lock:
            self._get(run_id)
            current = self._leases.get(run_id)
            if current is None:
                raise unleased(run_id, owner)
            if current.owner != owner:
                raise busy(current)
            lease = take(current, run_id, owner, ttl_s)
            self._leases[run_id] = lease
            return lease

    def release_lease(self, run_id: str, owner: str) -> None:
        with self._lock:
            current = self._leases.get(run_id)
            if current is not None and current.owner == owner:
                del self._leases[run_id]

    def lease_of(self, run_id: str) -> Lease | None:
        with self._lock:
            self._get(run_id)
            return self._leases.get(run_id)

    def _put(self, record: RunRecord) -> None:
        run_id = record.run.id
        if run_id not in self._created:
            self._counter += 1
            self._created[run_id] = self._counter
        self._records[run_id] = record

    def _get(self, run_id: str) -> RunRecord:
        record = self._records.get(run_id)
        if record is None:
            raise unknown_run(run_id, _WHERE)
        return record

    def _newest_first(self, record: RunRecord) -> tuple[float, int]:
        return (-start_order(record.run.started_at), -self._created[record.run.id])
