"""The job queue between the API and the workers, and the events each run reports.

The API only ever enqueues: a job names what to do (``run`` a scenario, ``branch`` a run, run a
``batch``) and the run it concerns (a batch job's run id is the batch id, so its events are the
batch's). A worker (``daedalus.service.worker``) claims the oldest queued job, or a
job whose worker died (its process is gone, or its heartbeat stopped), and carries it out
through an ``Executor``; every progress event of the run is appended to the run's event log,
which the API streams (SSE). A job taken over from a dead worker resumes its run from the last
checkpoint, so nothing already paid for is paid again.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict

from daedalus.service._db import Database
from daedalus.store.lease import owner_is_dead

__all__ = [
    "JOB_STALE_S",
    "EventSink",
    "Executor",
    "Job",
    "JobKind",
    "JobQueue",
    "JobStatus",
    "RunEvent",
]

JobKind = Literal["run", "branch", "batch"]
JobStatus = Literal["queued", "running", "done", "failed"]

JOB_STALE_S = 30.0
"""A running job whose worker has not beaten for this long may be taken over."""

EventSink = Callable[[Mapping[str, Any]], None]
"""Receives a run's progress events (``{"event": "timepoint", ...}``) while a job runs."""


class Job(BaseModel):
    """One unit of work: what to do, for which run, for which key, and how it went."""

    model_config = ConfigDict(frozen=True)

    id: str
    kind: JobKind
    run_id: str
    batch_id: str | None
    key_id: str | None
    request: dict[str, Any]
    status: JobStatus
    owner: str | None
    attempts: int
    error: str | None
    created_at: datetime
    updated_at: datetime


class RunEvent(BaseModel):
    """One line of a run's event log, numbered from 1."""

    model_config = ConfigDict(frozen=True)

    seq: int
    at: datetime
    data: dict[str, Any]


class Executor(Protocol):
    """What carries a job out: the local executor calls ``daedalus.runs``; a batch backend
    may implement the same method to run the job elsewhere.

    ``execute`` returns when the job's run is complete and raises on failure; ``resumed`` is
    True when an earlier attempt was cut short (the run then continues from its checkpoint).
    """

    def execute(self, job: Job, events: EventSink, *, resumed: bool) -> None: ...


_JOB_COLUMNS = (
    "id, kind, run_id, batch_id, key_id, request, status, owner, attempts, error, created_at, "
    "updated_at"
)


def _now() -> datetime:
    return datetime.now(UTC)


def _job_of(row: tuple[Any, ...]) -> Job:
    (job_id, kind, run_id, batch_id, key_id, request, status, owner, attempts, error, created,
     updated) = row
    return Job(
        id=job_id, kind=kind, run_id=run_id, batch_id=batch_id, key_id=key_id,
        request=json.loads(request), status=status, owner=owner, attempts=attempts, error=error,
        created_at=datetime.fromisoformat(created), updated_at=datetime.fromisoformat(updated),
    )


class JobQueue:
    """The jobs and run events of one service database."""

    def __init__(self, db: Database, *, stale_s: float = JOB_STALE_S) -> None:
        self.db = db
        self.stale_s = stale_s

    def submit(
        self,
        kind: JobKind,
        run_id: str,
        request: Mapping[str, Any],
        *,
        key_id: str | None = None,
        batch_id: str | None = None,
        size: int | None = None,
    ) -> Job:
        """Enqueue a job and log the run's ``queued`` event."""
        return self.submit_many(
            [(kind, run_id, request)], key_id=key_id, batch_id=batch_id, size=size
        )[0]

    def submit_many(
        self,
        items: Sequence[tuple[JobKind, str, Mapping[str, Any]]],
        *,
        key_id: str | None = None,
        batch_id: str | None = None,
        size: int | None = None,
    ) -> list[Job]:
        """Enqueue several jobs in one transaction; with ``batch_id``, the batch of ``size``
        runs (default: one per job) is recorded in the same transaction."""
        moment = _now().isoformat()
        ids = []
        with self.db.write() as conn:
            if batch_id is not None:
                conn.execute(
                    "INSERT INTO batches (id, key_id, created_at, size) VALUES (?, ?, ?, ?)",
                    (batch_id, key_id, moment, len(items) if size is None else size),
                )
            for kind, run_id, request in items:
                job_id = f"job_{uuid.uuid4().hex[:12]}"
                conn.execute(
                    f"INSERT INTO jobs ({_JOB_COLUMNS}) VALUES "
                    "(?, ?, ?, ?, ?, ?, 'queued', NULL, 0, NULL, ?, ?)",
                    (job_id, kind, run_id, batch_id, key_id, json.dumps(dict(request)), moment,
                     moment),
                )
                self._event(conn, run_id, {"event": "queued", "job": job_id, "kind": kind})
                ids.append(job_id)
        return [self.get(job_id) for job_id in ids]

    def get(self, job_id: str) -> Job:
        with self.db.read() as conn:
            row = conn.execute(f"SELECT {_JOB_COLUMNS} FROM jobs WHERE id = ?", (job_id,))
            found = row.fetchone()
        if found is None:
            raise KeyError(job_id)
        return _job_of(found)

    def jobs_of_run(self, run_id: str) -> list[Job]:
        """The run's jobs, oldest first."""
        with self.db.read() as conn:
            rows = conn.execute(
                f"SELECT {_JOB_COLUMNS} FROM jobs WHERE run_id = ? ORDER BY seq", (run_id,)
            ).fetchall()
        return [_job_of(row) for row in rows]

    def jobs(
        self, *, status: JobStatus | None = None, batch_id: str | None = None,
        key_id: str | None = None, since: datetime | None = None,
    ) -> list[Job]:
        """Jobs matching every filter given, oldest first."""
        clauses, params = [], []
        for column, value in (("status", status), ("batch_id", batch_id), ("key_id", key_id)):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        if since is not None:
            clauses.append("created_at >= ?")
            params.append(since.isoformat())
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        with self.db.read() as conn:
            rows = conn.execute(
                f"SELECT {_JOB_COLUMNS} FROM jobs {where} ORDER BY seq", params
            ).fetchall()
        return [_job_of(row) for row in rows]

    def batches(self) -> list[tuple[str, datetime, int]]:
        """Every batch as (id, created, size), newest first."""
        with self.db.read() as conn:
            rows = conn.execute(
                "SELECT id, created_at, size FROM batches ORDER BY created_at DESC"
            ).fetchall()
        return [(r[0], datetime.fromisoformat(r[1]), int(r[2])) for r in rows]

    def has_batch(self, batch_id: str) -> bool:
        with self.db.read() as conn:
            row = conn.execute("SELECT 1 FROM batches WHERE id = ?", (batch_id,)).fetchone()
        return row is not None

    def claim(self, owner: str) -> tuple[Job, bool] | None:
        """Take the next job for ``owner``: a job whose worker died first (it is resumed),
        else the oldest queued one. Returns the job and whether it was taken over."""
        stale_before = (_now() - timedelta(seconds=self.stale_s)).isoformat()
        with self.db.write() as conn:
            running = conn.execute(
                "SELECT id, owner, heartbeat_at FROM jobs WHERE status = 'running' ORDER BY seq"
            ).fetchall()
            taken = next(
                (
                    job_id for job_id, holder, beat in running
                    if holder != owner and (owner_is_dead(str(holder)) or beat < stale_before)
                ),
                None,
            )
            resumed = taken is not None
            if taken is None:
                row = conn.execute(
                    "SELECT id FROM jobs WHERE status = 'queued' ORDER BY seq LIMIT 1"
                ).fetchone()
                if row is None:
                    return None
                taken = str(row[0])
            moment = _now().isoformat()
            conn.execute(
                "UPDATE jobs SET status = 'running', owner = ?, heartbeat_at = ?, "
                "attempts = attempts + 1, updated_at = ? WHERE id = ?",
                (owner, moment, moment, taken),
            )
        return self.get(taken), resumed

    def heartbeat(self, job_id: str, owner: str) -> None:
        moment = _now().isoformat()
        with self.db.write() as conn:
            conn.execute(
                "UPDATE jobs SET heartbeat_at = ? WHERE id = ? AND owner = ?",
                (moment, job_id, owner),
            )

    def finish(self, job_id: str, owner: str, *, error: str | None = None) -> None:
        """Mark ``owner``'s job done (or failed with ``error``)."""
        status = "done" if error is None else "failed"
        with self.db.write() as conn:
            conn.execute(
                "UPDATE jobs SET status = ?, error = ?, updated_at = ? WHERE id = ? AND owner = ?",
                (status, error, _now().isoformat(), job_id, owner),
            )

    def append_event(self, run_id: str, data: Mapping[str, Any]) -> int:
        """Append an event to the run's log; returns its number."""
        with self.db.write() as conn:
            return self._event(conn, run_id, data)

    def events(self, run_id: str, after: int = 0, limit: int = 500) -> list[RunEvent]:
        """The run's events numbered above ``after``, oldest first."""
        with self.db.read() as conn:
            rows = conn.execute(
                "SELECT seq, at, json FROM events WHERE run_id = ? AND seq > ? ORDER BY seq "
                "LIMIT ?", (run_id, after, limit),
            ).fetchall()
        return [
            RunEvent(seq=seq, at=datetime.fromisoformat(at), data=json.loads(text))
            for seq, at, text in rows
        ]

    def last_event(self, run_id: str) -> RunEvent | None:
        """The run's latest event, if it has any."""
        with self.db.read() as conn:
            row = conn.execute(
                "SELECT seq, at, json FROM events WHERE run_id = ? ORDER BY seq DESC LIMIT 1",
                (run_id,),
            ).fetchone()
        if row is None:
            return None
        return RunEvent(seq=row[0], at=datetime.fromisoformat(row[1]), data=json.loads(row[2]))

    @staticmethod
    def _event(conn: Any, run_id: str, data: Mapping[str, Any]) -> int:
        row = conn.execute(
            "SELECT COALESCE(MAX(seq), 0) FROM events WHERE run_id = ?", (run_id,)
        ).fetchone()
        seq = int(row[0]) + 1
        conn.execute(
            "INSERT INTO events (run_id, seq, at, json) VALUES (?, ?, ?, ?)",
            (run_id, seq, _now().isoformat(), json.dumps(dict(data), default=str)),
        )
        return seq
