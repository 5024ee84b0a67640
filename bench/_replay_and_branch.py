"""replay_and_branch: a rerun pays for nothing; a branch pays only for what it changes (M12).

Replay: ``hospital_crisis`` (PEARL, 5 steps) runs offline into a store, then runs again into
the same store with the same seed: every model call should be answered by the store's
response cache (0 ledger rows without ``cache_hit``), and the two ``run.json`` documents
(``daedalus.exports.run_json.run_document``) should match once the run's id and wall-clock
times are set aside. A replay's ledger bills no tokens (cache hits carry no usage), so the
comparison is reported both with the ledger's token and dollar figures and without them.

Branch: for each k in 1..n-1, ``daedalus.runs.branch`` forks the original after its k-th
moment (``at`` = the k-th main-line moment, so n - k moments are simulated anew) with one
fixed intervention. New calls are the ledger rows the branch added without ``cache_hit``;
the allowance is ``((n - k) / n + 0.05) * original calls``. The worst k is the headline.
"""

from __future__ import annotations

import shutil
from collections import Counter
from typing import Any

from bench._measure import Measurement, Report, at_most, exactly, figure
from bench._runs import fresh_store, resized, timed_run
from daedalus.exports.run_json import run_document
from daedalus.runs import Run, branch
from daedalus.scenario import Scenario
from daedalus.templates import load_template

__all__ = ["INTERVENTION", "comparable", "replay_and_branch"]

INTERVENTION = "An urgent message arrives and everyone present must answer it before anything else."
"""The intervention every branch applies."""


def comparable(document: dict[str, Any], *, usage: bool) -> dict[str, Any]:
    """``document`` without the run's id and wall-clock times (and, unless ``usage``, without
    the ledger's token and dollar figures, keeping its call counts)."""
    copy = dict(document)
    copy["run"] = {
        k: v for k, v in document["run"].items() if k not in ("id", "started_at", "completed_at")
    }
    if not usage:
        copy["ledger"] = _calls_only(document["ledger"])
    return copy


def _calls_only(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: _calls_only(v)
            for k, v in value.items()
            if k not in ("prompt_tokens", "completion_tokens", "cost_usd")
        }
    return value


def _main_moments(run: Run) -> list[str]:
    main = [tp for tp in run.timepoints if tp.branch_id == "main" and tp.moment_of is None]
    return [tp.id for tp in sorted(main, key=lambda tp: (tp.timestamp, tp.id))]


def _scenario(template: str, smoke: bool) -> Scenario:
    return resized(template, timeline={"steps": 3}) if smoke else load_template(template)


def replay_and_branch(
    *, smoke: bool = False, template: str = "hospital_crisis", seed: int = 3
) -> Report:
    """Replay and branch figures for ``template`` (module docstring)."""
    scenario = _scenario(template, smoke)
    store = fresh_store("replay")
    try:
        original = timed_run(scenario, store, seed=seed)
        replay = timed_run(scenario, store, seed=seed)
        first = run_document(original.run.record)
        second = run_document(replay.run.record)
        rows = original.run.ledger.records
        calls = sum(1 for row in rows if not row.cache_hit)
        moments = _main_moments(original.run)
        n = len(moments)
        seen = len(rows)
        branches: list[dict[str, Any]] = []
        for k in range(1, n):
            name = f"k{k}"
            branched = branch(
                original.run.id, at=moments[k - 1], intervention=INTERVENTION,
                branch_id=name, store=store,
            )
            added = branched.ledger.records[seen:]
            seen = len(branched.ledger.records)
            allowance = ((n - k) / n + 0.05) * calls
            fresh = sum(1 for row in added if not row.cache_hit)
            own = [tp for tp in branched.timepoints if tp.branch_id == name]
            branches.append(
                {
                    "k": k,
                    "new_calls": fresh,
                    "allowance": round(allowance, 2),
                    "ratio": fresh / allowance,
                    "calls_by_node": dict(
                        Counter(row.node for row in added if not row.cache_hit).most_common()
                    ),
                    "moments": sum(1 for tp in own if tp.moment_of is None),
                    "sub_moments": sum(1 for tp in own if tp.moment_of is not None),
                    "turns": sum(
                        len(d.turns) for d in branched.dialogs
                        if d.timepoint_id in {tp.id for tp in own}
                    ),
                }
            )
    finally:
        shutil.rmtree(store, ignore_errors=True)
    original_shape = {
        "calls": calls,
        "calls_by_node": dict(Counter(row.node for row in rows).most_common()),
        "moments": n,
        "sub_moments": sum(1 for tp in original.run.timepoints if tp.moment_of is not None),
        "turns": sum(len(d.turns) for d in original.run.dialogs),
    }
    replay_rows = replay.run.ledger.records
    worst = max(branches, key=lambda b: b["ratio"]) if branches else None
    measurements: list[Measurement] = [
        exactly(
            "replay_new_calls", sum(1 for r in replay_rows if not r.cache_hit), "calls", 0
        ),
        exactly(
            "replay_run_json_same",
            float(comparable(first, usage=False) == comparable(second, usage=False)),
            "bool",
            1,
            "ids, wall-clock times and the ledger's token/dollar figures aside",
        ),
        figure(
            "replay_run_json_same_with_usage",
            float(comparable(first, usage=True) == comparable(second, usage=True)),
            "bool",
            "ids and wall-clock times aside; a replay's ledger bills 0 tokens",
        ),
        figure("original_calls", calls, "calls"),
        figure("replay_wall_over_original", replay.wall_seconds / original.wall_seconds, "x"),
    ]
    if worst is not None:
        measurements.append(
            at_most(
                "branch_calls_over_allowance",
                worst["ratio"],
                "x",
                1.0,
                f"worst k = {worst['k']} of n = {n}: {worst['new_calls']} calls vs "
                f"{worst['allowance']} allowed",
            )
        )
    return Report(
        benchmark="replay_and_branch",
        measurements=tuple(measurements),
        parameters={"template": scenario.id, "steps": n, "seed": seed, "smoke": smoke},
        details={"original": original_shape, "branches": branches},
    )
