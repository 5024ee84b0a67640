"""A pydantic schema's JSON schema, computed once per class (M18).

``model_json_schema`` walks the whole model each time it is asked; the router needs the
schema for the cache key, the structured-output binding and the budget's prompt bound on
every call. Schema classes are built once per distinct ask (``daedalus.agents`` caches them),
so the text is cached per class here, in a bounded cache: a class is immutable once built and
its JSON schema is a pure function of it.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from pydantic import BaseModel

__all__ = ["json_schema", "schema_text"]

_CACHED_SCHEMAS = 1024


@lru_cache(maxsize=_CACHED_SCHEMAS)
def schema_text(schema: type[BaseModel]) -> str:
    """``schema``'s JSON schema as canonical JSON text (sorted keys, no spaces)."""
    return json.dumps(
        schema.model_json_schema(), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )


def json_schema(schema: type[BaseModel]) -> dict[str, Any]:
    """``schema``'s JSON schema as a new dict (the caller may change it freely)."""
    value: dict[str, Any] = json.loads(schema_text(schema))
    return value
