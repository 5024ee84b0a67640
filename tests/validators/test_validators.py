import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from daedalus.domain import (
    CognitiveState,
    DialogTurn,
    Entity,
    EntityKind,
    ExposureEvent,
    ExposureKind,
    PhysicalState,
    Relationship,
)
from daedalus.validators import (
    Action,
    ExposureRef,
    Severity,
    ValidationResult,
    ValidatorName,
    Violation,
    action_energy_cost,
    behavior_shift,
    behavioral_inertia,
    biological_constraints,
    body_limits,
    charge_energy,
    clamp_energy,
    energy_budget,
    information_conservation,
    network_flow,
    strip_unsupported_references,
    trait_change,
    turn_energy_cost,
    validate_all,
)


def exposure(id, entity, information, kind=ExposureKind.LEARNED, source="external", tp="t1"):
    return ExposureEvent(
        id=id, entity_id=entity, kind=kind, information=information, source=source, timepoint_id=tp
    )


VISIBLE = (
    exposure("e1", "ana", "The vault was emptied on Friday night."),
    exposure("e2", "ana", "Bruno signs the quarterly reports."),
    exposure("e9", "bruno", "The auditors arrive on Monday."),
)


# -- information conservation -------------------------------------------------------------


def test_supported_claims_pass():
    claims = [
        ExposureRef("e1"),
        "the vault was emptied",  # contained after normalisation
        "Bruno signed quarterly report",  # overlap: bruno, quarterly, report (signed != sign)
        "Bruno signs reports",
        "  ...  ",  # asserts nothing
    ]
    result = information_conservation("ana", "t2", claims, VISIBLE)
    assert result.valid and result.violations == ()


def test_unsupported_claims_are_named():
    claims = [
        ExposureRef("e1"),
        ExposureRef("e7"),
        ExposureRef("e9"),
        "The auditors arrive on Monday",
        "the vault was not emptied",
        ExposureRef("e7"),
    ]
    result = information_conservation("ana", "t2", claims, VISIBLE)
    assert not result.valid
    assert [v.subject for v in result.violations] == [
        "e7",
        "e9",
        "The auditors arrive on Monday",
        "the vault was not emptied",
    ]
    assert result.violations[0] == Violation(
        validator=ValidatorName.INFORMATION_CONSERVATION,
        entity_id="ana",
        timepoint_id="t2",
        message="ana cites exposure 'e7', which is not visible to it at t2",
        subject="e7",
        severity=Severity.ERROR,
    )
    assert result.violations[1].message == "ana cites exposure 'e9', which belongs to bruno"
    assert result.violations[2].message == (
        "ana asserts 'The auditors arrive on Monday' with no supporting exposure at t2 "
        "(best support 0.00 < 0.75)"
    )


def test_support_threshold_is_adjustable_and_checked():
    claim = ["Bruno signs the annual reports"]  # 3 of 4 content words
    assert information_conservation("ana", "t2", claim, VISIBLE).valid
    assert not information_conservation("ana", "t2", claim, VISIBLE, threshold=0.9).valid
    with pytest.raises(ValueError, match="threshold must be in"):
        information_conservation("ana", "t2", claim, VISIBLE, threshold=0.0)


texts = st.text(min_size=1, max_size=60)
ids = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True)


@settings(max_examples=120, deadline=None)
@given(st.lists(st.tuples(ids, texts), min_size=1, max_size=5, unique_by=lambda p: p[0]))
def test_exact_ids_and_texts_of_visible_exposures_are_never_flagged(pairs):
    visible = [exposure(i, "ana", text) for i, text in pairs]
    claims = [ExposureRef(i) for i, _ in pairs] + [text for _, text in pairs]
    result = information_conservation("ana", "t3", claims, visible)
    assert result.valid and result.violations == ()


@settings(max_examples=80, deadline=None)
@given(st.lists(ids, min_size=1, max_size=5, unique=True), ids)
def test_ids_outside_the_visible_set_are_always_flagged(visible_ids, cited):
    assume(cited not in visible_ids)
    visible = [exposure(i, "ana", "something") for i in visible_ids]
    result = information_conservation("ana", "t3", [ExposureRef(cited)], visible)
    assert [v.subject for v in result.violations] == [cited]


def test_stripping_unsupported_references_repairs_a_turn():
    turn = DialogTurn(speaker="ana", content="...", knowledge_references=("e1", "e7", "e2", "e9"))
    refs = [ExposureRef(r) for r in turn.knowledge_references]
    found = information_conservation("ana", "t2", refs, VISIBLE)
    other = Violation(
        validator=ValidatorName.NETWORK_FLOW,
        entity_id="ana",
        timepoint_id="t2",
        message="x",
        subject="e1",
    )
    kept = strip_unsupported_references(turn.knowledge_references, [*found.violations, other])
    assert kept == ("e1", "e2")
    assert information_conservation("ana", "t2", [ExposureRef(r) for r in kept], VISIBLE).valid


# -- energy budget --------------------------------------------------------------------------


def mind(energy, capacity=100.0):
    return CognitiveState(energy=energy, energy_capacity=capacity)


def test_consistent_ledger_passes():
    assert energy_budget("ana", "t1", mind(50), mind(35), spent=20, recovered=5).valid


def test_overspending_is_an_error():
    result = energy_budget("ana", "t1", mind(10), mind(0), spent=30, recovered=20)
    assert [(v.subject, v.message) for v in result.violations] == [
        ("spent", "ana spends 30 at t1 but holds only 10")
    ]


def test_energy_cannot_appear_or_vanish():
    gained = energy_budget("ana", "t1", mind(50), mind(60), spent=0)
    assert gained.violations[0].message == (
        "ana's energy appears from nowhere at t1: 60 after, but 50 - 0 spent + 0 recovered = 50"
    )
    lost = energy_budget("ana", None, mind(50), mind(30), spent=10)
    assert not lost.valid
    assert "vanishes unaccounted before the timeline" in lost.violations[0].message


def test_out_of_range_after_states_are_caught():
    # model_copy skips validation, which is how an out-of-range state reaches a graph
    overfull = mind(90).model_copy(update={"energy": 120.0})
    result = energy_budget("ana", "t1", mind(90), overfull, spent=0, recovered=30)
    assert result.violations[0].message == "ana's energy 120 exceeds its capacity 100 at t1"
    assert [v.subject for v in result.violations] == ["energy", "recovered"]
    clamped = energy_budget("ana", "t1", mind(90), mind(100), spent=0, recovered=30)
    assert [v.message for v in clamped.violations] == [
        "ana's ledger overflows its capacity at t1: 90 - 0 spent + 30 recovered = 120 > 100; "
        "record only the energy actually recovered"
    ]
    assert energy_budget("ana", "t1", mind(90), mind(100), spent=0, recovered=10).valid
    negative = mind(5).model_copy(update={"energy": -5.0})
    result = energy_budget("ana", "t1", mind(5), negative, spent=10)
    assert [v.subject for v in result.violations] == ["spent", "energy"]


def test_bad_amounts_raise():
    with pytest.raises(ValueError, match="spent must be a finite amount >= 0, got -1"):
        energy_budget("ana", "t1", mind(5), mind(5), spent=-1)
    with pytest.raises(ValueError, match="recovered must be a finite amount"):
        energy_budget("ana", "t1", mind(5), mind(5), spent=0, recovered=math.nan)


@st.composite
def ledgers(draw):
    capacity = draw(st.floats(min_value=1.0, max_value=1000.0))
    energy = draw(st.floats(min_value=0.0, max_value=capacity))
    spent = draw(st.floats(min_value=0.0, max_value=energy))
    recovered = draw(st.floats(min_value=0.0, max_value=capacity - (energy - spent)))
    return capacity, energy, spent, recovered


@settings(max_examples=150, deadline=None)
@given(ledgers())
def test_any_consistent_ledger_is_accepted(ledger):
    capacity, energy, spent, recovered = ledger
    after = min(capacity, energy - spent + recovered)
    result = energy_budget(
        "ana", "t1", mind(energy, capacity), mind(after, capacity), spent, recovered
    )
    assert result.valid and result.violations == ()


@settings(max_examples=150, deadline=None)
@given(ledgers(), st.floats(min_value=0.0, max_value=1.0))
def test_any_inconsistent_ledger_is_rejected(ledger, where):
    capacity, energy, spent, recovered = ledger
    after = where * capacity  # any in-range energy the ledger does not explain
    assume(abs(after - (energy - spent + recovered)) > 1e-3)
    result = energy_budget(
        "ana", "t1", mind(energy, capacity), mind(after, capacity), spent, recovered
    )
    assert not result.valid
    assert all(v.subject == "energy" for v in result.violations)


@settings(max_examples=100, deadline=None)
@given(ledgers(), st.floats(min_value=0.0, max_value=2000.0))
def test_charging_always_yields_a_valid_ledger(ledger, cost):
    capacity, energy, _, _ = ledger
    before = mind(energy, capacity)
    after, spent = charge_energy(before, cost)
    assert spent == min(cost, energy)
    assert energy_budget("ana", "t1", before, after, spent).valid


def test_costs_and_clamping():
    assert turn_energy_cost("one two three four five", arousal=0.5) == pytest.approx(1.5)
    turn = DialogTurn(speaker="ana", content="one two three four five")
    assert turn_energy_cost(turn, arousal=1.0) == pytest.approx(1.5 * 1.25)
    assert turn_energy_cost("a long " * 20, 0.5) > turn_energy_cost("short", 0.5)
    sprint = Action(kind="run", exertion=0.8, physical=True)
    assert action_energy_cost(sprint, arousal=0.0) == pytest.approx(17.0 * 0.75)
    with pytest.raises(ValueError, match="arousal must be in"):
        turn_energy_cost("hi", arousal=2.0)
    broken = mind(5).model_copy(update={"energy": -3.0})
    assert clamp_energy(broken).energy == 0.0
    assert clamp_energy(mind(5).model_copy(update={"energy": 400.0})).energy == 100.0
    assert clamp_energy(mind(42)) == mind(42)


# -- behavioural inertia ----------------------------------------------------------------------


def test_behavior_and_trait_measures():
    assert behavior_shift([1, 0], [0, 1]) == pytest.approx(1.0)
    assert behavior_shift([1, 0], [2, 0]) == pytest.approx(0.0)
    assert behavior_shift([1, 0], [2, 0], metric="l2") == pytest.approx(1.0)
    assert behavior_shift([0, 0], [0, 0]) == 0.0
    assert behavior_shift(np.zeros(2, dtype=np.float32), [0, 1]) == 1.0
    assert trait_change(["Bold", "kind"], ["kind", "bold "]) == 0.0
    assert trait_change(["bold"], ["shy"]) == 1.0
    with pytest.raises(ValueError, match="differ in length: 2 vs 3"):
        behavior_shift([1, 0], [1, 0, 0])
    with pytest.raises(ValueError, match="finite"):
        behavior_shift([1, math.nan], [1, 0])


def inertia(justifications=(), after_traits=("calm", "loyal"), after=(1.0, 0.1), **kw):
    return behavioral_inertia(
        "ana", "t4", ("calm", "loyal"), after_traits, (1.0, 0.0), after, justifications, 0.2, **kw
    )


def test_stable_personality_passes():
    assert inertia().valid


def test_unjustified_changes_are_errors_with_the_measure():
    result = inertia(after_traits=("loyal", "furious"), after=(0.0, 1.0))
    assert [v.subject for v in result.violations] == ["traits", "behavior"]
    assert result.violations[0].message == (
        "ana's traits changed (+furious; -calm; Jaccard distance 0.667) at t4 with no "
        "justification (needs an exposure of kind experienced or witnessed there, "
        "or a stated reason)"
    )
    assert "behaviour shifted 1.000 (cosine) > 0.2" in result.violations[1].message


def test_only_fitting_exposures_or_reasons_justify():
    change = {"after_traits": ("furious",)}
    wrong = [
        exposure("x1", "ana", "betrayal", ExposureKind.WITNESSED, tp="t3"),
        exposure("x2", "bruno", "betrayal", ExposureKind.WITNESSED, tp="t4"),
        exposure("x3", "ana", "betrayal", ExposureKind.TOLD, tp="t4"),
        "   ",
    ]
    assert not inertia(wrong, **change).valid
    witnessed = exposure("x4", "ana", "betrayal", ExposureKind.WITNESSED, tp="t4")
    assert inertia([*wrong, witnessed], **change).valid
    assert inertia(["intervention: the letter never arrived"], **change).valid
    told = [wrong[2]]
    assert inertia(told, justifying_kinds={ExposureKind.TOLD}, **change).valid


vectors = st.lists(st.floats(-10, 10), min_size=1, max_size=6)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.text(max_size=8), max_size=5), vectors)
def test_an_unchanged_personality_never_needs_justifying(traits, behaviour):
    result = behavioral_inertia("ana", "t4", traits, traits, behaviour, behaviour, (), 1e-9)
    assert result.valid and result.violations == ()


def test_metric_and_thresholds():
    assert inertia(after=(3.0, 0.0)).valid  # same direction: cosine sees no shift
    assert not inertia(after=(3.0, 0.0), metric="l2").valid
    assert inertia(after_traits=("calm",), trait_threshold=0.6).valid
    traits_only = behavioral_inertia("ana", "t4", ["a"], ["a"], None, None, (), 0.1)
    assert traits_only.valid
    with pytest.raises(ValueError, match="both behaviour vectors or neither"):
        behavioral_inertia("ana", "t4", ["a"], ["a"], [1.0], None, (), 0.1)
    with pytest.raises(ValueError, match="thresholds must be >= 0"):
        inertia(trait_threshold=-0.1)


# -- biological constraints ---------------------------------------------------------------------

ANA = Entity(id="ana", name="Ana")
HALL = Entity(id="hall", name="Hall", kind=EntityKind.BUILDING)
SPEAK = Action(kind="speak", requires_presence_at="hall", exertion=0.05)
RUN = Action(kind="run", exertion=0.8, physical=True)


def test_a_fit_awake_human_can_act():
    body = PhysicalState(location="hall")
    assert biological_constraints(ANA, body, 10, [SPEAK, RUN], timepoint_id="t1").violations == ()


def test_bodily_limits_depend_on_exertion():
    sore = PhysicalState(location="hall", pain=0.7, mobility=0.5)
    result = biological_constraints(ANA, sore, 10, [SPEAK, RUN], timepoint_id="t1")
    assert [v.subject for v in result.violations] == ["run", "run"]
    assert result.violations[0].message == (
        "ana's pain 0.70 exceeds 0.59, the most an action of exertion 0.80 allows (run)"
    )
    assert result.violations[1].message == "ana's mobility 0.50 is below the 0.68 needed to run"
    assert body_limits(0.0) == {"pain": 0.95, "fatigue": 0.98, "illness": 0.95, "mobility": 0.2}
    with pytest.raises(ValueError, match="exertion must be in"):
        body_limits(1.2)


def test_sleepers_and_wrong_places():
    asleep = PhysicalState(location="hall", awake=False)
    result = biological_constraints(ANA, asleep, 10, [SPEAK])
    assert [v.message for v in result.violations] == ["ana is asleep and cannot speak"]
    away = biological_constraints(ANA, PhysicalState(location="cellar"), 10, [SPEAK])
    assert away.violations[0].message == "ana is at cellar and cannot speak at hall"
    unknown = biological_constraints(ANA, PhysicalState(), 10, [SPEAK])
    assert unknown.valid and unknown.warnings[0].subject == "speak"


def test_non_living_kinds_answer_only_to_location():
    ruined = PhysicalState(location="hall", awake=False, pain=1.0, illness=1.0, mobility=0.0)
    assert biological_constraints(HALL, ruined, 3, [SPEAK, RUN]).violations == ()
    elsewhere = ruined.model_copy(update={"location": "square"})
    assert not biological_constraints(HALL, elsewhere, 3, [SPEAK]).valid


@settings(max_examples=80, deadline=None)
@given(
    st.sampled_from([k for k in EntityKind if k not in {EntityKind.HUMAN, EntityKind.ANIMAL}]),
    st.builds(PhysicalState, location=st.just("hall")),
    st.floats(0, 24, exclude_max=True),
)
def test_non_living_kinds_are_never_held_to_bodily_rules(kind, body, hour):
    thing = Entity(id="thing", name="Thing", kind=kind)
    assert biological_constraints(thing, body, hour, [SPEAK, RUN]).violations == ()


def test_acting_at_sleeping_hours_is_a_warning_unless_confirmed():
    body = PhysicalState(location="hall")
    night = biological_constraints(ANA, body, 3, [SPEAK], timepoint_id="t9")
    assert night.valid
    assert [v.subject for v in night.warnings] == ["hour"]
    assert night.warnings[0].message.startswith("ana acts at hour 3, when it sleeps with")
    assert biological_constraints(ANA, body, 3, [SPEAK], awake_confirmed=True).violations == ()
    assert biological_constraints(ANA, body, 3, []).violations == ()
    owl = ANA.model_copy(update={"traits": ("nocturnal",)})
    assert biological_constraints(owl, body, 3, [SPEAK]).violations == ()
    with pytest.raises(ValueError, match="hour must be in"):
        biological_constraints(ANA, body, 24, [SPEAK])


# -- network flow -------------------------------------------------------------------------------

PEOPLE = {"ana", "bruno", "carla"}
TIES = [Relationship(a="ana", b="bruno")]


def told(id, listener, source, information="the vault is empty", tp="t2"):
    return exposure(id, listener, information, ExposureKind.TOLD, source=source, tp=tp)


def always(source, information, timepoint):
    return True


def test_information_flows_along_relationships():
    events = [
        told("m1", "bruno", "ana"),
        told("m2", "carla", "rumour_mill"),  # external source
        exposure("m3", "carla", "x", ExposureKind.WITNESSED, source="ana"),  # not told
    ]
    assert network_flow(events, TIES, always, entity_ids=PEOPLE).violations == ()


def test_unconnected_and_ignorant_sources_are_errors():
    events = [told("m4", "carla", "ana"), told("m5", "ana", "ana")]
    result = network_flow(events, TIES, always, entity_ids=PEOPLE)
    assert [(v.subject, v.entity_id, v.timepoint_id) for v in result.violations] == [
        ("m4", "carla", "t2"),
        ("m5", "ana", "t2"),
    ]
    assert result.violations[0].message == (
        "exposure 'm4': ana told carla but they share no relationship and are not co-present at t2"
    )
    assert result.violations[1].message == "exposure 'm5': ana cannot be told by itself"
    calls = []

    def only_bruno_knows(source, information, timepoint):
        calls.append((source, information, timepoint))
        return source == "bruno"

    result = network_flow([told("m6", "bruno", "ana")], TIES, only_bruno_knows, entity_ids=PEOPLE)
    assert calls == [("ana", "the vault is empty", "t2")]
    assert result.violations[0].message == (
        "exposure 'm6': ana told bruno 'the vault is empty' without knowing it upstream of t2"
    )


def test_co_presence_opens_a_channel_at_that_timepoint_only():
    present = {"t2": {"ana", "carla"}}
    here = network_flow(
        [told("m7", "carla", "ana")], TIES, always, entity_ids=PEOPLE, co_present=present
    )
    assert here.valid
    later = told("m8", "carla", "ana", tp="t3")
    assert not network_flow([later], TIES, always, entity_ids=PEOPLE, co_present=present).valid


# -- results and reports ------------------------------------------------------------------------


def test_results_must_be_consistent():
    error = Violation(
        validator=ValidatorName.ENERGY_BUDGET,
        entity_id="a",
        timepoint_id=None,
        message="m",
        subject="energy",
    )
    with pytest.raises(ValidationError, match="valid must be False"):
        ValidationResult(validator=ValidatorName.ENERGY_BUDGET, valid=True, violations=(error,))
    with pytest.raises(ValidationError, match="cannot sit in a network_flow result"):
        ValidationResult.of(ValidatorName.NETWORK_FLOW, [error])
    warning = error.model_copy(update={"severity": Severity.WARNING})
    assert ValidationResult.of(ValidatorName.ENERGY_BUDGET, [warning]).valid


def test_report_aggregates_results():
    body = PhysicalState(location="hall")
    report = validate_all(
        information_conservation("ana", "t2", [ExposureRef("e7")], VISIBLE),
        [energy_budget("ana", "t2", mind(50), mind(40), 10), inertia()],
        biological_constraints(ANA, body, 3, [SPEAK]),
    )
    assert not report.valid
    assert report.failed == (ValidatorName.INFORMATION_CONSERVATION,)
    assert report.counts == {
        ValidatorName.INFORMATION_CONSERVATION: 1,
        ValidatorName.ENERGY_BUDGET: 0,
        ValidatorName.BEHAVIORAL_INERTIA: 0,
        ValidatorName.BIOLOGICAL_CONSTRAINTS: 1,
    }
    assert [v.severity for v in report.violations] == [Severity.ERROR, Severity.WARNING]
    assert len(report.errors) == len(report.warnings) == 1
    assert validate_all().valid
