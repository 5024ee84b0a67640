"""Refresh registry prices and limits from OpenRouter's models endpoint (M18).

``refresh_registry`` reads ``GET {base_url}/models`` and updates, for every registered model
that OpenRouter lists, the prompt and completion price (dated ``today``), the context length,
the output cap and the supported parameters. ``write_overrides`` saves what was read as a
user YAML file that ``ModelRegistry.merged_with`` / ``load_registry`` apply later.

The API key travels only in the ``Authorization: Bearer`` header: it is never part of a URL,
an error message or a written file.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import yaml
from pydantic import ValidationError

from daedalus.errors import ConfigError, ModelError, ModelRequestError, OutOfCreditError
from daedalus.llm._openrouter_models import OpenRouterModel, index_models, read_listing
from daedalus.llm.registry import ModelProfile, ModelRegistry

__all__ = [
    "DEFAULT_BASE_URL",
    "REFRESHED_FIELDS",
    "FieldChange",
    "RefreshResult",
    "openrouter_settings",
    "refresh_registry",
    "write_overrides",
]

DEFAULT_BASE_URL = "https://openrouter.ai/api/v1"
REFRESHED_FIELDS = (
    "context_length",
    "max_output",
    "prompt_price",
    "completion_price",
    "prices_as_of",
    "supported_parameters",
)
"""The profile fields a refresh may change; everything else stays as registered."""

_TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True)
class FieldChange:
    """One field of one model whose value the refresh changed."""

    model_id: str
    field: str
    old: Any
    new: Any


@dataclass(frozen=True)
class RefreshResult:
    """What a refresh read: the refreshed registry and a report of what changed.

    ``refreshed`` holds the new profile of every registered model OpenRouter listed (changed or
    not, in registry order); ``missing`` the registered ids it did not list; ``rejected`` the
    listed models whose data did not validate (id -> reason), which keep their old profile.
    """

    registry: ModelRegistry
    refreshed: tuple[ModelProfile, ...]
    changes: tuple[FieldChange, ...]
    missing: tuple[str, ...]
    as_of: date
    source: str
    rejected: Mapping[str, str] = field(default_factory=dict)


def openrouter_settings(environ: Mapping[str, str] | None = None) -> tuple[str, str | None]:
    """``(base_url, api_key)`` from ``OPENROUTER_BASE_URL`` and ``OPENROUTER_API_KEY``."""
    env = os.environ if environ is None else environ
    base_url = env.get("OPENROUTER_BASE_URL", "").strip() or DEFAULT_BASE_URL
    api_key = env.get("OPENROUTER_API_KEY", "").strip() or None
    return base_url, api_key


def refresh_registry(
    registry: ModelRegistry,
    *,
    api_key: str | None = None,
    base_url: str | None = None,
    http_client: httpx.Client | None = None,
    today: date,
) -> RefreshResult:
    """Update the registered models from OpenRouter's model list, dating prices ``today``.

    ``api_key`` and ``base_url`` default to the environment (``openrouter_settings``).
    Raises ``ConfigError`` without a key, ``ModelRequestError`` when OpenRouter refuses the
    request (4xx), ``OutOfCreditError`` on 402 and ``ModelError`` when it cannot be reached or
    answers with something that is not a model list.
    """
    env_url, env_key = openrouter_settings()
    key = (api_key or env_key or "").strip()
    if not key:
        raise ConfigError("OPENROUTER_API_KEY is not set; export it to refresh model prices")
    url = f"{(base_url or env_url).rstrip('/')}/models"
    listed = _fetch_models(url, key, http_client)
    refreshed: list[ModelProfile] = []
    changes: list[FieldChange] = []
    missing: list[str] = []
    rejected: dict[str, str] = {}
    for profile in registry:
        found = listed.get(profile.id)
        if found is None:
            missing.append(profile.id)
            continue
        try:
            updated = _apply(profile, read_listing(found), today)
        except ValueError as exc:
            rejected[profile.id] = _one_line(str(exc))
            continue
        refreshed.append(updated)
        changes.extend(_diff(profile, updated))
    return RefreshResult(
        registry=registry.with_profiles(refreshed),
        refreshed=tuple(refreshed),
        changes=tuple(changes),
        missing=tuple(missing),
        as_of=today,
        source=url,
        rejected=rejected,
    )


def write_overrides(result: RefreshResult, path: str | Path) -> Path:
    """Write the refreshed fields of every refreshed model to a registry YAML file at ``path``.

    Load it after any user file that adds models: ``load_registry([user_yaml, path])``.
    Returns the path written; ``ConfigError`` when it cannot be written.
    """
    target = Path(path)
    entries = []
    for profile in result.refreshed:
        entry: dict[str, Any] = {"id": profile.id}
        for name in REFRESHED_FIELDS:
            value = getattr(profile, name)
            entry[name] = sorted(value) if isinstance(value, frozenset) else value
        entries.append(entry)
    header = (
        f"# Prices and limits read from {result.source} on {result.as_of.isoformat()}.\n"
        "# Apply with `daedalus models --registry <this file>` or load_registry([...]).\n"
    )
    body = yaml.safe_dump({"models": entries}, sort_keys=False, allow_unicode=True)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(header + body, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{target}: cannot write the overrides ({exc.strerror})") from None
    return target


def _fetch_models(
    url: str, api_key: str, http_client: httpx.Client | None
) -> dict[str, Mapping[str, Any]]:
    client = http_client if http_client is not None else httpx.Client(timeout=_TIMEOUT_SECONDS)
    try:
        response = client.get(url, headers={"Authorization": f"Bearer {api_key}"})
    except httpx.HTTPError as exc:
        raise ModelError(f"could not reach {url}: {type(exc).__name__}") from None
    finally:
        if http_client is None:
            client.close()
    if response.status_code != 200:
        _raise_for_status(url, response, api_key)
    try:
        payload = response.json()
    except ValueError:
        raise ModelError(f"{url} answered with something that is not JSON") from None
    try:
        return index_models(payload)
    except ValueError as exc:
        raise ModelError(f"{url} answered with an unexpected model list: {exc}") from None


def _raise_for_status(url: str, response: httpx.Response, api_key: str) -> None:
    status = response.status_code
    detail = _provider_message(response).replace(api_key, "***")
    message = f"{url} answered HTTP {status}" + (f": {detail}" if detail else "")
    if status == 402:
        raise OutOfCreditError(message)
    if status in (401, 403):
        raise ModelRequestError(f"{message} (check OPENROUTER_API_KEY)")
    if 400 <= status < 500:
        raise ModelRequestError(message)
    raise ModelError(message)


def _provider_message(response: httpx.Response) -> str:
    """OpenRouter's ``error.message`` when the body has one, cut to one short line."""
    try:
        body = response.json()
    except ValueError:
        return ""
    error = body.get("error") if isinstance(body, dict) else None
    message = error.get("message") if isinstance(error, dict) else None
    return _one_line(str(message))[:200] if message else ""


def _apply(profile: ModelProfile, found: OpenRouterModel, today: date) -> ModelProfile:
    """``profile`` with the listed values; ``ValueError`` (one line) if they do not validate."""
    data = profile.model_dump()
    data.update(
        prompt_price=found.prompt_price,
        completion_price=found.completion_price,
        prices_as_of=today,
    )
    if found.context_length is not None:
        data["context_length"] = found.context_length
    if found.max_completion_tokens is not None:
        data["max_output"] = found.max_completion_tokens
    elif data["max_output"] > data["context_length"]:
        data["max_output"] = data["context_length"]  # a shrunken window caps the old output
    if found.supported_parameters is not None:
        data["supported_parameters"] = found.supported_parameters
    try:
        return ModelProfile.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first.get("loc", ())) or "profile"
        raise ValueError(f"{where}: {first.get('msg', 'invalid')}") from None


def _diff(before: ModelProfile, after: ModelProfile) -> list[FieldChange]:
    # capabilities change only through context_length, but a lost capability is worth reporting
    return [
        FieldChange(before.id, name, getattr(before, name), getattr(after, name))
        for name in (*REFRESHED_FIELDS, "capabilities")
        if getattr(before, name) != getattr(after, name)
    ]


def _one_line(text: str) -> str:
    return " ".join(text.split())
