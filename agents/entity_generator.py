"""On-demand entity generation (M9): entities a scenario or a query names but nobody defined.

``generate_entities`` (a node) fills in ``scenario.extras`` and the numbered handles found in
the scenario's text (``attendee_47``, ``guard 2``); ``generate_missing`` does the same for any
names, for lazy queries (M5). All missing entities come from one structured call whose schema
has exactly one slot per missing id, so none can be skipped or invented. Each generated entity
gets prior-knowledge exposures (M3) and a starting mind and body, like a scenario entity.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Any

from langgraph.runtime import Runtime
from pydantic import BaseModel, Field, create_model

from daedalus.agents._common import render
from daedalus.context import RunContext
from daedalus.domain import (
    Entity,
    EntityKind,
    ExposureEvent,
    ExposureKind,
    PhysicalState,
)
from daedalus.kernel.entity_gap import Mention, entity_slug, mentioned_names, numbered_mentions
from daedalus.kernel.entity_gap import scenario_gap as _scenario_gap
from daedalus.kernel.roster import initial_cognitive, initial_exposure_id
from daedalus.llm.actions import ActionType
from daedalus.llm.params import SamplingParams
from daedalus.llm.router import Router
from daedalus.scenario import Scenario
from daedalus.state import SimState

__all__ = [
    "ACTION",
    "NODE",
    "GeneratedEntity",
    "generate_entities",
    "generate_missing",
    "generation_schema",
    "mentions_for",
]

NODE = "generate_entities"
ACTION = ActionType.ENTITY_POPULATION
_TOKENS_PER_ENTITY = 220
_SOURCE = "generated"


class GeneratedEntity(BaseModel):
    """What the model writes for one missing entity."""

    name: str = Field(min_length=1, max_length=80)
    kind: EntityKind
    role: str = Field(default="", max_length=120)
    traits: list[Annotated[str, Field(max_length=40)]] = Field(default_factory=list, max_length=4)
    knowledge: list[Annotated[str, Field(min_length=3, max_length=300)]] = Field(
        default_factory=list, max_length=3
    )


def generation_schema(mentions: Sequence[Mention]) -> type[BaseModel]:
    """One required ``GeneratedEntity`` per missing id (the JSON property is the id itself)."""
    fields: dict[str, Any] = {
        f"entity_{index}": (
            GeneratedEntity,
            Field(alias=mention.id, description=f"the entity named {mention.text!r}"),
        )
        for index, mention in enumerate(mentions)
    }
    return create_model("GeneratedEntities", **fields)


def mentions_for(
    names: Sequence[str], known_ids: Sequence[str] | Mapping[str, Any]
) -> list[Mention]:
    """Mentions for ``names`` that are not known yet (a numbered handle keeps its canonical id)."""
    known = set(known_ids)
    found: dict[str, Mention] = {}
    for name in names:
        numbered = numbered_mentions(name)
        if len(numbered) == 1 and numbered[0].text.strip() == name.strip():
            mention = numbered[0]
        else:
            mention = Mention(id=entity_slug(name), text=name.strip())
        if mention.id not in known:
            found.setdefault(mention.id, mention)
    return list(found.values())


def _is_proper_name(text: str) -> bool:
    return mentioned_names(text) == (text,)


def _cast(state: SimState) -> str:
    entities = state.get("entities", {})
    rows = [f"- {e.name} (id {e.id}){', ' + e.role if e.role else ''}" for e in entities.values()]
    return "\n".join(rows) or "- (nobody yet)"


def _messages(mentions: Sequence[Mention], scenario: Scenario, state: SimState) -> list[Any]:
    return render(
        "entity_generator",
        title=scenario.name,
        description=scenario.description.strip(),
        location=scenario.scene.location or "unspecified",
        start=scenario.start_time.isoformat(sep=" ", timespec="minutes"),
        goals="\n".join(f"- {goal}" for goal in scenario.scene.goals) or "- none stated",
        cast=_cast(state),
        wanted="\n".join(f"- {m.id}: mentioned as {m.text!r}" for m in mentions),
    )


def _to_state(
    mentions: Sequence[Mention], answer: BaseModel, scenario: Scenario
) -> dict[str, Any]:
    entities: dict[str, Entity] = {}
    exposures: list[ExposureEvent] = []
    for index, mention in enumerate(mentions):
        made = GeneratedEntity.model_validate(getattr(answer, f"entity_{index}").model_dump())
        # a proper name the scenario or the user wrote is the name; a handle gets the model's
        name = mention.text if _is_proper_name(mention.text) else made.name.strip()
        traits = tuple(dict.fromkeys(t.strip().lower() for t in made.traits if t.strip()))
        entity = Entity(
            id=mention.id,
            name=name or mention.text,
            kind=made.kind,
            role=made.role.strip(),
            traits=traits,
        )
        entities[entity.id] = entity
        items = [k.strip() for k in made.knowledge if k.strip()]
        exposures.extend(
            ExposureEvent(
                id=initial_exposure_id(entity.id, number),
                entity_id=entity.id,
                kind=ExposureKind.INITIAL,
                information=text,
                source=_SOURCE,
            )
            for number, text in enumerate(dict.fromkeys(items))
        )
    location = scenario.scene.location or None
    return {
        "entities": entities,
        "exposures": exposures,
        "withheld": {key: [] for key in entities},
        "cognitive": {key: initial_cognitive(entity) for key, entity in entities.items()},
        "physical": {key: PhysicalState(location=location) for key in entities},
        "mechanisms": {"M9": len(entities)},
    }


async def _generate(
    mentions: Sequence[Mention], state: SimState, router: Router
) -> dict[str, Any]:
    if not mentions:
        return {}
    scenario = state["scenario"]
    answer = await router.astructured(
        node=NODE,
        action=ACTION,
        schema=generation_schema(mentions),
        messages=_messages(mentions, scenario, state),
        params=SamplingParams(temperature=0.8, max_tokens=_TOKENS_PER_ENTITY * len(mentions)),
    )
    return _to_state(mentions, answer, scenario)


async def generate_missing(names: Sequence[str], state: SimState, router: Router) -> dict[str, Any]:
    """Generate the entities ``names`` refer to that the state lacks, in one call (M9).

    Returns a state update (``entities``, ``exposures``, ``withheld``, ``cognitive``,
    ``physical``, ``mechanisms`` M9), or ``{}`` with no call
    when every name is known. A numbered handle (``attendee_47``) keeps its id and gets a
    name from the model; a proper name (``Lin Zhang``) is kept and its id slugged.
    """
    return await _generate(mentions_for(names, state.get("entities", {})), state, router)


async def generate_entities(state: SimState, runtime: Runtime[RunContext]) -> dict[str, Any]:
    """Node (M9): generate every entity the scenario names but does not define; no call if none."""
    mentions = _scenario_gap(state["scenario"], state.get("entities", {}))
    return await _generate(mentions, state, runtime.context.router)
