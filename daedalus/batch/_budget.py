"""A batch's dollar cap, held across every worker: threads, processes and Ray workers alike.

Each run's router keeps its own ``BudgetGuard`` (the per-run cap, hard when one is given);
``BatchGuard`` extends it so that every reservation is also written to the batch's shared
ledger, ``<store>/batches/<id>/budget.sqlite``, in one ``BEGIN IMMEDIATE`` transaction that
first sums what every worker spent and holds in flight. A request whose worst case would cross
the batch cap is refused with ``BudgetExceededError`` before it is sent. Amounts are kept in
whole nano-dollars, rounded up, so rounding can never let the cap slip.

On a PostgreSQL store, ``PostgresBudget`` keeps the same reservations in the store's
``batch_reservations`` table, each taken under the batch's advisory lock, so workers on any
machine share the cap.

A worker killed with a request in flight leaves its reservation open: its worst case stays
counted (the request may have been billed), as the run ledger counts a call in doubt.
"""

from __future__ import annotations

import math
import sqlite3
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from daedalus.errors import BudgetExceededError
from daedalus.llm.budget import BudgetGuard, BudgetMode, Reservation

if TYPE_CHECKING:
    from daedalus.store.postgres import PostgresStore

__all__ = ["BatchBudget", "BatchGuard", "PostgresBudget", "SharedBudget"]

_NANO = 1_000_000_000


def _up(usd: float) -> int:
    return math.ceil(usd * _NANO - 1e-6)


def _down(usd: float) -> int:
    return math.floor(usd * _NANO + 1e-6)


def _refusal(
    limit_usd: float, worst_case_usd: float | None, committed_nano: int, model: str
) -> BudgetExceededError:
    shown = "unknown" if worst_case_usd is None else f"${worst_case_usd:.6f}"
    return BudgetExceededError(
        f"batch budget of ${limit_usd:.4f} refuses a call to {model} that could cost up to "
        f"{shown} (committed ${committed_nano / _NANO:.6f} over all runs); resume the batch "
        "with a larger --budget"
    )


class BatchBudget(Protocol):
    """A batch's shared reservations, wherever they are kept."""

    def reserve(self, run_id: str, worst_case_usd: float | None, *, model: str) -> int: ...

    def settle(self, row: int, actual_usd: float) -> None: ...

    def committed_usd(self) -> float: ...

    def spent_usd(self) -> float: ...

    def close(self) -> None: ...


class SharedBudget:
    """The reservations of every run of a batch, in one SQLite file the workers share."""

    def __init__(self, path: Path, limit_usd: float | None) -> None:
        self.path, self.limit_usd = Path(path), limit_usd
        self._lock = threading.Lock()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(
            str(self.path), timeout=60.0, isolation_level=None, check_same_thread=False
        )
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS reservations (id INTEGER PRIMARY KEY, run_id TEXT, "
            "model TEXT, worst_nano INTEGER NOT NULL, actual_nano INTEGER)"
        )

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def reserve(self, run_id: str, worst_case_usd: float | None, *, model: str) -> int:
        """Book a request's worst case, or raise ``BudgetExceededError`` if the batch cap
        (spent plus in flight, over all workers) would be crossed."""
        worst = _up(worst_case_usd or 0.0)
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                (committed,) = self._conn.execute(
                    "SELECT COALESCE(SUM(COALESCE(actual_nano, worst_nano)), 0) FROM reservations"
                ).fetchone()
                if self.limit_usd is not None:
                    limit = _down(self.limit_usd)
                    over = (
                        committed >= limit if worst_case_usd is None
                        else committed + worst > limit
                    )
                    if over:
                        raise _refusal(self.limit_usd, worst_case_usd, committed, model)
                cursor = self._conn.execute(
                    "INSERT INTO reservations (run_id, model, worst_nano) VALUES (?, ?, ?)",
                    (run_id, model, worst),
                )
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            return int(cursor.lastrowid or 0)

    def settle(self, row: int, actual_usd: float) -> None:
        """Replace a reservation's worst case with what the request cost."""
        with self._lock:
            self._conn.execute(
                "UPDATE reservations SET actual_nano = ? WHERE id = ?", (_up(actual_usd), row)
            )

    def committed_usd(self) -> float:
        """Dollars spent plus dollars reserved by requests still in flight, over all runs."""
        with self._lock:
            (total,) = self._conn.execute(
                "SELECT COALESCE(SUM(COALESCE(actual_nano, worst_nano)), 0) FROM reservations"
            ).fetchone()
        return int(total) / _NANO

    def spent_usd(self) -> float:
        """Dollars billed by settled requests, over all runs."""
        with self._lock:
            (total,) = self._conn.execute(
                "SELECT COALESCE(SUM(actual_nano), 0) FROM reservations"
            ).fetchone()
        return int(total) / _NANO


class PostgresBudget:
    """The reservations of every run of a batch, in tables of a PostgreSQL store."""

    def __init__(
        self, store: PostgresStore, batch_id: str, limit_usd: float | None, *, owned: bool = True
    ) -> None:
        self.batch_id, self.limit_usd = batch_id, limit_usd
        self._store, self._owned = store, owned
        self._tables = store.batches()

    def close(self) -> None:
        if self._owned:
            self._store.close()

    def reserve(self, run_id: str, worst_case_usd: float | None, *, model: str) -> int:
        """As ``SharedBudget.reserve``, under the batch's advisory lock."""
        limit = None if self.limit_usd is None else _down(self.limit_usd)
        row, committed = self._tables.reserve(
            self.batch_id, run_id, model, _up(worst_case_usd or 0.0), limit,
            unknown=worst_case_usd is None,
        )
        if row is None:
            assert self.limit_usd is not None
            raise _refusal(self.limit_usd, worst_case_usd, committed, model)
        return row

    def settle(self, row: int, actual_usd: float) -> None:
        self._tables.settle(row, _up(actual_usd))

    def committed_usd(self) -> float:
        return self._tables.committed_nano(self.batch_id) / _NANO

    def spent_usd(self) -> float:
        return self._tables.spent_nano(self.batch_id) / _NANO


class BatchGuard(BudgetGuard):
    """A run's budget guard that also answers to the batch's shared cap."""

    def __init__(
        self,
        limit_usd: float | None,
        mode: BudgetMode | str,
        *,
        spent_usd: float,
        shared: BatchBudget,
        run_id: str,
    ) -> None:
        super().__init__(limit_usd, mode, spent_usd=spent_usd)
        self._shared, self._run_id = shared, run_id
        self._rows: dict[int, int] = {}

    def reserve(self, worst_case_usd: float | None, *, model: str = "a model") -> Reservation:
        own = super().reserve(worst_case_usd, model=model)
        try:
            row = self._shared.reserve(self._run_id, worst_case_usd, model=model)
        except BaseException:
            super().settle(own, 0.0)
            raise
        with self._lock:
            self._rows[own.id] = row
        return own

    def settle(self, reservation: Reservation, actual_usd: float) -> None:
        super().settle(reservation, actual_usd)
        with self._lock:
            row = self._rows.pop(reservation.id, None)
        if row is not None:
            self._shared.settle(row, actual_usd)
