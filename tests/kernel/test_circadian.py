import math
import re
from datetime import datetime

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from daedalus.domain import Entity, EntityKind
from daedalus.kernel.circadian import (
    Activity,
    Chronotype,
    active_entities,
    activity_distribution,
    activity_probability,
    availability,
    availability_at_hour,
    chronotype_of,
    hour_of,
    most_likely_activity,
)

hours = st.floats(min_value=0.0, max_value=24.0, exclude_max=True, allow_nan=False)
chronotypes = st.sampled_from(list(Chronotype))
kinds = st.sampled_from(list(EntityKind))


@settings(max_examples=150, deadline=None)
@given(hours, chronotypes, kinds)
def test_distribution_is_a_probability_distribution(hour, chronotype, kind):
    distribution = activity_distribution(hour, chronotype, kind)
    assert set(distribution) == set(Activity)
    assert all(0.0 <= p <= 1.0 for p in distribution.values())
    assert math.isclose(sum(distribution.values()), 1.0, abs_tol=1e-9)
    assert 0.0 <= availability_at_hour(hour, chronotype, kind) <= 1.0


@settings(max_examples=100, deadline=None)
@given(hours, st.sampled_from(list(Activity)))
def test_chronotypes_shift_the_standard_day(hour, activity):
    standard_later = activity_probability((hour + 2.0) % 24.0, activity)
    standard_earlier = activity_probability((hour - 2.0) % 24.0, activity)
    assert activity_probability(hour, activity, Chronotype.EARLY) == pytest.approx(standard_later)
    assert activity_probability(hour, activity, Chronotype.LATE) == pytest.approx(standard_earlier)


def test_human_day_follows_the_clock():
    assert activity_probability(3, "sleep") > 0.9
    assert activity_probability(10, Activity.WORK) > 0.6
    assert most_likely_activity(12) in {Activity.WORK, Activity.EAT}
    assert most_likely_activity(20) is Activity.SOCIAL
    assert activity_probability(14, Activity.PRESENT) == 0.0
    assert availability_at_hour(3) < 0.1 < 0.8 < availability_at_hour(10)


def test_hours_wrap_around_midnight():
    late = activity_distribution(23.999)
    midnight = activity_distribution(0.0)
    for activity in Activity:
        assert late[activity] == pytest.approx(midnight[activity], abs=1e-3)
    # halfway between 23:00 and 0:00 is the mean of the two hours
    half = activity_probability(23.5, Activity.SLEEP)
    expected = activity_probability(23, Activity.SLEEP) + activity_probability(0, Activity.SLEEP)
    assert half == pytest.approx(expected / 2)
    # a night owl's 1:00 is a standard 23:00, across midnight
    assert activity_probability(1, "sleep", Chronotype.LATE) == pytest.approx(
        activity_probability(23, "sleep")
    )


def test_kind_profiles():
    night_animal = {"chronotype": Chronotype.NOCTURNAL, "kind": EntityKind.ANIMAL}
    assert activity_probability(20, "sleep", **night_animal) < 0.2
    assert activity_probability(9, "sleep", **night_animal) > 0.6
    assert activity_probability(9, "sleep", kind=EntityKind.ANIMAL) < 0.2
    assert activity_probability(10, Activity.WORK, kind=EntityKind.ANIMAL) == 0.0
    assert activity_probability(10, Activity.WORK, kind="institution") > 0.9
    assert activity_probability(2, Activity.SLEEP, kind="institution") > 0.9
    for kind in (EntityKind.BUILDING, EntityKind.PLACE, EntityKind.CONCEPT, EntityKind.AI):
        for hour in (0, 3.5, 12, 23.9):
            assert activity_probability(hour, Activity.PRESENT, kind=kind) == 1.0
            assert availability_at_hour(hour, kind=kind) == 1.0


@pytest.mark.parametrize("hour", [-0.5, 24, 24.0, 31, math.nan, math.inf, True, "9"])
def test_invalid_hours_name_the_value(hour):
    with pytest.raises(ValueError, match=re.escape(repr(hour))):
        activity_probability(hour, "sleep")


def test_unknown_names_are_rejected_with_the_choices():
    with pytest.raises(ValueError, match="unknown activity 'dance'; expected one of sleep"):
        activity_probability(9, "dance")
    with pytest.raises(ValueError, match="unknown entity kind 'robot'"):
        activity_probability(9, "sleep", kind="robot")
    with pytest.raises(ValueError, match="unknown chronotype 'owl'"):
        activity_probability(9, "sleep", chronotype="owl")


def test_chronotype_from_traits_and_availability_from_timestamp():
    owl = Entity(id="owl", name="Owl", traits=("curious", "Night-Owl"))
    lark = Entity(id="lark", name="Lark", traits=("chronotype:early",))
    plain = Entity(id="plain", name="Plain", traits=("calm",))
    assert chronotype_of(owl) is Chronotype.LATE
    assert chronotype_of(lark) is Chronotype.EARLY
    assert chronotype_of(plain) is Chronotype.STANDARD
    at = datetime(2026, 3, 1, 6, 30)
    assert hour_of(at) == 6.5
    assert availability(lark, at) > availability(plain, at) > availability(owl, at)
    assert availability(owl, at, Chronotype.EARLY) == pytest.approx(availability(lark, at))


def _cast():
    people = [Entity(id=f"p{i}", name=f"P{i}") for i in range(30)]
    hall = Entity(id="hall", name="Hall", kind=EntityKind.BUILDING)
    return [*people, hall]


def test_active_entities_is_deterministic_for_a_seed():
    cast = _cast()
    noon = datetime(2026, 3, 1, 12, 0)
    first = active_entities(cast, noon, np.random.default_rng(7))
    again = active_entities(cast, noon, np.random.default_rng(7))
    assert first == again
    draws = {active_entities(cast, noon, np.random.default_rng(seed)) for seed in range(8)}
    assert len(draws) > 1
    assert cast[-1] in first
    assert [e.id for e in first] == [e.id for e in cast if e in first]


def test_active_entities_follow_availability():
    cast = _cast()
    rng = np.random.default_rng(3)
    at_night = active_entities(cast, datetime(2026, 3, 1, 3, 0), rng)
    assert at_night == (cast[-1],)  # below the threshold no sleeper is drawn awake
    by_day = active_entities(cast, datetime(2026, 3, 1, 10, 0), rng)
    assert len(by_day) > 20
    everyone = active_entities(cast, datetime(2026, 3, 1, 3, 0), rng, threshold=0.0)
    assert cast[-1] in everyone
    with pytest.raises(ValueError, match="threshold must be in"):
        active_entities(cast, datetime(2026, 3, 1, 3, 0), rng, threshold=1.5)
