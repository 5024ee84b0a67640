"""The measuring process of ``provenance_scale`` (run as a script, so it imports only the
kernel it measures: its resident memory is the provenance work's, not the benchmark suite's).

``python bench/_provenance_child.py '<json parameters>'`` prints one JSON line of figures.
"""

from __future__ import annotations

import json
import resource
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["measure_in_process"]

_THINGS = ("a cracked seal", "a late shipment", "smoke", "a sealed letter", "two strangers")
_PLACES = ("the east gate", "the archive", "the docks", "the council hall", "the market")


def _rss_bytes() -> int:
    """Current resident set size of this process (``/proc/self/status``; 0 if unreadable)."""
    try:
        for line in Path("/proc/self/status").read_text(encoding="utf-8").splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _peak_rss_bytes() -> int:
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024  # KiB on Linux


def measure_in_process(
    events: int, timepoints: int, entities: int, branches: int, queries: int, seed: int
) -> dict[str, Any]:
    """Steps 1-4 of the module docstring in this process; returns the raw figures."""
    from daedalus.domain import ExposureEvent, ExposureKind, Timepoint
    from daedalus.provenance import ExposureLog, Provenance, Timeline

    rss_imports = _rss_bytes()
    rng = np.random.default_rng(seed)
    origin = datetime(2026, 1, 1)
    main_line = timepoints - branches * (timepoints // (2 * max(branches, 1)))
    per_branch = (timepoints - main_line) // branches if branches else 0
    items: list[Timepoint] = []
    for i in range(main_line):
        parent = items[-1].id if items else None
        items.append(Timepoint(id=f"m-{i:05d}", timestamp=origin + timedelta(hours=i),
                               causal_parent=parent))
    for b in range(branches):
        fork = items[int(rng.integers(len(items)))]
        previous = fork
        for k in range(per_branch):
            tp = Timepoint(
                id=f"b{b:02d}-{k:05d}",
                timestamp=previous.timestamp + timedelta(hours=1),
                causal_parent=previous.id,
                branch_id=f"b{b:02d}",
            )
            items.append(tp)
            previous = tp
    kinds = list(ExposureKind)
    started = time.perf_counter()
    log = ExposureLog()  # each validated event goes straight into the columnar log
    prior = min(2 * entities, events)
    cells = rng.integers(len(items), size=events)
    owners = rng.integers(entities, size=events)
    for j in range(events):
        owner = j // 2 if j < prior else int(owners[j])
        at = None if j < prior else items[int(cells[j])]
        log.append(
            ExposureEvent(
                id=f"x-{j:07d}",
                entity_id=f"e-{owner:05d}",
                kind=ExposureKind.INITIAL if at is None else kinds[j % len(kinds)],
                information=(
                    f"Saw {_THINGS[j % len(_THINGS)]} near {_PLACES[(j // 7) % len(_PLACES)]}, "
                    f"report {j}"
                ),
                source="external" if j % 3 else f"e-{(owner + 1) % entities:05d}",
                timepoint_id=None if at is None else at.id,
                timestamp=None if at is None else at.timestamp,
            )
        )
    events_seconds = time.perf_counter() - started
    rss_events = _rss_bytes()

    started = time.perf_counter()
    provenance = Provenance(Timeline(items), log)
    provenance.reindex()
    index_seconds = time.perf_counter() - started
    rss_indexed = _rss_bytes()

    asked = [
        (f"e-{int(e):05d}", items[int(t)].id)
        for e, t in zip(
            rng.integers(entities, size=queries), rng.integers(len(items), size=queries),
            strict=True,
        )
    ]
    durations: list[float] = []
    reads: list[float] = []
    returned: list[int] = []
    for entity_id, timepoint_id in asked:
        began = time.perf_counter()
        answer = provenance.knowledge_at(entity_id, timepoint_id)
        durations.append(time.perf_counter() - began)
        began = time.perf_counter()
        read = tuple(answer)  # every returned event rebuilt from the columns
        reads.append(time.perf_counter() - began)
        returned.append(len(read))
    durations.sort()
    return {
        "timepoints": len(items),
        "branches": branches,
        "events": events,
        "entities": entities,
        "queries": queries,
        "events_build_seconds": events_seconds,
        "index_build_seconds": index_seconds,
        "query_median_ms": 1000.0 * statistics.median(durations),
        "query_p95_ms": 1000.0 * durations[min(len(durations) - 1, int(0.95 * len(durations)))],
        "read_median_ms": 1000.0 * statistics.median(reads),
        "events_in_log": len(log),
        "mean_events_returned": statistics.fmean(returned),
        "rss_after_imports_bytes": rss_imports,
        "rss_after_events_bytes": rss_events,
        "rss_after_index_bytes": rss_indexed,
        # ru_maxrss is sampled by the kernel; never report a peak below a reading we took.
        "peak_rss_bytes": max(_peak_rss_bytes(), rss_events, rss_indexed, _rss_bytes()),
    }


if __name__ == "__main__":
    arguments = json.loads(sys.argv[1])
    print(json.dumps(measure_in_process(**arguments)))
