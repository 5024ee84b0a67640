"""The scenario catalogue: YAML templates shipped with the package, plus any path a user passes.
May import daedalus.scenario, domain and errors only.

``load_template("board_meeting")`` loads a shipped template; ``load_template("my.yaml")`` a file.
Errors are one line: the file, the field path, and what was expected.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path
from typing import Any, NamedTuple

import yaml
from pydantic import ValidationError

from daedalus.errors import TemplateError
from daedalus.scenario import Scenario

__all__ = [
    "MAX_TEMPLATE_BYTES",
    "TemplateInfo",
    "list_templates",
    "load_template",
    "parse_template",
]

MAX_TEMPLATE_BYTES = 1_000_000
"""The largest template file read (1 MB; the shipped ones are under 20 kB): a bigger file, or
an endless one such as ``/dev/zero``, is refused without reading past the limit."""


class TemplateInfo(NamedTuple):
    """A shipped template's headline, for listings."""

    id: str
    mode: str
    tier: str
    name: str


def _shipped() -> dict[str, Any]:
    root = resources.files(__name__)
    return {p.name[:-5]: p for p in root.iterdir() if p.name.endswith(".yaml")}


def list_templates() -> list[TemplateInfo]:
    """Every shipped template, sorted by id."""
    infos = []
    for name in sorted(_shipped()):
        scenario = load_template(name)
        infos.append(
            TemplateInfo(scenario.id, scenario.mode.value, scenario.tier.value, scenario.name)
        )
    return infos


def load_template(name_or_path: str | os.PathLike[str]) -> Scenario:
    """A shipped template by id, or a YAML file by path. Raises ``TemplateError``."""
    shipped = _shipped()
    key = str(name_or_path)
    if key in shipped:
        return parse_template(shipped[key].read_text(encoding="utf-8"), source=f"{key}.yaml")
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") or path.exists():
        return parse_template(_read(path), source=str(path))
    known = ", ".join(sorted(shipped)) or "none"
    raise TemplateError(f"no template named {key!r}; shipped templates: {known}")


def _read(path: Path) -> str:
    """The text of a template file, at most ``MAX_TEMPLATE_BYTES`` of it."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_TEMPLATE_BYTES + 1)
    except OSError as exc:
        raise TemplateError(f"{path}: cannot read the file ({exc.strerror})") from None
    if len(data) > MAX_TEMPLATE_BYTES:
        raise TemplateError(
            f"{path}: the file is larger than {MAX_TEMPLATE_BYTES:,} bytes; expected a scenario "
            "template (YAML, usually a few kB)"
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise TemplateError(f"{path}: not UTF-8 text (byte {exc.start}); expected YAML") from None


def parse_template(text: str, *, source: str = "<string>") -> Scenario:
    """Validate YAML text as a ``Scenario``; errors name ``source`` and the field path."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise TemplateError(f"{source}:{where} is not valid YAML ({_first_line(exc)})") from None
    if not isinstance(data, dict):
        raise TemplateError(f"{source}: expected a mapping of template fields at the top level")
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise TemplateError(f"{source}: {_describe(exc)}") from None


def _describe(exc: ValidationError) -> str:
    first = exc.errors(include_url=False)[0]
    path = ".".join(str(part) for part in first["loc"]) or "(top level)"
    kind = first["type"]
    if kind == "extra_forbidden":
        return f"{path}: unknown key"
    if kind == "missing":
        return f"{path}: required field is missing"
    message = str(first["msg"]).removeprefix("Value error, ")
    given = first.get("input")
    shown = "" if isinstance(given, dict | list) or given is None else f" (got {given!r})"
    more = len(exc.errors()) - 1
    tail = f" [+{more} more]" if more else ""
    return f"{path}: {message}{shown}{tail}"


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
