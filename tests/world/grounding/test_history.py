from datetime import datetime, timedelta

import pytest

from daedalus.world import load_preset
from daedalus.world.grounding import WorldSection, load_history, news_at, tick_for
from daedalus.world.io.runs import run_world

START = datetime(2031, 4, 7, 18)


@pytest.fixture(scope="module")
def section(small_preset: str) -> WorldSection:
    return WorldSection(
        preset=small_preset, ticks=(2, 8), place={"name": "Port", "region": 1},
        actors={"mayor": "government", "owner": "firm:3", "banker": "bank:0"},
    )


def test_the_tick_range_is_laid_linearly_over_the_scenario_dates(section):
    end = START + timedelta(days=12)
    assert tick_for(section, START, end, START) == 2
    assert tick_for(section, START, end, START + timedelta(days=6)) == 5
    assert tick_for(section, START, end, end) == 8
    assert tick_for(section, START, end, START - timedelta(days=40)) == 2  # clamped
    assert tick_for(section, START, end, end + timedelta(days=40)) == 8
    assert tick_for(section, START, START, START + timedelta(days=3)) == 2  # a one-moment span


def test_a_preset_world_is_run_once_per_process_up_to_the_last_tick(section):
    history = load_history(section)
    assert sorted(history.kpis) == list(range(1, 9))
    assert load_history(section) is history
    assert history.actor_books(section.ties()["owner"], 8) is not None


def test_news_goes_to_tied_actors_and_people_at_the_place_only(section):
    history = load_history(section)
    tick = next(t for t in range(8, 1, -1) if history.signals(t))
    signals = history.signals(tick)
    locations = {"mayor": "Capital", "owner": None, "banker": "Port", "local": None,
                 "neighbour": "Port", "abroad": "Singapore"}
    items = news_at(section, history, tick, locations)
    by_entity: dict[str, list[str]] = {}
    for item in items:
        by_entity.setdefault(item.entity_id, []).append(item.kind)
    signal_kinds = [s.kind for s in signals]
    assert by_entity["local"] == by_entity["neighbour"] == signal_kinds
    assert by_entity["mayor"] == [*signal_kinds, "government_books"]  # tied, though away
    assert by_entity["owner"] == [*signal_kinds, "firm_books"]
    assert by_entity["banker"] == [*signal_kinds, "bank_books"]
    assert "abroad" not in by_entity
    books = next(i.text for i in items if i.kind == "firm_books")
    assert books.startswith("Firm 3's books:")


def test_a_section_hears_only_its_signal_kinds_in_its_order(section):
    history = load_history(section)
    tick = next(t for t in range(8, 1, -1) if len(history.signals(t)) >= 2)
    first, second = (s.kind for s in history.signals(tick)[:2])
    narrow = section.model_copy(update={"signals": (second, first)})
    assert [s.kind for s in history.signals(tick, narrow.signals)] == [second, first]
    assert [i.kind for i in news_at(narrow, history, tick, {"x": None})] == [second, first]


def test_without_a_place_only_tied_actors_hear_the_world(section):
    placeless = section.model_copy(update={"place": None})
    items = news_at(placeless, load_history(section), 8, {"owner": None, "local": None})
    assert {item.entity_id for item in items} <= {"owner"}


def test_a_saved_run_grounds_with_the_same_figures_as_running_its_preset(
    section, small_preset, tmp_path
):
    run_world(load_preset(small_preset), 8, tmp_path / "world-1", snapshot_every=0)
    saved = WorldSection(run=str(tmp_path / "world-1"), ticks=(2, 8),
                         place={"name": "Port", "region": 1})
    from_run, from_preset = load_history(saved), load_history(section)
    assert from_run.kpis == from_preset.kpis
    assert from_run.closures == from_preset.closures
    assert from_run.signals(8) == from_preset.signals(8)
    assert from_run.books == {}  # a saved run keeps KPIs and events, not per-slot books


def test_a_saved_run_must_reach_the_last_tick(tmp_path, small_preset):
    run_world(load_preset(small_preset), 3, tmp_path / "short", snapshot_every=0)
    with pytest.raises(ValueError, match=r"ticks ends at 8 but the run .* has 3"):
        WorldSection(run=str(tmp_path / "short"), ticks=(2, 8))
