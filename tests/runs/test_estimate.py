"""``estimate``: calls and dollars before a run, checked against real offline runs."""

from __future__ import annotations

import pytest

import daedalus.runs as R
from daedalus.llm.ledger import CallRecord
from daedalus.llm.registry import ModelRegistry
from daedalus.runs._estimate import NODE_COSTS, dialog_sizes
from daedalus.templates import list_templates, load_template

QUICK = [t.id for t in list_templates() if t.tier == "quick"]
PINNED = "deepseek/deepseek-chat"
PROMPT_PRICE = 2e-6
COMPLETION_PRICE = 5e-6

@pytest.fixture(autouse=True)
def _no_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENROUTER_API_KEY", raising=False)
    monkeypatch.delenv("OPENROUTER_BASE_URL", raising=False)


@pytest.fixture(scope="module")
def ledgers(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[CallRecord, ...]]:
    """The ledger of an offline run of each quick template."""
    root = tmp_path_factory.mktemp("store")
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("OPENROUTER_API_KEY", raising=False)
        patch.delenv("OPENROUTER_BASE_URL", raising=False)
        return {t: R.run(t, store=root, run_id=t).record.ledger for t in QUICK}


@pytest.mark.parametrize(
    "template", QUICK
)
def test_the_estimate_leans_high_but_stays_near_the_calls_of_an_offline_run(
    ledgers: dict[str, tuple[CallRecord, ...]], template: str
) -> None:
    # The estimate counts a dialog at every moment the gate could open one (importance is only
    # known once the event is written), so it may overshoot a run whose moments turned quiet.
    guess = R.estimate(load_template(template))
    assert guess.offline and guess.cost_usd == 0.0 and guess.model == "offline"
    assert guess.calls == sum(guess.calls_by_node.values())
    actual = len(ledgers[template])
    assert 0.5 * actual <= guess.calls <= 2.5 * actual, (guess.calls_by_node, actual)


@pytest.mark.parametrize("template", QUICK)
def test_every_node_a_run_calls_is_one_the_estimate_counts_under_the_same_name(
    ledgers: dict[str, tuple[CallRecord, ...]], template: str
) -> None:
    guess = R.estimate(load_template(template))
    rows = ledgers[template]
    assert {row.node for row in rows} <= set(guess.calls_by_node)
    assert set(guess.calls_by_node) <= set(NODE_COSTS)
    for row in rows:
        assert NODE_COSTS[row.node][0] is row.action, row.node


def test_quick_templates_are_listed() -> None:
    assert len(QUICK) >= 5 and "board_meeting" in QUICK


def test_dollars_follow_the_pinned_models_registry_prices_without_a_network_call(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENROUTER_API_KEY", "sk-or-test-not-a-real-key")
    default = ModelRegistry.default()
    priced = default.get(PINNED).model_copy(
        update={"prompt_price": PROMPT_PRICE, "completion_price": COMPLETION_PRICE}
    )
    registry = default.with_profiles([priced])
    scenario = load_template("board_meeting")
    guess = R.estimate(scenario, model=PINNED, registry=registry)
    assert not guess.offline and guess.model == PINNED
    expected = sum(
        count * (NODE_COSTS[node][1] * PROMPT_PRICE + NODE_COSTS[node][2] * COMPLETION_PRICE)
        for node, count in guess.calls_by_node.items()
    )
    assert guess.cost_usd > 0 and guess.cost_usd == pytest.approx(expected, abs=1e-6)
    assert guess.prompt_tokens == sum(
        count * NODE_COSTS[node][1] for node, count in guess.calls_by_node.items()
    )
    offline = R.estimate(scenario, model="offline", registry=registry)
    assert offline.offline and offline.cost_usd == 0.0 and offline.calls == guess.calls


def test_routing_by_the_registry_prices_each_action_when_a_key_is_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENROUTER_API_KEY", "sk-or-test-not-a-real-key")
    guess = R.estimate(load_template("board_meeting"))
    assert not guess.offline and guess.model == "auto" and guess.cost_usd > 0


def test_a_dialog_is_only_counted_where_the_gate_would_let_two_people_talk() -> None:
    heist = load_template("heist_reverse")  # a night crew: 20:00, 23:00 and 02:00
    sizes = dialog_sizes(heist)
    assert len(sizes) == heist.timeline.steps and all(size >= 2 for size in sizes)
    sleepers = heist.model_copy(
        update={"entities": tuple(e.model_copy(update={"chronotype": "standard"})
                                  for e in heist.entities)}
    )
    assert dialog_sizes(sleepers)[1:] == [0, 0]  # 23:00 and 02:00: a day crew is asleep
    assert R.estimate(sleepers).calls < R.estimate(heist).calls


def test_portal_search_calls_follow_its_rounds_and_lean_high(
    ledgers: dict[str, tuple[CallRecord, ...]],
) -> None:
    from daedalus.runs._estimate import portal_calls

    portal = load_template("litigation_portal").portal
    assert portal is not None
    guess = portal_calls(portal, 2)
    rounds = 2 + portal.max_backtracks
    assert guess == {"portal_candidates": 2 * rounds, "portal_forward": portal.candidates * rounds,
                     "portal_judge": rounds}
    made = {node: sum(1 for c in ledgers["litigation_portal"] if c.node == node) for node in guess}
    assert all(made[node] <= guess[node] <= 2 * made[node] for node in guess), (made, guess)
