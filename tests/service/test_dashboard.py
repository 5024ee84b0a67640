"""The dashboard in a real browser: Playwright driving Debian's Chromium, headless.

One browser for the module, one live server on loopback (uvicorn in a thread, worker thread
beside it). The tests type a key, submit a run, watch it complete over SSE, open its timeline
and a provenance query, and assert on what the page shows; screenshots go to
``test-artifacts/`` (git-ignored). Without Chromium or Playwright the tests are skipped, unless
``CI`` is set: then they fail.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from daedalus.service import create_app
from tests.service.support import live_server

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
WAIT_MS = 60_000
"""How long a page may take to show what the test waits for before the test gives up."""


def _browser_missing() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed"
    if not CHROMIUM.exists() and shutil.which("chromium") is None:
        return "no Chromium at /usr/bin/chromium (apt-get install chromium)"
    return None


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """A served app on a free loopback port and a write key for it."""
    missing = _browser_missing()
    if missing is not None:
        if os.environ.get("CI"):
            pytest.fail(f"CI is set and the browser tests cannot run: {missing}")
        pytest.skip(missing)
    with pytest.MonkeyPatch.context() as env:
        env.delenv("OPENROUTER_API_KEY", raising=False)
        app = create_app(tmp_path_factory.mktemp("dashboard"))
        _, token = app.state.service.keys.create("write", name="browser")
        with live_server(app) as base:
            yield base, token


@pytest.fixture(scope="module")
def page(live):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 1600})
            yield context.new_page()
            context.close()
        finally:
            browser.close()


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def _enter_key(page, token: str) -> None:
    """Give the dashboard the key and wait for the page it re-renders with it to settle."""
    from playwright.sync_api import expect

    page.get_by_test_id("key-input").fill(token)
    page.get_by_test_id("key-form").locator("button").click()
    expect(page.get_by_test_id("view")).not_to_have_attribute("aria-busy", "true", timeout=WAIT_MS)


def test_submit_a_run_watch_it_complete_and_explore_it(live, page):
    from playwright.sync_api import expect

    base, token = live
    page.goto(f"{base}/dashboard/")
    expect(page.get_by_test_id("error")).to_contain_text("401", timeout=WAIT_MS)
    _enter_key(page, token)
    expect(page.get_by_test_id("key-state")).to_have_text("key set")
    expect(page.get_by_test_id("submit-template")).to_contain_text("board_meeting", timeout=WAIT_MS)
    page.get_by_test_id("submit-template").select_option("board_meeting")
    page.get_by_test_id("submit-run").click()

    expect(page.get_by_test_id("progress-text")).to_have_text("completed", timeout=WAIT_MS)
    expect(page.get_by_test_id("run-head")).to_contain_text("offline model")
    run_id = page.get_by_test_id("run-title").inner_text()
    assert run_id.startswith("run_") and page.url.endswith(f"#/runs/{run_id}")
    log = page.locator("#events").inner_text()
    assert log.startswith("queued") and "started" in log and "timepoint" in log

    headers = {"Authorization": f"Bearer {token}"}
    view = httpx.get(f"{base}/api/v1/runs/{run_id}", headers=headers).json()
    expect(page.get_by_test_id("timeline-summary")).to_contain_text(f"{view['timepoints']} moments")
    assert page.evaluate("window.timelineGraph.nodes().length") == view["timepoints"]
    positions = page.evaluate("window.timelineGraph.nodes().map(n => n.position('y'))")
    assert len(set(positions)) > 1  # laid out by dagre in ranks, not piled up
    assert page.locator("[data-testid=dialog]").count() == view["dialogs"] > 0
    expect(page.get_by_test_id("frame-label")).to_contain_text("relationship")

    branch = {"at": "tp-000", "intervention": "The chair resigns on the spot.", "branch_id": "quit"}
    httpx.post(f"{base}/api/v1/runs/{run_id}/branches", json=branch, headers=headers)
    httpx.get(f"{base}/api/v1/runs/{run_id}/events", headers=headers, timeout=WAIT_MS / 1000)
    page.reload()
    expect(page.get_by_test_id("timeline-summary")).to_contain_text(
        "on 2 branch(es): main, quit", timeout=WAIT_MS
    )
    moments = httpx.get(f"{base}/api/v1/runs/{run_id}/timeline", headers=headers).json()["nodes"]
    assert page.evaluate("window.timelineGraph.nodes().length") == len(moments)
    fork = page.evaluate(
        "window.timelineGraph.getElementById('tp-000').outgoers('node').map(n => n.id())"
    )
    assert len(fork) == 2  # the main line and the branch leave the fork: a tree

    entity = page.get_by_test_id("knowledge-entity").locator("option").first.get_attribute("value")
    moment = page.get_by_test_id("knowledge-at").input_value()
    page.get_by_test_id("knowledge-ask").click()
    answer = httpx.get(
        f"{base}/api/v1/runs/{run_id}/knowledge", params={"entity": entity, "at": moment},
        headers=headers,
    ).json()
    expect(page.get_by_test_id("knowledge-count")).to_contain_text(
        f"could know {len(answer['known'])} thing(s) at {moment}", timeout=WAIT_MS
    )
    assert page.locator("[data-testid=known]").count() == len(answer["known"]) > 0

    _shot(page, "dashboard-run.png")

    page.goto(f"{base}/dashboard/#/runs")
    page.locator("#filter-form input[name=q]").fill("board_meeting")
    page.locator("#filter-form button").click()
    expect(page.get_by_test_id("runs-total")).to_have_text("1 run(s)", timeout=WAIT_MS)
    expect(page.get_by_test_id("run-row")).to_contain_text(run_id)
    page.locator("#filter-form select[name=mode]").select_option("portal")
    page.locator("#filter-form button").click()
    expect(page.get_by_test_id("runs-total")).to_have_text("0 run(s)", timeout=WAIT_MS)
    _shot(page, "dashboard-runs.png")


def test_a_batch_submitted_in_the_form_is_followed_and_summarized(live, page):
    from playwright.sync_api import expect

    base, token = live
    page.goto(f"{base}/dashboard/#/batches")
    _enter_key(page, token)
    page.get_by_test_id("batch-template").select_option("board_meeting")
    page.get_by_test_id("batch-seeds").fill("5-7")
    page.get_by_test_id("submit-batch").click()
    expect(page).to_have_url(re.compile(r"#/batches/batch_"), timeout=WAIT_MS)
    expect(page.get_by_test_id("batch-progress-text")).to_have_text(
        "3 of 3 runs done", timeout=WAIT_MS
    )
    expect(page.get_by_test_id("batch-status")).to_contain_text("3 runs: completed 3")
    assert page.get_by_test_id("batch-runs").locator("tr").count() == 3
    assert page.locator("#outcomes canvas").count() == 5  # one distribution per outcome
    assert page.locator("#mechanisms canvas").count() == 1
    batch_id = page.url.rsplit("/", 1)[-1]
    headers = {"Authorization": f"Bearer {token}"}
    summary = httpx.get(f"{base}/api/v1/batches/{batch_id}", headers=headers).json()
    assert summary["status"] == {"completed": 3}
    _shot(page, "dashboard-batch.png")
    page.goto(f"{base}/dashboard/#/batches")
    page.get_by_test_id("batch-seeds").fill("1,x")
    page.get_by_test_id("submit-batch").click()
    expect(page.get_by_test_id("error")).to_contain_text('seeds: "x" is not a seed')
    assert len(httpx.get(f"{base}/api/v1/batches", headers=headers).json()) == 1


def test_a_portal_run_shows_its_chain_with_every_slots_candidates(live, page):
    from playwright.sync_api import expect

    base, token = live
    headers = {"Authorization": f"Bearer {token}"}
    submitted = httpx.post(
        f"{base}/api/v1/runs", json={"template": "election_upset_portal"}, headers=headers
    ).json()
    run_id = submitted["run_id"]
    page.goto(f"{base}/dashboard/#/runs/{run_id}")  # opened while it runs: progress is live
    expect(page.get_by_test_id("progress-text")).to_have_text("completed", timeout=WAIT_MS)
    timeline = httpx.get(f"{base}/api/v1/runs/{run_id}/timeline", headers=headers).json()
    slots = timeline["portal"]["slots"]
    candidates = sum(len(slot["candidates"]) for slot in slots)
    expect(page.get_by_test_id("portal-summary")).to_contain_text(
        f"{len(slots)} slots, {candidates} candidates, {len(slots)} chosen", timeout=WAIT_MS
    )
    assert page.evaluate("window.portalGraph.nodes().length") == candidates
    chosen = page.evaluate("window.portalGraph.nodes('[chosen = 1]').map(n => n.id())")
    assert sorted(chosen) == sorted(slot["chosen"] for slot in slots)
    chain = page.evaluate("window.portalGraph.edges('[chosen = 1]').length")
    assert chain == len(slots) - 1  # the chosen candidates form one chain
    _shot(page, "dashboard-portal.png")
