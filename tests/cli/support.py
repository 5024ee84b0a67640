"""Helpers shared by the command-line tests: invoke the app offline and read its output."""

from __future__ import annotations

from typing import Any

from typer.testing import CliRunner, Result

from daedalus.cli import app

OFFLINE_ENV: dict[str, str | None] = {
    "COLUMNS": "220",
    "OPENROUTER_API_KEY": None,
    "OPENROUTER_BASE_URL": None,
    "DAEDALUS_HOME": None,
}


def invoke(*args: Any, **env: str | None) -> Result:
    """``daedalus <args>`` with no key in the environment (so the offline model runs)."""
    return CliRunner().invoke(app, [str(a) for a in args], env={**OFFLINE_ENV, **env})


def one_error_line(result: Result) -> str:
    """The single ``error: ...`` line a failed command must print, and nothing else."""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: "), lines[0]
    assert "Traceback" not in result.output
    return lines[0]
