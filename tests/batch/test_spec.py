"""Run specs and sweeps: expansion order, overrides applied and validated, bad input refused."""

from __future__ import annotations

import pytest

from daedalus.batch import RunSpec, parse_seeds, parse_set, sweep
from daedalus.batch._spec import apply_overrides
from daedalus.errors import ConfigError
from daedalus.templates import load_template


def test_seed_ranges_and_lists_expand_in_order_each_once() -> None:
    assert parse_seeds("0-3") == (0, 1, 2, 3)
    assert parse_seeds("5, 1,5,0-1") == (5, 1, 0)


@pytest.mark.parametrize("text", ["", "a-3", "3-1", "-2", "1,,2", "0-100000000"])
def test_malformed_seeds_are_one_line_config_errors(text: str) -> None:
    with pytest.raises(ConfigError, match="--seeds"):
        parse_seeds(text)


def test_set_values_are_read_as_yaml() -> None:
    assert parse_set("dialog.max_turns=4,8") == ("dialog.max_turns", (4, 8))
    assert parse_set("scene.weather=rain, fog") == ("scene.weather", ("rain", "fog"))


@pytest.mark.parametrize("text", ["dialog.max_turns", "=4", "dialog.max_turns="])
def test_malformed_set_is_refused(text: str) -> None:
    with pytest.raises(ConfigError, match="expected FIELD=VALUE"):
        parse_set(text)


def test_sweep_is_the_cartesian_product_with_seeds_fastest() -> None:
    specs = sweep(
        "board_meeting", seeds=(0, 1), sets=[("dialog.max_turns", (2, 4)), ("timeline.steps", (1,))]
    )
    assert [(s.overrides["dialog.max_turns"], s.seed) for s in specs] == [
        (2, 0), (2, 1), (4, 0), (4, 1)
    ]
    assert specs[2].scenario().dialog.max_turns == 4
    assert len({spec.key for spec in specs}) == 4


def test_overrides_are_validated_against_the_template() -> None:
    base = load_template("board_meeting")
    assert apply_overrides(base, {"scene.weather": "rain"}).scene.weather == "rain"
    with pytest.raises(ConfigError, match=r"dialog\.turns: unknown field"):
        apply_overrides(base, {"dialog.turns": 4})
    with pytest.raises(ConfigError, match=r"dialog\.max_turns"):
        apply_overrides(base, {"dialog.max_turns": 0})
    with pytest.raises(ConfigError, match="name is not a section"):
        apply_overrides(base, {"name.first": "x"})


def test_a_bad_combination_fails_the_whole_sweep_up_front() -> None:
    with pytest.raises(ConfigError, match=r"dialog\.max_turns"):
        sweep("board_meeting", seeds=(0,), sets=[("dialog.max_turns", (4, -1))])


def test_unknown_template_and_portal_what_if_are_refused() -> None:
    with pytest.raises(ConfigError, match="no template named 'nope'"):
        sweep("nope")
    with pytest.raises(ConfigError, match="PORTAL template cannot be branched"):
        sweep("mars_mission_portal", interventions=["the launch slips"])
    with pytest.raises(ConfigError, match="PORTAL"):
        RunSpec(template="mars_mission_portal", interventions=("x",)).scenario()
