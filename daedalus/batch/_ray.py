"""The Ray backend: each run a Ray task, results streamed back as they finish.

Connects to the cluster at ``address`` (``ray://head:10001`` with Ray Client, ``head:6379``
from a node of the cluster, ``auto``), or starts a local one when no address is given and no
Ray session is open in this process. Up to ``workers`` tasks are in flight at once. A worker
killed mid-run makes Ray run the task again on another worker (``max_retries``): the run is
found in the store under its id and resumes from its last checkpoint, its finished calls
answered from the response cache. Every worker must reach the store directory (one machine,
or a directory every node mounts at the same path).
"""

from __future__ import annotations

import socket
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlparse

from daedalus.batch._local import running
from daedalus.batch._worker import Job, RunUpdate, UpdateSink, execute
from daedalus.errors import ConfigError

__all__ = ["check_address", "dispatch_ray"]

_LOCAL = (None, "", "local")


def _ray() -> Any:
    try:
        import ray
    except ImportError:
        raise ConfigError(
            "the ray backend needs Ray: pip install 'daedalus[ray]'"
        ) from None
    return ray


def check_address(address: str | None) -> None:
    """``ConfigError`` unless Ray is installed and ``address`` (if it names a host) answers."""
    _ray()
    if address in _LOCAL or address == "auto":
        return
    assert address is not None
    parsed = urlparse(address if "://" in address else f"ray://{address}")
    try:
        host, port = parsed.hostname, parsed.port
    except ValueError:
        host, port = None, None
    if not host or not port:
        raise ConfigError(
            f"--address {address!r}: expected HOST:PORT or ray://HOST:PORT (or auto, local)"
        )
    try:
        socket.create_connection((host, port), timeout=5.0).close()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ConfigError(
            f"--address {address!r}: no Ray cluster answers there ({reason})"
        ) from None


def dispatch_ray(jobs: Sequence[Job], on_update: UpdateSink) -> None:
    """Run ``jobs`` as Ray tasks, ``workers`` in flight, reporting each as it finishes."""
    if not jobs:
        return
    ray = _ray()
    options = jobs[0].options
    started_here = not ray.is_initialized()
    if started_here:
        address = None if options.address in _LOCAL else options.address
        try:
            ray.init(address=address, include_dashboard=False, log_to_driver=False)
        except (ConnectionError, RuntimeError) as exc:
            raise ConfigError(
                f"--address {options.address!r}: cannot join the Ray cluster ({exc})"
            ) from None
    try:
        task = ray.remote(num_cpus=1, max_retries=max(options.retries, 1) + 2)(execute)
        queue = list(jobs)
        flight: dict[Any, Job] = {}
        while queue or flight:
            while queue and len(flight) < options.workers:
                job = queue.pop(0)
                flight[task.remote(job)] = job
                on_update(running(job))
            ready, _ = ray.wait(list(flight), num_returns=1)
            for ref in ready:
                job = flight.pop(ref)
                on_update(_result(ray, ref, job))
    finally:
        if started_here:
            ray.shutdown()


def _result(ray: Any, ref: Any, job: Job) -> RunUpdate:
    try:
        outcome: RunUpdate = ray.get(ref)
        return outcome
    except Exception as exc:  # the task's retries are spent (workers kept dying)
        line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return RunUpdate(
            index=job.entry.index, run_id=job.entry.run_id, state="failed",
            label=job.entry.spec.label(), error=f"ray: {line}",
        )
