"""The budget guard: hard, soft and max modes, in-flight reservations, concurrency."""

from __future__ import annotations

import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from pydantic import BaseModel

from daedalus.errors import BudgetExceededError, ConfigError
from daedalus.kernel.strategy import BudgetMode as StrategyBudgetMode
from daedalus.llm.budget import BudgetGuard, BudgetMode, prompt_tokens_upper_bound


def test_budget_mode_is_the_strategy_enum():
    assert BudgetMode is StrategyBudgetMode
    assert BudgetGuard(1.0, "soft").mode is BudgetMode.SOFT


def test_hard_mode_counts_in_flight_reservations():
    guard = BudgetGuard(limit_usd=1.0, mode=BudgetMode.HARD)
    first = guard.reserve(0.6, model="a")
    with pytest.raises(BudgetExceededError, match=r"\$1\.0000.*model b"):
        guard.reserve(0.5, model="model b")
    guard.settle(first, 0.2)
    assert guard.spent_usd == pytest.approx(0.2) and guard.in_flight_usd == 0.0
    second = guard.reserve(0.8)
    assert guard.remaining_usd == pytest.approx(0.8)
    guard.settle(second, 0.8)
    with pytest.raises(BudgetExceededError):
        guard.reserve(1e-9)
    assert guard.reserve(0.0).amount_usd == 0.0  # a free call still fits at the cap


def test_exactly_reaching_the_cap_is_allowed():
    guard = BudgetGuard(limit_usd=0.3)
    reservations = [guard.reserve(0.1) for _ in range(3)]
    with pytest.raises(BudgetExceededError):
        guard.reserve(0.1)
    for reservation in reservations:
        guard.settle(reservation, 0.1)
    assert guard.spent_usd == pytest.approx(0.3)


def test_unknown_worst_case_passes_only_below_the_cap():
    guard = BudgetGuard(limit_usd=0.01)
    unknown = guard.reserve(None)
    guard.settle(unknown, 0.01)
    with pytest.raises(BudgetExceededError, match="unknown"):
        guard.reserve(None)


def test_soft_mode_never_refuses_and_reports_pressure():
    guard = BudgetGuard(limit_usd=1.0, mode=BudgetMode.SOFT, degrade_at=0.75)
    guard.settle(guard.reserve(0.5), 0.5)
    assert guard.pressure == pytest.approx(0.5) and not guard.should_degrade
    guard.settle(guard.reserve(5.0), 0.7)
    assert guard.pressure == pytest.approx(1.2) and guard.should_degrade
    assert guard.remaining_usd == 0.0


def test_max_mode_only_reports():
    guard = BudgetGuard(limit_usd=0.1, mode=BudgetMode.MAX)
    guard.settle(guard.reserve(10.0), 3.0)
    assert guard.spent_usd == 3.0 and guard.pressure == pytest.approx(30.0)
    assert not guard.should_degrade


def test_no_limit_means_no_pressure():
    guard = BudgetGuard()
    guard.settle(guard.reserve(1e6), 5.0)
    assert guard.pressure == 0.0 and guard.remaining_usd is None


def test_zero_limit_refuses_any_paid_call():
    guard = BudgetGuard(limit_usd=0.0)
    assert guard.pressure == 1.0
    with pytest.raises(BudgetExceededError):
        guard.reserve(1e-12)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"limit_usd": -1.0}, "limit_usd"),
        ({"limit_usd": float("nan")}, "limit_usd"),
        ({"limit_usd": 1.0, "mode": "strict"}, "hard, soft, max"),
        ({"limit_usd": 1.0, "degrade_at": 0.0}, "degrade_at"),
    ],
)
def test_bad_configuration(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        BudgetGuard(**kwargs)


def test_settling_twice_is_a_bug():
    guard = BudgetGuard(1.0)
    reservation = guard.reserve(0.1)
    guard.settle(reservation, 0.1)
    with pytest.raises(ValueError, match="already settled"):
        guard.settle(reservation, 0.1)
    with pytest.raises(ValueError, match="actual_usd"):
        guard.settle(guard.reserve(0.1), -1.0)


@settings(max_examples=60)
@given(
    limit=st.floats(min_value=0.0, max_value=1.0),
    calls=st.lists(
        st.tuples(st.floats(min_value=0.0, max_value=0.5), st.floats(min_value=0.0, max_value=1.0)),
        max_size=30,
    ),
)
def test_hard_cap_holds_for_any_sequence_of_calls(limit, calls):
    guard = BudgetGuard(limit_usd=limit, mode=BudgetMode.HARD)
    open_reservations = []
    for worst, fraction in calls:
        try:
            open_reservations.append((guard.reserve(worst), worst * fraction))
        except BudgetExceededError:
            if open_reservations:  # finish the oldest request, as time passes
                reservation, cost = open_reservations.pop(0)
                guard.settle(reservation, cost)
        assert guard.spent_usd + guard.in_flight_usd <= limit + 1e-12
    for reservation, cost in open_reservations:
        guard.settle(reservation, cost)
    assert guard.spent_usd <= limit


def test_threads_cannot_overspend():
    guard = BudgetGuard(limit_usd=1.0)
    granted: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(100):
            try:
                reservation = guard.reserve(0.01)
            except BudgetExceededError:
                return
            guard.settle(reservation, 0.01)
            with lock:
                granted.append(0.01)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(granted) == 100 and guard.spent_usd <= 1.0


class Plan(BaseModel):
    steps: list[str]


def test_prompt_bound_covers_bytes_overhead_and_schema():
    messages = [SystemMessage("sé"), HumanMessage("hello")]
    plain = prompt_tokens_upper_bound(messages)
    assert plain >= len("sé".encode()) + len(b"hello")
    assert prompt_tokens_upper_bound(messages, Plan) > plain
    with_call = [*messages, AIMessage("", tool_calls=[{"name": "f", "args": {"a": 1}, "id": "x"}])]
    assert prompt_tokens_upper_bound(with_call) > prompt_tokens_upper_bound(messages)


@settings(max_examples=50)
@given(st.text(max_size=300))
def test_prompt_bound_never_undercounts_bytes(text):
    assert prompt_tokens_upper_bound([HumanMessage(text)]) >= len(text.encode("utf-8"))


def test_spending_before_the_guard_counts_against_a_hard_cap():
    guard = BudgetGuard(0.01, "hard", spent_usd=0.008)
    assert guard.spent_usd == 0.008 and guard.remaining_usd == pytest.approx(0.002)
    guard.settle(guard.reserve(0.002), 0.002)
    with pytest.raises(BudgetExceededError, match=r"spent \$0.010000"):
        guard.reserve(0.000001)
    with pytest.raises(ConfigError, match="spent_usd"):
        BudgetGuard(0.01, spent_usd=-1.0)
