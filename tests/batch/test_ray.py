"""The Ray backend on a local cluster: runs as tasks, and a worker killed mid-run is retried
with its run resumed from its checkpoint (no finished call paid twice)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.batch.support import check_a_batch_survives_a_killed_worker


def test_a_killed_ray_worker_loses_no_run_and_repeats_no_finished_call(
    ray_cluster: Any, tmp_path: Path
) -> None:
    check_a_batch_survives_a_killed_worker(tmp_path, "ray", latency=0.2)
