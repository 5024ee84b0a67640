"""Scenario generation from a description (the config generation action, DESIGN section 7).

``generate_scenario("a baker and her landlord argue over the rent", router)`` returns a
validated ``daedalus.scenario.Scenario`` in two structured calls:

1. an ``Outline``: title, premise, temporal mode (M17), start date, timeline, place, tension,
   goals, ending, counterfactual what-ifs and the cast's names;
2. a cast sheet whose schema has one required slot per cast member (kind, role, traits, public
   knowledge, one secret, voice) and one per pair of members (the relationship, M13), so no
   member or pair can be skipped or invented.

``build_scenario`` turns the two answers into a ``Scenario`` (ids slugged from names, the
mode's own section filled from the outline). The cast sheet's schema runs that conversion as
its validator, so anything ``Scenario`` rejects is re-asked by the router with the reason.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from itertools import combinations
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, Field, ValidationError, create_model, model_validator

from daedalus.agents._common import render
from daedalus.domain import EntityKind, TemporalMode
from daedalus.errors import ConfigError
from daedalus.kernel.animism import MAX_ANIMISM, animism_allows
from daedalus.kernel.entity_gap import entity_slug
from daedalus.llm.actions import ActionType
from daedalus.llm.params import SamplingParams
from daedalus.llm.router import Router
from daedalus.scenario import (
    BranchingSection,
    CyclicalSection,
    DialogSection,
    DirectorialSection,
    EntitySpec,
    KnowledgeItem,
    NonlinearSection,
    PortalSection,
    RelationshipSpec,
    Scenario,
    SceneSection,
    Tier,
    TimelineSection,
    VoiceSpec,
)

__all__ = [
    "ACTION",
    "MAX_CAST",
    "NODE",
    "Member",
    "Outline",
    "Tie",
    "build_scenario",
    "cast_schema",
    "check_scenario_id",
    "generate_scenario",
    "outline_schema",
]

NODE = "config_generator"
ACTION = ActionType.CONFIG_GENERATION
MAX_CAST = 6
_DIALOG_TURNS = 6
_DIALOG_PEOPLE = 4
_ID = re.compile(r"[a-z0-9_]{1,64}")

StepUnit = Literal["minutes", "hours", "days", "weeks", "months", "years"]
Short = Annotated[str, Field(min_length=3, max_length=200)]
Word = Annotated[str, Field(min_length=2, max_length=30)]
CastName = Annotated[str, Field(min_length=2, max_length=60)]


class Outline(BaseModel):
    """The shape of a new scenario: premise, timeline and who is in it."""

    title: str = Field(min_length=3, max_length=80, description="a short title")
    premise: str = Field(min_length=20, max_length=900, description="the situation and stakes")
    mode: TemporalMode
    start: date = Field(description="calendar date of the first moment")
    steps: int = Field(ge=2, le=12, description="how many moments to simulate")
    step_amount: int = Field(ge=1, le=90, description="time between moments: the amount")
    step_unit: StepUnit = Field(description="time between moments: the unit")
    location: str = Field(min_length=2, max_length=120, description="where the scene is")
    tension: float = Field(ge=0.0, le=1.0)
    goals: list[Short] = Field(min_length=1, max_length=3)
    ending: str = Field(min_length=10, max_length=300, description="the state at the end")
    what_ifs: list[Short] = Field(default_factory=list, max_length=3)
    cast: list[CastName] = Field(
        min_length=2,
        max_length=MAX_CAST,
        description="the personal name of each member of the cast, all different",
        json_schema_extra={"uniqueItems": True},
    )

    @model_validator(mode="after")
    def _usable(self) -> Self:
        entity_slug(self.title)  # the scenario id is made from it
        ids = [entity_slug(name) for name in self.cast]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise ValueError(f"cast names must differ; repeated: {', '.join(repeated)}")
        if self.mode is TemporalMode.BRANCHING and not self.what_ifs:
            raise ValueError("the branching mode needs at least one entry in what_ifs")
        return self

    @property
    def step(self) -> str:
        """The timeline step as a template writes it (``"2 weeks"``, ``"1 day"``)."""
        unit = self.step_unit[:-1] if self.step_amount == 1 else self.step_unit
        return f"{self.step_amount} {unit}"

    @property
    def ids(self) -> tuple[str, ...]:
        """Entity ids of the cast, in cast order."""
        return tuple(entity_slug(name) for name in self.cast)


class Member(BaseModel):
    """One cast member's sheet."""

    kind: EntityKind
    role: str = Field(min_length=2, max_length=120)
    traits: list[Word] = Field(min_length=1, max_length=4)
    knowledge: list[Short] = Field(min_length=1, max_length=3)
    secret: str = Field(max_length=200, description="a fact kept private, or empty")
    voice: str = Field(min_length=2, max_length=120, description="how the member talks")


class Tie(BaseModel):
    """How the first member of a pair stands toward the second (M13)."""

    kind: str = Field(min_length=2, max_length=40)
    trust: float = Field(ge=0.0, le=1.0)
    alignment: float = Field(ge=-1.0, le=1.0)
    power: float = Field(ge=-1.0, le=1.0)


def outline_schema(mode: TemporalMode | None = None) -> type[Outline]:
    """``Outline``, or with ``mode`` a subclass whose schema allows only that mode."""
    if mode is None:
        return Outline
    pinned: Any = Literal[mode]
    return create_model("Outline", __base__=Outline, mode=(pinned, ...))


def _pairs(ids: Sequence[str]) -> list[tuple[str, str]]:
    return list(combinations(ids, 2))


class _CastSheet(BaseModel):
    """Base of the per-outline cast sheet schemas (see ``cast_schema``)."""

    def members(self, ids: Sequence[str]) -> dict[str, Member]:
        return {eid: getattr(self, f"member_{i}") for i, eid in enumerate(ids)}

    def ties(self, ids: Sequence[str]) -> dict[tuple[str, str], Tie]:
        return {pair: getattr(self, f"pair_{i}") for i, pair in enumerate(_pairs(ids))}


def cast_schema(outline: Outline, scenario_id: str | None = None) -> type[_CastSheet]:
    """One required ``Member`` per cast id and one ``Tie`` per pair (JSON keys ``<id>`` and
    ``<a>__<b>``); validating an answer also builds the ``Scenario``, so a reply that cannot
    become a valid scenario is rejected with the reason."""
    ids = outline.ids
    fields: dict[str, Any] = {
        f"member_{i}": (Member, Field(alias=eid, description=f"the cast member {name!r}"))
        for i, (eid, name) in enumerate(zip(ids, outline.cast, strict=True))
    }
    for i, (a, b) in enumerate(_pairs(ids)):
        fields[f"pair_{i}"] = (Tie, Field(alias=f"{a}__{b}", description=f"{a} toward {b}"))

    class CastSheet(_CastSheet):
        @model_validator(mode="after")
        def _builds(self) -> Self:
            build_scenario(outline, self.members(ids), self.ties(ids), scenario_id=scenario_id)
            return self

    return create_model("CastSheet", __base__=CastSheet, **fields)


def _animism(kinds: Sequence[EntityKind]) -> int:
    """The lowest animism level (M16) that lets every kind in the cast speak."""
    return next(
        level
        for level in range(MAX_ANIMISM + 1)
        if all(animism_allows(kind, level) for kind in kinds)
    )


def _entity(entity_id: str, name: str, member: Member) -> EntitySpec:
    items = [KnowledgeItem(text=text.strip()) for text in member.knowledge if text.strip()]
    if member.secret.strip():
        items.append(KnowledgeItem(text=member.secret.strip(), private=True))
    traits = tuple(dict.fromkeys(t.strip().lower() for t in member.traits if t.strip()))
    return EntitySpec(
        id=entity_id,
        name=name.strip(),
        kind=member.kind,
        role=member.role.strip(),
        traits=traits,
        knowledge=tuple(items),
        voice=VoiceSpec(style=member.voice.strip()),
    )


def _mode_sections(outline: Outline, timeline: TimelineSection) -> dict[str, Any]:
    """The section of the outline's mode (M17); PORTAL's ending sits at the last step."""
    if outline.mode is TemporalMode.PORTAL:
        origin = datetime.combine(outline.start, Scenario.model_fields["start_hour"].default)
        ending = timeline.at(origin, outline.steps)
        return {"portal": PortalSection(endpoint=outline.ending, endpoint_time=ending)}
    if outline.mode is TemporalMode.BRANCHING:
        points = tuple(w.strip() for w in outline.what_ifs)
        return {"branching": BranchingSection(branches=len(points), branch_points=points)}
    if outline.mode is TemporalMode.CYCLICAL:
        cycle = 2 if outline.steps < 6 else 3
        return {"cyclical": CyclicalSection(cycle_length=cycle, prophecy=outline.ending)}
    if outline.mode is TemporalMode.DIRECTORIAL:
        return {"directorial": DirectorialSection(acts=min(5, max(3, outline.steps)))}
    if outline.mode is TemporalMode.NONLINEAR:
        return {"nonlinear": NonlinearSection()}
    return {}


def build_scenario(
    outline: Outline,
    members: Mapping[str, Member],
    ties: Mapping[tuple[str, str], Tie],
    *,
    scenario_id: str | None = None,
) -> Scenario:
    """The ``Scenario`` an outline and its cast sheet describe.

    Entity ids are the names slugged; ``scenario_id`` defaults to the title slugged; the
    animism level is the lowest that lets every kind in the cast speak; the mode's section
    comes from the outline (PORTAL: the ending at the last step; BRANCHING: one branch per
    what-if; CYCLICAL: the ending as prophecy). Raises ``ValueError`` (one line) when the result
    does not validate.
    """
    ids = outline.ids
    missing = [eid for eid in ids if eid not in members]
    if missing:
        raise ValueError(f"the cast sheet lacks {', '.join(missing)}")
    entities = tuple(
        _entity(eid, name, members[eid]) for eid, name in zip(ids, outline.cast, strict=True)
    )
    relationships = tuple(
        RelationshipSpec(
            a=a, b=b, kind=tie.kind.strip(), trust=tie.trust, alignment=tie.alignment,
            power=tie.power,
        )
        for (a, b), tie in ties.items()
    )
    timeline = TimelineSection(steps=outline.steps, step=outline.step)
    small = outline.steps <= 3 and len(ids) <= 3
    try:
        return Scenario(
            id=scenario_id or entity_slug(outline.title),
            name=outline.title.strip(),
            description=outline.premise.strip(),
            mode=outline.mode,
            tier=Tier.QUICK if small else Tier.STANDARD,
            start=outline.start,
            entities=entities,
            relationships=relationships,
            timeline=timeline,
            dialog=DialogSection(
                max_turns=_DIALOG_TURNS, participants=min(_DIALOG_PEOPLE, len(ids))
            ),
            scene=SceneSection(
                location=outline.location.strip(),
                tension=outline.tension,
                goals=tuple(goal.strip() for goal in outline.goals),
            ),
            animism=_animism([entity.kind for entity in entities]),
            **_mode_sections(outline, timeline),
        )
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"]) or "the scenario"
        raise ValueError(f"the scenario does not validate: {where}: {first['msg']}") from None


def _outline_messages(description: str, mode: TemporalMode | None) -> list[Any]:
    rule = "" if mode is None else f"You must use the {mode.value} mode."
    return render("config_generator", description=description.strip(), mode_rule=rule)


def _cast_messages(outline: Outline) -> list[Any]:
    return render(
        "config_generator_cast",
        title=outline.title,
        premise=outline.premise,
        location=outline.location,
        start=outline.start.isoformat(),
        goals="\n".join(f"- {goal}" for goal in outline.goals),
        cast="\n".join(
            f"- {eid}: {name}" for eid, name in zip(outline.ids, outline.cast, strict=True)
        ),
    )


async def generate_scenario(
    description: str,
    router: Router,
    *,
    mode: TemporalMode | None = None,
    scenario_id: str | None = None,
) -> Scenario:
    """A validated ``Scenario`` written from ``description`` (two structured calls, see the
    module docstring). ``mode`` pins the temporal mode; ``scenario_id`` replaces the id made
    from the title. Raises ``ConfigError`` for an empty description and the router's typed
    errors when a model fails for good."""
    if not description.strip():
        raise ConfigError("the description is empty; say who is involved and what happens")
    if scenario_id is not None:
        check_scenario_id(scenario_id)
    outline = await router.astructured(
        node=NODE,
        action=ACTION,
        schema=outline_schema(mode),
        messages=_outline_messages(description, mode),
        params=SamplingParams(temperature=0.7, max_tokens=1200),
    )
    ids = outline.ids
    sheet = await router.astructured(
        node=NODE,
        action=ACTION,
        schema=cast_schema(outline, scenario_id),
        messages=_cast_messages(outline),
        params=SamplingParams(
            temperature=0.8, max_tokens=260 * len(ids) + 80 * len(_pairs(ids))
        ),
    )
    return build_scenario(
        outline, sheet.members(ids), sheet.ties(ids), scenario_id=scenario_id
    )


def check_scenario_id(scenario_id: str) -> None:
    """``ConfigError`` unless ``scenario_id`` can be a template id."""
    if not _ID.fullmatch(scenario_id):
        raise ConfigError(
            f"scenario id {scenario_id!r} must be 1-64 lower-case letters, digits or underscores"
        )
