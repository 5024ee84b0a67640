"""Run stores, the run record they keep and the LangGraph checkpointers beside them (DESIGN 8).
May import llm, validators, portal, state, the kernel and below; never agents, graphs or runs.

``open_store`` opens a whole store (run store, checkpoints, response cache, ledgers) from a
directory (SQLite files, the default: ``SqliteRunStore`` keeps runs in ``<store>/runs.sqlite``,
see ``StoreLayout``) or a ``postgresql://`` URL (``daedalus.store.postgres``, shared across
machines). ``MemoryRunStore`` is the in-memory reference every run store must match (one
conformance suite runs against each, the run lease included).
"""

from daedalus.store._base import DEFAULT_LIST_LIMIT, RunStore, RunSummary
from daedalus.store._layout import DEFAULT_STORE_DIR, STORE_ENV, StoreLayout, store_dir
from daedalus.store._opened import SqliteStore, Store, open_store
from daedalus.store.lease import LEASE_TTL_S, Lease
from daedalus.store.memory import MemoryRunStore
from daedalus.store.sqlite import SqliteRunStore

__all__ = [
    "DEFAULT_LIST_LIMIT",
    "DEFAULT_STORE_DIR",
    "LEASE_TTL_S",
    "STORE_ENV",
    "Lease",
    "MemoryRunStore",
    "RunStore",
    "RunSummary",
    "SqliteRunStore",
    "SqliteStore",
    "Store",
    "StoreLayout",
    "open_store",
    "store_dir",
]
