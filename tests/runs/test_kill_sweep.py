"""A run killed (SIGKILL) after any checkpoint resumes to the same run.json as a run never
interrupted, in every mode (ledger usage aside).

Each mode's quick template is killed at points spread over its whole run, main line and
branches alike, each kill and each resume in a fresh forked process (see ``kill_sweep``):
right after a superstep's checkpoint, and right after one task's writes (mid-superstep, with
parallel tasks left to run again). CI kills at ``KILL_POINTS`` points per mode and kind;
``DAEDALUS_KILL_POINTS=all`` kills after every one (several hundred runs, many minutes), e.g.
after changing a node.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
KILL_POINTS = 5
QUICK = {  # mode: (template, seed)
    "pearl": ("board_meeting", 0),
    "portal": ("litigation_portal", 0),
    "branching": ("vc_pitch_branching", 5),
    "cyclical": ("harvest_festival", 0),
    "directorial": ("courtroom_directorial", 0),
    "nonlinear": ("heist_reverse", 0),
}


def _points() -> int | None:
    """Kill points per mode: ``DAEDALUS_KILL_POINTS`` (``all``: every checkpoint)."""
    wanted = os.environ.get("DAEDALUS_KILL_POINTS", str(KILL_POINTS)).strip()
    return None if wanted == "all" else int(wanted)


@pytest.mark.skipif(sys.platform == "win32", reason="the sweep forks and uses SIGKILL")
@pytest.mark.parametrize("hook", ["aput", "aput_writes"])
@pytest.mark.parametrize("mode", sorted(QUICK))
def test_a_run_killed_at_any_checkpoint_resumes_to_the_same_run(
    mode: str, hook: str, tmp_path: Path
):
    template, seed = QUICK[mode]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENROUTER_", "DAEDALUS_"))}
    env["KILL_SWEEP_LATENCY"] = "0.002"  # parallel answers arrive in varying order
    env["KILL_SWEEP_AT"] = hook
    done = subprocess.run(
        [sys.executable, "-m", "tests.runs.kill_sweep", str(tmp_path), template, str(seed),
         *([] if _points() is None else [str(_points())])],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=900,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    results = report["results"]
    most = _points()
    every = report["checkpoints"] - 1
    assert len(results) == (every if most is None else min(most, every)) and every > 10
    different = {point: parts for point, parts in results.items() if parts}
    assert different == {}, f"{mode}: resumed runs differ when killed after {hook} {different}"
