"""OpenRouter over HTTP when it fails: retries, Retry-After, fallbacks, errors and re-asks (respx, no network)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest
import respx
from pydantic import SecretStr

from daedalus.errors import (
    ModelOutputError,
    ModelRequestError,
    ModelUnavailableError,
    OutOfCreditError,
)
from daedalus.llm._retry import ProviderError, RetryPolicy, retry_after_seconds
from daedalus.llm.openrouter import (
    openrouter_chat_model,
)
from tests.llm.openrouter_support import (
    KEY,
    SYNC_CLIENT,
    URL,
    ask_text,
    ask_verdict,
    completion,
    error,
    make_router,
)


def test_rate_limit_honours_retry_after_then_succeeds(server, sleeps):
    server.queue("acme/alpha", error(429, "slow down", {"Retry-After": "7"}), completion("ok"))
    router = make_router(sleeps)
    assert ask_text(router) == "ok"
    assert sleeps == [7.0]
    (record,) = router.ledger.records
    assert record.model == "acme/alpha" and record.retries == 1 and record.error is None


def test_retry_after_is_capped_and_read_as_a_date():
    now = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    later = format_datetime(now + timedelta(seconds=30), usegmt=True)
    dated = httpx.Response(429, headers={"Retry-After": later})
    exc = httpx.HTTPStatusError("429", request=httpx.Request("POST", URL), response=dated)
    assert retry_after_seconds(exc, now) == pytest.approx(30.0)
    huge = httpx.Response(429, headers={"Retry-After": "86400"})
    exc = httpx.HTTPStatusError("429", request=httpx.Request("POST", URL), response=huge)
    import random

    assert RetryPolicy(max_retry_after=60.0).wait_seconds(1, exc, random.Random(0)) == 60.0


def test_backoff_grows_exponentially_without_retry_after(server, sleeps):
    server.queue("acme/alpha", error(503), error(502), error(500), completion("ok"))
    assert ask_text(make_router(sleeps, max_retries=3)) == "ok"
    assert len(sleeps) == 3
    policy = RetryPolicy()
    for attempt, waited in enumerate(sleeps, start=1):
        base = policy.initial_wait * 2 ** (attempt - 1)
        assert base <= waited <= base * (1 + policy.jitter)


def test_server_errors_fall_back_to_the_next_model(server, sleeps):
    server.queue("acme/alpha", error(503), error(503))
    server.queue("acme/gamma", completion("from gamma", cost=0.002))
    router = make_router(sleeps, max_retries=1)
    assert ask_text(router) == "from gamma"
    assert [b["model"] for b in server.bodies()] == ["acme/alpha", "acme/alpha", "acme/gamma"]
    failed, used = router.ledger.records
    assert (failed.model, failed.error, failed.retries) == (
        "acme/alpha",
        "ModelUnavailableError",
        1,
    )
    assert (used.model, used.error, used.cost_usd) == ("acme/gamma", None, 0.002)


def test_every_model_failing_names_them_all(server, sleeps):
    for model in ("acme/alpha", "acme/gamma", "acme/beta"):
        server.queue(model, error(502, f"{model} down"), error(502, f"{model} down"))
    with pytest.raises(ModelUnavailableError) as caught:
        ask_text(make_router(sleeps, max_retries=1))
    message = str(caught.value)
    assert "acme/alpha, acme/gamma, acme/beta" in message
    assert "acme/beta down" in message and "\n" not in message


def test_missing_model_moves_on_without_retrying(server, sleeps):
    server.queue("acme/alpha", error(404, "no endpoints"))
    server.queue("acme/gamma", completion("ok"))
    assert ask_text(make_router(sleeps)) == "ok"
    assert sleeps == [] and len(server.requests) == 2


def test_out_of_credit_stops_at_once(server, sleeps):
    server.queue("acme/alpha", error(402, "Insufficient credits"))
    server.queue("acme/gamma", completion("never"))
    router = make_router(sleeps)
    with pytest.raises(OutOfCreditError, match="out of credit"):
        ask_text(router)
    assert len(server.requests) == 1 and sleeps == []
    assert router.ledger.records[0].error == "OutOfCreditError"


@pytest.mark.parametrize("status", [400, 401, 403])
def test_rejected_requests_fail_at_once(server, sleeps, status):
    server.queue("acme/alpha", error(status, "bad"))
    with pytest.raises(ModelRequestError, match=f"HTTP {status}"):
        ask_text(make_router(sleeps))
    assert len(server.requests) == 1 and sleeps == []


def test_timeouts_and_connection_errors_are_retried(server, sleeps):
    server.queue(
        "acme/alpha",
        httpx.ReadTimeout("slow"),
        httpx.ConnectError("refused"),
        completion("ok"),
    )
    assert ask_text(make_router(sleeps)) == "ok"
    assert len(sleeps) == 2


def test_error_object_in_a_200_body_is_retried(server, sleeps):
    body = {"error": {"code": 502, "message": "upstream provider failed"}}
    server.queue("acme/alpha", httpx.Response(200, json=body), completion("ok"))
    router = make_router(sleeps)
    assert ask_text(router) == "ok"
    assert len(sleeps) == 1 and router.ledger.records[0].retries == 1


def test_error_object_in_a_200_body_reaches_the_caller_typed():
    body = {"error": {"code": 429, "message": "busy"}}
    with respx.mock() as mock:
        mock.post(URL).mock(return_value=httpx.Response(200, json=body))
        model = openrouter_chat_model("acme/alpha", api_key=SecretStr(KEY), http_client=SYNC_CLIENT)
        with pytest.raises(ProviderError) as caught:
            model.invoke("hi")
    assert caught.value.code == 429


def test_malformed_json_is_reasked_with_the_reason(server, sleeps):
    server.queue(
        "acme/alpha",
        completion('{"holds": true, "reason": '),
        completion('{"holds": true}'),
        completion('{"holds": true, "reason": "third time"}'),
    )
    router = make_router(sleeps, max_reasks=2)
    assert ask_verdict(router).reason == "third time"
    second, third = server.bodies()[1:]
    assert second["messages"][-2] == {"role": "assistant", "content": '{"holds": true, "reason": '}
    assert "not valid JSON" in second["messages"][-1]["content"]
    assert second["messages"][-1]["role"] == "user"
    assert "reason: Field required" in third["messages"][-1]["content"]
    (record,) = router.ledger.records
    assert record.retries == 2 and record.error is None


def test_output_that_never_validates_ends_in_model_output_error(server, sleeps):
    for model in ("acme/alpha", "acme/gamma", "acme/beta"):
        server.queue(model, completion("not json at all"), completion("still not json"))
    router = make_router(sleeps, max_reasks=1)
    with pytest.raises(ModelOutputError, match="acme/alpha, acme/gamma, acme/beta"):
        ask_verdict(router)
    assert len(server.requests) == 6
    assert all(r.error == "ModelOutputError" for r in router.ledger.records)
