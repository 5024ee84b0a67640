"""Prompt templates: one plain-text file per node, versioned with the code (daedalus.prompts).
May import daedalus.errors only.

A file holds a ``[system]`` section and a ``[user]`` section. Placeholders are ``$name`` (or
``${name}``) so JSON braces in a prompt need no escaping; ``$$`` is a literal dollar sign.
``render`` refuses missing and unexpected values, so a prompt and its node cannot drift apart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from string import Template

from daedalus.errors import ConfigError

__all__ = ["Prompt", "available_prompts", "load_prompt"]

_SECTION = re.compile(r"^\[(system|user)\]\s*$", re.MULTILINE)


@dataclass(frozen=True)
class Prompt:
    """A loaded prompt template with its two sections and the placeholders they use."""

    name: str
    system: Template
    user: Template

    @property
    def placeholders(self) -> frozenset[str]:
        return frozenset(self.system.get_identifiers()) | frozenset(self.user.get_identifiers())

    def render(self, **values: object) -> tuple[str, str]:
        """The (system, user) texts with every placeholder filled.

        Raises ``ConfigError`` naming the prompt and the missing or unexpected placeholders.
        """
        given = frozenset(values)
        missing = sorted(self.placeholders - given)
        extra = sorted(given - self.placeholders)
        if missing or extra:
            problems = []
            if missing:
                problems.append(f"missing {', '.join(missing)}")
            if extra:
                problems.append(f"unexpected {', '.join(extra)}")
            raise ConfigError(f"prompt {self.name!r}: {'; '.join(problems)}")
        text = {key: str(value) for key, value in values.items()}
        return self.system.substitute(text).strip(), self.user.substitute(text).strip()


def available_prompts() -> list[str]:
    """Names of every prompt shipped in this package, sorted."""
    root = resources.files(__name__)
    return sorted(p.name[:-4] for p in root.iterdir() if p.name.endswith(".txt"))


@cache
def load_prompt(name: str) -> Prompt:
    """Load ``<name>.txt``; raises ``ConfigError`` if it is missing or lacks a section."""
    path = resources.files(__name__) / f"{name}.txt"
    if not path.is_file():
        raise ConfigError(f"no prompt named {name!r}; available: {', '.join(available_prompts())}")
    raw = path.read_text(encoding="utf-8")
    parts = _SECTION.split(raw)
    sections = dict(zip(parts[1::2], parts[2::2], strict=True))
    if set(sections) != {"system", "user"}:
        raise ConfigError(f"prompt {name!r} must have exactly one [system] and one [user] section")
    prompt = Prompt(name=name, system=Template(sections["system"]), user=Template(sections["user"]))
    if not prompt.system.is_valid() or not prompt.user.is_valid():
        raise ConfigError(f"prompt {name!r} has a malformed placeholder; use $name or ${{name}}")
    return prompt
