"""``daedalus new``: a template written from a description that loads, shows and runs."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from daedalus.cli.new import scenario_yaml
from daedalus.domain import TemporalMode
from daedalus.runs import OFFLINE_NOTICE
from daedalus.templates import list_templates, load_template, parse_template
from tests.cli.support import invoke, one_error_line

APOLLO = (
    "In April 1970 flight director Gene Kranz, astronaut Jim Lovell and engineer Sy Liebergot "
    "fight a failing oxygen tank."
)


@pytest.mark.parametrize("template", [info.id for info in list_templates()])
def test_scenario_yaml_reads_back_equal(template: str) -> None:
    scenario = load_template(template)
    text = scenario_yaml(scenario, origin="a\nb")
    assert text.startswith("# Written by `daedalus new` from this description:\n#   a\n#   b\n")
    assert parse_template(text) == scenario
    assert list(yaml.safe_load(text))[:4] == ["id", "name", "description", "mode"]


def test_new_writes_a_template_that_loads_and_runs(tmp_path: Path) -> None:
    path = tmp_path / "apollo.yaml"
    result = invoke("new", APOLLO, "--out", path, "--mode", "pearl")
    assert result.exit_code == 0, result.output
    scenario = load_template(path)
    assert scenario.mode is TemporalMode.PEARL
    names = {entity.name for entity in scenario.entities}
    assert names <= {"Gene Kranz", "Jim Lovell", "Sy Liebergot"} and len(names) >= 2
    assert f"wrote {path}" in result.stdout and "OFFLINE: 2 calls" in result.stdout
    assert OFFLINE_NOTICE in " ".join(result.stderr.split())
    assert path.read_text(encoding="utf-8").startswith("# Written by `daedalus new`")
    shown = invoke("show", path)
    assert shown.exit_code == 0 and scenario.name in shown.stdout
    ran = invoke("run", path, "--store", tmp_path / "store", "--no-export")
    assert ran.exit_code == 0, ran.output
    assert f"{scenario.id} · pearl · completed" in ran.stdout


@pytest.mark.parametrize("mode", ["portal", "branching", "cyclical"])
def test_new_honours_the_mode_and_the_id(tmp_path: Path, mode: str) -> None:
    result = invoke("new", APOLLO, "--out", tmp_path, "--mode", mode, "--id", "apollo")
    assert result.exit_code == 0, result.output
    scenario = load_template(tmp_path / "apollo.yaml")
    assert scenario.id == "apollo" and scenario.mode.value == mode
    assert getattr(scenario, mode) is not None


def test_existing_files_are_kept_unless_forced(tmp_path: Path) -> None:
    path = tmp_path / "taken.yaml"
    path.write_text("keep me", encoding="utf-8")
    result = invoke("new", APOLLO, "--out", path)
    assert result.exit_code == 2
    assert "taken.yaml already exists; pass --force" in one_error_line(result)
    assert path.read_text(encoding="utf-8") == "keep me"
    assert invoke("new", APOLLO, "--out", path, "--force").exit_code == 0
    assert load_template(path).entities


@pytest.mark.parametrize(("args", "fragment"), [
    (["   "], "the description is empty"),
    ([APOLLO, "--id", "Not An Id"], "scenario id 'Not An Id'"),
    ([APOLLO, "--mode", "spiral"], "'spiral' is not one of"),
    ([APOLLO, "--model", "acme/none-1b"], "needs OPENROUTER_API_KEY"),
])
def test_bad_input_is_one_line_and_exit_two(tmp_path: Path, args: list[str], fragment: str) -> None:
    result = invoke("new", *args, "--out", tmp_path / "x.yaml")
    assert result.exit_code == 2
    assert fragment in one_error_line(result)
    assert not (tmp_path / "x.yaml").exists()

