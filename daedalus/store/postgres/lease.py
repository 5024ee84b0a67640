"""The run lease on PostgreSQL: one process (on any machine) owns a run at a time.

Every change locks the run's row (``SELECT ... FOR UPDATE``) before it reads the lease, so
processes racing for one run take turns, and decides with the server's clock, so machines
whose clocks disagree still agree on when a lease expires.
"""

from __future__ import annotations

from datetime import datetime

import psycopg

from daedalus.store._base import unknown_run, unleased
from daedalus.store._schema import LEASE_COLUMNS, lease_from_row, lease_query
from daedalus.store.lease import Lease, busy, take

__all__ = ["acquire", "current", "release", "renew"]

Conn = psycopg.Connection[tuple[object, ...]]

_UPSERT = (
    f"INSERT INTO leases ({LEASE_COLUMNS}) VALUES (%s, %s, %s, %s, %s) "
    "ON CONFLICT (run_id) DO UPDATE SET owner = excluded.owner, "
    "acquired_at = excluded.acquired_at, heartbeat_at = excluded.heartbeat_at, "
    "expires_at = excluded.expires_at"
)


def _lock_run(conn: Conn, run_id: str, where: str) -> datetime:
    """Lock the run's row for this transaction; the server's time now."""
    row = conn.execute(
        "SELECT clock_timestamp() FROM runs WHERE id = %s FOR UPDATE", (run_id,)
    ).fetchone()
    if row is None:
        raise unknown_run(run_id, where)
    moment = row[0]
    assert isinstance(moment, datetime)
    return moment


def _stored(conn: Conn, run_id: str) -> Lease | None:
    row = conn.execute(lease_query("%s").encode(), (run_id,)).fetchone()
    return lease_from_row(row)


def _write(conn: Conn, lease: Lease) -> None:
    conn.execute(_UPSERT.encode(), (
        lease.run_id, lease.owner, lease.acquired_at.isoformat(),
        lease.heartbeat_at.isoformat(), lease.expires_at.isoformat(),
    ))


def acquire(
    conn: Conn, run_id: str, owner: str, ttl_s: float, replacing: str | None, where: str
) -> Lease:
    """Take the lease inside the caller's transaction (see ``RunStore.acquire_lease``)."""
    moment = _lock_run(conn, run_id, where)
    lease = take(_stored(conn, run_id), run_id, owner, ttl_s, replacing=replacing, at=moment)
    _write(conn, lease)
    return lease


def renew(conn: Conn, run_id: str, owner: str, ttl_s: float, where: str) -> Lease:
    """Push the owner's lease ahead inside the caller's transaction."""
    moment = _lock_run(conn, run_id, where)
    held = _stored(conn, run_id)
    if held is None:
        raise unleased(run_id, owner)
    if held.owner != owner:
        raise busy(held, moment)
    lease = take(held, run_id, owner, ttl_s, at=moment)
    _write(conn, lease)
    return lease


def release(conn: Conn, run_id: str, owner: str) -> None:
    """Drop the lease if ``owner`` holds it."""
    conn.execute("DELETE FROM leases WHERE run_id = %s AND owner = %s", (run_id, owner))


def current(conn: Conn, run_id: str, where: str) -> Lease | None:
    """The run's lease as stored, or ``None``."""
    if conn.execute("SELECT 1 FROM runs WHERE id = %s", (run_id,)).fetchone() is None:
        raise unknown_run(run_id, where)
    return _stored(conn, run_id)
