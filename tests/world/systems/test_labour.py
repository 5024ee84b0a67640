import numpy as np

from daedalus.world import World
from daedalus.world.systems.labour import match_by_region, matches_per_region


def test_matches_never_exceed_seekers_or_vacancies():
    hires = matches_per_region(np.array([0, 100, 5, 400]), np.array([10, 0, 50, 400]))
    assert hires.tolist() == [0, 0, 5, 200]


def test_matching_pairs_people_and_firms_of_the_same_region():
    seekers = np.arange(10)
    seeker_region = np.array([0] * 6 + [1] * 4)
    firms = np.array([100, 101, 102])
    firm_region = np.array([0, 1, 1])
    hired, employers = match_by_region(
        seekers, seeker_region, np.linspace(0, 1, 10), firms, firm_region,
        np.array([0.3, 0.2, 0.1]), np.array([2, 1, 3]), regions=2,
    )
    assert hired.size == employers.size == 4  # 2 in region 0, 2 of 4 positions in region 1
    region_of = dict(zip(firms.tolist(), firm_region.tolist(), strict=True))
    for person, firm in zip(hired, employers, strict=True):
        assert seeker_region[person] == region_of[int(firm)]
    assert hired[:2].tolist() == [0, 1]  # the lowest draws first


def test_wages_are_paid_net_of_tax_and_the_tax_is_public_revenue(world: World):
    record = world.step()
    regions, persons = world.tables["regions"], world.tables["persons"]
    assert record["events"]["hires"]["count"] > 0
    assert regions["revenue"].sum() > 0
    employed = persons.alive & (persons["employer"] >= 0)
    assert persons["wage"][employed].min() > 0
    firms = world.tables["firms"]
    headcount = np.bincount(persons["employer"][employed], minlength=firms.capacity)
    assert (firms["employees"] == headcount).all()


def test_the_fast_region_draw_order_is_the_lexsort_with_and_without_ties():
    from daedalus.world.systems.labour import _region_draw_order

    rng = np.random.default_rng(5)
    for trial in range(60):
        n = int(rng.integers(0, 400))
        items = np.sort(rng.choice(5000, n, replace=False))[::-1 if trial % 2 else 1]
        region = rng.integers(0, 5, n)
        draw = rng.random(n) if trial < 30 else rng.integers(0, 6, n) / 6.0  # ties from 30 on
        expected = np.lexsort((items, draw, region))
        assert np.array_equal(_region_draw_order(items, draw, region, 5), expected)
