"""Every prompt file and the node that fills it agree on the placeholders (read from the code)."""

import ast
from pathlib import Path

from daedalus.prompts import available_prompts, load_prompt

ROOT = Path(__file__).resolve().parents[2]


def render_calls():
    """(prompt name, keyword names, file) of every ``render("name", k=...)`` call in agents/."""
    for path in sorted((ROOT / "agents").glob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "render"
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                keywords = {k.arg for k in node.keywords}
                yield node.args[0].value, keywords, path.name


def test_every_render_call_fills_exactly_the_prompts_placeholders():
    calls = list(render_calls())
    assert calls
    for name, keywords, where in calls:
        if None in keywords:  # **values: checked at run time by Prompt.render
            continue
        assert keywords == load_prompt(name).placeholders, (name, where)


def test_every_prompt_file_is_used_by_a_node():
    used = {name for name, _, _ in render_calls()}
    assert set(available_prompts()) == used
