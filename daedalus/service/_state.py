"""What every request handler shares: the store, the queue, the keys and the guard.

``Service`` is created once per app and kept in ``app.state.service``; the dependencies here
hand it, and the calling key, to the routers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from daedalus.domain import ID_PATTERN
from daedalus.service._auth import Guard, RateLimiter
from daedalus.service._db import Database, service_db
from daedalus.service._problems import ProblemError
from daedalus.service.jobs import JobQueue
from daedalus.service.keys import ApiKey, KeyStore
from daedalus.store import RunStore, SqliteRunStore, Store, StoreLayout, open_store
from daedalus.store._url import is_postgres_url
from daedalus.store.record import RunRecord

__all__ = ["Reader", "Service", "ServiceDep", "Writer", "checked_id", "service_of"]

_ID = re.compile(ID_PATTERN)


@dataclass
class Service:
    """The store directory an app serves and the objects that read and write it."""

    layout: StoreLayout
    limiter: RateLimiter = field(default_factory=RateLimiter)
    source: str | None = None
    """A ``postgresql://`` store URL, when the runs (and the service's tables) live there;
    ``layout`` then only holds local files (batch records)."""

    def __post_init__(self) -> None:
        self.store: Store | None = None
        self.runs: RunStore
        self.db: Database = service_db(self.layout.root, self.source)
        if self.source is not None and is_postgres_url(self.source):
            self.store = open_store(self.source)
            self.runs = self.store.runs
        else:
            self.runs = SqliteRunStore(self.layout.runs_db)
        self.queue = JobQueue(self.db)
        self.keys = KeyStore(self.db)
        self.guard = Guard(self.keys, self.queue, self.limiter, self.store)

    def close(self) -> None:
        if self.store is not None:
            self.store.close()
        elif isinstance(self.runs, SqliteRunStore):
            self.runs.close()
        self.db.close()

    def record(self, run_id: str) -> RunRecord:
        """The stored record of ``run_id``; a 404 problem when there is none (yet)."""
        checked_id(run_id, "run")
        if not self.runs.has_run(run_id):
            queued = self.queue.jobs_of_run(run_id)
            detail = (
                f"run {run_id!r} has not started yet; follow /api/v1/runs/{run_id}/events"
                if queued else f"no run {run_id!r}"
            )
            raise ProblemError(404, "not-found", detail)
        return self.runs.load_record(run_id)


def checked_id(value: str, what: str) -> str:
    """``value`` if it is a well-formed id; else a 404 (a malformed id names nothing)."""
    if len(value) > 128 or not _ID.match(value):
        raise ProblemError(404, "not-found", f"no {what} {value[:80]!r}")
    return value


def service_of(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


_bearer = HTTPBearer(auto_error=False, description="An API key from `daedalus keys create`.")
_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="The same key, another way.")


def _reader(
    request: Request,
    _: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    __: Annotated[str | None, Depends(_header)],
) -> ApiKey:
    return service_of(request).guard.check(request, "read")


def _writer(
    request: Request,
    _: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    __: Annotated[str | None, Depends(_header)],
) -> ApiKey:
    return service_of(request).guard.check(request, "write")


Reader = Annotated[ApiKey, Depends(_reader)]
Writer = Annotated[ApiKey, Depends(_writer)]
ServiceDep = Annotated[Service, Depends(service_of)]
