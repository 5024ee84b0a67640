"""Who may call the API, how often, and how much they may spend.

A request names its key in ``Authorization: Bearer <key>`` (or ``X-API-Key``). No key or an
unknown or revoked one is a 401; a read key asking to write is a 403; a key past its rate is a
429 with ``Retry-After``. Spending is read from the ledger of the runs a key submitted today
(UTC): at its daily quota further submissions are refused (429, ``Retry-After`` until
midnight UTC), and below it each new run gets a hard budget of what is left.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi import Request

from daedalus.llm._money import sum_dollars
from daedalus.service._batch_jobs import batch_run_ids
from daedalus.service._problems import ProblemError
from daedalus.service.jobs import JobQueue
from daedalus.service.keys import ApiKey, KeyStore, Scope
from daedalus.store import Store
from daedalus.store.ledger_log import LedgerLog

__all__ = ["Guard", "RateLimiter"]


@dataclass
class _Bucket:
    tokens: float
    updated: float


@dataclass
class RateLimiter:
    """A token bucket per key: ``rate_per_minute`` requests, refilled continuously."""

    clock: Callable[[], float] = time.monotonic
    _buckets: dict[str, _Bucket] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self, key: ApiKey) -> float:
        """Spend one request of ``key``; returns 0, or the seconds to wait when none is left."""
        capacity = float(key.rate_per_minute)
        per_second = capacity / 60.0
        now = self.clock()
        with self._lock:
            bucket = self._buckets.setdefault(key.id, _Bucket(capacity, now))
            bucket.tokens = min(capacity, bucket.tokens + (now - bucket.updated) * per_second)
            bucket.updated = now
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return 0.0
            return (1.0 - bucket.tokens) / per_second


def _token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    other = request.headers.get("x-api-key", "").strip()
    return other or None


_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="daedalus"'}


class Guard:
    """Authentication, rate limits and the spending quota of one app."""

    def __init__(
        self, keys: KeyStore, queue: JobQueue, limiter: RateLimiter, store: Store | None = None
    ) -> None:
        self.keys, self.queue, self.limiter, self.store = keys, queue, limiter, store

    def check(self, request: Request, needed: Scope) -> ApiKey:
        """The key of ``request`` if it may do ``needed`` now; else a 401, 403 or 429."""
        token = _token(request)
        if token is None:
            raise ProblemError(
                401, "unauthorized",
                "no API key: send 'Authorization: Bearer <key>' (create one with "
                "`daedalus keys create`)", _CHALLENGE,
            )
        key = self.keys.verify(token)
        if key is None:
            raise ProblemError(401, "unauthorized", "unknown or revoked API key", _CHALLENGE)
        if not key.allows(needed):
            raise ProblemError(
                403, "forbidden", f"this key has {key.scope} scope; this request needs {needed}"
            )
        wait = self.limiter.take(key)
        if wait > 0:
            raise ProblemError(
                429, "rate-limited",
                f"this key may make {key.rate_per_minute} requests a minute; retry later",
                {"Retry-After": str(max(1, math.ceil(wait)))},
            )
        return key

    def spent_today(self, key: ApiKey, root: Path) -> float:
        """Dollars billed today (UTC) by every run this key submitted, from their ledgers."""
        midnight = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        run_ids: set[str] = set()
        for job in self.queue.jobs(key_id=key.id, since=midnight):
            if job.kind == "batch":
                run_ids.update(batch_run_ids(root, job.run_id))
            else:
                run_ids.add(job.run_id)
        return sum_dollars(
            row.cost_usd
            for run_id in sorted(run_ids)
            for row in (
                LedgerLog.of(root, run_id) if self.store is None else self.store.call_log(run_id)
            ).read()
        )

    def budget_for(self, key: ApiKey, root: Path, runs: int = 1) -> float | None:
        """The hard budget each of ``runs`` new runs of ``key`` gets (None without a quota);
        a 429 when the key's quota for today is spent."""
        if key.quota_usd_per_day is None:
            return None
        left = key.quota_usd_per_day - self.spent_today(key, root)
        if left <= 0:
            now = datetime.now(UTC)
            tomorrow = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
            raise ProblemError(
                429, "quota-exceeded",
                f"this key's quota of ${key.quota_usd_per_day:.2f} a day is spent; it renews at "
                "midnight UTC",
                {"Retry-After": str(max(1, math.ceil((tomorrow - now).total_seconds())))},
            )
        return left / runs
