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

    @classmethod
    def of(cls, root: Path, run_id: str) -> LedgerLog:
        return cls(root / "ledgers" / f"{run_id}.jsonl")

    def append(self, record: CallRecord) -> None:
        line = record.model_dump_json() + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(line)
                handle.flush()

    def read(self) -> list[CallRecord]:
        """Every complete row written so far (a line cut short by a kill is skipped)."""
        if not self.path.exists():
            return []
        rows = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                try:
                    rows.append(CallRecord.model_validate_json(line))
                except ValueError:
                    continue
        return rows
