"""A realistic run record for store and export tests: two people, a fork, a dialog, costs."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from daedalus.domain import (
    CognitiveState,
    Dialog,
    DialogTurn,
    Entity,
    EntityMetadata,
    Environment,
    ExposureEvent,
    ExposureKind,
    PhysicalState,
    Relationship,
    ResolutionLevel,
    TemporalMode,
    Timepoint,
)
from daedalus.kernel.dialog import Contradiction
from daedalus.llm.actions import ActionType
from daedalus.llm.ledger import CallRecord
from daedalus.scenario import Scenario
from daedalus.state import ValidationRecord
from daedalus.store.record import RunMeta, RunRecord, Snapshot

START = datetime(2026, 3, 12, 9, 0)

SCENARIO = Scenario.model_validate(
    {
        "id": "harbour_vote",
        "name": "The harbour vote",
        "description": "A port authority decides whether to close the old east pier.",
        "mode": "branching",
        "start": START,
        "entities": [
            {"id": "ada", "name": "Ada Moreau", "role": "Harbour master",
             "traits": ["stubborn", "careful"], "knowledge": ["The east pier has cracked piles"]},
            {"id": "ben", "name": "Ben Osei", "role": "Council treasurer",
             "traits": ["frugal", "candid"], "knowledge": ["Repairs would cost two million"]},
        ],
        "relationships": [{"a": "ada", "b": "ben", "kind": "colleague", "trust": 0.6,
                           "alignment": 0.1}],
        "scene": {"location": "Harbour office", "tension": 0.4},
        "branching": {"branches": 2, "fork_step": 0},
    }
)


def sample_state() -> dict[str, Any]:
    """A SimState-like mapping as a branching graph would leave it."""
    ada = Entity(id="ada", name="Ada Moreau", role="Harbour master", traits=("stubborn", "careful"),
                 metadata=EntityMetadata(query_count=3, resolution=ResolutionLevel.DIALOG))
    ben = Entity(id="ben", name="Ben Osei", role="Council treasurer", traits=("frugal", "candid"))
    tp0 = Timepoint(id="tp-0", timestamp=START, event_description="The inspection report arrives",
                    entities_present=("ada", "ben"), importance=0.6)
    tp1 = Timepoint(id="tp-1", timestamp=START + timedelta(days=7), causal_parent="tp-0",
                    event_description="The council meets about the pier",
                    entities_present=("ada", "ben"), importance=0.9)
    tp1b = Timepoint(id="alt.tp-1", timestamp=START + timedelta(days=7), causal_parent="tp-0",
                     event_description="A storm closes the pier before the meeting",
                     entities_present=("ada",), importance=0.7, branch_id="alt")
    exposures = [
        ExposureEvent(id="init-ada-0", entity_id="ada", kind=ExposureKind.INITIAL,
                      information="The east pier has cracked piles", source="scene_initialization"),
        ExposureEvent(id="init-ada-1", entity_id="ada", kind=ExposureKind.INITIAL,
                      information="The mayor wants the pier land sold", source="scene_initialization"),
        ExposureEvent(id="init-ben-0", entity_id="ben", kind=ExposureKind.INITIAL,
                      information="Repairs would cost two million", source="scene_initialization"),
        ExposureEvent(id="tp-0-ada-report", entity_id="ada", kind=ExposureKind.WITNESSED,
                      information="Two piles failed the load test", source="inspection_report",
                      timepoint_id="tp-0", timestamp=START, confidence=0.95),
        ExposureEvent(id="dlg-tp-1-told-0-ben", entity_id="ben", kind=ExposureKind.TOLD,
                      information="Two piles failed the load test", source="ada",
                      timepoint_id="tp-1", timestamp=tp1.timestamp, confidence=0.76),
        ExposureEvent(id="dlg-tp-1-told-1-ada", entity_id="ada", kind=ExposureKind.TOLD,
                      information="Repairs would cost two million", source="ben",
                      timepoint_id="tp-1", timestamp=tp1.timestamp, confidence=0.72),
        ExposureEvent(id="alt.tp-1-ada-storm", entity_id="ada", kind=ExposureKind.EXPERIENCED,
                      information="The storm tore the pier's outer railing", source="storm",
                      timepoint_id="alt.tp-1", timestamp=tp1b.timestamp),
    ]
    dialog = Dialog(
        id="dlg-tp-1", timepoint_id="tp-1", participants=("ada", "ben"),
        turns=(
            DialogTurn(speaker="ada", content="Two piles failed the load test. I want it closed.",
                       emotional_tone="tense", confidence=0.95, knowledge_references=("tp-0-ada-report",),
                       target="ben"),
            DialogTurn(speaker="ben", content="Repairs would cost two million we do not have.",
                       emotional_tone="guarded", confidence=0.9, knowledge_references=("init-ben-0",)),
            DialogTurn(speaker="ada", content="(stays silent)", emotional_tone="neutral"),
            DialogTurn(speaker="ben", content="Then we close it for the winter and look again.",
                       emotional_tone="resigned", confidence=0.8),
        ),
    )
    rel0 = Relationship(a="ada", b="ben", kind="colleague", trust=0.6, alignment=0.1)
    rel1 = rel0.model_copy(update={"trust": 0.66, "alignment": 0.25, "interaction_count": 3,
                                   "shared_knowledge": ("Two piles failed the load test",)})
    calm = {"ada": CognitiveState(valence=0.1, arousal=0.5, energy=110.0),
            "ben": CognitiveState(valence=0.0, arousal=0.4, energy=120.0)}
    after = {"ada": CognitiveState(valence=-0.2, arousal=0.7, energy=96.5),
             "ben": CognitiveState(valence=-0.1, arousal=0.55, energy=108.0)}
    bodies = {"ada": PhysicalState(fatigue=0.3, location="Harbour office"),
              "ben": PhysicalState(fatigue=0.2, location="Harbour office")}
    return {
        "scenario": SCENARIO,
        "entities": {"ada": ada, "ben": ben},
        "timepoints": [tp0, tp1, tp1b],
        "exposures": exposures,
        "withheld": {"ada": ["init-ada-1"]},
        "dialogs": [dialog],
        "relationships": {rel1.key: rel1},
        "cognitive": after,
        "physical": bodies,
        "environment": Environment(location="Harbour office", weather="rain"),
        "snapshots": {
            "tp-0": Snapshot(timepoint_id="tp-0", cognitive=calm, physical=bodies,
                             relationships={rel0.key: rel0}),
            "tp-1": Snapshot(timepoint_id="tp-1", cognitive=after, physical=bodies,
                             relationships={rel1.key: rel1}),
        },
        "branches": [{"id": "alt", "intervention": "A storm hits the night before the meeting"}],
        "contradictions": [
            Contradiction(id="dlg-tp-1-clash-0-1", dialog_id="dlg-tp-1", timepoint_id="tp-1",
                          first_speaker="ada", second_speaker="ben", first_turn=0,
                          second_turn=1, topic="whether the pier can stay open"),
        ],
        "portal": {"steps": [], "pivots": [], "note": ("unused", "in branching")},
        "mechanisms": {"M3": 4, "M11": 1, "M12": 1, "M13": 1, "M19": 1},
        "validation": [
            ValidationRecord(id="v-energy-ada-tp-1", validator="energy_budget", entity_id="ada",
                             timepoint_id="tp-1", message="energy fell below the floor",
                             action="repaired"),
        ],
        "phi": {"ada": {"tp-0": 0.55, "tp-1": 0.9, "alt.tp-1": 0.7},
                "ben": {"tp-0": 0.3, "tp-1": 0.62}},
        "resolution": {"ada": {"tp-0": ResolutionLevel.GRAPH, "tp-1": ResolutionLevel.DIALOG,
                               "alt.tp-1": ResolutionLevel.DIALOG},
                       "ben": {"tp-1": ResolutionLevel.DIALOG}},
        "prophecies": [{"id": "p1", "text": "The pier will fall", "fulfilled": False}],
        "cursor": None,
    }


def sample_calls() -> list[CallRecord]:
    return [
        CallRecord(node="steering", action=ActionType.DIALOG_SYNTHESIS, model="offline",
                   prompt_tokens=420, completion_tokens=60, offline=True),
        CallRecord(node="character", action=ActionType.DIALOG_SYNTHESIS, model="offline",
                   prompt_tokens=910, completion_tokens=85, offline=True),
        CallRecord(node="character", action=ActionType.DIALOG_SYNTHESIS, model="offline",
                   prompt_tokens=880, completion_tokens=70, offline=True, cache_hit=True),
        CallRecord(node="extraction", action=ActionType.SUMMARIZATION, model="offline",
                   prompt_tokens=300, completion_tokens=40, offline=True),
    ]


def sample_meta(run_id: str = "run-0001", *, started_at: datetime = START, template: str = "harbour_vote",
                offline: bool = True, model: str = "offline") -> RunMeta:
    return RunMeta(id=run_id, template=template, mode=TemporalMode.BRANCHING, seed=7, model=model,
                   offline=offline, status="completed", started_at=started_at,
                   completed_at=started_at + timedelta(minutes=3),
                   paths={"exports": f"exports/{run_id}"})


def sample_record(run_id: str = "run-0001", **meta: Any) -> RunRecord:
    """The realistic record, built the way a runner builds it (``from_state``)."""
    return RunRecord.from_state(sample_state(), meta=sample_meta(run_id, **meta), ledger=sample_calls())


def priced_calls() -> list[CallRecord]:
    """The same calls made by a paid model (for a non-offline record)."""
    return [c.model_copy(update={"model": "meta-llama/llama-3.1-70b-instruct", "offline": False,
                                 "cost_usd": 0.0001 * (i + 1)}) for i, c in enumerate(sample_calls())]


def priced_record(run_id: str = "run-0002", **meta: Any) -> RunRecord:
    return RunRecord.from_state(
        sample_state(),
        meta=sample_meta(run_id, offline=False, model="meta-llama/llama-3.1-70b-instruct", **meta),
        ledger=priced_calls(),
    )
