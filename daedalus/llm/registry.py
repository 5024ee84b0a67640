"""The model registry (M18): what each model costs, holds and can do.

``profiles/models.yaml`` ships the defaults; users add or override models in their own YAML
files (``ModelRegistry.merged_with`` / ``load_registry``). A user entry whose ``id`` is already
registered overrides only the fields it names; an entry with a new ``id`` adds a model and must
give every required field. Every problem raises ``RegistryError`` with one line naming the file,
the model and the field.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator
from datetime import date
from enum import StrEnum
from functools import lru_cache
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from daedalus.errors import RegistryError
from daedalus.llm._registry_yaml import parse_registry_text, profile_from_entry
from daedalus.llm.actions import Capability

__all__ = [
    "LARGE_CONTEXT_TOKENS",
    "MAX_REGISTRY_BYTES",
    "VERY_LARGE_CONTEXT_TOKENS",
    "ModelProfile",
    "ModelRegistry",
    "StructuredOutputMethod",
    "load_registry",
]

LARGE_CONTEXT_TOKENS = 32_000
"""A context window of at least this many tokens earns ``Capability.LARGE_CONTEXT``."""

VERY_LARGE_CONTEXT_TOKENS = 128_000
"""A context window of at least this many tokens earns ``Capability.VERY_LARGE_CONTEXT``."""

_CONTEXT_CAPABILITIES = frozenset({Capability.LARGE_CONTEXT, Capability.VERY_LARGE_CONTEXT})
_DEFAULT_SOURCE = "daedalus.profiles/models.yaml"


MAX_REGISTRY_BYTES = 4_000_000
"""The largest registry file read (the shipped one is far smaller); bigger ones are refused."""


class StructuredOutputMethod(StrEnum):
    """How a model is asked for output that follows a schema."""

    JSON_SCHEMA = "json_schema"
    FUNCTION_CALLING = "function_calling"
    JSON_MODE = "json_mode"


class ModelProfile(BaseModel):
    """One registered model. Prices are US dollars per token, as of ``prices_as_of``.

    The two context capabilities (``large_context``, ``very_large_context``) always follow
    ``context_length`` (32k and 128k tokens): they are recomputed whatever the input lists, so
    a refreshed context length can never leave a stale capability behind.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1, description="OpenRouter id: meta-llama/llama-3.1-70b-instruct")
    name: str = Field(min_length=1)
    context_length: int = Field(gt=0)
    max_output: int = Field(gt=0)
    prompt_price: float = Field(ge=0.0)
    completion_price: float = Field(ge=0.0)
    prices_as_of: date
    capabilities: frozenset[Capability] = Field(default=frozenset(), validate_default=True)
    licence: str = Field(min_length=1)
    synthetic_data_ok: bool
    structured_output: StructuredOutputMethod = StructuredOutputMethod.JSON_SCHEMA
    relative_quality: float = Field(default=0.5, ge=0.0, le=1.0)
    relative_speed: float = Field(default=0.5, ge=0.0, le=1.0)
    supported_parameters: frozenset[str] = frozenset()

    @field_validator("max_output")
    @classmethod
    def _output_fits_context(cls, value: int, info: ValidationInfo) -> int:
        context = info.data.get("context_length")
        if isinstance(context, int) and value > context:
            raise ValueError(f"max_output {value} exceeds context_length {context}")
        return value

    @field_validator("capabilities")
    @classmethod
    def _context_capabilities_follow_length(
        cls, value: frozenset[Capability], info: ValidationInfo
    ) -> frozenset[Capability]:
        context = info.data.get("context_length")
        if not isinstance(context, int):
            return value
        derived = set(value - _CONTEXT_CAPABILITIES)
        if context >= LARGE_CONTEXT_TOKENS:
            derived.add(Capability.LARGE_CONTEXT)
        if context >= VERY_LARGE_CONTEXT_TOKENS:
            derived.add(Capability.VERY_LARGE_CONTEXT)
        return frozenset(derived)

    @property
    def prompt_price_per_million(self) -> float:
        """Dollars per million prompt tokens."""
        return self.prompt_price * 1_000_000

    @property
    def completion_price_per_million(self) -> float:
        """Dollars per million completion tokens."""
        return self.completion_price * 1_000_000

    @property
    def blended_price_per_million(self) -> float:
        """Dollars per million tokens, mixing three prompt tokens per completion token."""
        return (3 * self.prompt_price_per_million + self.completion_price_per_million) / 4

    def worst_case_cost(self, prompt_tokens: int, max_tokens: int | None) -> float:
        """Dollars a call can cost at most: the prompt plus a completion of ``max_tokens``."""
        completion = self.max_output if max_tokens is None else min(max_tokens, self.max_output)
        return prompt_tokens * self.prompt_price + completion * self.completion_price


class ModelRegistry:
    """An immutable, ordered set of model profiles keyed by OpenRouter id (M18).

    Iteration follows registration order: the packaged file's order, then models added by user
    files in the order they appear. Every method that changes something returns a new registry.
    """

    __slots__ = ("_profiles", "_sources")

    def __init__(self, profiles: Iterable[ModelProfile], *, sources: Iterable[str] = ()) -> None:
        ordered: dict[str, ModelProfile] = {}
        for profile in profiles:
            if profile.id in ordered:
                raise RegistryError(f"model {profile.id!r} is registered twice; ids must be unique")
            ordered[profile.id] = profile
        self._profiles = ordered
        self._sources = tuple(sources)

    @classmethod
    def default(cls) -> ModelRegistry:
        """The registry shipped with Daedalus (``daedalus.profiles/models.yaml``)."""
        return _default_registry()

    @classmethod
    def from_yaml_text(cls, text: str, *, source: str) -> ModelRegistry:
        """A registry holding exactly the models of one YAML document; every entry is complete."""
        entries = parse_registry_text(text, source=source)
        profiles = [profile_from_entry(ModelProfile, entry, None, source) for entry in entries]
        return cls(profiles, sources=(source,))

    @property
    def sources(self) -> tuple[str, ...]:
        """The files this registry was built from, in the order they were applied."""
        return self._sources

    @property
    def ids(self) -> tuple[str, ...]:
        """Every registered id, in iteration order."""
        return tuple(self._profiles)

    def __iter__(self) -> Iterator[ModelProfile]:
        return iter(self._profiles.values())

    def __len__(self) -> int:
        return len(self._profiles)

    def __contains__(self, model_id: object) -> bool:
        return model_id in self._profiles

    def __repr__(self) -> str:
        return f"ModelRegistry({len(self)} models from {', '.join(self._sources) or 'memory'})"

    def get(self, model_id: str) -> ModelProfile:
        """The profile registered under ``model_id``; ``RegistryError`` naming close matches."""
        profile = self._profiles.get(model_id)
        if profile is not None:
            return profile
        matches = self.close_matches(model_id)
        hint = f"did you mean {', '.join(matches)}?" if matches else "`daedalus models` lists them"
        raise RegistryError(f"unknown model id {model_id!r}: {hint}")

    def close_matches(self, model_id: str, limit: int = 3) -> list[str]:
        """Registered ids that look like ``model_id``: containing it, or similar in spelling."""
        wanted = model_id.strip().lower()
        if not wanted:
            return []
        contained = [known for known in self._profiles if wanted in known.lower()]
        by_tail = {known.rsplit("/", 1)[-1].lower(): known for known in self._profiles}
        similar = difflib.get_close_matches(wanted, list(by_tail), n=limit, cutoff=0.6)
        similar_ids = difflib.get_close_matches(wanted, list(self._profiles), n=limit, cutoff=0.6)
        found: list[str] = []
        for known in [*contained, *(by_tail[tail] for tail in similar), *similar_ids]:
            if known not in found:
                found.append(known)
        return found[:limit]

    def merged_with(self, path: str | Path) -> ModelRegistry:
        """A new registry with the models of the YAML file at ``path`` added or overridden.

        An entry whose ``id`` is registered replaces only the fields it names (a new price must
        come with its ``prices_as_of``); an entry with a new ``id`` must be complete.
        """
        source = str(path)
        try:
            with Path(path).open("rb") as handle:
                data = handle.read(MAX_REGISTRY_BYTES + 1)
        except FileNotFoundError:
            raise RegistryError(f"{source}: no such registry file") from None
        except OSError as exc:
            raise RegistryError(f"{source}: cannot read the file ({exc.strerror})") from None
        if len(data) > MAX_REGISTRY_BYTES:
            raise RegistryError(
                f"{source}: the file is larger than {MAX_REGISTRY_BYTES:,} bytes; expected a "
                "model registry (YAML)"
            )
        return self.merged_with_text(data.decode("utf-8", errors="replace"), source=source)

    def merged_with_text(self, text: str, *, source: str) -> ModelRegistry:
        """Like ``merged_with`` for YAML text already in memory; ``source`` names it in errors."""
        entries = parse_registry_text(text, source=source)
        merged = dict(self._profiles)
        for entry in entries:
            base = merged.get(str(entry["id"]))
            profile = profile_from_entry(ModelProfile, entry, base, source)
            merged[profile.id] = profile
        return ModelRegistry(merged.values(), sources=(*self._sources, source))

    def with_profiles(self, profiles: Iterable[ModelProfile]) -> ModelRegistry:
        """A new registry where each given profile replaces (or is appended after) its id."""
        merged = dict(self._profiles)
        for profile in profiles:
            merged[profile.id] = profile
        return ModelRegistry(merged.values(), sources=self._sources)


@lru_cache(maxsize=1)
def _default_registry() -> ModelRegistry:
    text = resources.files("daedalus.profiles").joinpath("models.yaml").read_text(encoding="utf-8")
    return ModelRegistry.from_yaml_text(text, source=_DEFAULT_SOURCE)


def load_registry(paths: Iterable[str | Path] = ()) -> ModelRegistry:
    """The packaged registry with each user YAML file applied in order (later files win)."""
    registry = ModelRegistry.default()
    for path in paths:
        registry = registry.merged_with(path)
    return registry
