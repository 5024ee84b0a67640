"""provenance_scale: ``knowledge_at`` over 1,000,000 exposures on 10,000 branching timepoints.

The work runs in a child process (``bench/_provenance_child.py``, importing only numpy and the
kernel) so its peak resident memory (``resource.getrusage(RUSAGE_SELF).ru_maxrss``) is this
benchmark's alone. The child:

1. builds the timeline: a main line, then branches that each fork from a random earlier
   timepoint (of the main line or of an earlier branch, so branches nest), hourly steps;
2. builds the exposures as validated ``ExposureEvent`` models, each appended to an
   ``ExposureLog`` (stored by column) as it is made: two prior-knowledge events per entity, the
   rest at uniformly drawn (entity, timepoint) cells, each with a sentence of information and
   the timepoint's timestamp (setup, reported but not a target);
3. times the index build: the ``Timeline``, a ``Provenance`` over it and the log, and
   ``reindex()``, which builds every per-entity view;
4. times ``knowledge_at`` for random (entity, timepoint) pairs, one query at a time, and
   separately the reading of every event of each answer (the answer is lazy: events are
   rebuilt from the log's columns when read).

Memory figures: resident set after imports, after the log holds the events, and the peak.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench._measure import Report, at_most, figure

__all__ = ["provenance_scale"]

_CHILD = Path(__file__).resolve().with_name("_provenance_child.py")


def provenance_scale(
    *,
    smoke: bool = False,
    events: int | None = None,
    timepoints: int | None = None,
    entities: int | None = None,
    branches: int | None = None,
    queries: int | None = None,
    seed: int = 11,
) -> Report:
    """Run the child process and report its figures against the targets."""
    params = {
        "events": events or (20_000 if smoke else 1_000_000),
        "timepoints": timepoints or (500 if smoke else 10_000),
        "entities": entities or (100 if smoke else 1_000),
        "branches": branches or (5 if smoke else 20),
        "queries": queries or (200 if smoke else 2_000),
        "seed": seed,
    }
    done = subprocess.run(
        [sys.executable, str(_CHILD), json.dumps(params)],
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    if done.returncode != 0:
        raise RuntimeError(f"provenance_scale child failed: {done.stderr.strip()[-2000:]}")
    raw: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    event_mb = (raw["rss_after_events_bytes"] - raw["rss_after_imports_bytes"]) / 1e6
    index_mb = (raw["rss_after_index_bytes"] - raw["rss_after_events_bytes"]) / 1e6
    return Report(
        benchmark="provenance_scale",
        measurements=(
            at_most("knowledge_at_median_ms", raw["query_median_ms"], "ms", 0.1),
            figure("knowledge_at_p95_ms", raw["query_p95_ms"], "ms"),
            figure("read_answer_median_ms", raw["read_median_ms"], "ms", "rebuilding its events"),
            at_most("index_build_seconds", raw["index_build_seconds"], "s", 10.0),
            at_most("peak_rss_gb", raw["peak_rss_bytes"] / 1e9, "GB", 0.4, "10^9 bytes"),
            figure("exposure_log_mb", event_mb, "MB", "resident growth while filling the log"),
            figure("index_mb", index_mb, "MB", "resident growth while indexing"),
            figure("events_build_seconds", raw["events_build_seconds"], "s", "setup"),
        ),
        parameters={**params, "smoke": smoke},
        details=raw,
    )


