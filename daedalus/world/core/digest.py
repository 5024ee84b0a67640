"""A BLAKE2 digest of every column of every table: equal digests mean identical states.

Each column is hashed on its own (BLAKE2b releases the GIL on large buffers, so two columns
hash at once on two cores) and the column digests are hashed in sorted order, so the result
never depends on thread timing or dict insertion order.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

from daedalus.world.core.tables import Table

__all__ = ["column_digest", "state_digest"]

_PARALLEL_BYTES = 1 << 16
"""Columns at least this large are hashed on the worker threads."""


@lru_cache(maxsize=1)
def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=2, thread_name_prefix="world-digest")


def column_digest(key: str, values: NDArray[Any]) -> bytes:
    """BLAKE2b-256 of one column's name, dtype, length and bytes."""
    h = hashlib.blake2b(f"{key}:{values.dtype.str}:{values.shape[0]}".encode(), digest_size=32)
    h.update(np.ascontiguousarray(values).data.cast("B"))
    return h.digest()


def state_digest(tables: Mapping[str, Table], tick: int) -> str:
    """Hex BLAKE2b-256 over the tick and every column digest, tables and columns sorted."""
    keys = [
        (f"{name}.{column}", tables[name].columns[column])
        for name in sorted(tables)
        for column in sorted(tables[name].columns)
    ]
    big = [(k, v) for k, v in keys if v.nbytes >= _PARALLEL_BYTES]
    futures = {k: _pool().submit(column_digest, k, v) for k, v in big}
    h = hashlib.blake2b(f"tick={tick}".encode(), digest_size=32)
    for key, values in keys:
        part = futures[key].result() if key in futures else column_digest(key, values)
        h.update(part)
    return h.hexdigest()
