from daedalus.world.grounding import SIGNAL_KINDS, derive_signals
from daedalus.world.grounding._signals import (
    CLOSURES,
    HIGH_INFLATION,
    OUTBREAK_PER_100K,
    WINDOW,
)

CALM = {
    "gdp": 1000.0, "unemployment": 0.05, "population": 100_000.0, "infections": 1.0,
    "inflation": 0.02, "policy_rate": 0.02, "approval": 0.55, "energy_reliability": 1.0,
}


def history(**at_end: float) -> dict[int, dict[str, float]]:
    """Thirty-one calm days, the last one changed by ``at_end``."""
    rows = {tick: dict(CALM) for tick in range(1, WINDOW + 2)}
    rows[WINDOW + 1].update(at_end)
    return rows


def kinds(rows, tick=WINDOW + 1, closures=()) -> list[str]:
    return [signal.kind for signal in derive_signals(rows, tick, closures)]


def test_a_calm_world_sends_no_signal():
    assert kinds(history()) == []


def test_falling_output_is_a_recession_and_the_text_carries_the_numbers():
    (signal,) = derive_signals(history(gdp=900.0, unemployment=0.09), WINDOW + 1)
    assert signal.kind == "recession" and signal.tick == WINDOW + 1
    assert "10.0%" in signal.text and "9.0%" in signal.text and "30 days" in signal.text


def test_rising_unemployment_alone_is_a_recession_once_it_is_high():
    assert kinds(history(unemployment=0.09)) == ["recession"]
    assert kinds(history(unemployment=0.075)) == []  # risen 2.5 points, still low


def test_growth_with_falling_unemployment_is_a_recovery():
    assert kinds(history(gdp=1100.0, unemployment=0.04)) == ["recovery"]


def test_an_outbreak_needs_both_a_level_and_a_doubling():
    level = OUTBREAK_PER_100K  # per 100,000 of a population of 100,000
    assert kinds(history(infections=level)) == ["outbreak"]
    rows = history(infections=level)
    for row in rows.values():
        row["infections"] = level  # high but flat: no outbreak
    assert kinds(rows) == []


def test_levels_and_moves_each_have_their_signal():
    rows = history(
        inflation=HIGH_INFLATION, policy_rate=0.03, approval=0.3, energy_reliability=0.9
    )
    assert kinds(rows) == ["inflation", "policy_change", "unrest", "blackouts"]
    assert kinds(history(), closures=[CLOSURES]) == ["closures"]
    assert "raised its policy rate from 2.0% to 3.0%" in derive_signals(rows, WINDOW + 1)[1].text


def test_the_window_is_clamped_to_the_first_recorded_tick():
    rows = {1: dict(CALM), 5: {**CALM, "gdp": 800.0}}
    (signal,) = derive_signals(rows, 5)
    assert "over 4 days" in signal.text


def test_a_tick_without_kpis_has_no_signal_and_kinds_are_listed_in_order():
    assert derive_signals(history(gdp=1.0), 999) == ()
    assert SIGNAL_KINDS[:3] == ("recession", "recovery", "outbreak")
