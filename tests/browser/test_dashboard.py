"""The dashboard in a real browser: the officer's charts are drawn by static/dashboard.js with the local
ECharts copy under the site's CSP (no inline script or style), and the page passes the basic checks."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .conftest import log_in
from .test_journeys import A11Y

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("username", ["li.na", "chen.ops"])  # the owning officer, the platform operator
def test_dashboard_draws_its_charts(live_server, page, shots, username):
    log_in(page, live_server, username)
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("link", name="数据看板").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("数据看板")
    charts = page.locator("[data-chart]")
    expect(charts.first).to_be_attached()  # catalog coverage at least; request charts once there are requests
    expect(page.locator(".chart-ready")).to_have_count(charts.count())
    assert page.locator("[data-chart] canvas").count() >= charts.count()
    assert page.evaluate(A11Y) == []
    shots.shot(page, "dashboard")
    problems = [line for line in shots.console if "Content Security Policy" in line or "[pageerror]" in line
                or ("[error]" in line and "/dashboard" in line and "favicon" not in line)]
    assert problems == []
    # the CSV export of a table is a download of the same figures
    with page.expect_download() as download:
        page.locator("a[href*='table=approval_time']").first.click()
    assert download.value.suggested_filename.startswith("dashboard-approval_time-")
