"""The run lease: at most one process runs, resumes or branches a run at a time.

A lease names its owner (``host:pid:token``), when it was taken, its last heartbeat and when it
expires. The owner renews it while it works and releases it at the end; a lease whose heartbeat
has stopped (its process was killed) expires and may be taken over, and until then the run
shows ``interrupted`` instead of ``running``.
"""

from __future__ import annotations

import os
import socket
import uuid
from datetime import UTC, datetime, timedelta

from pydantic import BaseModel, ConfigDict

from daedalus.errors import ConfigError, RunBusyError
from daedalus.store.record import RunStatus

__all__ = [
    "LEASE_TTL_S",
    "Lease",
    "busy",
    "check_ttl",
    "new_owner",
    "owner_is_dead",
    "shown_status",
    "take",
    "utc_now",
]

LEASE_TTL_S = 30.0
"""Seconds a lease lives without a heartbeat; the owner renews it every third of that."""


class Lease(BaseModel):
    """Who holds a run, since when, and until when unless renewed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    run_id: str
    owner: str
    acquired_at: datetime
    heartbeat_at: datetime
    expires_at: datetime

    def expired(self, at: datetime | None = None) -> bool:
        """True when the heartbeat stopped long enough ago that anyone may take the lease."""
        return (at or utc_now()) >= self.expires_at


def utc_now() -> datetime:
    return datetime.now(UTC)


def check_ttl(ttl_s: float) -> timedelta:
    """``ttl_s`` as a duration, or ``ConfigError`` unless it is a positive number of seconds."""
    if not ttl_s > 0:
        raise ConfigError(f"a lease lives a positive number of seconds, got {ttl_s!r}")
    return timedelta(seconds=ttl_s)


def new_owner() -> str:
    """A fresh owner name for this process: ``host:pid:token``."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _describe(owner: str) -> str:
    host, _, rest = owner.partition(":")
    pid, _, _ = rest.partition(":")
    return f"process {pid} on {host}" if pid.isdigit() else repr(owner)


def owner_is_dead(owner: str) -> bool:
    """True when ``owner`` was a process of this host that no longer exists.

    Such a lease can be taken over at once instead of waiting for it to expire.
    """
    host, _, rest = owner.partition(":")
    pid, _, _ = rest.partition(":")
    if host != socket.gethostname() or not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:  # it exists but belongs to another user
        return False
    return False


def busy(lease: Lease, at: datetime | None = None) -> RunBusyError:
    """The one-line error for a run whose lease another live process holds."""
    beat = ((at or utc_now()) - lease.heartbeat_at).total_seconds()
    return RunBusyError(
        f"run {lease.run_id!r} is in use by {_describe(lease.owner)} (last heartbeat "
        f"{max(beat, 0.0):.0f}s ago); wait for it with --wait, or retry once it has finished"
    )


def shown_status(status: RunStatus, lease: Lease | None, at: datetime | None = None) -> RunStatus:
    """The status a listing shows: a ``running`` run whose lease expired was interrupted."""
    if status == "running" and lease is not None and (
        lease.expired(at) or owner_is_dead(lease.owner)
    ):
        return "interrupted"
    return status


def take(
    current: Lease | None,
    run_id: str,
    owner: str,
    ttl_s: float,
    *,
    replacing: str | None = None,
    at: datetime | None = None,
) -> Lease:
    """The lease ``owner`` holds after asking for it while ``current`` is held (both stores
    decide the same way): free, expired, already ours or the ``replacing`` owner's lease is
    taken; a live lease of anyone else raises ``RunBusyError``."""
    moment = at or utc_now()
    ttl = check_ttl(ttl_s)
    held_by_other = current is not None and current.owner not in (owner, replacing)
    if held_by_other and current is not None and not current.expired(moment):
        raise busy(current, moment)
    kept = current is not None and current.owner == owner
    since = current.acquired_at if kept and current is not None else moment
    return Lease(
        run_id=run_id, owner=owner, acquired_at=since, heartbeat_at=moment,
        expires_at=moment + ttl,
    )
