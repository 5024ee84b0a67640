"""``daedalus estimate``: the numbers of ``daedalus.runs.estimate``, shown node by node."""

from __future__ import annotations

import json

from daedalus.runs import estimate
from daedalus.templates import load_template
from tests.cli.support import invoke, one_error_line


def test_estimate_prints_calls_tokens_dollars_and_nodes() -> None:
    expected = estimate(load_template("board_meeting"), model="offline")
    result = invoke("estimate", "board_meeting")
    assert result.exit_code == 0, result.output
    out = result.stdout
    tokens = expected.prompt_tokens + expected.completion_tokens
    assert f"{expected.calls:,} calls" in out and f"{tokens:,} tokens" in out
    assert "OFFLINE (free)" in out and "$0" in out
    for node, calls in expected.calls_by_node.items():
        line = next(row for row in out.splitlines() if row.split()[:1] == [node])
        assert f" {calls} " in line
    for assumption in expected.assumptions:
        assert assumption in out


def test_estimate_prices_a_pinned_model() -> None:
    expected = estimate(load_template("board_meeting"), model="qwen/qwq-32b")
    assert expected.cost_usd > 0
    result = invoke("estimate", "board_meeting", "--model", "qwen/qwq-32b", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["model"] == "qwen/qwq-32b" and data["offline"] is False
    assert data["cost_usd"] == expected.cost_usd and data["calls"] == expected.calls
    text = invoke("estimate", "board_meeting", "--model", "qwen/qwq-32b").stdout
    assert f"${expected.cost_usd:.6f}" in text


def test_estimate_of_an_unknown_template_or_model_is_bad_input() -> None:
    result = invoke("estimate", "no_such_template")
    assert result.exit_code == 2 and "no template named" in one_error_line(result)
    result = invoke("estimate", "board_meeting", "--model", "acme/none-1b")
    assert result.exit_code == 2 and "acme/none-1b" in one_error_line(result)


def test_the_estimate_fits_80_columns() -> None:
    result = invoke("estimate", "mars_mission_portal", COLUMNS="80")
    assert result.exit_code == 0, result.output
    assert max(len(line) for line in result.stdout.splitlines()) <= 80, result.stdout
    assert "portal_candidates" in result.stdout.split()
