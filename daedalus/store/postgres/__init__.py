"""The store on PostgreSQL (``pip install 'daedalus-sim[postgres]'``): runs, checkpoints, the
response cache, ledgers and leases shared by processes on any number of machines.
May import the rest of ``daedalus.store`` and what it may import, plus psycopg.

Open it with ``daedalus.store.open_store("postgresql://USER@HOST/DATABASE?schema=NAME")``;
one module per concept: ``records`` (the run store), ``lease``, ``cache``, ``ledger`` and
``checkpoint``, brought together by ``store``.
"""

from daedalus.store.postgres._target import DEFAULT_SCHEMA
from daedalus.store.postgres.cache import PostgresResponseCache
from daedalus.store.postgres.checkpoint import async_postgres_checkpointer, postgres_checkpointer
from daedalus.store.postgres.ledger import PostgresCallLog
from daedalus.store.postgres.records import PostgresRunStore
from daedalus.store.postgres.store import PostgresStore

__all__ = [
    "DEFAULT_SCHEMA",
    "PostgresCallLog",
    "PostgresResponseCache",
    "PostgresRunStore",
    "PostgresStore",
    "async_postgres_checkpointer",
    "postgres_checkpointer",
]
