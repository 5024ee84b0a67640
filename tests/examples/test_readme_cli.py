"""The README's command-line section, run line by line in order, as a new user would type it."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from tests.cli.support import invoke

README = Path(__file__).resolve().parents[2] / "README.md"


def cli_lines() -> list[list[str]]:
    section = README.read_text(encoding="utf-8").split("## The command line", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, flags=re.S)
    assert block is not None, "the README's command-line section has no bash block"
    lines = []
    for raw in block.group(1).splitlines():
        words = shlex.split(raw, comments=True)
        if words:
            assert words[0] == "daedalus", raw
            lines.append(words[1:])
    return lines


@pytest.mark.slow
def test_every_cli_line_of_the_readme_runs_in_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    lines = cli_lines()
    assert len(lines) >= 10
    for args in lines:
        result = invoke(*args, DAEDALUS_HOME=str(tmp_path / "store"))
        assert result.exit_code == 0, (args, result.output)
    assert (tmp_path / "harbour.yaml").is_file()
