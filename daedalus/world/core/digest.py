"""A BLAKE2 digest of every column of every table: equal digests mean identical states.

A column's digest is BLAKE2b over its name, dtype and length, then over the BLAKE2b digests of
its 64 KiB blocks in order. Blocks make the digest incremental: a ``DigestCache`` keeps the
bytes and block digests of the last state it saw and rehashes only the blocks whose bytes
changed (a birth touches a few blocks of ``uid`` and ``sex``, not all of them), while the
result is the same with or without a cache. Columns are hashed on two threads (BLAKE2b
releases the GIL on large buffers) and combined in sorted order, so the result never depends
on thread timing or dict insertion order. ``DigestCache.prehash`` starts a large column's hash
early, on those threads, once the column is final for the tick (the world calls it after the
column's last writer has run), so the hashing overlaps the rest of the tick; the digest then
takes that result when the column is still the same array.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

from daedalus.world.core.tables import Table

__all__ = ["BLOCK_BYTES", "DigestCache", "column_digest", "state_digest"]

BLOCK_BYTES = 1 << 16
"""Bytes per hashed block of a column."""
_PARALLEL_BYTES = 1 << 16
"""Columns at least this large are hashed on the worker threads."""


@lru_cache(maxsize=1)
def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=2, thread_name_prefix="world-digest")


@dataclass
class _Seen:
    """A column as last hashed: its bytes and the digest of each block."""

    header: bytes
    raw: NDArray[np.uint8]
    blocks: list[bytes]


_Hashed = tuple[bytes, _Seen]


@dataclass
class DigestCache:
    """The last hashed bytes of every column, so an unchanged block is never hashed twice,
    and the hashes started early (``prehash``) that the next digest collects."""

    seen: dict[str, _Seen] = field(default_factory=dict)
    pending: dict[str, tuple[NDArray[Any], Future[_Hashed]]] = field(default_factory=dict)

    def prehash(self, key: str, values: NDArray[Any]) -> None:
        """Start hashing column ``key`` on the worker threads (large columns only). The array
        must not change in place before the next ``state_digest`` with this cache; a column
        replaced by another array meanwhile is simply hashed again."""
        if values.nbytes < _PARALLEL_BYTES:
            return
        self._collect(key)
        self.pending[key] = (values, _pool().submit(_hash_column, key, values, self.seen.get(key)))

    def _collect(self, key: str) -> tuple[NDArray[Any], bytes] | None:
        """Wait for ``key``'s early hash, if any: the array it hashed and its digest."""
        started = self.pending.pop(key, None)
        if started is None:
            return None
        values, future = started
        part, self.seen[key] = future.result()
        return values, part


def _header(key: str, values: NDArray[Any]) -> bytes:
    return f"{key}:{values.dtype.str}:{values.shape[0]}".encode()


def _block(raw: NDArray[np.uint8], start: int) -> bytes:
    return hashlib.blake2b(raw[start:start + BLOCK_BYTES].data, digest_size=32).digest()


def _hash_column(key: str, values: NDArray[Any], before: _Seen | None) -> tuple[bytes, _Seen]:
    header = _header(key, values)
    raw = np.ascontiguousarray(values).reshape(-1).view(np.uint8)
    starts = range(0, raw.size, BLOCK_BYTES)
    if before is None or before.header != header:
        seen = _Seen(header, raw.copy(), [_block(raw, s) for s in starts])
    else:
        seen = before
        for index, start in enumerate(starts):
            new, old = raw[start:start + BLOCK_BYTES], seen.raw[start:start + BLOCK_BYTES]
            if not np.array_equal(new, old):
                old[:] = new
                seen.blocks[index] = _block(raw, start)
    h = hashlib.blake2b(header, digest_size=32)
    for part in seen.blocks:
        h.update(part)
    return h.digest(), seen


def column_digest(key: str, values: NDArray[Any]) -> bytes:
    """BLAKE2b-256 of one column's name, dtype, length and block digests."""
    return _hash_column(key, values, None)[0]


def state_digest(
    tables: Mapping[str, Table], tick: int, cache: DigestCache | None = None
) -> str:
    """Hex BLAKE2b-256 over the tick and every column digest, tables and columns sorted;
    ``cache`` (owned by one world) only saves work, the digest is the same without it."""
    keys = [
        (f"{name}.{column}", tables[name].columns[column])
        for name in sorted(tables)
        for column in sorted(tables[name].columns)
    ]
    early: dict[str, bytes] = {}
    if cache is not None:
        current = dict(keys)
        for key in list(cache.pending):
            collected = cache._collect(key)
            if collected is not None and collected[0] is current.get(key):
                early[key] = collected[1]
    seen = cache.seen if cache is not None else {}
    futures: dict[str, Future[_Hashed]] = {
        k: _pool().submit(_hash_column, k, v, seen.get(k))
        for k, v in keys
        if v.nbytes >= _PARALLEL_BYTES and k not in early
    }
    h = hashlib.blake2b(f"tick={tick}".encode(), digest_size=32)
    for key, values in keys:
        if key in early:
            h.update(early[key])
            continue
        part, entry = (
            futures[key].result() if key in futures else _hash_column(key, values, seen.get(key))
        )
        if cache is not None:
            cache.seen[key] = entry
        h.update(part)
    return h.hexdigest()
