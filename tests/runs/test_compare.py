"""``compare``: convergence of runs of one template (outcome similarity, role stability)."""

from __future__ import annotations

from pathlib import Path

import pytest

import daedalus.runs as R
from daedalus.errors import ConfigError

TEMPLATE = "convergence_simple"


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, R.Run]:
    root: Path = tmp_path_factory.mktemp("store")
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("OPENROUTER_API_KEY", raising=False)
        patch.delenv("OPENROUTER_BASE_URL", raising=False)
        return {
            "seed1": R.run(TEMPLATE, seed=1, store=root, run_id="seed1"),
            "seed2": R.run(TEMPLATE, seed=2, store=root, run_id="seed2"),
            "replay": R.run(TEMPLATE, seed=1, store=root, run_id="replay"),
            "other": R.run("board_meeting", seed=1, store=root, run_id="other"),
        }


def test_two_seeds_give_a_similarity_in_the_unit_interval_and_a_stability_per_entity(runs):
    first, second = runs["seed1"], runs["seed2"]
    assert [d.model_dump_json() for d in first.dialogs] != [
        d.model_dump_json() for d in second.dialogs
    ]
    result = R.compare([first, second])
    assert result.template == TEMPLATE and result.runs == ("seed1", "seed2")
    assert 0.0 <= result.outcome_similarity < 1.0
    speakers = {t.speaker for run in (first, second) for d in run.dialogs for t in d.turns}
    assert set(result.role_stability) == set(first.entities) | set(second.entities)
    assert speakers <= set(result.role_stability)
    assert all(0.0 <= value <= 1.0 for value in result.role_stability.values())
    mean = sum(result.role_stability.values()) / len(result.role_stability)
    assert result.mean_role_stability == pytest.approx(mean, abs=1e-4)


def test_identical_runs_converge_fully(runs):
    result = R.compare([runs["seed1"], runs["replay"]])
    assert result.outcome_similarity == 1.0
    assert all(value == 1.0 for value in result.role_stability.values())


def test_the_order_of_the_runs_does_not_change_the_verdict(runs):
    forward = R.compare([runs["seed1"], runs["seed2"]])
    backward = R.compare([runs["seed2"], runs["seed1"]])
    assert forward.outcome_similarity == backward.outcome_similarity
    assert forward.role_stability == backward.role_stability


def test_runs_of_different_templates_or_a_single_run_are_refused(runs):
    with pytest.raises(ConfigError, match="runs of one template"):
        R.compare([runs["seed1"], runs["other"]])
    with pytest.raises(ConfigError, match="at least two runs"):
        R.compare([runs["seed1"]])
