"""A run's ledger written call by call, so a killed run loses no billed call.

Each ``CallRecord`` is appended to ``<store>/ledgers/<run_id>.jsonl`` as soon as the router
records it; the run record gathers them when it is saved, and a resumed run reads them back.
"""

from __future__ import annotations

import threading
from pathlib import Path

from daedalus.llm.ledger import CallRecord

__all__ = ["LedgerLog"]


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
        line = record.model_dump_json() + "\n"
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
        """Every complete row written so far (a line cut short by a kill is skipped)."""
        if not self.path.exists():
            return []
        rows = []
        # Bytes, not text: a kill can cut a line inside a multi-byte character.
        for line in self.path.read_bytes().splitlines():
            if line.strip():
                try:
                    rows.append(CallRecord.model_validate_json(line))
                except ValueError:
                    continue
        return rows
