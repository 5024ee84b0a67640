"""Relationship update and contradiction detection after a dialog (M13).

One model call reads the transcript: trust and alignment shifts per pair, and pairs of turns by
different speakers that cannot both be true. The node returns the judged shifts; the dialog's
aftermath applies them together with the counted facts (exchanges, shared knowledge from the
extracted exposures) through ``daedalus.kernel.relations.apply_dialog``, so this call can run in
parallel with extraction.
"""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime
from pydantic import BaseModel, Field, create_model

from daedalus.agents._common import SILENT, choice, render, schema_cache, transcript
from daedalus.context import RunContext
from daedalus.kernel.dialog import Contradiction
from daedalus.kernel.relations import pairs_of
from daedalus.llm.actions import ActionType
from daedalus.llm.params import SamplingParams
from daedalus.state import DialogState

__all__ = ["ACTION", "NODE", "relationships", "relationships_schema"]

NODE = "relationships"
ACTION = ActionType.RELATIONSHIP_ANALYSIS
_PARAMS = SamplingParams(temperature=0.2, max_tokens=700)


@schema_cache
def relationships_schema(pairs: list[str], turn_count: int) -> type[BaseModel]:
    """Schema offering exactly the pairs present and turn indices that exist."""
    last = max(turn_count - 1, 0)
    pair_item = create_model(
        "PairShift",
        pair=(choice(pairs), Field(description="the pair, as 'a|b'")),
        trust_delta=(float, Field(default=0.0, ge=-0.3, le=0.3)),
        alignment_delta=(float, Field(default=0.0, ge=-0.3, le=0.3)),
        note=(str, Field(default="", max_length=200)),
    )
    clash = create_model(
        "TurnClash",
        first_turn=(int, Field(ge=0, le=last)),
        second_turn=(int, Field(ge=0, le=last)),
        topic=(str, Field(min_length=1, max_length=160)),
    )
    return create_model(
        "RelationshipReading",
        pairs=(list[pair_item], Field(default_factory=list, max_length=len(pairs))),
        contradictions=(list[clash], Field(default_factory=list, max_length=6)),
    )


async def relationships(state: DialogState, runtime: Runtime[RunContext]) -> dict[str, Any]:
    """Update the participants' relationships and record contradictions."""
    turns = list(state.get("turns", []))
    participants = state["participants"]
    pairs = pairs_of(participants)
    if not pairs or not any(t.content != SILENT for t in turns):
        return {"relationship_deltas": {}, "contradictions": []}
    view = state["public"]
    listing = "\n".join(
        f"- {key} ({view.names[key.split('|')[0]]} and {view.names[key.split('|')[1]]})"
        for key in pairs
    )
    answer = await runtime.context.router.astructured(
        node=NODE,
        action=ACTION,
        schema=relationships_schema(pairs, len(turns)),
        messages=render(
            "relationships",
            pairs=listing,
            transcript=transcript(turns, dict(view.names), indexed=True),
        ),
        params=_PARAMS,
    )
    reading = answer.model_dump()
    deltas = {p["pair"]: (p["trust_delta"], p["alignment_delta"]) for p in reading["pairs"]}
    contradictions = []
    for item in reading["contradictions"]:
        first, second = sorted((item["first_turn"], item["second_turn"]))
        a, b = turns[first], turns[second]
        if a.speaker == b.speaker or SILENT in (a.content, b.content):
            continue
        contradictions.append(
            Contradiction(
                id=f"{state['dialog_id']}-clash-{first}-{second}",
                dialog_id=state["dialog_id"],
                timepoint_id=state["timepoint"].id,
                first_speaker=a.speaker,
                second_speaker=b.speaker,
                first_turn=first,
                second_turn=second,
                topic=item["topic"],
            )
        )
    unique = list({c.id: c for c in contradictions}.values())
    return {"relationship_deltas": deltas, "contradictions": unique}
