"""The run store seam: the protocol both stores implement and the summary they list."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol, cast, runtime_checkable

from pydantic import BaseModel, ConfigDict

from daedalus.domain import TemporalMode
from daedalus.errors import ConfigError, RunError
from daedalus.llm._money import sum_dollars
from daedalus.store.lease import LEASE_TTL_S, Lease, shown_status
from daedalus.store.record import RUN_STATUSES, RunMeta, RunRecord, RunStatus

__all__ = [
    "DEFAULT_LIST_LIMIT",
    "RunStore",
    "RunSummary",
    "check_limit",
    "check_status",
    "no_runs",
    "start_order",
    "unknown_run",
    "unleased",
]

DEFAULT_LIST_LIMIT = 50
"""How many runs ``list_runs`` returns unless asked for another number."""


class RunSummary(BaseModel):
    """One line of ``daedalus runs``: what a run is and what it cost."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    template: str
    mode: TemporalMode
    model: str
    status: RunStatus
    timepoints: int
    dialogs: int
    calls: int
    tokens: int
    cost_usd: float
    offline: bool
    started_at: datetime
    completed_at: datetime | None

    @classmethod
    def of(cls, record: RunRecord, lease: Lease | None = None) -> RunSummary:
        """The summary of ``record`` (tokens are prompt plus completion; dollars summed
        exactly); a ``running`` run whose ``lease`` expired shows as ``interrupted``."""
        meta = record.run
        return cls(
            id=meta.id,
            template=meta.template,
            mode=meta.mode,
            model=meta.model,
            status=shown_status(meta.status, lease),
            timepoints=len(record.timepoints),
            dialogs=len(record.dialogs),
            calls=len(record.ledger),
            tokens=sum(c.prompt_tokens + c.completion_tokens for c in record.ledger),
            cost_usd=sum_dollars(c.cost_usd for c in record.ledger if not c.in_doubt),
            offline=record.used_offline,
            started_at=meta.started_at,
            completed_at=meta.completed_at,
        )


@runtime_checkable
class RunStore(Protocol):
    """Where runs are kept (DESIGN section 8). Implementations: ``MemoryRunStore`` (reference,
    tests) and ``SqliteRunStore`` (files, safe for concurrent runs).

    Every method naming a run that the store lacks raises ``RunError``.
    """

    def create_run(
        self, meta: RunMeta, *, owner: str | None = None, ttl_s: float = LEASE_TTL_S
    ) -> RunRecord:
        """Register a new run with an empty record; ``RunError`` if the id is taken.

        With ``owner`` the run's lease is taken for it in the same step, so no reader ever sees
        a new run that nobody holds (a run whose creator dies at once shows ``interrupted``).
        """
        ...

    def save_record(self, record: RunRecord) -> None:
        """Insert or replace the run's record (idempotent; used at checkpoints and the end)."""
        ...

    def update_status(
        self, run_id: str, status: RunStatus, completed_at: datetime | None = None
    ) -> RunRecord:
        """Set the status (and ``completed_at`` when given); returns the updated record."""
        ...

    def load_record(self, run_id: str) -> RunRecord:
        """The record exactly as last saved."""
        ...

    def has_run(self, run_id: str) -> bool:
        """True when the store holds ``run_id``."""
        ...

    def list_runs(
        self, template: str | None = None, limit: int = DEFAULT_LIST_LIMIT
    ) -> list[RunSummary]:
        """Summaries, newest start first (ties: the later created first)."""
        ...

    def latest_run_id(self) -> str:
        """The id of the newest run (``export last``); ``RunError`` when the store is empty."""
        ...

    def delete_run(self, run_id: str) -> None:
        """Remove the run and every row that belongs to it (its lease too)."""
        ...

    def acquire_lease(
        self, run_id: str, owner: str, ttl_s: float = LEASE_TTL_S, *, replacing: str | None = None
    ) -> Lease:
        """Take (or renew) the run's lease for ``owner`` atomically and return it.

        A free, expired or already-owned lease is taken, as is one held by ``replacing`` (an
        owner known to be dead); a live lease of another owner raises ``RunBusyError`` naming
        it. While a lease is held the run is listed with its stored status; once it has
        expired, a ``running`` run is listed as ``interrupted``.
        """
        ...

    def renew_lease(self, run_id: str, owner: str, ttl_s: float = LEASE_TTL_S) -> Lease:
        """Push the expiry of ``owner``'s lease ``ttl_s`` ahead; ``RunBusyError`` when another
        owner has taken it meanwhile (or ``RunError`` when it was released)."""
        ...

    def release_lease(self, run_id: str, owner: str) -> None:
        """Give the lease up if ``owner`` holds it; a lease of another owner stays."""
        ...

    def lease_of(self, run_id: str) -> Lease | None:
        """The run's lease row as stored (expired or not), or ``None`` when nobody holds it."""
        ...


def unknown_run(run_id: str, where: str) -> RunError:
    """The one-line error for a run id the store lacks."""
    return RunError(
        f"no run {run_id!r} in {where}; list run ids with `daedalus runs` "
        "or use `last` for the newest"
    )


def no_runs(where: str) -> RunError:
    """The one-line error for asking an empty store for its newest run."""
    return RunError(f"no runs in {where} yet; start one with `daedalus run <template>`")


def check_status(status: str) -> RunStatus:
    """``status`` if it is a run status, else ``ConfigError`` naming the valid ones."""
    if status not in RUN_STATUSES:
        expected = ", ".join(RUN_STATUSES)
        raise ConfigError(f"unknown run status {status!r}; expected one of {expected}")
    return cast(RunStatus, status)


def check_limit(limit: int) -> int:
    """``limit`` if it is a positive count, else ``ConfigError``."""
    if limit < 1:
        raise ConfigError(f"limit must be a positive number of runs, got {limit}")
    return limit


def start_order(started_at: datetime) -> float:
    """Sort key of a start time in seconds since the epoch (naive times read as UTC)."""
    moment = started_at if started_at.tzinfo is not None else started_at.replace(tzinfo=UTC)
    return moment.timestamp()


def unleased(run_id: str, owner: str) -> RunError:
    """The one-line error for renewing a lease that is no longer held."""
    return RunError(f"run {run_id!r} is no longer leased to {owner!r}; it was released")
