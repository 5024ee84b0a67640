import pytest

from daedalus.errors import ConfigError
from daedalus.prompts import Prompt, available_prompts, load_prompt


def test_every_shipped_prompt_loads_with_both_sections():
    for name in available_prompts():
        prompt = load_prompt(name)
        assert prompt.system.template.strip(), name
        assert prompt.user.template.strip(), name


def test_render_refuses_missing_and_unexpected_values():
    from string import Template

    prompt = Prompt(name="demo", system=Template("You are $who."), user=Template("Say ${what}."))
    assert prompt.placeholders == {"who", "what"}
    assert prompt.render(who="Lin", what="hello") == ("You are Lin.", "Say hello.")
    with pytest.raises(ConfigError, match="missing what"):
        prompt.render(who="Lin")
    with pytest.raises(ConfigError, match="unexpected extra"):
        prompt.render(who="Lin", what="x", extra=1)


def test_unknown_prompt_is_a_clear_error():
    with pytest.raises(ConfigError, match="no prompt named 'nope'"):
        load_prompt("nope")
