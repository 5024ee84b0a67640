"""PORTAL candidate generator (M17): one call proposes N antecedents for the pending slot.

The prompt names the moment, its established neighbours (the consequent it must lead to, the
antecedent it must follow from on the early end of an oscillating search), and, on a
re-proposal, the judge's feedback and the events not to repeat. Each answer becomes a numbered
``PortalCandidate`` in a new round of the search record.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from langchain_core.messages import BaseMessage
from langgraph.runtime import Runtime
from pydantic import BaseModel, Field, create_model

from daedalus.agents._common import choice, render, schema_cache
from daedalus.agents._portal_cast import bearing_on, link_people, portal_people, scene_place
from daedalus.context import RunContext
from daedalus.llm.actions import ActionType
from daedalus.llm.params import SamplingParams
from daedalus.portal import (
    PortalRecord,
    PortalState,
    ProposalRound,
    RoundReason,
    add_round,
    cast_of,
    distinct_drafts,
    knowledge_before,
    most_relevant,
    new_candidates,
    open_round,
)
from daedalus.prompts import load_prompt
from daedalus.scenario import Scenario

__all__ = [
    "ACTION",
    "NODE",
    "build_candidates_messages",
    "candidates_schema",
    "cast_lines",
    "instruction_text",
    "portal_candidates",
    "portal_cast",
    "proposal_people",
    "round_context",
    "setting_of",
]

NODE = "portal_candidates"
ACTION = ActionType.PORTAL_BACKWARD_REASONING
_TOKENS_PER_CANDIDATE = 160
_EXCLUDED_CHARS = 160
_KNOWS_SHOWN = 3
Draft = tuple[str, tuple[str, ...], float, str]


@schema_cache
def candidates_schema(count: int, entity_ids: tuple[str, ...]) -> type[BaseModel]:
    """Exactly ``count`` drafts whose entity lists can only name ``entity_ids``."""
    people: Any = list[choice(entity_ids)]  # type: ignore[misc]
    draft = create_model(
        "CandidateDraft",
        description=(str, Field(min_length=8, max_length=400)),
        entities=(people, Field(min_length=1, max_length=len(entity_ids))),
        importance=(float, Field(ge=0.0, le=1.0)),
        rationale=(str, Field(min_length=1, max_length=400)),
    )
    return create_model(
        "CandidateDrafts",
        candidates=(list[draft], Field(min_length=count, max_length=count)),
    )


def setting_of(scenario: Scenario, place: str = "") -> str:
    """The scenario in one line: its name and description, then where it is set."""
    where = f"\nPlace: {place}" if place else ""
    return f"{scenario.name}: {scenario.description.strip()}{where}"


def portal_cast(state: PortalState) -> dict[str, str]:
    """Who may appear in candidates: the simulated entities, else the scenario's roster."""
    entities = state.get("entities") or {}
    if entities:
        return cast_of(entities)
    return {
        spec.id: f"{spec.name}, {spec.role}" if spec.role else spec.name
        for spec in state["scenario"].entities
    }


def cast_lines(
    cast: Mapping[str, str], knows: Mapping[str, Sequence[str]] | None = None
) -> str:
    """``- Name, role (id x)`` rows, each followed by ``knows: a; b`` when ``knows`` names
    something the entity knows."""
    rows = []
    for entity_id, label in cast.items():
        known = "; ".join(item.rstrip(".") for item in (knows or {}).get(entity_id, ()))
        rows.append(f"- {label} (id {entity_id})" + (f"; knows: {known}." if known else ""))
    return "\n".join(rows)


def proposal_people(
    state: PortalState,
    proposal: ProposalRound,
    cast: Mapping[str, str],
    knows: Mapping[str, Sequence[str]],
) -> str:
    """Who may appear in ``proposal``'s candidates, one row each: rendered at their level for
    the slot, the people of the links the event connects to and those whose knowledge bears on
    the target raised to DIALOG (M1, M5); without simulated entities, ``cast_lines`` of the
    roster."""
    if not state.get("entities"):
        return cast_lines(cast, knows)
    record = state["portal"]
    links = (proposal.antecedent, proposal.consequent or proposal.target)
    attention = [e for link in links if link for e in link_people(record, link, list(cast))]
    attention += bearing_on(knows, proposal.target.description)
    rows = portal_people(state, proposal.slot, list(cast), attention=attention, knows=knows)
    return "\n".join(rows.values())


def round_context(proposal: ProposalRound) -> str:
    """What the moment must connect to: origin note, antecedent, consequent or the far target."""
    rows = []
    if proposal.slot == 0:
        rows.append("This is the origin of the timeline: it must fit the scenario's start.")
    if proposal.antecedent is not None:
        rows.append(
            f"What came just before ({proposal.antecedent.time:%Y-%m-%d}): "
            f"{proposal.antecedent.description}\nThe event must follow from it."
        )
    if proposal.consequent is not None:
        rows.append(
            f"What follows next ({proposal.consequent.time:%Y-%m-%d}): "
            f"{proposal.consequent.description}\nThe event must help bring it about."
        )
    else:
        rows.append(
            f"Where the chain must eventually arrive ({proposal.target.time:%Y-%m-%d}): "
            f"{proposal.target.description}"
        )
    return "\n".join(rows)


def _feedback(record: PortalRecord, proposal: ProposalRound) -> str:
    if proposal.reason is RoundReason.INITIAL:
        return ""
    if proposal.reason is RoundReason.FEEDBACK:
        return (
            "\nEarlier proposals for this moment fell short of the judge's threshold:\n"
            f"{proposal.feedback}\nPropose different events; do not repeat those.\n"
        )
    step = record.step(proposal.slot)
    described = {c.id: c.description for r in step.rounds for c in r.candidates}
    avoid = "\n".join(
        f"- {described[i][:_EXCLUDED_CHARS]}" for i in proposal.excluded if i in described
    )
    return f"\n{proposal.feedback}\nDo not repeat these earlier proposals:\n{avoid}\n"


def build_candidates_messages(
    record: PortalRecord,
    proposal: ProposalRound,
    setting: str,
    people: str,
    *,
    count: int | None = None,
    retry: str = "",
) -> list[BaseMessage]:
    """The proposal prompt for ``proposal`` (a frame from ``open_round``): ``count``
    candidates (default ``record.candidates``) among ``people`` (rendered rows), with a
    ``retry`` note after the feedback."""
    return render(
        "portal_candidates",
        setting=setting,
        cast=people,
        when=f"{proposal.time:%Y-%m-%d}",
        context=round_context(proposal),
        feedback=_feedback(record, proposal) + retry,
        count=record.candidates if count is None else count,
    )


def instruction_text(count: int) -> str:
    """The fixed text of the proposal prompt for ``count`` candidates (the scenario's material
    left out): what no candidate may echo."""
    blanks = {name: "\n" for name in load_prompt("portal_candidates").placeholders}
    system, user = load_prompt("portal_candidates").render(**{**blanks, "count": count})
    return f"{system}\n{user}"


def _retry_note(kept: Sequence[Draft], rejected: Sequence[str]) -> str:
    listed = "\n".join(f"- {draft[0][:_EXCLUDED_CHARS]}" for draft in kept)
    return (
        f"\nThese proposals are already taken:\n{listed}\n{len(rejected)} more were rejected "
        "as repeats, as copies of these instructions or as restatements of the events they "
        "must connect to. Propose events that differ from the "
        "taken ones in what happens and who acts, each in your own words.\n"
    )


async def _ask(
    runtime: Runtime[RunContext], schema_count: int, cast: Mapping[str, str], messages: Any
) -> list[Draft]:
    answer = await runtime.context.router.astructured(
        node=NODE,
        action=ACTION,
        schema=candidates_schema(schema_count, tuple(cast)),
        messages=messages,
        params=SamplingParams(
            temperature=0.9, max_tokens=_TOKENS_PER_CANDIDATE * schema_count + 100
        ),
    )
    return [
        (d["description"], tuple(d["entities"]), d["importance"], d["rationale"])
        for d in answer.model_dump()["candidates"]
    ]


async def portal_candidates(state: PortalState, runtime: Runtime[RunContext]) -> dict[str, Any]:
    """Propose ``portal.candidates`` distinct antecedents for the pending slot; adds a round to
    the record (and clears what was pending).

    Near-duplicates (of each other or of the excluded earlier proposals), drafts that echo the
    prompt's instructions and drafts that restate the events they must connect to are
    rejected; the missing ones are asked for once more in a second call, and the round keeps
    the distinct drafts it then has (at least one).
    """
    record = state["portal"]
    scenario = state["scenario"]
    cast = portal_cast(state)
    frame = open_round(record)
    instructions = instruction_text(record.candidates)
    step = record.step(frame.slot)
    described = {c.id: c.description for r in step.rounds for c in r.candidates}
    taken = [described[i] for i in frame.excluded if i in described]
    known = knowledge_before(state.get("exposures", []), cast)
    knows = {
        entity: most_relevant(items, frame.target.description, limit=_KNOWS_SHOWN)
        for entity, items in known.items()
    }
    people = proposal_people(state, frame, cast, knows)
    setting = setting_of(scenario, scene_place(state))
    base = build_candidates_messages(record, frame, setting, people)
    drafts = await _ask(runtime, record.candidates, cast, base)
    neighbours = [link.description for link in (frame.antecedent, frame.target) if link]
    kept, rejected = distinct_drafts(drafts, instructions, taken, neighbours)
    missing = record.candidates - len(kept)
    if missing > 0:
        retry = _retry_note(kept, rejected)
        again = build_candidates_messages(
            record, frame, setting, people, count=missing, retry=retry
        )
        more = await _ask(runtime, missing, cast, again)
        extra, _ = distinct_drafts(
            more, instructions, [*taken, *(draft[0] for draft in kept)], neighbours
        )
        kept.extend(extra)
    if not kept:
        kept = drafts[:1]
    updated = add_round(record, new_candidates(frame, kept[: record.candidates]))
    return {"portal": updated, "mechanisms": {"M17": 1}}
