"""The scenario schema: what a template (YAML) may say, one typed section per mechanism.

Unknown keys and wrong types are errors; ``daedalus.templates`` turns them into one line naming
the file, the field path and what was expected.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from daedalus.domain import EntityKind, TemporalMode
from daedalus.world.grounding import WorldSection

__all__ = [
    "BranchingSection",
    "CyclicalSection",
    "DialogSection",
    "DirectorialSection",
    "EntitySpec",
    "FidelitySection",
    "KnowledgeItem",
    "NonlinearSection",
    "PortalSection",
    "PortalStrategy",
    "RelationshipSpec",
    "Scenario",
    "SceneSection",
    "Tier",
    "TimelineSection",
    "VoiceSpec",
    "WorldSection",
    "add_months",
    "parse_duration",
]

_SLUG = r"^[a-z0-9_]+$"
_DURATION = re.compile(
    r"^\s*(\d+(?:\.\d+)?)\s*(minute|minutes|min|hour|hours|h|day|days|d|week|weeks|w|"
    r"month|months|year|years|y)\s*$",
    re.IGNORECASE,
)
_UNIT_DAYS = {"day": 1.0, "week": 7.0, "month": 365.25 / 12, "year": 365.25}


def parse_duration(text: str) -> timedelta:
    """``"6 months"`` -> timedelta. Months and years are calendar averages (30.44 and 365.25 d)."""
    match = _DURATION.match(text)
    if not match:
        raise ValueError(f"expected a duration like '6 months' or '90 minutes', got {text!r}")
    amount, unit = float(match.group(1)), match.group(2).lower()
    if unit in ("minute", "minutes", "min"):
        return timedelta(minutes=amount)
    if unit in ("hour", "hours", "h"):
        return timedelta(hours=amount)
    key = {"d": "day", "w": "week", "y": "year"}.get(unit, unit.rstrip("s"))
    return timedelta(days=amount * _UNIT_DAYS[key])


def add_months(moment: datetime, months: int) -> datetime:
    """``moment`` moved by whole calendar months; the day is clamped to the month's length."""
    total = moment.year * 12 + (moment.month - 1) + months
    year, month = divmod(total, 12)
    month += 1
    next_month = date(year + month // 12, month % 12 + 1, 1)
    last_day = (next_month - timedelta(days=1)).day
    return moment.replace(year=year, month=month, day=min(moment.day, last_day))


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Tier(StrEnum):
    QUICK = "quick"
    STANDARD = "standard"
    COMPREHENSIVE = "comprehensive"


class VoiceSpec(_Section):
    style: str = ""
    examples: tuple[str, ...] = ()


class KnowledgeItem(_Section):
    """An initial exposure. ``private`` items shape the voice (back layer) but are never said."""

    text: str = Field(min_length=1)
    private: bool = False
    confidence: float = Field(default=1.0, ge=0.0, le=1.0)


class EntitySpec(_Section):
    id: Annotated[str, Field(pattern=_SLUG, max_length=64)]
    name: str = Field(min_length=1)
    kind: EntityKind = EntityKind.HUMAN
    role: str = ""
    traits: tuple[str, ...] = ()
    knowledge: tuple[KnowledgeItem, ...] = ()
    voice: VoiceSpec = VoiceSpec()
    profile: str | None = Field(default=None, description="name of a profile in profiles/")
    location: str | None = None
    chronotype: Literal["early", "standard", "late", "nocturnal"] = "standard"

    @field_validator("knowledge", mode="before")
    @classmethod
    def _plain_strings_are_public_items(cls, value: object) -> object:
        if isinstance(value, list | tuple):
            return [{"text": item} if isinstance(item, str) else item for item in value]
        return value


class RelationshipSpec(_Section):
    a: str
    b: str
    kind: str = "acquaintance"
    trust: float = Field(default=0.5, ge=0.0, le=1.0)
    alignment: float = Field(default=0.0, ge=-1.0, le=1.0)
    power: float = Field(default=0.0, ge=-1.0, le=1.0)


class TimelineSection(_Section):
    steps: int = Field(default=3, ge=1, le=500, description="timepoints to generate")
    step: str = Field(default="1 day", description="time between timepoints, e.g. '6 months'")

    @field_validator("step")
    @classmethod
    def _valid_step(cls, value: str) -> str:
        parse_duration(value)
        return value

    @property
    def step_delta(self) -> timedelta:
        return parse_duration(self.step)

    def at(self, start: datetime, index: int) -> datetime:
        """The timestamp of timepoint ``index`` counted from ``start``.

        Whole months and years move on the calendar (same day of month, same time of day), so
        a "6 months" timeline does not drift through the clock; other steps add exactly.
        """
        match = _DURATION.match(self.step)
        if match:
            amount, unit = float(match.group(1)), match.group(2).lower()
            months = {"month": 1, "months": 1, "year": 12, "years": 12, "y": 12}.get(unit)
            if months is not None and amount.is_integer():
                return add_months(start, int(amount) * months * index)
        return start + index * self.step_delta


class DialogSection(_Section):
    max_turns: int = Field(default=8, ge=1, le=100)
    participants: int = Field(default=4, ge=1, le=20)
    max_retries: int = Field(default=2, ge=0, le=5)


class FidelitySection(_Section):
    """M1 + M17: the fidelity template, the token budget and what the budget means.

    ``render`` says how entities enter prompts: ``planned`` (each at its resolution for the
    moment) or ``uniform`` (everyone at DIALOG, the baseline heterogeneous fidelity is measured
    against).
    """

    template: Literal["minimal", "balanced", "high_quality", "maximum"] = "balanced"
    token_budget: int | None = Field(default=None, ge=1)
    budget_mode: Literal["hard", "soft", "max"] = "soft"
    render: Literal["planned", "uniform"] = "planned"


class SceneSection(_Section):
    """M10: where the scene happens and its starting mood."""

    location: str = ""
    weather: str = "clear"
    lighting: str = "normal"
    tension: float = Field(default=0.3, ge=0.0, le=1.0)
    formality: float = Field(default=0.5, ge=0.0, le=1.0)
    crowd_size: int = Field(default=0, ge=0)
    goals: tuple[str, ...] = ()


class PortalStrategy(StrEnum):
    REVERSE_CHRONOLOGICAL = "reverse_chronological"
    OSCILLATING = "oscillating"
    ADAPTIVE = "adaptive"


class PortalSection(_Section):
    endpoint: str = Field(min_length=1)
    endpoint_time: date | datetime
    candidates: int = Field(default=7, ge=1, le=20)
    strategy: PortalStrategy = PortalStrategy.ADAPTIVE
    coherence_threshold: float = Field(default=0.7, ge=0.0, le=1.0)
    forward_steps: int = Field(default=1, ge=1, le=5, description="beats of each forward trial")
    max_backtracks: int = Field(default=2, ge=0, le=10)
    weights: dict[str, float] = Field(
        default_factory=lambda: {
            "plausibility": 0.25,
            "precedent": 0.15,
            "necessity": 0.2,
            "capability": 0.15,
            "coherence": 0.25,
        }
    )

    @field_validator("weights")
    @classmethod
    def _known_criteria(cls, value: dict[str, float]) -> dict[str, float]:
        known = {"plausibility", "precedent", "necessity", "capability", "coherence"}
        unknown = sorted(set(value) - known)
        if unknown:
            raise ValueError(f"unknown criteria {unknown}; expected some of {sorted(known)}")
        if any(weight < 0 for weight in value.values()) or sum(value.values()) <= 0:
            raise ValueError("weights must be non-negative and not all zero")
        return value


class BranchingSection(_Section):
    branches: int = Field(default=2, ge=1, le=10)
    branch_points: tuple[str, ...] = ()
    fork_step: int | None = Field(default=None, ge=0)


class CyclicalSection(_Section):
    cycle_length: int = Field(default=3, ge=2, le=50)
    prophecy: str = ""


class DirectorialSection(_Section):
    acts: int = Field(default=5, ge=3, le=5)
    tension_targets: tuple[float, ...] = ()
    pov: str | None = None


class NonlinearSection(_Section):
    presentation: Literal["reverse", "in_medias_res", "interleaved", "shuffled"] = "reverse"


class Scenario(_Section):
    """A validated scenario template."""

    id: Annotated[str, Field(pattern=_SLUG, max_length=64)]
    name: str = Field(min_length=1)
    description: str = Field(min_length=1)
    mode: TemporalMode
    tier: Tier = Tier.STANDARD
    start: date | datetime
    start_hour: time = time(10, 0)
    entities: tuple[EntitySpec, ...] = Field(min_length=1)
    relationships: tuple[RelationshipSpec, ...] = ()
    timeline: TimelineSection = TimelineSection()
    dialog: DialogSection = DialogSection()
    fidelity: FidelitySection = FidelitySection()
    scene: SceneSection = SceneSection()
    animism: int = Field(default=0, ge=0, le=6)
    extras: tuple[str, ...] = Field(
        default=(),
        description="background entities the scenario mentions but does not define (M9)",
    )
    portal: PortalSection | None = None
    branching: BranchingSection | None = None
    cyclical: CyclicalSection | None = None
    directorial: DirectorialSection | None = None
    nonlinear: NonlinearSection | None = None
    world: WorldSection | None = Field(
        default=None, description="a world whose KPIs and events ground the run"
    )

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        ids = [entity.id for entity in self.entities]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"entity ids must be unique; repeated: {', '.join(duplicates)}")
        known = set(ids)
        for index, rel in enumerate(self.relationships):
            for side in (rel.a, rel.b):
                if side not in known:
                    raise ValueError(f"relationships[{index}] names unknown entity {side!r}")
            if rel.a == rel.b:
                raise ValueError(f"relationships[{index}] links {rel.a!r} to itself")
        if self.mode is TemporalMode.PORTAL and self.portal is None:
            raise ValueError("mode portal needs a 'portal' section with endpoint and endpoint_time")
        if self.portal is not None and _as_datetime(self.portal.endpoint_time) <= self.start_time:
            raise ValueError("portal.endpoint_time must be later than start")
        if self.world is not None:
            unknown_ties = sorted(set(self.world.actors) - known)
            if unknown_ties:
                raise ValueError(f"world.actors names unknown entities {unknown_ties}")
        return self

    @property
    def end_time(self) -> datetime:
        """The last date the scenario spans: the portal endpoint in PORTAL mode, else the
        timeline's last step."""
        if self.portal is not None:
            return _as_datetime(self.portal.endpoint_time)
        return self.timeline.at(self.start_time, self.timeline.steps - 1)

    @property
    def start_time(self) -> datetime:
        """The first timepoint's timestamp (the origin in PORTAL mode)."""
        if isinstance(self.start, datetime):
            return self.start
        return datetime.combine(self.start, self.start_hour)

    @property
    def entity_ids(self) -> tuple[str, ...]:
        return tuple(entity.id for entity in self.entities)

    def entity(self, entity_id: str) -> EntitySpec:
        for spec in self.entities:
            if spec.id == entity_id:
                return spec
        raise KeyError(entity_id)


def _as_datetime(value: date | datetime) -> datetime:
    return value if isinstance(value, datetime) else datetime.combine(value, time(12, 0))
