"""The batch record: one JSON file in the store listing every run of a batch and how it went.

``<store>/batches/<batch id>/batch.json`` is rewritten (atomically: a temporary file, then a
rename) each time a run changes state, so an interrupted batch knows which runs finished and
which to resume. Run ids are given when the batch is made, before any run starts: a run killed
with its worker is found again under the same id and resumed from its checkpoint.
"""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from daedalus.batch._spec import RunSpec
from daedalus.errors import ConfigError, RunError
from daedalus.store import StoreLayout

__all__ = [
    "BatchEntry",
    "BatchOptions",
    "BatchRecord",
    "EntryStatus",
    "batch_dir",
    "list_batches",
    "load_batch",
    "new_batch_id",
    "save_batch",
]

EntryStatus = Literal["pending", "running", "completed", "failed"]
Backend = Literal["local", "process", "ray"]


def new_batch_id() -> str:
    """``batch_<utc timestamp>_<8 hex>``: sortable by start, unique across machines."""
    return f"batch_{datetime.now(UTC):%Y%m%d_%H%M%S}_{uuid.uuid4().hex[:8]}"


class BatchOptions(BaseModel):
    """How a batch runs: model, caps, parallelism, retries and backend (kept for resume)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    model: str | None = None
    base_url: str | None = None
    workers: int = Field(default=4, ge=1, le=1024)
    concurrency: int = Field(default=8, ge=1, le=1024, description="model calls in flight")
    budget_usd: float | None = Field(default=None, ge=0, description="cap over the whole batch")
    run_budget_usd: float | None = Field(default=None, ge=0, description="cap per run")
    retries: int = Field(default=2, ge=0, le=20, description="retries of a failed run")
    backoff_s: float = Field(default=1.0, ge=0, description="first wait before a retry")
    backend: Backend = "local"
    address: str | None = Field(default=None, description="Ray cluster address")
    offline_latency: float = Field(default=0.0, ge=0)


class BatchEntry(BaseModel):
    """One run of the batch: its spec, its run id and what happened to it."""

    model_config = ConfigDict(extra="forbid")

    index: int
    spec: RunSpec
    run_id: str
    status: EntryStatus = "pending"
    attempts: int = 0
    cost_usd: float = 0.0
    calls: int = Field(default=0, description="model calls, answers from the cache included")
    cache_hits: int = 0
    error: str | None = None


class BatchRecord(BaseModel):
    """A batch: its options and every run it holds."""

    model_config = ConfigDict(extra="forbid")

    id: str
    created_at: datetime
    updated_at: datetime
    options: BatchOptions
    entries: list[BatchEntry]

    @property
    def run_ids(self) -> list[str]:
        return [entry.run_id for entry in self.entries]

    def counts(self) -> dict[str, int]:
        """How many runs are in each state."""
        found = {"pending": 0, "running": 0, "completed": 0, "failed": 0}
        for entry in self.entries:
            found[entry.status] += 1
        return found

    @property
    def cost_usd(self) -> float:
        return sum(entry.cost_usd for entry in self.entries)

    @property
    def calls(self) -> int:
        return sum(entry.calls for entry in self.entries)


def batch_dir(layout: StoreLayout, batch_id: str) -> Path:
    """``<store>/batches/<batch id>/``: the record, the shared budget, the report."""
    return layout.root / "batches" / batch_id


def save_batch(layout: StoreLayout, record: BatchRecord) -> Path:
    """Write the record atomically; returns its path."""
    folder = batch_dir(layout, record.id)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "batch.json"
    record.updated_at = datetime.now(UTC)
    temporary = path.with_suffix(f".{os.getpid()}.tmp")
    temporary.write_text(record.model_dump_json(indent=2), encoding="utf-8")
    os.replace(temporary, path)
    return path


def load_batch(layout: StoreLayout, batch_id: str) -> BatchRecord:
    """The stored record of ``batch_id`` (``last`` means the newest); ``RunError`` if none."""
    if batch_id == "last":
        known = list_batches(layout)
        if not known:
            raise RunError(f"no batches in {layout.root} yet; start one with `daedalus batch run`")
        batch_id = known[-1]
    path = batch_dir(layout, batch_id) / "batch.json"
    if not path.is_file():
        raise RunError(f"no batch {batch_id!r} in {layout.root}; see `daedalus batch list`")
    try:
        return BatchRecord.model_validate_json(path.read_bytes())
    except ValueError as exc:
        raise ConfigError(f"{path}: not a batch record ({str(exc).splitlines()[0]})") from None


def list_batches(layout: StoreLayout) -> list[str]:
    """Ids of the batches in the store, oldest first."""
    root = layout.root / "batches"
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / "batch.json").is_file())
