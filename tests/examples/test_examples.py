"""Every example runs as shipped: scripts in a subprocess, every notebook code cell, and the
Python blocks of the READMEs. All offline: no key in the environment, no network."""

import contextlib
import io
import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
SCRIPTS = sorted(EXAMPLES.glob("*.py"))
NOTEBOOKS = sorted(EXAMPLES.glob("*.ipynb"))
READMES = [ROOT / "README.md", EXAMPLES / "README.md"]
TIMEOUT_S = 180
KEY_VARIABLES = ("OPENROUTER_API_KEY", "OPENROUTER_BASE_URL", "DAEDALUS_HOME")


def offline_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in KEY_VARIABLES}


def run_python(args: list[str], cwd: Path, stdin: str | None = None) -> str:
    done = subprocess.run(
        [sys.executable, *args], cwd=cwd, env=offline_env(), input=stdin,
        capture_output=True, text=True, timeout=TIMEOUT_S, check=False,
    )
    assert done.returncode == 0, f"exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done.stdout


# -- what each script claims to show ------------------------------------------------------


def kernel_demo_claims(out: str) -> None:
    assert out.startswith("Scenario: ")
    assert re.search(r"Helen at tp-1: \d+ item\(s\); knows the cash figure: True", out)
    assert re.search(r"Helen at alt-1: \d+ item\(s\); knows the cash figure: False", out)
    assert "Information conservation on the branch: valid=False" in out
    assert re.search(r"Dialog at tp-0 \(offline model\), [1-9]\d* turns:", out)


def custom_pipeline_claims(out: str) -> None:
    assert "offline model" in out.splitlines()[0]
    (carrier,) = re.findall(r"^Rumour learned by: (.+) \((\w+)\), from corridor_whisper$", out,
                            flags=re.M)
    name = carrier[0]
    assert re.search(r"^Dialog at tp-000: [1-9]\d* turns among ", out, flags=re.M)
    told = int(re.search(r"^Told exposures extracted from the dialog: (\d+)$", out,
                         flags=re.M).group(1))
    spread = int(re.search(r"^Told exposures carrying the rumour: (\d+)$", out,
                           flags=re.M).group(1))
    hops = re.findall(r"^  (.+) -> (.+?): ", out, flags=re.M)
    assert len(hops) == spread <= told
    assert all(source == name for source, _ in hops)  # only the carrier knew it to tell it
    who = dict(re.findall(r"^  (\S.*?)\s{2,}(yes, \w+(?: and \w+)*|no)$", out, flags=re.M))
    assert who[name] == "yes, learned"
    listeners = {listener for _, listener in hops}
    for person, answer in who.items():
        if person != name:
            assert answer == ("yes, told" if person in listeners else "no"), person
    assert told > 0, "the dialog's extraction step told the listeners nothing"
    assert spread > 0, "the script's default seed no longer shows the rumour spreading"
    mechanisms = re.search(r"mechanisms: (.+)$", out, flags=re.M).group(1).split(", ")
    assert {"M3", "M11", "M19"} <= set(mechanisms)


SCRIPT_CLAIMS: dict[str, Callable[[str], None]] = {
    "kernel_demo.py": kernel_demo_claims,
    "custom_pipeline.py": custom_pipeline_claims,
}


@pytest.mark.parametrize("script", SCRIPTS, ids=[p.name for p in SCRIPTS])
def test_script_runs_offline_and_prints_what_it_claims(script, tmp_path):
    claims = SCRIPT_CLAIMS.get(script.name)
    assert claims is not None, f"add what examples/{script.name} claims to SCRIPT_CLAIMS"
    claims(run_python([str(script)], cwd=tmp_path))


def test_custom_pipeline_takes_a_template_and_a_seed(tmp_path):
    out = run_python([str(EXAMPLES / "custom_pipeline.py"), "courtroom_directorial", "3"],
                     cwd=tmp_path)
    assert out.startswith("Scenario: The last witness (courtroom_directorial, seed 3")


# -- notebooks --------------------------------------------------------------------------


def code_cells(notebook: Path) -> list[str]:
    data = json.loads(notebook.read_text(encoding="utf-8"))
    assert data["nbformat"] == 4 and data["metadata"]["kernelspec"]["language"] == "python"
    cells = data["cells"]
    assert cells and all(isinstance(c["source"], list | str) for c in cells)
    code = [c for c in cells if c["cell_type"] == "code"]
    assert all(c["outputs"] == [] and c["execution_count"] is None for c in code)
    return ["".join(c["source"]) for c in code]


def quickstart_claims(out: str) -> None:
    assert re.search(r"Run\('run_\w+', template='board_meeting', mode='pearl', "
                     r"status='completed'\)", out)
    assert re.search(r"^\s+offline: True$", out, flags=re.M)
    assert "main line unchanged: True" in out
    assert re.search(r"^\| moment \| line \| after \| present \| what happens \|$", out, flags=re.M)
    assert re.search(r"^\| w1-tp-\d{3} \| w1 \| tp-000 \|", out, flags=re.M)
    assert re.search(r"cites [1-9]\d* exposures, all known to .+: True", out)
    assert re.search(r"^json\s+run\.json$", out, flags=re.M)


NOTEBOOK_CLAIMS: dict[str, Callable[[str], None]] = {"quickstart.ipynb": quickstart_claims}


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_every_notebook_cell_executes(notebook, tmp_path, monkeypatch):
    claims = NOTEBOOK_CLAIMS.get(notebook.name)
    assert claims is not None, f"add what examples/{notebook.name} claims to NOTEBOOK_CLAIMS"
    for name in KEY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    namespace: dict[str, object] = {"__name__": "__main__"}
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        for number, source in enumerate(code_cells(notebook)):
            exec(compile(source, f"{notebook.name}[code cell {number}]", "exec"), namespace)
    claims(printed.getvalue())


# -- README Python blocks -----------------------------------------------------------------

_FENCE = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.S | re.M)
_DRIVER = """
import json, sys
namespace = {"__name__": "__main__"}
for number, block in enumerate(json.load(sys.stdin)):
    print(f"--- block {number}", flush=True)
    exec(compile(block, f"{sys.argv[1]} python block {number}", "exec"), namespace)
"""


def python_blocks(readme: Path) -> list[str]:
    return _FENCE.findall(readme.read_text(encoding="utf-8"))


def test_fence_reading_finds_python_blocks_only():
    text = "x\n```bash\nls\n```\n```python\nprint(1)\n```\n```python  \na = 2\n```\n"
    assert _FENCE.findall(text) == ["print(1)\n", "a = 2\n"]


@pytest.mark.parametrize("readme", READMES, ids=[str(p.relative_to(ROOT)) for p in READMES])
def test_readme_python_blocks_execute(readme, tmp_path):
    if not readme.exists():
        pytest.skip(f"{readme.relative_to(ROOT)} does not exist yet")
    blocks = python_blocks(readme)
    if not blocks:
        pytest.skip(f"{readme.relative_to(ROOT)} has no ```python block to execute")
    # One namespace, in order, as a reader pasting them one after another would run them.
    out = run_python(["-c", _DRIVER, readme.name], cwd=tmp_path, stdin=json.dumps(blocks))
    assert out.count("--- block ") == len(blocks)
