"""The distribution installs agents/graphs/prompts/profiles under ``daedalus`` only."""

import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MAPPED = {"agents": "daedalus.agents", "graphs": "daedalus.graphs",
          "prompts": "daedalus.prompts", "profiles": "daedalus.profiles"}


def test_every_package_directory_is_listed_in_pyproject():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    on_disk = set()
    for top, dotted in {"daedalus": "daedalus", **MAPPED}.items():
        for init in (ROOT / top).rglob("__init__.py"):
            rel = init.parent.relative_to(ROOT / top).parts
            on_disk.add(".".join((dotted, *rel)))
    assert on_disk == listed


@pytest.mark.slow
def test_wheel_holds_the_namespaced_packages_and_no_top_level_agents(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    tops = {name.split("/")[0] for name in names if not name.split("/")[0].endswith(".dist-info")}
    assert tops == {"daedalus"}
    for dotted in MAPPED.values():
        assert dotted.replace(".", "/") + "/__init__.py" in names
    assert "daedalus/profiles/models.yaml" in names
    for static in ("index.html", "app.js", "style.css", "vendor/cytoscape.min.js",
                   "vendor/cytoscape-dagre.min.js", "vendor/chart.umd.min.js",
                   "vendor/cytoscape.LICENSE", "vendor/chart.js.LICENSE"):
        assert f"daedalus/service/static/{static}" in names  # the dashboard needs no build step


def test_installed_namespace_imports_from_any_directory(tmp_path):
    code = (
        "import importlib.util, daedalus.agents, daedalus.graphs, daedalus.prompts, "
        "daedalus.profiles; "
        "assert importlib.util.find_spec('agents') is None; "
        "assert importlib.util.find_spec('graphs') is None"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=tmp_path)
