"""Who may call the API: 401 without a valid key, 403 for a read key writing, 429 past the rate
or the daily spending quota (read from the ledger), each with a problem document."""

from __future__ import annotations

from pathlib import Path

from daedalus.llm.actions import ActionType
from daedalus.llm.ledger import CallRecord
from daedalus.service._auth import RateLimiter
from daedalus.store.ledger_log import LedgerLog
from tests.service.support import assert_problem, served


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_no_key_a_wrong_key_and_a_revoked_key_are_401(fresh):
    missing = fresh.client.get("/api/v1/runs")
    assert "no API key" in assert_problem(missing, 401)["detail"]
    assert missing.headers["www-authenticate"].startswith("Bearer")
    assert_problem(fresh.client.get("/api/v1/runs", headers={"X-API-Key": "dk_00_wrong"}), 401)
    assert fresh.client.get("/api/v1/runs", headers={"X-API-Key": fresh.read}).status_code == 200
    fresh.service.keys.revoke(fresh.read)
    assert "revoked" in assert_problem(fresh.get("/api/v1/runs", token=fresh.read), 401)["detail"]
    assert fresh.client.get("/api/v1/health").status_code == 200  # liveness needs no key


def test_a_read_key_may_read_but_not_write(fresh):
    assert fresh.get("/api/v1/templates", token=fresh.read).status_code == 200
    refused = fresh.post("/api/v1/runs", {"template": "board_meeting"}, token=fresh.read)
    assert "needs write" in assert_problem(refused, 403)["detail"]
    assert fresh.service.queue.jobs() == []


def test_a_key_past_its_rate_gets_429_with_retry_after_until_the_bucket_refills(tmp_path):
    clock = Clock()
    with served(tmp_path, limiter=RateLimiter(clock=clock)) as app:
        _, token = app.service.keys.create("read", rate_per_minute=2)
        assert app.get("/api/v1/me", token=token).status_code == 200
        assert app.get("/api/v1/me", token=token).status_code == 200
        limited = app.get("/api/v1/me", token=token)
        assert_problem(limited, 429)
        assert limited.headers["retry-after"] == "30"  # one request every 30 s at 2 a minute
        assert app.get("/api/v1/me").status_code == 200  # other keys have their own bucket
        clock.now += 30
        assert app.get("/api/v1/me", token=token).status_code == 200


def _bill(root: Path, run_id: str, dollars: float) -> None:
    LedgerLog.of(root, run_id).append(
        CallRecord(node="character", action=ActionType.DIALOG_SYNTHESIS, model="m",
                   prompt_tokens=10, completion_tokens=10, cost_usd=dollars, latency_s=0.1)
    )


def test_the_daily_quota_is_read_from_the_ledger_and_caps_each_new_run(fresh):
    key, token = fresh.service.keys.create("write", quota_usd_per_day=1.0)
    first = fresh.post("/api/v1/runs", {"template": "board_meeting"}, token=token).json()
    job = fresh.service.queue.get(first["job_id"])
    assert job.request["budget_usd"] == 1.0 and job.request["budget_mode"] == "hard"
    _bill(fresh.root, first["run_id"], 0.75)
    second = fresh.post(
        "/api/v1/runs", {"template": "board_meeting", "budget_usd": 5.0}, token=token
    ).json()
    assert fresh.service.queue.get(second["job_id"]).request["budget_usd"] == 0.25
    _bill(fresh.root, second["run_id"], 0.25)
    spent = fresh.post("/api/v1/runs", {"template": "board_meeting"}, token=token)
    assert "quota" in assert_problem(spent, 429)["detail"]
    assert 0 < int(spent.headers["retry-after"]) <= 86_400
    assert len(fresh.service.queue.jobs(key_id=key.id)) == 2  # the refused one wrote nothing
    assert fresh.post("/api/v1/runs", {"template": "board_meeting"}).status_code == 202


def test_keys_never_appear_in_responses_or_the_store(fresh):
    bodies = [
        fresh.get("/api/v1/me").text,
        fresh.post("/api/v1/runs", {"template": "board_meeting"}).text,
        fresh.get("/api/v1/runs").text,
        fresh.client.get("/api/v1/runs", headers={"Authorization": "Bearer dk_1_bad"}).text,
    ]
    fresh.drain()
    fresh.service.close()
    stored = b"".join(p.read_bytes() for p in fresh.root.rglob("*") if p.is_file())
    for token in (fresh.write, fresh.read):
        assert all(token not in body for body in bodies)
        assert token.encode() not in stored


def test_provider_credentials_never_appear_in_responses(fresh, finished, monkeypatch):
    secret = "sk-or-v1-not-a-real-credential-0123456789"
    monkeypatch.setenv("OPENROUTER_API_KEY", secret)
    app, run_id = finished
    bodies = [
        fresh.get("/api/v1/models").text,
        fresh.post("/api/v1/estimate", {"template": "board_meeting"}).text,
        fresh.client.get("/api/v1/openapi.json").text,
        app.get(f"/api/v1/runs/{run_id}/record").text,
        app.get(f"/api/v1/runs/{run_id}").text,
    ]
    assert all(secret not in body for body in bodies)
    assert fresh.service.queue.jobs() == []


def test_a_batch_shares_what_is_left_of_the_quota_and_its_runs_count_against_it(fresh):
    key, token = fresh.service.keys.create("write", quota_usd_per_day=1.0)
    body = {"runs": [{"template": "board_meeting", "seed": s} for s in (1, 2)]}
    batch = fresh.post("/api/v1/batches", body, token=token).json()
    request = fresh.service.queue.get(batch["job_id"]).request
    assert request["run_budget_usd"] == 0.5 and request["budget_usd"] == 1.0
    fresh.drain()
    summary = fresh.get(f"/api/v1/batches/{batch['batch_id']}").json()
    for item in summary["runs"]:  # bill the batch's runs: the key's ledger reaches the quota
        _bill(fresh.root, item["id"], 0.5)
    spent = fresh.post("/api/v1/batches", body, token=token)
    assert "quota" in assert_problem(spent, 429)["detail"]
    assert "quota" in assert_problem(
        fresh.post("/api/v1/runs", {"template": "board_meeting"}, token=token), 429
    )["detail"]
    assert len(fresh.service.queue.jobs(key_id=key.id)) == 1
