"""Real model calls (M18): langchain-openai's ``ChatOpenAI`` speaking OpenRouter's dialect.

``OpenRouterChat`` differs from ``ChatOpenAI`` in three ways, all at the wire:

- an error object inside an HTTP 200 body (OpenRouter sends these when an upstream provider
  fails mid-request) raises ``ProviderError`` with its code, so the router can retry it;
- ``response_format`` travels as a plain body field, so a truncated or malformed answer comes
  back as text for the router to re-ask instead of failing inside the SDK's parse helper;
- the completion cap is sent as ``max_tokens``, the name OpenRouter documents.

The exact dollar cost OpenRouter bills (``usage.cost``) reaches ``AIMessage.response_metadata
["token_usage"]["cost"]`` unchanged: langchain-openai keeps the whole usage object. Any
OpenAI-compatible server (Ollama, vLLM, llama.cpp) works through ``base_url``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import httpx
import openai
from langchain_core.language_models import LanguageModelInput
from langchain_core.outputs import ChatResult
from langchain_openai import ChatOpenAI
from pydantic import SecretStr

from daedalus.errors import ConfigError
from daedalus.llm._retry import ProviderError

__all__ = [
    "APP_TITLE",
    "APP_URL",
    "DEFAULT_BASE_URL",
    "DEFAULT_TIMEOUT_S",
    "OpenRouterChat",
    "openrouter_chat_model",
    "resolve_api_key",
    "resolve_base_url",
]

DEFAULT_TIMEOUT_S = 120.0
"""Seconds a request may take before it is abandoned (``--request-timeout`` changes it)."""

DEFAULT_BASE_URL = "https://openrouter.ai/api/v1"
"""Where requests go unless ``base_url`` or ``OPENROUTER_BASE_URL`` says otherwise."""

APP_URL = "https://pypi.org/project/daedalus-sim/"
"""Sent as ``HTTP-Referer`` so OpenRouter can attribute traffic to the project."""

APP_TITLE = "Daedalus"
"""Sent as ``X-Title``."""


class OpenRouterChat(ChatOpenAI):
    """A ``ChatOpenAI`` for OpenRouter and other OpenAI-compatible servers (see module doc)."""

    def _get_request_payload(
        self,
        input_: LanguageModelInput,
        *,
        stop: list[str] | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        payload: dict[str, Any] = super()._get_request_payload(input_, stop=stop, **kwargs)
        if "max_completion_tokens" in payload:
            payload["max_tokens"] = payload.pop("max_completion_tokens")
        extra = _merge_bodies(self.extra_body, payload.pop("extra_body", None))
        response_format = payload.pop("response_format", None)
        if response_format is not None:
            extra["response_format"] = response_format
        if extra:
            payload["extra_body"] = extra
        return payload

    def _create_chat_result(
        self,
        response: dict[str, Any] | openai.BaseModel,
        generation_info: dict[str, Any] | None = None,
    ) -> ChatResult:
        error = _error_field(response)
        if error:
            raise ProviderError.from_body(error)
        return super()._create_chat_result(response, generation_info)


def _error_field(response: object) -> object:
    if isinstance(response, dict):
        return response.get("error")
    if isinstance(response, openai.BaseModel):
        return (response.model_extra or {}).get("error")
    return None


def _merge_bodies(
    base: Mapping[str, Any] | None, extra: Mapping[str, Any] | None
) -> dict[str, Any]:
    # One level deep, so a call's ``provider`` options add to the model's instead of replacing.
    merged: dict[str, Any] = dict(base or {})
    for key, value in (extra or {}).items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return merged


LOCAL_SERVER_KEY = "no-key-needed"
"""Sent to OpenAI-compatible servers that need no key (a local Ollama or vLLM)."""


def resolve_api_key(api_key: str | SecretStr | None, *, required: bool = True) -> SecretStr:
    """The key given, else ``OPENROUTER_API_KEY``; a missing key is a ``ConfigError`` unless
    ``required`` is false (a server of your own), when a placeholder is sent instead."""
    if isinstance(api_key, SecretStr):
        value = api_key.get_secret_value()
    else:
        value = api_key or os.environ.get("OPENROUTER_API_KEY", "")
    if not value.strip() and not required:
        return SecretStr(LOCAL_SERVER_KEY)
    if not value.strip():
        raise ConfigError(
            "no OpenRouter API key: pass api_key= or set OPENROUTER_API_KEY "
            "(or use the offline model)"
        )
    return SecretStr(value.strip())


def resolve_base_url(base_url: str | None) -> str:
    """The URL given, else ``OPENROUTER_BASE_URL``, else OpenRouter's public endpoint."""
    return base_url or os.environ.get("OPENROUTER_BASE_URL") or DEFAULT_BASE_URL


def openrouter_chat_model(
    model_id: str,
    *,
    api_key: SecretStr,
    base_url: str = DEFAULT_BASE_URL,
    http_client: httpx.Client | None = None,
    http_async_client: httpx.AsyncClient | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    app_url: str = APP_URL,
    app_title: str = APP_TITLE,
) -> OpenRouterChat:
    """A chat model for one model id. The SDK never retries (the router does).

    Pass plain ``httpx`` clients to control transport (proxies, mocks in tests).
    """
    return OpenRouterChat(
        model=model_id,
        api_key=api_key,
        base_url=base_url,
        max_retries=0,
        timeout=timeout_s,
        default_headers={"HTTP-Referer": app_url, "X-Title": app_title},
        http_client=http_client,
        http_async_client=http_async_client,
    )
