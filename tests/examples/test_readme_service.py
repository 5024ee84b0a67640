"""The README's Service section: its curl block, run by bash against a served app."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from daedalus.service import create_app
from tests.service.support import live_server

README = Path(__file__).resolve().parents[2] / "README.md"
DOCUMENTED = "http://127.0.0.1:8000"


def curl_block() -> str:
    section = README.read_text(encoding="utf-8").split("## Service", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", section, flags=re.S)
    assert block is not None, "the README's Service section has no bash block"
    return block.group(1)


def test_the_service_section_shows_its_screenshot_and_start_commands():
    section = README.read_text(encoding="utf-8").split("## Service", 1)[1].split("\n## ", 1)[0]
    assert "daedalus serve" in section and "daedalus keys create --scope write" in section
    image = re.search(r"!\[[^\]]+\]\(([^)]+\.png)\)", section)
    assert image is not None and (README.parent / image.group(1)).stat().st_size > 10_000


def test_the_curl_block_runs_against_the_app(tmp_path, monkeypatch: pytest.MonkeyPatch):
    if shutil.which("curl") is None and not os.environ.get("CI"):
        pytest.skip("curl is not installed")
    monkeypatch.delenv("OPENROUTER_API_KEY", raising=False)
    app = create_app(tmp_path)
    _, key = app.state.service.keys.create("write", name="readme")
    script = curl_block()
    assert DOCUMENTED in script
    with live_server(app) as base:
        env = {
            **os.environ, "KEY": key,
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        }
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script.replace(DOCUMENTED, base)],
            env=env, capture_output=True, text=True, timeout=300,
        )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "event: queued" in out and "event: completed" in out
    known, _ = json.JSONDecoder().raw_decode(out[out.index('{"run_id"'):])
    assert known["entity"] == "maya_okonkwo" and known["known"]
    assert "# " in out  # the narrative's title
    assert '"type":"urn:daedalus:problem:not-found"' in out.replace(" ", "")
    assert "event: run" in out and "event: batch" in out
    summary, _ = json.JSONDecoder().raw_decode(out[out.rindex('{"id":"batch_'):])
    assert summary["status"] == {"completed": 2} and len(summary["runs"]) == 2
    assert key not in out
