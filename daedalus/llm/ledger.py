"""The call ledger (M18): tokens and dollars per node, per model, per action and per run.

The router appends one ``CallRecord`` per model it asked during a call: the model whose answer
was used, plus any model of the fallback chain that failed first (with ``error`` set), so the
ledger's dollars are everything the provider billed. Cache hits are rows with ``cache_hit=True``
and no cost. A ``Ledger`` can be shared by concurrent tasks and threads.

A request to a billing model is booked *in doubt* before it is sent (an ``in_doubt`` row at its
worst-case cost) and settled when the provider answers; a request whose answer never arrives
(a timeout, a process killed while it was in flight) keeps its in-doubt row, so money the
provider may have billed is never missing from the ledger or the budget.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from daedalus.llm._money import sum_dollars
from daedalus.llm.actions import ActionType

__all__ = ["CallRecord", "Ledger", "UsageTotals"]


class CallRecord(BaseModel):
    """One model asked during one router call.

    ``retries`` counts the extra requests sent to this model (transport retries and re-asks);
    ``error`` is ``None`` for the model whose answer was used, else the error class that made
    the router move on. ``selected`` is true when M18 selection over the registry chose the
    model. ``cost_estimated`` is true when the provider reported no cost and the
    dollars come from registry prices. ``in_doubt`` marks a request sent without an answer
    (``cost_usd`` is then its worst case) and ``request_id`` names it until it is settled.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    node: str
    action: ActionType
    model: str
    prompt_tokens: int = Field(default=0, ge=0)
    completion_tokens: int = Field(default=0, ge=0)
    cost_usd: float = Field(default=0.0, ge=0.0)
    cost_estimated: bool = False
    latency_s: float = Field(default=0.0, ge=0.0)
    cache_hit: bool = False
    retries: int = Field(default=0, ge=0)
    offline: bool = False
    selected: bool = False
    error: str | None = None
    in_doubt: bool = False
    request_id: str | None = None


class UsageTotals(BaseModel):
    """Calls, tokens and dollars summed over a group of records; ``cost_usd`` is what was
    billed, ``in_doubt_usd`` the worst case of requests whose answer never arrived."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    calls: int = 0
    cache_hits: int = 0
    errors: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    in_doubt: int = 0
    in_doubt_usd: float = 0.0

    @property
    def total_tokens(self) -> int:
        """Prompt plus completion tokens."""
        return self.prompt_tokens + self.completion_tokens

    @classmethod
    def of(cls, records: Iterable[CallRecord]) -> UsageTotals:
        """The totals of ``records`` (dollars summed as exact decimals, rounded once)."""
        rows = list(records)
        return cls(
            calls=len(rows),
            cache_hits=sum(1 for r in rows if r.cache_hit),
            errors=sum(1 for r in rows if r.error is not None),
            prompt_tokens=sum(r.prompt_tokens for r in rows),
            completion_tokens=sum(r.completion_tokens for r in rows),
            cost_usd=sum_dollars(r.cost_usd for r in rows if not r.in_doubt),
            in_doubt=sum(1 for r in rows if r.in_doubt),
            in_doubt_usd=sum_dollars(r.cost_usd for r in rows if r.in_doubt),
        )


class Ledger:
    """An append-only, thread-safe list of ``CallRecord`` with grouped totals.

    ``on_record`` is called with every record appended after construction, in-doubt rows
    included, and ``on_settle`` with the ``request_id`` of every settled one (the runner uses
    them to write each call to disk at once, so a killed run loses no billed call).
    """

    def __init__(
        self,
        records: Iterable[CallRecord] = (),
        *,
        on_record: Callable[[CallRecord], None] | None = None,
        on_settle: Callable[[str], None] | None = None,
    ) -> None:
        self._lock = threading.Lock()
        self._records: list[CallRecord] = list(records)
        self._doubts: dict[str, CallRecord] = {}
        self._on_record = on_record
        self._on_settle = on_settle

    def listen(
        self,
        on_record: Callable[[CallRecord], None],
        on_settle: Callable[[str], None] | None = None,
    ) -> None:
        """Call ``on_record`` with every record appended from now on, and ``on_settle`` with
        every settled request (replaces any listeners)."""
        with self._lock:
            self._on_record = on_record
            self._on_settle = on_settle

    def doubt(self, record: CallRecord) -> str:
        """Book a request about to be sent at its worst case (``record.cost_usd``); returns the
        id that ``settle`` takes once its answer has arrived."""
        request_id = uuid.uuid4().hex
        row = record.model_copy(update={"in_doubt": True, "request_id": request_id})
        with self._lock:
            self._doubts[request_id] = row
            if self._on_record is not None:
                self._on_record(row)
        return request_id

    def settle(self, request_id: str) -> None:
        """Drop the in-doubt row of a request that was answered (its real row is booked)."""
        with self._lock:
            self._doubts.pop(request_id, None)
            if self._on_settle is not None:
                self._on_settle(request_id)

    @property
    def in_doubt(self) -> tuple[CallRecord, ...]:
        """Requests sent by this process whose answer has not arrived (yet, or ever)."""
        with self._lock:
            return tuple(self._doubts.values())

    @classmethod
    def from_records(cls, records: Iterable[CallRecord]) -> Ledger:
        """A ledger holding ``records``, e.g. rows read back from the run store."""
        return cls(records)

    def append(self, record: CallRecord) -> None:
        """Add one record."""
        with self._lock:
            self._records.append(record)
            if self._on_record is not None:
                self._on_record(record)

    def extend(self, records: Iterable[CallRecord]) -> None:
        """Add records in order (a resumed run adds the rows of its earlier part)."""
        rows = list(records)
        with self._lock:
            self._records.extend(rows)
            if self._on_record is not None:
                for row in rows:
                    self._on_record(row)

    @property
    def records(self) -> tuple[CallRecord, ...]:
        """A snapshot of every record, oldest first."""
        with self._lock:
            return tuple(self._records)

    def __len__(self) -> int:
        with self._lock:
            return len(self._records)

    def totals(self) -> UsageTotals:
        """Everything summed."""
        return UsageTotals.of(self.records)

    def by_node(self) -> dict[str, UsageTotals]:
        """Totals per node name, in first-seen order."""
        return self._group(lambda r: r.node)

    def by_model(self) -> dict[str, UsageTotals]:
        """Totals per model id, in first-seen order."""
        return self._group(lambda r: r.model)

    def by_action(self) -> dict[str, UsageTotals]:
        """Totals per action type value, in first-seen order."""
        return self._group(lambda r: r.action.value)

    def summary(self) -> dict[str, Any]:
        """A JSON-serialisable summary: totals, then totals by node, model and action."""
        return {
            "totals": self.totals().model_dump(),
            "by_node": {k: v.model_dump() for k, v in self.by_node().items()},
            "by_model": {k: v.model_dump() for k, v in self.by_model().items()},
            "by_action": {k: v.model_dump() for k, v in self.by_action().items()},
        }

    def _group(self, key: Callable[[CallRecord], str]) -> dict[str, UsageTotals]:
        groups: dict[str, list[CallRecord]] = {}
        for record in self.records:
            groups.setdefault(key(record), []).append(record)
        return {name: UsageTotals.of(rows) for name, rows in groups.items()}
