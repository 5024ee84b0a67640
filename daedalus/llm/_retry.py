"""How the router reads a failed model request: retry it, move on, or stop (M18).

Kept apart from the router so the rules are plain functions of an exception: HTTP 429, 408,
5xx, timeouts and connection errors are retried with backoff (honouring ``Retry-After``);
404 moves to the next model; 402 stops the run; other 4xx are the caller's to fix.
"""

from __future__ import annotations

import email.utils
import random
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import Any

import httpx
import openai

from daedalus.errors import NetworkBlockedError

__all__ = [
    "FailureKind",
    "ProviderError",
    "RetryPolicy",
    "classify",
    "describe",
    "retry_after_seconds",
    "scrub",
    "status_of",
]

_MAX_DESCRIPTION = 240


class ProviderError(Exception):
    """An error object a provider sent inside an HTTP 200 body (OpenRouter does this)."""

    def __init__(self, code: int | str | None, message: str) -> None:
        super().__init__(f"provider error {code}: {message}")
        self.code = code
        self.message = message

    @classmethod
    def from_body(cls, error: Any) -> ProviderError:
        """Build from the ``error`` field of a response body (a dict, or anything else)."""
        if isinstance(error, dict):
            return cls(error.get("code"), str(error.get("message", "no message")))
        return cls(None, str(error))


class FailureKind(Enum):
    """What the router does after a request failed."""

    RETRY = "retry"
    NEXT_MODEL = "next_model"
    REQUEST = "request"
    OUT_OF_CREDIT = "out_of_credit"
    UNKNOWN = "unknown"


def status_of(exc: BaseException) -> int | None:
    """The HTTP status (or the numeric code of an error body) carried by ``exc``, if any."""
    if isinstance(exc, openai.APIStatusError):
        return exc.status_code
    if isinstance(exc, httpx.HTTPStatusError):
        return exc.response.status_code
    if isinstance(exc, ProviderError):
        try:
            return int(exc.code) if exc.code is not None else None
        except (TypeError, ValueError):
            return None
    return None


def blocked_by_guard(exc: BaseException) -> NetworkBlockedError | None:
    """The network guard's error when it caused ``exc`` (clients wrap it): never retried."""
    seen: set[int] = set()
    pending: list[BaseException] = [exc]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, NetworkBlockedError):
            return current
        if isinstance(current, BaseExceptionGroup):
            pending.extend(current.exceptions)
        pending.extend(e for e in (current.__cause__, current.__context__) if e is not None)
    return None


def classify(exc: BaseException) -> FailureKind:
    """Whether a failed request is retried, skipped to the next model, or final."""
    if blocked_by_guard(exc) is not None:
        return FailureKind.UNKNOWN  # a test reached for the network: final, never retried
    status = status_of(exc)
    if status is not None:
        if status == 402:
            return FailureKind.OUT_OF_CREDIT
        if status in (408, 429) or status >= 500:
            return FailureKind.RETRY
        if status == 404:
            return FailureKind.NEXT_MODEL
        if 400 <= status < 500:
            return FailureKind.REQUEST
    if isinstance(exc, ProviderError):
        return FailureKind.RETRY  # a non-numeric provider code: transient until proven otherwise
    if isinstance(exc, openai.APIConnectionError | httpx.TransportError | TimeoutError):
        return FailureKind.RETRY
    return FailureKind.UNKNOWN


def retry_after_seconds(exc: BaseException, now: datetime | None = None) -> float | None:
    """Seconds the server asked us to wait (``Retry-After`` as seconds or a date), if it did."""
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    millis = headers.get("retry-after-ms")
    if millis is not None:
        try:
            return max(float(millis) / 1000.0, 0.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - (now or datetime.now(UTC))).total_seconds(), 0.0)


@dataclass(frozen=True)
class RetryPolicy:
    """Retries per model and how long to wait between them.

    The n-th wait is ``initial_wait * 2**(n-1)`` capped at ``max_wait``, plus up to ``jitter``
    of itself at random; a ``Retry-After`` from the server replaces it, capped at
    ``max_retry_after``.
    """

    max_retries: int = 3
    initial_wait: float = 0.5
    max_wait: float = 20.0
    max_retry_after: float = 60.0
    jitter: float = 0.25

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise ValueError(f"max_retries must be >= 0, got {self.max_retries}")
        if self.initial_wait < 0 or self.max_wait < 0 or self.max_retry_after < 0:
            raise ValueError("retry waits must be >= 0")

    def wait_seconds(
        self,
        attempt: int,
        exc: BaseException | None,
        rng: random.Random,
        now: datetime | None = None,
    ) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        asked = None if exc is None else retry_after_seconds(exc, now)
        if asked is not None:
            return min(asked, self.max_retry_after)
        base = min(self.max_wait, self.initial_wait * 2.0 ** max(attempt - 1, 0))
        return base + rng.uniform(0.0, self.jitter * base)


def scrub(text: str, secrets: tuple[str, ...]) -> str:
    """``text`` with every secret replaced by ``***``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def describe(exc: BaseException, secrets: tuple[str, ...]) -> str:
    """One short line naming the failure, safe to log or show (secrets removed)."""
    status = status_of(exc)
    head = f"HTTP {status}" if status is not None else type(exc).__name__
    detail = " ".join(str(exc).split())
    line = scrub(f"{head}: {detail}" if detail else head, secrets)
    return line if len(line) <= _MAX_DESCRIPTION else line[: _MAX_DESCRIPTION - 3] + "..."
