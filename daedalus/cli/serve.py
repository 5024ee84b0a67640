"""``daedalus serve`` (the REST API and the dashboard) and ``daedalus worker`` (a job worker).

``serve`` runs the FastAPI app on uvicorn with a worker thread beside it; ``--no-worker``
leaves the jobs to ``daedalus worker`` processes (any number, on the same store).
"""

from __future__ import annotations

from typing import Annotated

import typer

from daedalus.cli._errors import reporting_errors
from daedalus.cli._options import StoreOption, local_store
from daedalus.store import StoreLayout
from daedalus.store._url import is_postgres_url

__all__ = ["serve_command", "service_store", "worker_command"]


def service_store(store: str | None, command: str) -> tuple[StoreLayout, str | None]:
    """The store of a service command: its directory (created if missing) and, when the store
    is a ``postgresql://`` URL, that URL (runs, keys and jobs then live in the database; the
    directory, ``./daedalus_runs``, only holds local files such as batch records)."""
    if store is not None and is_postgres_url(store):
        return StoreLayout.at(store).create(), store
    return local_store(store, command), None


def serve_command(
    host: Annotated[str, typer.Option("--host", help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port.")] = 8000,
    store: StoreOption = None,
    no_worker: Annotated[
        bool, typer.Option("--no-worker", help="Run no jobs here (use `daedalus worker`).")
    ] = False,
    workers: Annotated[
        int, typer.Option("--workers", min=1, max=64, help="Worker threads running jobs here.")
    ] = 1,
) -> None:
    """Serve the REST API (/api/v1, OpenAPI at /docs) and the dashboard (/dashboard/)."""
    import uvicorn

    from daedalus.service import create_app

    with reporting_errors():
        layout, source = service_store(store, "serve")
        app = create_app(source or layout.root, worker=not no_worker, workers=workers)
    typer.echo(f"serving {layout.root} on http://{host}:{port}/dashboard/", err=True)
    uvicorn.run(app, host=host, port=port, log_level="info")


def worker_command(
    store: StoreOption = None,
    poll: Annotated[
        float, typer.Option("--poll", min=0.01, help="Seconds between looks at an empty queue.")
    ] = 0.5,
) -> None:
    """Run queued jobs of the store until interrupted (resuming any a dead worker left)."""
    from daedalus.service import Worker

    with reporting_errors():
        layout, source = service_store(store, "worker")
        worker = Worker(layout, poll_s=poll, source=source)
    typer.echo(f"worker {worker.owner} on {layout.root}", err=True)
    try:
        worker.serve()
    except KeyboardInterrupt:
        raise typer.Exit(0) from None
