import numpy as np

from daedalus.world import World
from daedalus.world.systems._columns import DAY
from daedalus.world.systems.demography import daily_birth_chance, daily_death_chance
from tests.world.conftest import small_config


def test_death_risk_rises_with_age_frailty_and_infection():
    age = np.array([20, 60, 90, 90, 90]) * DAY
    health = np.array([0.9, 0.9, 0.9, 0.3, 0.9])
    infected = np.array([0.0, 0.0, 0.0, 0.0, 0.5])
    p = daily_death_chance(age, health, infected, 0.01, 0.01, 7.0)
    assert p[0] < p[1] < p[2] < p[3] and p[4] > p[2]


def test_only_women_of_fertile_age_give_birth():
    age = np.array([10, 25, 25, 55]) * DAY
    sex = np.array([1, 1, 0, 1])
    p = daily_birth_chance(age, sex, np.ones(4, dtype=bool), 1.8)
    assert p[1] > 0 and p[0] == p[2] == p[3] == 0


def test_births_fill_free_slots_with_fresh_ids_and_deaths_leave_estates():
    world = World(small_config(persons=3000, firms=150, population={"fertility_base": 8.0,
                                                                    "mortality_base": 0.5}))
    persons = world.tables["persons"]
    top_uid = int(persons["uid"].max())
    estates = 0.0
    born = died = 0
    for _ in range(10):
        world.step()
    for record in world.history:
        born += int(record["events"].get("births", {}).get("count", 0))
        died += int(record["events"].get("deaths", {}).get("count", 0))
        estates += record["events"].get("deaths", {}).get("amount", 0.0)
    assert born > 0 and died > 0 and estates > 0
    newborn = persons.alive & (persons["uid"] > top_uid)
    assert np.count_nonzero(newborn) == born - np.count_nonzero(
        ~persons.alive & (persons["uid"] > top_uid)
    )
    assert (persons["age_days"][newborn] <= 10).all()
    assert (persons["deposits"][~persons.alive] == 0).all()


def test_jobless_adults_migrate_to_regions_with_fewer_jobless():
    world = World(small_config(persons=3000, firms=150, population={"migration_rate": 0.2}))
    regions = world.tables["regions"].columns
    regions["unemployment"][:] = [0.5, 0.0, 0.5, 0.5]
    before = np.bincount(world.tables["persons"]["region"][world.tables["persons"].alive],
                         minlength=4)
    record = world.step()
    assert record["events"]["migrations"]["count"] > 0
    after = np.bincount(world.tables["persons"]["region"][world.tables["persons"].alive],
                        minlength=4)
    assert after[1] > before[1]
