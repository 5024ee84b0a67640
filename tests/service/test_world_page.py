"""The dashboard's world page in a real browser (Playwright, Debian's Chromium, headless): it
lists the store's world runs, draws the tile map with each overlay and the KPI charts.
Skipped without Chromium or Playwright unless ``CI`` is set (then it fails)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import httpx
import pytest

from daedalus.service import create_app
from daedalus.world.io import run_world
from tests.service.support import live_server
from tests.service.test_dashboard import CHROMIUM, WAIT_MS, _browser_missing, _shot
from tests.world.conftest import small_config

RUN = "world-20261205-120000-feed01"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    missing = _browser_missing()
    if missing is not None:
        if os.environ.get("CI"):
            pytest.fail(f"CI is set and the browser tests cannot run: {missing}")
        pytest.skip(missing)
    root = tmp_path_factory.mktemp("worlds")
    run_world(small_config(), 6, root / "worlds" / RUN, snapshot_every=3)
    app = create_app(root, worker=False)
    _, token = app.state.service.keys.create("read", name="browser")
    with live_server(app) as base:
        yield base, token


def test_the_world_page_lists_runs_and_draws_the_map_and_kpis(live):
    from playwright.sync_api import expect, sync_playwright

    base, token = live
    headers = {"Authorization": f"Bearer {token}"}
    tiles = httpx.get(f"{base}/api/v1/worlds/{RUN}/map", headers=headers).json()
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1400})
            page.goto(f"{base}/dashboard/index.html")
            page.get_by_role("link", name="Worlds").click()  # the main page links to the world page
            page.wait_for_url("**/dashboard/world.html")
            expect(page.get_by_test_id("error")).to_contain_text("401", timeout=WAIT_MS)
            page.get_by_test_id("key-input").fill(token)
            page.get_by_test_id("key-form").locator("button").click()
            expect(page.get_by_test_id("world-row")).to_have_count(1, timeout=WAIT_MS)
            expect(page.get_by_test_id("world-row")).to_contain_text("completed")
            expect(page.get_by_test_id("world-title")).to_have_text(RUN, timeout=WAIT_MS)
            legend = page.get_by_test_id("map-legend")
            expect(legend).to_contain_text("population at tick 6: 32 x 16 tiles")
            tile_map = page.get_by_test_id("tile-map")
            assert tile_map.get_attribute("data-tiles") == str(len(tiles["regions"]))
            page.get_by_test_id("overlay").select_option("prices")
            expect(legend).to_contain_text("prices at tick 6")
            expect(legend).to_contain_text("grey: no firm")
            page.get_by_test_id("map-tick").select_option("3")
            expect(legend).to_contain_text("prices at tick 3")
            page.get_by_test_id("overlay").select_option("unemployment")
            assert tile_map.get_attribute("data-overlay") == "unemployment"
            expect(page.get_by_test_id("kpi-charts").locator("canvas")).to_have_count(4)
            points = page.evaluate("window.worldCharts.map(c => c.data.labels.length)")
            assert points == [6, 6, 6, 6]
            _shot(page, "world-page.png")
        finally:
            browser.close()
