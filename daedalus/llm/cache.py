"""The response cache (M18): every model answer stored by a hash of what was asked.

``cache_key`` is the sha256 of the canonical JSON of (model id, messages, sampling parameters,
output schema, structured-output method, seed). The router keys on the **first model of the
fallback chain**, not on the model that answered: the chain head is known before any call, so a
rerun, a resume or a branch finds the answer without asking anyone, even when a fallback
model gave it the first time. The stored ``CachedAnswer.model`` still names the model that
answered, and that is the model the ledger row of a hit shows.

Two implementations: ``InMemoryResponseCache`` (one process) and ``SQLiteResponseCache`` (one
file, WAL journal, safe for several threads and processes).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol, runtime_checkable

from langchain_core.messages import AIMessage, BaseMessage
from pydantic import BaseModel, ConfigDict, Field

from daedalus.llm._schemas import json_schema
from daedalus.llm.params import SamplingParams
from daedalus.llm.registry import StructuredOutputMethod

__all__ = [
    "CachedAnswer",
    "InMemoryResponseCache",
    "ResponseCache",
    "SQLiteResponseCache",
    "cache_key",
]


class CachedAnswer(BaseModel):
    """A stored answer: the raw text or tool arguments, the model that gave it, its usage."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    model: str
    text: str = ""
    tool_args: dict[str, Any] | None = None
    prompt_tokens: int = Field(default=0, ge=0)
    completion_tokens: int = Field(default=0, ge=0)
    cost_usd: float = Field(default=0.0, ge=0.0)


def cache_key(
    *,
    model: str,
    messages: Sequence[BaseMessage],
    params: SamplingParams,
    schema: type[BaseModel] | None,
    method: StructuredOutputMethod | None,
    seed: int,
) -> str:
    """The hex sha256 naming one request; equal requests give equal keys in every process."""
    payload = {
        "model": model,
        "messages": [_message_fields(m) for m in messages],
        "params": params.as_kwargs(),
        "schema": None if schema is None else json_schema(schema),
        "method": None if schema is None or method is None else method.value,
        "seed": seed,
    }
    canonical = json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _message_fields(message: BaseMessage) -> dict[str, Any]:
    # Tool-call ids are generated per run, so only names and arguments take part in the key.
    fields: dict[str, Any] = {"type": message.type, "content": message.content}
    if isinstance(message, AIMessage) and message.tool_calls:
        fields["tool_calls"] = [{"name": c["name"], "args": c["args"]} for c in message.tool_calls]
    return fields


@runtime_checkable
class ResponseCache(Protocol):
    """Where the router looks answers up before asking a model, and stores them after."""

    def get(self, key: str) -> CachedAnswer | None:
        """The answer stored under ``key``, or ``None``."""
        ...

    def put(self, key: str, answer: CachedAnswer) -> None:
        """Store ``answer`` under ``key`` (replacing any earlier one)."""
        ...


class InMemoryResponseCache:
    """A dict-backed cache for one process; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._answers: dict[str, CachedAnswer] = {}

    def get(self, key: str) -> CachedAnswer | None:
        """The answer stored under ``key``, or ``None``."""
        with self._lock:
            return self._answers.get(key)

    def put(self, key: str, answer: CachedAnswer) -> None:
        """Store ``answer`` under ``key``."""
        with self._lock:
            self._answers[key] = answer

    def __len__(self) -> int:
        with self._lock:
            return len(self._answers)


_SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    key TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    text TEXT NOT NULL,
    tool_args TEXT,
    prompt_tokens INTEGER NOT NULL,
    completion_tokens INTEGER NOT NULL,
    cost_usd REAL NOT NULL
)
"""


class SQLiteResponseCache:
    """A cache in one SQLite file (one table ``answers``), shareable by threads and processes.

    The WAL journal lets readers run while another process writes; a busy timeout makes
    concurrent writers wait instead of failing. Commits are not fsynced one by one
    (``synchronous = NORMAL``), as in the run store. Close it (or use it as a context manager).
    """

    def __init__(self, path: str | Path, *, busy_timeout_s: float = 10.0) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(
            self.path, timeout=busy_timeout_s, isolation_level=None, check_same_thread=False
        )
        self._conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_s * 1000)}")
        self._conn.execute("PRAGMA journal_mode = WAL")
        # As the run store does: a commit survives the process being killed (what resume
        # relies on) without an fsync per answer; only an OS crash may lose the last ones.
        self._conn.execute("PRAGMA synchronous = NORMAL")
        self._conn.execute(_SCHEMA)

    def get(self, key: str) -> CachedAnswer | None:
        """The answer stored under ``key``, or ``None``."""
        with self._lock:
            row = self._conn.execute(
                "SELECT model, text, tool_args, prompt_tokens, completion_tokens, cost_usd "
                "FROM answers WHERE key = ?",
                (key,),
            ).fetchone()
        if row is None:
            return None
        model, text, tool_args, prompt_tokens, completion_tokens, cost_usd = row
        return CachedAnswer(
            model=model,
            text=text,
            tool_args=None if tool_args is None else json.loads(tool_args),
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            cost_usd=cost_usd,
        )

    def put(self, key: str, answer: CachedAnswer) -> None:
        """Store ``answer`` under ``key`` (the last writer wins; equal keys hold equal asks)."""
        tool_args = None if answer.tool_args is None else json.dumps(answer.tool_args)
        with self._lock:
            self._conn.execute(
                "INSERT OR REPLACE INTO answers VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    key,
                    answer.model,
                    answer.text,
                    tool_args,
                    answer.prompt_tokens,
                    answer.completion_tokens,
                    answer.cost_usd,
                ),
            )

    def __len__(self) -> int:
        with self._lock:
            (count,) = self._conn.execute("SELECT COUNT(*) FROM answers").fetchone()
        return int(count)

    def close(self) -> None:
        """Close the connection; the file stays."""
        with self._lock:
            self._conn.close()

    def __enter__(self) -> SQLiteResponseCache:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
