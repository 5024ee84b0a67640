"""Kill a run after every N-th checkpoint, resume it, and compare with an uninterrupted run.

Run as a script: ``python -m tests.runs.kill_sweep ROOT TEMPLATE SEED [MAX_POINTS]``. The driver
imports Daedalus once and forks one child per run, so every run starts from a process that
has run nothing (no warm cache, counter or registry), like a fresh ``daedalus`` process, without
paying the import time again. For each kill point N a child runs the template and SIGKILLs
itself right after its N-th checkpoint is written (any thread: main line or branch), and a
second child resumes the run. Prints one JSON object: the number of checkpoints of the
uninterrupted run and, per kill point, the parts of run.json that differ (ledger and run
metadata aside).
"""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

import daedalus.runs as R

IGNORED = ("run", "ledger")
"""run.json parts that differ between any two runs (ids, times, call usage)."""

CONCURRENCY = 4
LATENCY = float(os.environ.get("KILL_SWEEP_LATENCY", "0"))
"""Seconds each offline call waits: parallel answers then arrive in varying order."""
HOOK = os.environ.get("KILL_SWEEP_AT", "aput")
"""``aput``: kill after a superstep's checkpoint; ``aput_writes``: after one task's writes
(mid-superstep: some parallel tasks saved, the others to run again)."""


def _in_child(work: Any) -> int:
    """Run ``work`` in a forked child; returns its exit status (negative: killed by a signal)."""
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            work()
        except BaseException as exc:  # report, never fall back into the driver's loop
            print(f"child failed: {type(exc).__name__}: {exc}", file=sys.stderr)
            code = 1
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)


def _kill_after(saves: int) -> None:
    """Make this process SIGKILL itself right after its ``saves``-th ``HOOK`` call."""
    original = getattr(AsyncSqliteSaver, HOOK)
    written = 0

    async def save(self: AsyncSqliteSaver, *args: Any, **kwargs: Any) -> Any:
        nonlocal written
        result = await original(self, *args, **kwargs)
        written += 1
        if written == saves:
            os.kill(os.getpid(), signal.SIGKILL)
        return result

    setattr(AsyncSqliteSaver, HOOK, save)


def _count_checkpoints() -> list[int]:
    original = getattr(AsyncSqliteSaver, HOOK)
    written = [0]

    async def save(self: AsyncSqliteSaver, *args: Any, **kwargs: Any) -> Any:
        written[0] += 1
        return await original(self, *args, **kwargs)

    setattr(AsyncSqliteSaver, HOOK, save)
    return written


def _run_json(store: Path) -> dict[str, Any]:
    from daedalus.store import SqliteRunStore, StoreLayout

    layout = StoreLayout(store)
    with SqliteRunStore(layout.runs_db) as runs:
        run = R.Run(runs.load_record("k"), layout)
    path = run.export(store / "out", ["json"])["json"]
    data: dict[str, Any] = json.loads(path.read_text())
    return {key: value for key, value in data.items() if key not in IGNORED}


def _differences(got: dict[str, Any], want: dict[str, Any]) -> list[str]:
    found = []
    for key in sorted(set(got) | set(want)):
        if got.get(key) != want.get(key):
            mine, theirs = got.get(key), want.get(key)
            size = f" ({len(mine)} vs {len(theirs)})" if isinstance(mine, list) and isinstance(
                theirs, list) else ""
            found.append(f"{key}{size}")
    return found


def spread(total: int, most: int | None) -> list[int]:
    """Kill points 1 .. total-1 (after every checkpoint but the last), or ``most`` of them
    spread evenly over the run, the first and the last included."""
    every = list(range(1, total))
    if most is None or most >= len(every):
        return every
    if most < 2:
        return every[:most]
    step = (len(every) - 1) / (most - 1)
    return sorted({every[round(i * step)] for i in range(most)})


def sweep(root: Path, template: str, seed: int, most: int | None = None) -> dict[str, Any]:
    """Kill after every checkpoint (or ``most`` spread over the run), resume, compare."""
    reference = root / "reference"

    def uninterrupted() -> None:
        counted = _count_checkpoints()
        R.run(template, store=reference, run_id="k", seed=seed, concurrency=CONCURRENCY,
              offline_latency=LATENCY)
        (reference / "checkpoints.count").write_text(str(counted[0]))

    if _in_child(uninterrupted) != 0:
        raise SystemExit("the uninterrupted run failed")
    total = int((reference / "checkpoints.count").read_text())
    want = _run_json(reference)
    results: dict[str, list[str]] = {}
    for point in spread(total, most):
        store = root / f"kill-{point}"

        def killed(point: int = point, store: Path = store) -> None:
            _kill_after(point)
            R.run(template, store=store, run_id="k", seed=seed, concurrency=CONCURRENCY,
                  offline_latency=LATENCY)

        def resumed(store: Path = store) -> None:
            R.resume("k", store=store, concurrency=CONCURRENCY, offline_latency=LATENCY)

        status = _in_child(killed)
        if status != -signal.SIGKILL:
            results[str(point)] = [f"the run was not killed (exit status {status})"]
            continue
        if _in_child(resumed) != 0:
            results[str(point)] = ["the resume failed"]
            continue
        results[str(point)] = _differences(_run_json(store), want)
    return {"checkpoints": total, "results": results}


if __name__ == "__main__":
    where, name, seed_text, *rest = sys.argv[1:]
    print(json.dumps(sweep(Path(where), name, int(seed_text), int(rest[0]) if rest else None)))
