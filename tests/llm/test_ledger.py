"""The call ledger: records, grouped totals, JSON summary, thread safety."""

from __future__ import annotations

import json
import math
import threading
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from daedalus.llm.actions import ActionType
from daedalus.llm.ledger import CallRecord, Ledger, UsageTotals


def record(node: str = "n", model: str = "m", **kw: object) -> CallRecord:
    kw.setdefault("action", ActionType.GENERAL)
    return CallRecord(node=node, model=model, **kw)  # type: ignore[arg-type]


def test_records_are_frozen_and_validated():
    row = record(prompt_tokens=3)
    with pytest.raises(ValidationError):
        row.prompt_tokens = 4  # type: ignore[misc]
    with pytest.raises(ValidationError):
        record(cost_usd=-0.1)
    with pytest.raises(ValidationError):
        record(action="not an action")


def test_totals_and_groups():
    ledger = Ledger()
    ledger.append(record("steering", "a", prompt_tokens=10, completion_tokens=2, cost_usd=0.01))
    ledger.append(record("character", "b", action=ActionType.DIALOG_SYNTHESIS, cost_usd=0.02))
    ledger.append(record("steering", "b", cache_hit=True))
    ledger.append(record("steering", "a", error="ModelUnavailableError", cost_usd=0.005))
    totals = ledger.totals()
    assert (totals.calls, totals.cache_hits, totals.errors) == (4, 1, 1)
    assert totals.prompt_tokens == 10 and totals.total_tokens == 12
    assert totals.cost_usd == pytest.approx(0.035)
    assert list(ledger.by_node()) == ["steering", "character"]
    assert ledger.by_node()["steering"].calls == 3
    assert ledger.by_model()["a"].cost_usd == pytest.approx(0.015)
    assert ledger.by_action()["dialog_synthesis"].cost_usd == pytest.approx(0.02)
    assert ledger.by_action()["general"].calls == 3


def test_summary_is_json_and_round_trips_through_records():
    ledger = Ledger([record(cost_usd=0.25, offline=True)])
    summary = json.loads(json.dumps(ledger.summary()))
    assert summary["totals"]["cost_usd"] == 0.25
    assert summary["by_model"]["m"]["calls"] == 1
    rows = [CallRecord.model_validate_json(r.model_dump_json()) for r in ledger.records]
    restored = Ledger.from_records(rows)
    assert restored.records == ledger.records


def test_extend_keeps_order():
    ledger = Ledger([record("first")])
    ledger.extend([record("second"), record("third")])
    assert [r.node for r in ledger.records] == ["first", "second", "third"]
    assert len(ledger) == 3


def test_empty_ledger():
    assert Ledger().totals() == UsageTotals()
    assert Ledger().summary()["by_node"] == {}


def test_concurrent_appends_are_all_kept():
    ledger = Ledger()

    def worker(i: int) -> None:
        for j in range(200):
            ledger.append(record(f"node{i}", cost_usd=0.001, prompt_tokens=j))

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(ledger) == 1600
    assert all(totals.calls == 200 for totals in ledger.by_node().values())


@settings(max_examples=50)
@given(st.lists(st.floats(min_value=0, max_value=1, allow_nan=False), max_size=40))
def test_dollars_sum_as_exact_decimals(costs):
    ledger = Ledger(record(cost_usd=c) for c in costs)
    exact = sum((Fraction(repr(c)) for c in costs), Fraction(0))
    assert ledger.totals().cost_usd == float(exact)
    assert math.isclose(ledger.totals().cost_usd, math.fsum(costs), rel_tol=1e-12, abs_tol=1e-15)


def test_tenths_add_up_to_what_people_expect():
    assert Ledger(record(cost_usd=0.1) for _ in range(3)).totals().cost_usd == 0.3


def test_on_record_sees_every_appended_row_in_order():
    from daedalus.llm.actions import ActionType
    from daedalus.llm.ledger import CallRecord, Ledger

    seen = []
    first = CallRecord(node="a", action=ActionType.GENERAL, model="m")
    ledger = Ledger([first], on_record=seen.append)
    second = first.model_copy(update={"node": "b"})
    third = first.model_copy(update={"node": "c"})
    ledger.append(second)
    ledger.extend([third])
    assert seen == [second, third] and ledger.records == (first, second, third)


def test_a_request_in_doubt_is_booked_then_dropped_when_settled():
    from daedalus.llm.ledger import CallRecord, Ledger

    heard: list[object] = []
    ledger = Ledger(on_record=heard.append, on_settle=heard.append)
    row = CallRecord(node="n", action="dialog_synthesis", model="m", cost_usd=0.02)
    request = ledger.doubt(row)
    (booked,) = ledger.in_doubt
    assert booked.in_doubt and booked.request_id == request and booked.cost_usd == 0.02
    assert heard == [booked] and ledger.records == ()
    ledger.settle(request)
    assert ledger.in_doubt == () and heard == [booked, request]
    totals = Ledger([booked, row]).totals()
    assert (totals.cost_usd, totals.in_doubt, totals.in_doubt_usd) == (0.02, 1, 0.02)
