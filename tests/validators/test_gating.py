from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from daedalus.domain import (
    CognitiveState,
    Entity,
    EntityKind,
    PhysicalState,
    Relationship,
    ResolutionLevel,
    Timepoint,
)
from daedalus.errors import ConfigError
from daedalus.kernel.adprs import band
from daedalus.kernel.circadian import Chronotype
from daedalus.validators.gating import (
    CIRCADIAN,
    ENERGY_RECOVERY_PER_HOUR,
    FATIGUE_RECOVERY_PER_HOUR,
    SALIENCE_FLOOR,
    activation,
    causal_steps,
    chronotype_for,
    find_timepoint,
    gate_timepoint,
    hours_between,
    previous_moment_time,
    refusals,
    refused_participation,
    rest,
    rest_all,
    salience,
)

MORNING = datetime(2026, 3, 12, 9, 0)
PEOPLE = ("ada", "ben", "cy", "dee")


def person(entity_id, *traits, kind=EntityKind.HUMAN):
    return Entity(id=entity_id, name=entity_id.title(), kind=kind, traits=traits)


def cast(*ids):
    return {e: person(e) for e in ids}


def moment(tp_id="tp0", when=MORNING, present=PEOPLE, importance=0.9, parent=None, **extra):
    return Timepoint(id=tp_id, timestamp=when, entities_present=present, importance=importance,
                     causal_parent=parent, **extra)


def gate(timepoints, cursor, entities, *, relationships=(), physical=None, animism=0, cap=4,
         chronotypes=None):
    return gate_timepoint(timepoint_id=cursor, timepoints=timepoints, entities=entities,
                          relationships=relationships, physical=physical or {}, animism=animism,
                          cap=cap, chronotypes=chronotypes)


# rest ------------------------------------------------------------------------------------------

def test_rest_recovers_energy_and_sheds_fatigue_in_proportion_to_hours():
    mind, body = rest(CognitiveState(energy=20.0), PhysicalState(fatigue=0.6), 4.0)
    assert mind.energy == pytest.approx(20.0 + 4 * ENERGY_RECOVERY_PER_HOUR)
    assert body.fatigue == pytest.approx(0.6 - 4 * FATIGUE_RECOVERY_PER_HOUR)


def test_rest_stops_at_capacity_and_at_zero_fatigue():
    mind, body = rest(CognitiveState(energy=140.0, energy_capacity=150.0),
                      PhysicalState(fatigue=0.1), 100.0)
    assert mind.energy == 150.0 and body.fatigue == 0.0


def test_no_time_means_no_rest_and_negative_time_is_refused():
    mind, body = CognitiveState(energy=10.0), PhysicalState(fatigue=0.5)
    assert rest(mind, body, 0.0) == (mind, body)
    with pytest.raises(ConfigError, match="hours of rest"):
        rest(mind, body, -1.0)


def test_hours_between_counts_only_forward_time_and_reads_naive_as_utc():
    assert hours_between(MORNING, MORNING + timedelta(hours=3)) == 3.0
    assert hours_between(MORNING, MORNING - timedelta(hours=3)) == 0.0
    aware = MORNING.replace(tzinfo=UTC) + timedelta(hours=2)
    assert hours_between(MORNING, aware) == 2.0


def test_rest_all_returns_only_stored_states_that_changed():
    minds, bodies = rest_all(
        {"ada": CognitiveState(energy=10.0), "ben": CognitiveState(energy=150.0)},
        {"ada": PhysicalState(fatigue=0.0), "cy": PhysicalState(fatigue=0.4)},
        2.0,
    )
    assert set(minds) == {"ada"} and minds["ada"].energy == 20.0
    assert set(bodies) == {"cy"} and bodies["cy"].fatigue == pytest.approx(0.3)


@settings(max_examples=60, deadline=None)
@given(energy=st.floats(0, 150), fatigue=st.floats(0, 1), short=st.floats(0, 48),
       extra=st.floats(0, 48))
def test_rest_is_bounded_and_monotone_in_time(energy, fatigue, short, extra):
    start = CognitiveState(energy=energy), PhysicalState(fatigue=fatigue)
    mind_a, body_a = rest(*start, short)
    mind_b, body_b = rest(*start, short + extra)
    assert energy <= mind_a.energy <= mind_b.energy <= 150.0
    assert fatigue >= body_a.fatigue >= body_b.fatigue >= 0.0


# timeline helpers --------------------------------------------------------------------------------

def test_previous_moment_time_is_the_end_of_the_parent_moment_and_its_details():
    first = moment("tp0")
    detail = moment("tp0.m1", when=MORNING + timedelta(minutes=40), parent="tp0", moment_of="tp0")
    second = moment("tp1", when=MORNING + timedelta(days=1), parent="tp0")
    assert previous_moment_time([first, second], "tp0") is None
    assert previous_moment_time([first, second], "tp1") == MORNING
    assert previous_moment_time([first, detail, second], "tp1") == MORNING + timedelta(minutes=40)


def test_causal_steps_follow_parents_and_skip_details_and_other_branches():
    tps = [
        moment("a"),
        moment("a.m1", parent="a", moment_of="a"),
        moment("b", parent="a"),
        moment("x", parent="a", branch_id="alt"),
        moment("c", parent="b"),
    ]
    assert [tp.id for tp in causal_steps(tps, "c")] == ["a", "b", "c"]
    assert [tp.id for tp in causal_steps(tps, "x")] == ["a", "x"]
    with pytest.raises(ConfigError, match="'zz'"):
        causal_steps(tps, "zz")


def test_find_timepoint_names_the_missing_cursor():
    with pytest.raises(ConfigError, match="cursor"):
        find_timepoint([moment()], None)
    with pytest.raises(ConfigError, match="'nope'"):
        find_timepoint([moment()], "nope")


# salience and activation (ADPRS) ---------------------------------------------------------------

def test_salience_ranks_by_centrality_above_a_floor():
    rels = [Relationship(a="ada", b="ben", trust=0.9, interaction_count=3),
            Relationship(a="ben", b="cy", trust=0.9, interaction_count=3)]
    weights = salience(["ada", "ben", "cy", "dee"], rels)
    assert weights["ben"] == 1.0
    assert weights["dee"] == SALIENCE_FLOOR
    assert SALIENCE_FLOOR < weights["ada"] < 1.0


def test_without_relationships_nobody_is_down_weighted():
    assert salience(["ada", "ben"], []) == {"ada": 1.0, "ben": 1.0}


def test_phi_at_a_first_appearance_is_importance_times_salience():
    tps = [moment("tp0", present=("ada",), importance=0.4),
           moment("tp1", parent="tp0", present=("ada", "ben"), importance=0.9)]
    phi = activation(tps, "tp1", ["ada", "ben"], {"ada": 1.0, "ben": 0.8})
    assert phi["ben"] == pytest.approx(0.72)
    # ada's activation also remembers the quieter first step.
    assert 0.4 < phi["ada"] <= 0.9


# refusals (M14) ----------------------------------------------------------------------------------

def test_nobody_is_awake_for_a_meeting_at_three_in_the_morning():
    night = moment(when=datetime(2026, 3, 12, 3, 0))
    found = refusals(person("ada"), PhysicalState(), night, Chronotype.STANDARD)
    assert [r.validator for r in found] == [CIRCADIAN]
    assert found[0].action == "rejected" and "03:00" in found[0].message


def test_a_nocturnal_entity_is_available_at_night_and_a_building_any_time():
    night = moment(when=datetime(2026, 3, 12, 3, 0))
    assert refusals(person("owl", "nocturnal"), PhysicalState(), night, Chronotype.NOCTURNAL) == []
    hall = person("hall", kind=EntityKind.BUILDING)
    assert refusals(hall, PhysicalState(), night, Chronotype.STANDARD) == []


def test_a_body_that_cannot_speak_is_refused():
    found = refusals(person("ada"), PhysicalState(pain=0.99), moment(), Chronotype.STANDARD)
    assert [r.validator for r in found] == ["biological_constraints"]
    asleep = refusals(person("ada"), PhysicalState(awake=False), moment(), Chronotype.STANDARD)
    assert "asleep" in asleep[0].message


def test_chronotype_comes_from_traits_first_then_the_scenario():
    assert chronotype_for(person("a", "night_owl"), "early") is Chronotype.LATE
    assert chronotype_for(person("a"), "early") is Chronotype.EARLY
    assert chronotype_for(person("a")) is Chronotype.STANDARD
    with pytest.raises(ConfigError, match="unknown chronotype 'noon'"):
        chronotype_for(person("a"), "noon")


def test_refused_participation_reads_only_refusals_at_that_timepoint():
    night = moment(when=datetime(2026, 3, 12, 3, 0))
    records = refusals(person("ada"), PhysicalState(), night, Chronotype.STANDARD)
    assert refused_participation(records, "tp0") == {"ada"}
    assert refused_participation(records, "tp1") == frozenset()


# gate_timepoint ------------------------------------------------------------------------------

def test_at_three_am_everyone_is_excluded_and_recorded():
    tps = [moment(when=datetime(2026, 3, 12, 3, 0))]
    decision = gate(tps, "tp0", cast(*PEOPLE))
    assert decision.participants == ()
    assert sorted(r.entity_id for r in decision.refused) == sorted(PEOPLE)
    assert decision.checked == 4
    assert set(decision.snapshot_levels) == set(PEOPLE)


def test_gated_out_entities_get_their_band_and_no_dialog():
    tps = [moment(importance=0.5)]
    decision = gate(tps, "tp0", cast(*PEOPLE))
    assert decision.participants == ()
    for entity_id, level in decision.snapshot_levels.items():
        assert level == band(decision.phi[entity_id]) == ResolutionLevel.GRAPH


def test_participants_are_ordered_by_phi_and_capped():
    rels = [Relationship(a="ada", b="ben", trust=0.9, interaction_count=4),
            Relationship(a="ben", b="cy", trust=0.5),
            Relationship(a="cy", b="dee", trust=0.2)]
    decision = gate([moment(importance=1.0)], "tp0", cast(*PEOPLE), relationships=rels, cap=2)
    phi = decision.phi
    assert decision.participants == tuple(sorted(PEOPLE, key=lambda e: -phi[e])[:2])
    dropped = [e for e in PEOPLE if e not in decision.participants]
    # capped-out entities did not talk: recorded no higher than a snapshot
    assert all(decision.snapshot_levels[e] <= ResolutionLevel.GRAPH for e in dropped)
    assert set(decision.snapshot_levels) == set(dropped)


def test_a_lone_gated_in_entity_has_nobody_to_talk_to():
    decision = gate([moment(present=("ada", "ben"))], "tp0",
                    {"ada": person("ada"), "ben": person("ben")},
                    physical={"ben": PhysicalState(awake=False)})
    assert decision.participants == ("ada",)
    assert set(decision.snapshot_levels) == {"ada", "ben"}


def test_animism_keeps_non_humans_out_of_the_dialog_without_checking_them():
    entities = {**cast("ada", "ben"), "hall": person("hall", kind=EntityKind.BUILDING)}
    tps = [moment(present=("ada", "ben", "hall"))]
    closed = gate(tps, "tp0", entities, animism=0)
    assert "hall" not in closed.participants and closed.checked == 2
    opened = gate(tps, "tp0", entities, animism=1)
    assert "hall" in opened.participants


def test_scenario_chronotype_lets_a_late_sleeper_join_a_late_meeting():
    late = [moment(when=datetime(2026, 3, 12, 23, 30), present=("ada", "ben"))]
    assert gate(late, "tp0", cast("ada", "ben")).participants == ()
    awake = gate(late, "tp0", cast("ada", "ben"), chronotypes={"ada": "late", "ben": "late"})
    assert set(awake.participants) == {"ada", "ben"}


def test_bad_cap_and_unknown_present_ids():
    with pytest.raises(ConfigError, match="cap"):
        gate([moment()], "tp0", cast(*PEOPLE), cap=0)
    decision = gate([moment(present=("ada", "ghost", "ben"))], "tp0", cast("ada", "ben"))
    assert set(decision.phi) == {"ada", "ben"}


@settings(max_examples=40, deadline=None)
@given(
    importance=st.floats(0, 1),
    hour=st.integers(0, 23),
    cap=st.integers(1, 4),
    trusts=st.lists(st.floats(0, 1), min_size=3, max_size=3),
)
def test_gate_invariants(importance, hour, cap, trusts):
    rels = [Relationship(a=a, b=b, trust=t)
            for (a, b), t in zip([("ada", "ben"), ("ben", "cy"), ("cy", "dee")], trusts, strict=True)]
    tps = [moment(when=MORNING.replace(hour=hour), importance=importance)]
    decision = gate(tps, "tp0", cast(*PEOPLE), relationships=rels, cap=cap)
    chosen = decision.participants
    assert set(chosen) <= set(PEOPLE) and len(chosen) <= cap
    assert all(band(decision.phi[e]) >= ResolutionLevel.DIALOG for e in chosen)
    assert [decision.phi[e] for e in chosen] == sorted((decision.phi[e] for e in chosen), reverse=True)
    refused = {r.entity_id for r in decision.refused}
    assert not refused & set(chosen)
    talking = set(chosen) if len(chosen) >= 2 else set()
    assert set(decision.snapshot_levels) == set(PEOPLE) - talking
    assert all(0.0 <= v <= 1.0 for v in decision.phi.values())
    # default bodies can always speak: any refusal is circadian, and office hours refuse nobody
    assert all(r.validator == CIRCADIAN for r in decision.refused)
    if 9 <= hour <= 17:
        assert not refused


def test_plan_and_earned_floors_bring_low_activation_entities_into_the_dialog():
    quiet = [moment(importance=0.3)]
    assert gate(quiet, "tp0", cast(*PEOPLE)).participants == ()
    floors = {"ada": ResolutionLevel.DIALOG, "ben": ResolutionLevel.TRAINED, "cy": ResolutionLevel.GRAPH}
    decision = gate_timepoint(timepoint_id="tp0", timepoints=quiet, entities=cast(*PEOPLE),
                              relationships=(), physical={}, animism=0, cap=4, floors=floors)
    assert set(decision.participants) == {"ada", "ben"}
    assert decision.snapshot_levels["cy"] == ResolutionLevel.GRAPH  # the floor, above its band
