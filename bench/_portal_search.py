"""portal_search: how the PORTAL backward search decides, offline, over seeds 0-7.

``mars_mission_portal`` runs through ``daedalus.runs.run`` with the offline model (no latency)
once per seed. Reported as medians over the seeds: calls and prompt tokens of the whole run
(and the largest over the smallest prompt-token count), proposal rounds per slot, and
re-proposals plus backtracks per slot (the reference search took 2.1 rounds per slot at seed
7, 8 re-proposals and 2 backtracks). Context figures show that the
judge's totals follow the trials' evidence: the mean total of candidates whose trial reached
the target against those whose trial missed it (the reference search: 0.494 against 0.487),
and the share of slots whose winner's trial reached the target.
"""

from __future__ import annotations

import shutil
from statistics import fmean

from bench._measure import Measurement, Report, at_most, figure, median
from bench._runs import fresh_store, resized, timed_run
from daedalus.portal import DecisionKind, PortalRecord, TrialVerdict
from daedalus.scenario import Scenario
from daedalus.templates import load_template

__all__ = ["REFERENCE_SEARCH", "portal_search", "search_figures"]

REFERENCE_SEARCH = {"rounds_per_slot_seed_7": 2.1, "mean_total_reached": 0.494,
                    "mean_total_missed": 0.487}
"""The search as examined before trials decided (mars_mission_portal, seed 7, offline)."""


def search_figures(record: PortalRecord) -> dict[str, float]:
    """Per run: rounds and re-proposals plus backtracks per slot, mean totals of reached and
    missed candidates (NaN when there are none), and the share of winners that reached."""
    slots = record.slot_count
    scores = [s for step in record.steps for r in step.rounds for s in r.scores]
    reached = [s.total for s in scores if s.verdict is TrialVerdict.REACHED]
    missed = [s.total for s in scores if s.verdict is TrialVerdict.MISSED]
    steering = (DecisionKind.REPROPOSE, DecisionKind.BACKTRACK)
    moves = sum(decision.kind in steering for decision in record.decisions)
    winners = [record.chosen_trial(slot) for slot in range(slots)]
    return {
        "rounds_per_slot": record.round_count / slots,
        "moves_per_slot": moves / slots,
        "mean_total_reached": fmean(reached) if reached else float("nan"),
        "mean_total_missed": fmean(missed) if missed else float("nan"),
        "winners_reached": sum(bool(w and w.reaches_target) for w in winners) / slots,
    }


def _scenario(smoke: bool) -> Scenario:
    if smoke:
        return resized("mars_mission_portal", timeline={"steps": 2}, portal={"candidates": 3},
                       dialog={"max_turns": 3})
    return load_template("mars_mission_portal")


def _rounded(values: list[float]) -> list[float | None]:
    # NaN (no candidate of that verdict) is not JSON; a report shows it as null.
    return [round(v, 4) if v == v else None for v in values]


def _finite_median(values: list[float]) -> float:
    kept = [v for v in values if v == v]
    return median(kept) if kept else 0.0


def portal_search(*, smoke: bool = False, seeds: tuple[int, ...] | None = None) -> Report:
    """Run the search benchmark (see the module docstring)."""
    seeds = seeds or ((0, 1) if smoke else tuple(range(8)))
    scenario = _scenario(smoke)
    calls, tokens, rows = [], [], []
    for seed in seeds:
        store = fresh_store("portal-search")
        try:
            finished = timed_run(scenario, store, seed=seed).run
        finally:
            shutil.rmtree(store, ignore_errors=True)
        totals = finished.ledger.totals()
        calls.append(float(totals.calls))
        tokens.append(float(totals.prompt_tokens))
        rows.append(search_figures(PortalRecord.model_validate(finished.record.portal)))
    by_seed = {name: [row[name] for row in rows] for name in rows[0]}
    measurements: list[Measurement] = [
        at_most("median_calls", median(calls), "calls", 400, f"seeds {list(seeds)}"),
        at_most("median_prompt_tokens", median(tokens), "tokens", 300_000,
                "issue 12 asked <= 350k; issue 15 <= 300k"),
        at_most("prompt_tokens_max_over_min", max(tokens) / min(tokens), "ratio", 1.6,
                "spread of prompt tokens over the seeds"),
        at_most("rounds_per_slot", median(by_seed["rounds_per_slot"]), "rounds", 2.0,
                "reference search: 2.1 at seed 7"),
        figure("moves_per_slot", median(by_seed["moves_per_slot"]), "moves",
               "re-proposals plus backtracks"),
        figure("mean_total_reached", _finite_median(by_seed["mean_total_reached"]), "score",
               "reference search: 0.494"),
        figure("mean_total_missed", _finite_median(by_seed["mean_total_missed"]), "score",
               "reference search: 0.487"),
        figure("winners_reached", median(by_seed["winners_reached"]), "share"),
    ]
    return Report(
        benchmark="portal_search",
        measurements=tuple(measurements),
        parameters={"scenario": scenario.id, "steps": scenario.timeline.steps,
                    "seeds": list(seeds), "smoke": smoke},
        details={
            "calls_by_seed": calls,
            "prompt_tokens_by_seed": tokens,
            **{f"{name}_by_seed": _rounded(values) for name, values in by_seed.items()},
            "reference": REFERENCE_SEARCH,
        },
    )
