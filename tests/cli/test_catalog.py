"""``daedalus list`` and ``daedalus show``."""

from __future__ import annotations

from pathlib import Path

import pytest

from daedalus.templates import list_templates, load_template
from tests.cli.support import invoke, one_error_line


def rows(stdout: str) -> dict[str, str]:
    """Table rows keyed by their first cell (a template id)."""
    ids = {info.id for info in list_templates()}
    found = {}
    for line in stdout.splitlines():
        cells = line.split()
        if cells and cells[0] in ids:
            found[cells[0]] = line
    return found


def test_list_shows_every_template_with_mode_tier_and_name() -> None:
    result = invoke("list")
    assert result.exit_code == 0, result.output
    found = rows(result.stdout)
    assert set(found) == {info.id for info in list_templates()}
    for info in list_templates():
        line = found[info.id]
        assert info.mode in line and info.tier in line and info.name in line
    for header in ("id", "mode", "tier", "name"):
        assert header in result.stdout


@pytest.mark.parametrize(("options", "mode", "tier"), [
    (["--mode", "portal"], "portal", None),
    (["--tier", "QUICK"], None, "quick"),
    (["--mode", "branching", "--tier", "quick"], "branching", "quick"),
])
def test_list_filters(options: list[str], mode: str | None, tier: str | None) -> None:
    result = invoke("list", *options)
    assert result.exit_code == 0, result.output
    expected = {
        info.id for info in list_templates()
        if (mode is None or info.mode == mode) and (tier is None or info.tier == tier)
    }
    assert expected and set(rows(result.stdout)) == expected


def test_list_with_an_unknown_mode_is_one_line_and_exit_two() -> None:
    result = invoke("list", "--mode", "sideways")
    assert result.exit_code == 2
    line = one_error_line(result)
    assert "'sideways'" in line and "portal" in line and "Value error" not in line


def test_show_a_shipped_template() -> None:
    result = invoke("show", "mars_mission_portal")
    assert result.exit_code == 0, result.output
    scenario = load_template("mars_mission_portal")
    out = " ".join(result.stdout.split())
    assert scenario.name in out and "In July 2031 the crewed Ares III mission" in out
    for entity in scenario.entities:
        assert entity.id in out and entity.name in out and entity.role in out
        assert entity.traits[0] in out
    assert "chain_of_command" in out and "+0.60" in out  # relationships with their numbers
    assert "10 timepoints, 6 months apart" in out
    assert "portal section" in out and "strategy adaptive" in out
    assert "3 (1 private)" in out  # Lin Zhang knows three things, one of them private


def test_show_reads_a_yaml_path(tmp_path: Path) -> None:
    text = load_template("convergence_simple").model_dump_json()
    path = tmp_path / "mine.yaml"
    path.write_text(text.replace("The lease renewal", "My own lease"), encoding="utf-8")
    result = invoke("show", path)
    assert result.exit_code == 0, result.output
    assert "My own lease" in result.stdout and "ines_moreau" in result.stdout


@pytest.mark.parametrize(("argument", "fragment"), [
    ("no_such_template", "no template named 'no_such_template'; shipped templates:"),
    ("missing.yaml", "missing.yaml: cannot read the file"),
])
def test_show_bad_template_is_one_line_and_exit_two(argument: str, fragment: str) -> None:
    result = invoke("show", argument)
    assert result.exit_code == 2
    assert fragment in one_error_line(result)


def test_show_invalid_yaml_names_the_field(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("id: bad\nname: x\ndescription: y\nmode: pearl\nstart: 2026-01-01\n")
    result = invoke("show", path)
    assert result.exit_code == 2
    assert "entities: required field is missing" in one_error_line(result)


@pytest.mark.parametrize("args", [["list"], ["show", "castaway_colony_branching"]])
def test_catalogue_tables_fit_80_columns_with_ids_whole(args: list[str]) -> None:
    result = invoke(*args, COLUMNS="80")
    assert result.exit_code == 0, result.output
    assert max(len(line) for line in result.stdout.splitlines()) <= 80, result.stdout
    words = set(result.stdout.split())
    if args == ["list"]:
        assert {t.id for t in list_templates()} <= words
    else:
        assert {e.id for e in load_template("castaway_colony_branching").entities} <= words
