from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from daedalus.domain import (
    CognitiveState,
    Dialog,
    DialogTurn,
    Entity,
    EntityProfile,
    ExposureEvent,
    ExposureKind,
    PhysicalState,
    Relationship,
    Timepoint,
)
from daedalus.kernel.tensors import build_baseline_tensor
from daedalus.provenance import Provenance
from daedalus.validators.enforcement import (
    INERTIA_THRESHOLD,
    dialog_at,
    enforce_timepoint,
    inertia_result,
    justifications,
    knows_upstream,
    personality_of_record,
    record_id,
    reference_records,
    repair_energy,
    restore_behaviour,
    told_at,
    trusted_material,
    unsupported_references,
)

START = datetime(2026, 3, 12, 9, 0)
PEOPLE = ("ada", "ben", "cy")


def tp(tp_id, parent=None, present=PEOPLE, days=0):
    return Timepoint(id=tp_id, timestamp=START + timedelta(days=days), causal_parent=parent,
                     entities_present=present)


def exposure(ex_id, entity, text, kind=ExposureKind.INITIAL, at=None, source="scenario"):
    return ExposureEvent(id=ex_id, entity_id=entity, kind=kind, information=text, source=source,
                         timepoint_id=at)


TIMEPOINTS = [tp("tp0"), tp("tp1", parent="tp0", days=1), tp("tp2", parent="tp1", days=2)]
ENTITIES = {e: Entity(id=e, name=e.title(), traits=("calm", "principled")) for e in PEOPLE}
KNOWLEDGE = [
    exposure("ada-cash", "ada", "Cash covers seven months of operations"),
    exposure("ben-vote", "ben", "The bylaws require a two-thirds vote"),
    exposure("ada-later", "ada", "The round closed", kind=ExposureKind.LEARNED, at="tp2"),
]


def provenance(extra=()):
    return Provenance(TIMEPOINTS, [*KNOWLEDGE, *extra])


def dialog(*turns, at="tp1"):
    return Dialog(id=f"dlg-{at}", timepoint_id=at, participants=PEOPLE, turns=turns)


def told(ex_id, listener, source, text, at="tp1"):
    return exposure(ex_id, listener, text, kind=ExposureKind.TOLD, at=at, source=source)


# ids -------------------------------------------------------------------------------------------

def test_record_ids_are_deterministic_safe_and_distinct():
    assert record_id("tp1", "energy_budget", "ada") == "val-tp1-energy_budget-ada"
    odd = record_id("tp1", "information_conservation", "turn0", "made up ref!")
    assert odd == record_id("tp1", "information_conservation", "turn0", "made up ref!")
    assert " " not in odd and "!" not in odd
    assert odd != record_id("tp1", "information_conservation", "turn0", "made up ref?")


# information conservation -------------------------------------------------------------------------

def test_references_a_speaker_could_not_know_are_found_per_turn():
    talk = dialog(
        DialogTurn(speaker="ada", content="Seven months.", knowledge_references=("ada-cash",)),
        DialogTurn(speaker="ada", content="Two thirds.", knowledge_references=("ben-vote",)),
        DialogTurn(speaker="ada", content="It closed.", knowledge_references=("ada-later",)),
        DialogTurn(speaker="ada", content="Trust me.", knowledge_references=("invented",)),
    )
    refused = unsupported_references(talk, provenance())
    # someone else's exposure, a downstream one, and an unknown id; the own upstream one passes
    assert refused == {1: ("ben-vote",), 2: ("ada-later",), 3: ("invented",)}
    records = reference_records(talk, refused)
    assert [r.action for r in records] == ["recorded"] * 3
    assert {r.entity_id for r in records} == {"ada"}
    assert "not counted for training" in records[0].message


# network flow ------------------------------------------------------------------------------------

def test_knows_upstream_accepts_what_the_source_knew_or_said_and_ignores_its_name():
    talk = dialog(DialogTurn(speaker="ben", content="We are hiring a new chief of staff."))
    check = knows_upstream(provenance(), talk, ENTITIES)
    assert check("ada", "Ada said cash covers seven months", "tp1")
    assert check("ben", "Ben announced hiring a new chief of staff", "tp1")
    assert not check("ada", "The factory in Lyon burned down", "tp1")
    # what ada learns later is not upstream of tp1
    assert not check("ada", "The round closed", "tp1")


def test_trusted_material_drops_flagged_turns_and_told_facts():
    talk = dialog(
        DialogTurn(speaker="ada", content="Seven months.", knowledge_references=("ada-cash",)),
        DialogTurn(speaker="ben", content="Not yours.", knowledge_references=("ada-cash",)),
    )
    good = told("t-good", "ben", "ada", "Cash covers seven months of operations")
    invented = told("t-bad", "cy", "ada", "The factory in Lyon burned down")
    stranger = told("t-far", "cy", "ada", "Cash covers seven months of operations")
    material = trusted_material(
        dialog=talk, told=[good, invented, stranger], provenance=provenance([good]),
        relationships=[Relationship(a="ada", b="ben")], entities=ENTITIES,
        co_present={"tp1": ("ada", "ben")},
    )
    assert material.turns == (0,)
    # cy is neither related to ada nor co-present, and nobody knew about Lyon
    assert material.told == ("t-good",)


def test_told_at_picks_told_exposures_of_that_timepoint():
    events = [told("a", "ben", "ada", "x y z"), told("b", "ben", "ada", "x y z", at="tp2"),
              exposure("c", "ben", "x y z", kind=ExposureKind.WITNESSED, at="tp1")]
    assert [e.id for e in told_at(events, "tp1")] == ["a"]


# energy budget ---------------------------------------------------------------------------------

def test_energy_out_of_range_is_clamped_and_recorded():
    broken = {
        "ada": CognitiveState().model_copy(update={"energy": -12.0}),
        "ben": CognitiveState().model_copy(update={"energy": 400.0}),
        "cy": CognitiveState(energy=80.0),
    }
    results, repaired, records = repair_energy(broken, "tp1")
    assert len(results) == 3
    assert repaired["ada"].energy == 0.0 and repaired["ben"].energy == 150.0
    assert "cy" not in repaired
    assert [(r.entity_id, r.action) for r in records] == [("ada", "repaired"), ("ben", "repaired")]
    assert "negative" in records[0].message and "exceeds its capacity" in records[1].message


@settings(max_examples=60, deadline=None)
@given(energy=st.floats(-500, 500), capacity=st.floats(1, 300))
def test_repaired_energy_is_always_within_capacity(energy, capacity):
    mind = CognitiveState(energy=0.0, energy_capacity=capacity).model_copy(update={"energy": energy})
    _, repaired, records = repair_energy({"ada": mind}, "tp1")
    fixed = repaired.get("ada", mind)
    assert 0.0 <= fixed.energy <= capacity
    assert bool(records) == (not 0.0 <= energy <= capacity)


# behavioural inertia ---------------------------------------------------------------------------

def wild(entity):
    tensor = build_baseline_tensor(entity, CognitiveState(), PhysicalState(), ["a fact"])
    block = list(tensor.behavior)
    block[:8] = [1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0]
    return tensor, tensor.model_copy(update={"behavior": tuple(block)})


def test_an_unjustified_behaviour_shift_is_rolled_back():
    original, shifted = wild(ENTITIES["ada"])
    results, restored, records = restore_behaviour({"ada": shifted}, ENTITIES, KNOWLEDGE, "tp1")
    assert not results[0].valid
    assert restored["ada"].behavior == original.behavior
    assert restored["ada"].context == shifted.context
    assert records[0].action == "rejected" and records[0].validator == "behavioral_inertia"


def test_a_witnessed_event_at_the_timepoint_justifies_the_shift():
    _, shifted = wild(ENTITIES["ada"])
    shock = exposure("shock", "ada", "The building caught fire", kind=ExposureKind.WITNESSED,
                     at="tp1")
    assert justifications([*KNOWLEDGE, shock], "ada", "tp1") == (shock,)
    results, restored, records = restore_behaviour({"ada": shifted}, ENTITIES, [shock], "tp1")
    assert results[0].valid and not restored and not records
    # the same event at another timepoint justifies nothing here
    _, restored, _ = restore_behaviour({"ada": shifted}, ENTITIES, [shock], "tp2")
    assert "ada" in restored


def test_a_small_drift_needs_no_justification():
    entity = ENTITIES["ada"]
    nudged = entity.model_copy(update={"profile": EntityProfile(trait_scores={"openness": 0.6})})
    before, after = personality_of_record(entity), personality_of_record(nudged)
    assert before != after
    assert inertia_result("ada", "tp1", before, after, ()).valid
    block = list(before)
    block[0] += INERTIA_THRESHOLD + 0.01
    assert not inertia_result("ada", "tp1", before, block, ()).valid


# the whole timepoint -----------------------------------------------------------------------------

def test_enforce_timepoint_finds_repairs_and_rejects_each_kind():
    talk = dialog(DialogTurn(speaker="ben", content="Cash!", knowledge_references=("ada-cash",)))
    bad_told = told("t-bad", "cy", "ben", "The factory in Lyon burned down")
    _, shifted = wild(ENTITIES["cy"])
    log = [*KNOWLEDGE, bad_told]
    outcome = enforce_timepoint(
        timepoint_id="tp1", provenance=Provenance(TIMEPOINTS, log), dialog=talk, exposures=log,
        relationships=[Relationship(a="ben", b="cy")], entities=ENTITIES,
        co_present={"tp1": PEOPLE},
        cognitive={"ada": CognitiveState().model_copy(update={"energy": -1.0})},
        tensors={"cy": shifted},
    )
    found = {(r.validator, r.entity_id, r.action) for r in outcome.records}
    assert found == {
        ("information_conservation", "ben", "recorded"),
        ("network_flow", "cy", "recorded"),
        ("energy_budget", "ada", "repaired"),
        ("behavioral_inertia", "cy", "rejected"),
    }
    assert outcome.cognitive["ada"].energy == 0.0
    assert outcome.tensors["cy"].behavior == personality_of_record(ENTITIES["cy"])
    # one referencing turn, one told batch, one mind, one tensor
    assert outcome.validators_run == 4
    assert len({r.id for r in outcome.records}) == len(outcome.records)


def test_a_clean_timepoint_records_nothing():
    talk = dialog(DialogTurn(speaker="ada", content="Seven months.",
                             knowledge_references=("ada-cash",)))
    heard = told("t-ok", "ben", "ada", "Cash covers seven months of operations")
    log = [*KNOWLEDGE, heard]
    outcome = enforce_timepoint(
        timepoint_id="tp1", provenance=Provenance(TIMEPOINTS, log), dialog=talk, exposures=log,
        relationships=[], entities=ENTITIES, co_present={"tp1": PEOPLE},
        cognitive={"ada": CognitiveState()},
        tensors={"ada": build_baseline_tensor(ENTITIES["ada"], CognitiveState(), PhysicalState(),
                                              [])},
    )
    assert outcome.records == () and not outcome.cognitive and not outcome.tensors


def test_dialog_at_returns_the_last_dialog_of_the_timepoint():
    first, second = dialog(at="tp1"), Dialog(id="again", timepoint_id="tp1", participants=PEOPLE)
    assert dialog_at([first, second, dialog(at="tp2")], "tp1") == second
    assert dialog_at([first], "tp0") is None


@pytest.mark.parametrize("refs", [(), ("ada-cash",)])
def test_turns_without_bad_references_are_never_reported(refs):
    talk = dialog(DialogTurn(speaker="ada", content="Fine.", knowledge_references=refs))
    assert unsupported_references(talk, provenance()) == {}
