import sys

import pytest
import respx
from typer.testing import CliRunner

from daedalus.cli import app, main
from daedalus.llm.actions import ActionType
from daedalus.llm.registry import ModelRegistry
from daedalus.llm.selection import fallback_chain

KEY = "sk-or-v1-cli-secret-987654321"
BASE = "https://router.example/api/v1"
WIDE = {"COLUMNS": "220", "OPENROUTER_API_KEY": None, "OPENROUTER_BASE_URL": None}


def run(*args, **env):
    return CliRunner().invoke(app, list(args), env={**WIDE, **env})


def one_error_line(result):
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in result.output
    return lines[0]


def test_models_lists_the_registry():
    result = run("models")
    assert result.exit_code == 0, result.output
    for model in ModelRegistry.default():
        assert model.id in result.stdout
    for header in ("context", "$/1M in", "$/1M out", "licence", "synthetic ok"):
        assert header in result.stdout
    assert "131,072" in result.stdout and "Apache-2.0" in result.stdout
    assert "json_schema" in result.stdout and "function_calling" in result.stdout


def test_registry_option_adds_models(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text(
        "models:\n"
        "  - id: acme/open-13b\n"
        "    name: Acme Open 13B\n"
        "    context_length: 65536\n"
        "    max_output: 4096\n"
        "    prompt_price: 0\n"
        "    completion_price: 0\n"
        "    prices_as_of: 2026-10-01\n"
        "    licence: Acme-Research\n"
        "    synthetic_data_ok: false\n",
        encoding="utf-8",
    )
    result = run("models", "--registry", str(path))
    assert result.exit_code == 0, result.output
    assert "acme/open-13b" in result.stdout and "13 models" in result.stdout
    assert "free" in result.stdout


def test_bad_registry_file_is_one_line_and_exit_code_two(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("models:\n  - id: qwen/qwq-32b\n    context_length: lots\n", encoding="utf-8")
    result = run("models", "--registry", str(path))
    assert result.exit_code == 2
    line = one_error_line(result)
    assert "bad.yaml" in line and "'qwen/qwq-32b'" in line and "'context_length'" in line


def test_action_shows_the_fallback_chain_in_order():
    result = run("models", "--action", "dialog_synthesis")
    assert result.exit_code == 0, result.output
    chain = fallback_chain(ActionType.DIALOG_SYNTHESIS, ModelRegistry.default())
    positions = [result.stdout.index(model.id) for model in chain]
    assert positions == sorted(positions)
    assert "cost fallback" in result.stdout and "speed fallback" in result.stdout
    assert "requires structured_json" in result.stdout


def test_action_names_are_forgiving_and_preference_applies():
    result = run("models", "-a", "Portal-Path-Scoring", "--prefer", "quality")
    assert result.exit_code == 0, result.output
    table = result.stdout[result.stdout.index("fallback chain") :]
    first_row = next(line for line in table.splitlines() if line.strip().startswith("1 "))
    assert "deepseek/deepseek-r1" in first_row


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["models", "--action", "juggling"], "unknown action 'juggling'; expected one of"),
        (["models", "--prefer", "vibes"], "unknown preference 'vibes'"),
        (["models", "--save", "x.yaml"], "--save writes refreshed prices"),
        (["models", "--refresh"], "OPENROUTER_API_KEY is not set"),
    ],
)
def test_bad_input_is_one_clear_line(args, fragment):
    result = run(*args)
    assert result.exit_code == 2
    assert fragment in one_error_line(result)


def test_refresh_without_a_key_makes_no_request():
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        route = router.get("/models").respond(json={"data": []})
        result = run("models", "--refresh", OPENROUTER_BASE_URL=BASE)
    assert result.exit_code == 2
    assert not route.called


def test_refresh_reads_openrouter_and_saves_overrides(tmp_path):
    listed = {
        "data": [
            {
                "id": "deepseek/deepseek-r1",
                "context_length": 163840,
                "pricing": {"prompt": "0.000000123", "completion": "0.000000456"},
                "top_provider": {"max_completion_tokens": 32768},
                "supported_parameters": ["max_tokens", "reasoning"],
            }
        ]
    }
    saved = tmp_path / "openrouter.yaml"
    with respx.mock(base_url=BASE) as router:
        route = router.get("/models").respond(json=listed)
        result = run(
            "models",
            "--refresh",
            "--save",
            str(saved),
            OPENROUTER_API_KEY=KEY,
            OPENROUTER_BASE_URL=BASE,
        )
    assert result.exit_code == 0, result.output
    assert route.calls.last.request.headers["Authorization"] == f"Bearer {KEY}"
    assert "Refreshed 1 models" in result.stdout
    assert "Not listed by OpenRouter:" in result.stdout and "qwen/qwq-32b" in result.stdout
    assert "0.123" in result.stdout and "0.456" in result.stdout
    assert KEY not in result.output
    text = saved.read_text(encoding="utf-8")
    assert "deepseek/deepseek-r1" in text and KEY not in text
    reread = run("models", "--registry", str(saved))
    assert reread.exit_code == 0 and "0.123" in reread.stdout


def test_refused_key_is_reported_without_echoing_it():
    with respx.mock(base_url=BASE) as router:
        router.get("/models").respond(401, json={"error": {"message": f"bad key {KEY}"}})
        result = run("models", "--refresh", OPENROUTER_API_KEY=KEY, OPENROUTER_BASE_URL=BASE)
    assert result.exit_code == 1
    line = one_error_line(result)
    assert "HTTP 401" in line and KEY not in result.output


def test_main_runs_the_app(monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["daedalus", "models", "--action", "juggling"])
    with pytest.raises(SystemExit) as caught:
        main()
    assert caught.value.code == 2
    assert "unknown action" in capsys.readouterr().err


def test_help_lists_the_models_command():
    result = run("--help")
    assert result.exit_code == 0
    assert "models" in result.stdout


@pytest.mark.parametrize("args", [["models"], ["models", "--action", "dialog_synthesis"]])
def test_model_tables_fit_80_columns_with_ids_whole(args):
    result = CliRunner().invoke(app, args, env={**WIDE, "COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    assert max(len(line) for line in result.stdout.splitlines()) <= 80, result.stdout
    words = set(result.stdout.split())
    if len(args) == 1:
        assert {m.id for m in ModelRegistry.default()} <= words
    else:
        chain = fallback_chain(ActionType.DIALOG_SYNTHESIS, ModelRegistry.default())
        assert {m.id for m in chain} <= words
