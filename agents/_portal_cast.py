"""The cast as PORTAL prompts show it: each person at its resolution for the slot (M1, M17).

During the backward search no moment of the chain exists yet, so a person's level is the
fidelity plan's cell for the slot raised to what the person has earned (``levels_at`` at that
depth). Attention lands on the people of the events a prompt is about, who are raised to
DIALOG as a moment's dialog participants are: in a proposal, the people of the established
links the new event must connect to and those whose knowledge bears on the target (M5: the
proposal is a question about the target, and resolution follows the question); in a trial,
the candidate's people; for the judge, the people of the round's candidates. Everyone else
keeps the plan's level, so a person the plan leaves at TENSOR_ONLY is one line decoded from
its compressed tensor.

The text comes from ``daedalus.kernel.render``, the one renderer, with two cuts that keep each
fact stated once: the scene's place (where everyone is) goes in the setting, not on every
person, and a ``knows`` map given by the caller (the items most relevant to the moment,
causally filtered) replaces the full knowledge layer for the people whose level shows it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from daedalus.agents._cast import entity_facts, levels_at
from daedalus.domain import ResolutionLevel
from daedalus.kernel.render import render_entity
from daedalus.portal import ENDPOINT_ID, LinkRef, PortalRecord
from daedalus.state import SimState

__all__ = ["bearing_on", "link_people", "portal_levels", "portal_people", "scene_place"]


def link_people(record: PortalRecord, link: LinkRef, everyone: Sequence[str]) -> tuple[str, ...]:
    """The people of an established link: the chosen candidate's, or ``everyone`` for the
    fixed endpoint (it holds the whole cast)."""
    if link.id == ENDPOINT_ID:
        return tuple(everyone)
    chosen = record.chosen_candidate(link.slot)
    return chosen.entities if chosen is not None and chosen.id == link.id else ()


def scene_place(state: SimState) -> str:
    """Where the scene is (the environment's location), or an empty string."""
    environment = state.get("environment")
    return environment.location if environment is not None else ""


_WORDS = re.compile(r"[a-z0-9]{4,}")


def bearing_on(knows: Mapping[str, Sequence[str]], about: str) -> tuple[str, ...]:
    """The ids whose knowledge shares a word (four letters or more) with ``about``: the people
    a question about ``about`` draws attention to (M5, decided at query time)."""
    wanted = set(_WORDS.findall(about.casefold()))
    return tuple(
        entity
        for entity, items in knows.items()
        if any(wanted & set(_WORDS.findall(item.casefold())) for item in items)
    )


def portal_levels(
    state: SimState, slot: int, attention: Iterable[str] = ()
) -> dict[str, ResolutionLevel]:
    """Every entity's level at search slot ``slot``: the plan's cell raised to what it has
    earned, and at least DIALOG for the people in ``attention``."""
    levels = levels_at(state, None, depth=slot)
    for entity_id in attention:
        if entity_id in levels:
            levels[entity_id] = max(levels[entity_id], ResolutionLevel.DIALOG)
    return levels


def portal_people(
    state: SimState,
    slot: int,
    entity_ids: Sequence[str],
    *,
    attention: Iterable[str] = (),
    knows: Mapping[str, Sequence[str]] | None = None,
    cap: ResolutionLevel | None = None,
    with_mood: bool = True,
) -> dict[str, str]:
    """Each of ``entity_ids`` rendered at its level for the slot (``portal_levels``), by id.

    ``knows`` replaces what a DIALOG-level person is shown to know; ``cap`` limits the level
    (for a prompt that states knowledge elsewhere); ``with_mood=False`` leaves the mood words
    out (for a prompt that states the state as numbers).
    """
    levels = portal_levels(state, slot, attention)
    place = scene_place(state)
    shown: dict[str, str] = {}
    for entity_id in entity_ids:
        if entity_id not in state.get("entities", {}):
            continue
        level = levels.get(entity_id, ResolutionLevel.TENSOR_ONLY)
        if cap is not None:
            level = min(level, cap)
        facts = entity_facts(state, entity_id, level, None)
        update: dict[str, object] = {}
        if knows is not None:
            update["knowledge"] = tuple(knows.get(entity_id, ()))
        if facts.place == place:
            update["place"] = ""
        body = facts.physical
        if body is not None and body.location == place:
            update["physical"] = body.model_copy(update={"location": None})
        if not with_mood:
            update["cognitive"] = None
        shown[entity_id] = render_entity(facts.model_copy(update=update), level)
    return shown
