"""A run's ledger written call by call, so a killed run loses no billed call.

``CallLog`` is the seam: a SQLite store keeps each run's rows in a file (``LedgerLog``), a
PostgreSQL store in its ``ledger`` table. Each ``CallRecord`` is appended to
``<store>/ledgers/<run_id>.jsonl`` as soon as the router records it; the run record gathers
them when it is saved, and a resumed run reads them back. A request booked in doubt is a row
with ``in_doubt`` written before the request is sent; when its answer arrives a
``{"settled": <request id>}`` line follows, and the row is no longer read.
"""

from __future__ import annotations

import contextlib
import json
import threading
from pathlib import Path
from typing import Protocol, runtime_checkable

from daedalus.llm.ledger import CallRecord

__all__ = ["CallLog", "LedgerLog"]


@runtime_checkable
class CallLog(Protocol):
    """Where one run's ledger rows are written as they happen and read back."""

    def append(self, record: CallRecord) -> None:
        """Write one row (an in-doubt row too) before anything else happens."""
        ...

    def settle(self, request_id: str) -> None:
        """Mark the in-doubt row of ``request_id`` as answered."""
        ...

    def read(self) -> list[CallRecord]:
        """Every row written so far, oldest first, without settled in-doubt rows."""
        ...


class LedgerLog:
    """Append-only JSON-lines file of one run's ledger rows."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._tail_checked = False

    @classmethod
    def of(cls, root: Path, run_id: str) -> LedgerLog:
        return cls(root / "ledgers" / f"{run_id}.jsonl")

    def append(self, record: CallRecord) -> None:
        self._write(record.model_dump_json() + "\n")

    def settle(self, request_id: str) -> None:
        """Mark the in-doubt row of ``request_id`` as answered."""
        self._write(json.dumps({"settled": request_id}) + "\n")

    def _write(self, line: str) -> None:
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if not self._tail_checked:
                # A process killed mid-write leaves a line without its end; close that line so
                # this row starts on its own and stays readable.
                line = ("\n" if self._ends_mid_line() else "") + line
                self._tail_checked = True
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(line)
                handle.flush()

    def _ends_mid_line(self) -> bool:
        if not self.path.exists() or self.path.stat().st_size == 0:
            return False
        with self.path.open("rb") as handle:
            handle.seek(-1, 2)
            return handle.read(1) != b"\n"

    def read(self) -> list[CallRecord]:
        """Every complete row written so far (a line cut short by a kill is skipped), without
        the in-doubt rows of requests settled since."""
        if not self.path.exists():
            return []
        rows = []
        settled: set[str] = set()
        # Bytes, not text: a kill can cut a line inside a multi-byte character.
        for line in self.path.read_bytes().splitlines():
            if line.startswith(b'{"settled":'):
                with contextlib.suppress(ValueError, KeyError):  # a line cut short by a kill
                    settled.add(str(json.loads(line)["settled"]))
            elif line.strip():
                try:
                    rows.append(CallRecord.model_validate_json(line))
                except ValueError:
                    continue
        return [row for row in rows if not (row.in_doubt and row.request_id in settled)]
