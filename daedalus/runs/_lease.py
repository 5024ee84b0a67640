"""Holding a run's lease while a process runs, resumes or branches it.

The lease is taken before anything of the run is written, renewed by a heartbeat thread every
third of its lifetime, and released at the end whatever happened. A lease left by a process
of this host that no longer exists (killed with SIGKILL) is taken over at once; any other live
lease makes the caller fail with ``RunBusyError`` or, with ``wait``, wait until it is free.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from daedalus.errors import ConfigError, RunBusyError, RunError
from daedalus.store import LEASE_TTL_S, Store
from daedalus.store.lease import new_owner, owner_is_dead

__all__ = ["LEASE_TTL_ENV", "HeldLease", "hold_lease", "lease_ttl"]

LEASE_TTL_ENV = "DAEDALUS_LEASE_TTL"
"""Environment variable overriding the lease lifetime in seconds (default ``LEASE_TTL_S``)."""


def lease_ttl() -> float:
    """The lease lifetime: ``$DAEDALUS_LEASE_TTL`` seconds if set, else ``LEASE_TTL_S``."""
    raw = os.environ.get(LEASE_TTL_ENV, "").strip()
    if not raw:
        return LEASE_TTL_S
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise ConfigError(f"{LEASE_TTL_ENV} must be a positive number of seconds, got {raw!r}")
    return value


class HeldLease:
    """A lease this process holds, kept alive by a heartbeat until ``stop``."""

    def __init__(self, store: Store, run_id: str, owner: str, ttl_s: float) -> None:
        self.store, self.run_id, self.owner, self.ttl_s = store, run_id, owner, ttl_s
        self._stop = threading.Event()
        self._lost: RunError | None = None
        self._thread = threading.Thread(target=self._beat, name=f"lease-{run_id}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def check(self) -> None:
        """Raise the error that ended the heartbeat when another process took the lease."""
        if self._lost is not None:
            raise self._lost

    def stop(self) -> None:
        """End the heartbeat and release the lease (if this process still holds it)."""
        self._stop.set()
        self._thread.join()
        self.store.runs.release_lease(self.run_id, self.owner)

    def _beat(self) -> None:
        while not self._stop.wait(self.ttl_s / 3):
            try:
                self.store.runs.renew_lease(self.run_id, self.owner, self.ttl_s)
            except RunError as exc:  # taken over after a stall: stop claiming it
                self._lost = RunError(f"lost the lease of run {self.run_id!r}: {exc}")
                return


def _acquire(
    store: Store,
    run_id: str,
    owner: str,
    ttl_s: float,
    wait: bool,
    on_wait: Callable[[str], None] | None,
) -> None:
    told = False
    runs = store.runs
    while True:
        try:
            runs.acquire_lease(run_id, owner, ttl_s)
            return
        except RunBusyError as busy:
            holder = runs.lease_of(run_id)
            if holder is not None and owner_is_dead(holder.owner):
                try:
                    runs.acquire_lease(run_id, owner, ttl_s, replacing=holder.owner)
                    return
                except RunBusyError:
                    continue  # another process took it first: look again
            if not wait:
                raise
            if not told and on_wait is not None:
                on_wait(f"waiting: {str(busy).split('; ')[0]}")
                told = True
        time.sleep(min(0.5, ttl_s / 6))


@contextmanager
def hold_lease(
    store: Store,
    run_id: str,
    *,
    wait: bool = False,
    on_wait: Callable[[str], None] | None = None,
    owner: str | None = None,
) -> Iterator[HeldLease]:
    """Hold ``run_id``'s lease for the block (see the module docstring); ``on_wait`` hears
    once that the caller is waiting for another process. ``owner`` names a lease the caller
    already took (``create_run(meta, owner=...)``), which is kept instead of taken anew."""
    ttl_s = lease_ttl()
    owner = owner or new_owner()
    _acquire(store, run_id, owner, ttl_s, wait, on_wait)
    held = HeldLease(store, run_id, owner, ttl_s)
    held.start()
    try:
        yield held
    finally:
        held.stop()
