"""A run asks exactly what it would ask in a fresh process, whatever the process did before.

Schemas offer the cast as ``Literal`` options; typing caches unions by equality, which ignores
order, so a process that had built an equal option set in another order once asked the model
differently (issue 15: seed 0 after seed 7 gave other calls and tokens than seed 0 alone).
Here the process first builds every subset of the cast in reverse order, then the run's
response-cache keys (a hash of every prompt, schema and parameter) are compared with those of
the same run in a new interpreter.
"""

from __future__ import annotations

import itertools
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

from daedalus.agents._common import choice
from daedalus.runs import run
from daedalus.scenario import Scenario
from daedalus.templates import load_template

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = "mars_mission_portal"
SMALL = {"timeline": {"steps": 2}, "portal": {"candidates": 2}, "dialog": {"max_turns": 3}}
SEED = 0

_FRESH = """
import sys
from daedalus.runs import run
from daedalus.scenario import Scenario
scenario = Scenario.model_validate_json(open(sys.argv[1], encoding="utf-8").read())
run(scenario, model="offline", seed=int(sys.argv[2]), store=sys.argv[3], formats=())
"""


def _small() -> Scenario:
    data = load_template(TEMPLATE).model_dump()
    for section, values in SMALL.items():
        data[section] = {**(data.get(section) or {}), **values}
    return Scenario.model_validate(data)


def _keys(store: Path) -> set[str]:
    with sqlite3.connect(store / "cache.sqlite") as conn:
        return {key for (key,) in conn.execute("SELECT key FROM answers")}


def _crowd_the_caches(ids: list[str]) -> None:
    for size in range(1, len(ids) + 1):
        for subset in itertools.combinations(sorted(ids, reverse=True), size):
            options: Any = choice(subset)
            _ = options | None, list[options]


def test_a_run_asks_the_same_after_other_work_in_the_process(tmp_path: Path) -> None:
    scenario = _small()
    _crowd_the_caches(list(scenario.entity_ids))
    run(scenario, model="offline", seed=7, store=tmp_path / "other", formats=())
    here = tmp_path / "here"
    run(scenario, model="offline", seed=SEED, store=here, formats=())

    spec = tmp_path / "scenario.json"
    spec.write_text(scenario.model_dump_json(), encoding="utf-8")
    fresh = tmp_path / "fresh"
    subprocess.run(
        [sys.executable, "-c", _FRESH, str(spec), str(SEED), str(fresh)],
        cwd=ROOT, check=True, timeout=300,
    )
    assert _keys(here) and _keys(here) == _keys(fresh)
