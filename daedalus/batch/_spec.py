"""Run specs and sweeps: what each run of a batch simulates, checked before anything starts.

A ``RunSpec`` names a scenario (a shipped template id or a YAML path), a seed, overrides of
template fields by dotted path (``dialog.max_turns: 4``) and counterfactual interventions
applied as branches once the run is done (M12). ``sweep`` expands seed ranges and value lists
into their cartesian product, in a stable order.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Mapping, Sequence
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from daedalus.domain import TemporalMode
from daedalus.errors import ConfigError
from daedalus.scenario import Scenario
from daedalus.templates import load_template

__all__ = ["RunSpec", "apply_overrides", "parse_seeds", "parse_set", "sweep"]

MAX_RUNS = 100_000
"""The largest sweep accepted: a typo such as ``--seeds 0-9999999`` is refused, not started."""


class RunSpec(BaseModel):
    """One run of a batch: scenario, seed, field overrides and what-if interventions."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    template: str = Field(min_length=1, description="a shipped template id or a YAML path")
    seed: int = Field(default=0, ge=0)
    overrides: dict[str, Any] = Field(default_factory=dict)
    interventions: tuple[str, ...] = ()
    at: str | None = Field(
        default=None, description="the moment interventions fork after (default: the middle one)"
    )

    @property
    def key(self) -> str:
        """A short stable digest of the spec (same spec, same key, on every machine)."""
        text = json.dumps(self.model_dump(mode="json"), sort_keys=True)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]

    def label(self) -> str:
        """``board_meeting seed=3 dialog.max_turns=4 +1 what-if`` for progress lines."""
        parts = [self.template.rsplit("/", 1)[-1], f"seed={self.seed}"]
        parts += [f"{path}={value}" for path, value in sorted(self.overrides.items())]
        if self.interventions:
            parts.append(f"+{len(self.interventions)} what-if")
        return " ".join(parts)

    def scenario(self) -> Scenario:
        """The scenario this spec runs (template loaded, overrides applied and validated)."""
        scenario = apply_overrides(load_template(self.template), self.overrides)
        if self.interventions and scenario.mode is TemporalMode.PORTAL:
            raise ConfigError(
                f"{self.template}: what-if interventions branch a forward run; a PORTAL "
                "template cannot be branched"
            )
        return scenario


def apply_overrides(scenario: Scenario, overrides: Mapping[str, Any]) -> Scenario:
    """``scenario`` with each dotted field path set to its value, validated as a whole.

    An unknown path or a value the field refuses is a ``ConfigError`` naming the path."""
    if not overrides:
        return scenario
    data = scenario.model_dump(mode="json", exclude_unset=False)
    for path, value in overrides.items():
        parts = path.split(".")
        if not all(parts):
            raise ConfigError(
                f"override {path!r}: expected a dotted field path such as dialog.max_turns"
            )
        node: Any = data
        for depth, part in enumerate(parts[:-1]):
            child = node.get(part) if isinstance(node, dict) else None
            if child is None and isinstance(node, dict) and part in Scenario.model_fields:
                child = node[part] = {}  # an optional section (portal, branching, ...)
            if not isinstance(child, dict):
                where = ".".join(parts[: depth + 1])
                raise ConfigError(f"override {path!r}: {where} is not a section of the template")
            node = child
        node[parts[-1]] = value
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"]) or path
        reason = "unknown field" if first["type"] == "extra_forbidden" else first["msg"]
        raise ConfigError(
            f"override {where}: {reason} (overrides {dict(overrides)!r})"
        ) from None


def parse_seeds(text: str) -> tuple[int, ...]:
    """``0-99``, ``1,5,9`` or ``0-3,10``: the seeds named, in order, each once."""
    seeds: list[int] = []
    for part in (p.strip() for p in text.split(",")):
        low, dash, high = part.partition("-")
        try:
            first = int(low)
            last = int(high) if dash else first
        except ValueError:
            raise ConfigError(
                f"--seeds {text!r}: {part!r} is not a seed or a range; expected e.g. 0-99 or 1,5,9"
            ) from None
        if first < 0 or last < first:
            raise ConfigError(
                f"--seeds {text!r}: {part!r} must be a non-negative seed or a range low-high"
            )
        if last - first >= MAX_RUNS:
            raise ConfigError(f"--seeds {text!r}: more than {MAX_RUNS:,} seeds")
        seeds.extend(range(first, last + 1))
    return tuple(dict.fromkeys(seeds))


def parse_set(text: str) -> tuple[str, tuple[Any, ...]]:
    """``dialog.max_turns=4,8``: a field path and the values to sweep (each read as YAML, so
    ``4`` is a number and ``true`` a boolean)."""
    path, equals, values = text.partition("=")
    path = path.strip()
    if not equals or not path or not values.strip():
        raise ConfigError(
            f"--set {text!r}: expected FIELD=VALUE[,VALUE...], e.g. dialog.max_turns=4,8"
        )
    parsed = []
    for raw in values.split(","):
        try:
            parsed.append(yaml.safe_load(raw.strip()))
        except yaml.YAMLError:
            raise ConfigError(f"--set {text!r}: {raw.strip()!r} is not a value") from None
    return path, tuple(parsed)


def sweep(
    template: str,
    *,
    seeds: Sequence[int] = (0,),
    sets: Sequence[tuple[str, Sequence[Any]]] = (),
    interventions: Sequence[str] = (),
    at: str | None = None,
) -> list[RunSpec]:
    """One spec per (override combination, seed): overrides vary slowest, seeds fastest.

    Every combination is applied to the template now, so a bad one fails before any run."""
    paths = [path for path, _ in sets]
    if len(set(paths)) != len(paths):
        raise ConfigError(f"--set names a field twice: {', '.join(paths)}")
    combos = list(itertools.product(*(values for _, values in sets)))
    if len(combos) * max(len(seeds), 1) > MAX_RUNS:
        raise ConfigError(f"the sweep has more than {MAX_RUNS:,} runs")
    base = load_template(template)
    specs = []
    for combo in combos:
        overrides = dict(zip(paths, combo, strict=True))
        apply_overrides(base, overrides)  # fail now, not in the middle of the batch
        for seed in seeds:
            specs.append(
                RunSpec(
                    template=template, seed=seed, overrides=overrides,
                    interventions=tuple(interventions), at=at,
                )
            )
    if specs and specs[0].interventions and base.mode is TemporalMode.PORTAL:
        specs[0].scenario()  # raises the one-line PORTAL error
    return specs
