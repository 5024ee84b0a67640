"""Reading registry YAML: document shape, entry merging, and one-line error messages."""

from __future__ import annotations

from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from daedalus.errors import RegistryError

__all__ = ["parse_registry_text", "profile_from_entry"]

_ProfileT = TypeVar("_ProfileT", bound=BaseModel)
_PRICE_FIELDS = ("prompt_price", "completion_price")
_TOP_LEVEL_KEYS = ("models",)


def parse_registry_text(text: str, *, source: str) -> list[dict[str, Any]]:
    """The model entries of a registry document, each a mapping with a unique string ``id``.

    The document is a mapping with one key, ``models``, holding a list of mappings.
    """
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "unreadable"
        raise RegistryError(f"{source}: not valid YAML{where}: {problem}") from None
    if not isinstance(document, dict) or "models" not in document:
        raise RegistryError(f"{source}: expected a mapping with a 'models' list at the top level")
    unknown = sorted(str(key) for key in document if key not in _TOP_LEVEL_KEYS)
    if unknown:
        raise RegistryError(
            f"{source}: unknown top-level key {unknown[0]!r}; expected only 'models'"
        )
    models = document["models"]
    if models is None:
        return []
    if not isinstance(models, list):
        raise RegistryError(f"{source}: 'models' must be a list of model entries")
    entries: list[dict[str, Any]] = []
    seen: set[str] = set()
    for position, entry in enumerate(models, start=1):
        if not isinstance(entry, dict):
            raise RegistryError(f"{source}: model #{position} must be a mapping of fields")
        model_id = entry.get("id")
        if not isinstance(model_id, str) or not model_id.strip():
            raise RegistryError(
                f"{source}: model #{position}, field 'id': expected a non-empty string"
                f" (an OpenRouter id such as 'meta-llama/llama-3.1-8b-instruct')"
            )
        if model_id in seen:
            raise RegistryError(f"{source}: model {model_id!r} appears twice in this file")
        seen.add(model_id)
        entries.append({str(key): value for key, value in entry.items()})
    return entries


def profile_from_entry(
    profile_type: type[_ProfileT],
    entry: dict[str, Any],
    base: _ProfileT | None,
    source: str,
) -> _ProfileT:
    """Validate ``entry`` as a profile; when ``base`` is given, only the named fields change."""
    model_id = entry["id"]
    unknown = [key for key in entry if key not in profile_type.model_fields]
    if unknown:
        raise RegistryError(
            f"{source}: model {model_id!r}, field {unknown[0]!r}: unknown field;"
            f" expected one of {', '.join(profile_type.model_fields)}"
        )
    if base is not None:
        repriced = [name for name in _PRICE_FIELDS if name in entry]
        if repriced and "prices_as_of" not in entry:
            raise RegistryError(
                f"{source}: model {model_id!r}, field 'prices_as_of': a new {repriced[0]}"
                " must say the date it was read (YYYY-MM-DD)"
            )
        data = {**base.model_dump(), **entry}
    else:
        data = entry
    try:
        return profile_type.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        missing = [_field_name(error["loc"]) for error in errors if error["type"] == "missing"]
        problems = [_describe(error) for error in errors if error["type"] != "missing"]
        if missing:
            why = "required for a new model" if base is None else "required"
            label = f"field {missing[0]!r}" if len(missing) == 1 else f"fields {', '.join(missing)}"
            problems.insert(0, f"{label}: missing ({why})")
        raise RegistryError(f"{source}: model {model_id!r}, {'; '.join(problems)}") from None


def _describe(error: Any) -> str:
    """One problem of a pydantic error as ``field 'x': expected ..., got ...``."""
    field = _field_name(error.get("loc", ()))
    message = str(error.get("msg", "invalid value"))
    message = message.removeprefix("Value error, ")
    if message.startswith("Input should be "):
        message = "expected " + message.removeprefix("Input should be ")
    shown = repr(error.get("input"))
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return f"field {field!r}: {message}, got {shown}"


def _field_name(loc: tuple[Any, ...]) -> str:
    """``('capabilities', 2)`` -> ``capabilities[2]``."""
    if not loc:
        return "<entry>"
    name = str(loc[0])
    for part in loc[1:]:
        name += f"[{part}]" if isinstance(part, int) else f".{part}"
    return name
