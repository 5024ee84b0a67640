"""The event log of a world run: one JSON line per tick with its digest and event summaries.

Replay reads it back to check that re-running ticks from a snapshot gives the same digests.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import IO, Any

__all__ = ["EventLog", "read_event_log"]


class EventLog:
    """Appends tick records to ``path`` (``events.jsonl``); use as a context manager."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[str] | None = None

    def __enter__(self) -> EventLog:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = self.path.open("a", encoding="utf-8")
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def append(self, tick: int, digest: str, events: dict[str, Any]) -> None:
        """One line: the tick, its digest and its events (kind -> count and amount)."""
        if self._file is None:
            raise RuntimeError("EventLog.append outside its with-block")
        self._file.write(json.dumps({"tick": tick, "digest": digest, "events": events}) + "\n")


def read_event_log(path: Path) -> Iterator[dict[str, Any]]:
    """The records of an event log, in tick order as written."""
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                yield json.loads(line)
