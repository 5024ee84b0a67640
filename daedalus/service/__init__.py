"""The REST API and the dashboard, served by one FastAPI app, and the worker that runs jobs.
May import daedalus.batch, daedalus.runs and everything below them.

``create_app(store)`` builds the app (``daedalus serve`` runs it on uvicorn; ``app`` is the one
``langgraph.json`` mounts). Submissions become jobs in ``<store>/service.sqlite``
(``JobQueue``); a ``Worker`` carries them out through an ``Executor`` (``LocalExecutor`` calls
``daedalus.runs``). API keys (``KeyStore``) are stored hashed and scoped read or write.
Routers by concept: ``runs``, ``batches``, ``provenance``, ``catalog``, ``dashboard``.
"""

from __future__ import annotations

from daedalus.service._db import ServiceDb
from daedalus.service.app import create_app
from daedalus.service.jobs import Executor, Job, JobQueue, RunEvent
from daedalus.service.keys import ApiKey, KeyStore
from daedalus.service.worker import LocalExecutor, Worker

__all__ = [
    "ApiKey",
    "Executor",
    "Job",
    "JobQueue",
    "KeyStore",
    "LocalExecutor",
    "RunEvent",
    "ServiceDb",
    "Worker",
    "create_app",
]
