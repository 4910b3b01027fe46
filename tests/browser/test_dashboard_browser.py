"""The supervisors' dashboard in a real browser against the real servers: the charts render with
the store's figures (read from the ECharts instances), a new claim shows up without a reload, a
click on a bar lists the claims behind it and opens one in the console's claim view, bad input
gets a clear answer, and an agent without the supervisor role is refused. The screenshot (demo
data plus this test's claims) is saved to results/dashboard.png; the README's copy is
docs/dashboard.png, refreshed by hand when the page changes."""
from __future__ import annotations

import contextlib
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from bot.agents import AgentError, add_agent
from bot.clock import local_today, utc_now
from bot.store.db import unit_of_work
from rasa_server.launcher import ROOT, Servers
from tests.browser.conftest import WatchedPage
from tests.e2e.test_report_conversations import forget_reported_claims  # noqa: F401 (autouse)

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

SCREENSHOT = ROOT / "results" / "dashboard.png"
PASSWORD = "dashboard-password-1"
WAIT_MS = 25_000  # the page polls every 10 s
POLICY = "AUTO-2026-0001"


def _red_claim(db_url: str, days_ago: float) -> str:
    """A motor claim reported `days_ago` and never picked up: its 15-minute clock is overdue,
    so it is red at the end of every day since. Returns its number."""
    reported = utc_now() - timedelta(days=days_ago)
    with unit_of_work(db_url) as uow:
        policy = uow.policies.by_number(POLICY)
        from bot.store.models import Claim

        claim = Claim(number=uow.claims.next_claim_number(local_today(reported).year),
                      policy=policy, stage="reported", incident_type="dashboard_test",
                      reported_at=reported, estimated_amount=Decimal(2000), channel="webchat",
                      flags=[], injuries=False)
        uow.claims.add(claim)
        uow.flush()
        uow.claims.add_event(claim, from_stage=None, to_stage="reported", at=reported,
                             actor="customer", note=None)
        uow.commit()
        return claim.number


def _log_in(page: Page, servers: Servers, username: str) -> None:
    page.goto(servers.rasa_url + "/webhooks/agent/")
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("[data-testid=login-button]")
    expect(page.locator("body")).to_have_attribute("data-logged-in", "true")


def _series(page: Page, chart: str) -> dict:
    return page.evaluate(
        """(name) => {
            const chart = echarts.getInstanceByDom(document.getElementById('chart-' + name));
            const out = {};
            chart.getOption().series.forEach((s) => { out[s.id] = s.data; });
            return out;
        }""", chart)


def _bar_centre(page: Page, chart: str, series_id: str, index: int) -> dict:
    page.locator(f"#chart-{chart}").scroll_into_view_if_needed()
    return page.evaluate(
        """([name, id, index]) => {
            const chart = echarts.getInstanceByDom(document.getElementById('chart-' + name));
            const series = chart.getModel().getSeries().find((s) => s.id === id);
            const box = series.getData().getItemLayout(index);
            const rect = chart.getDom().getBoundingClientRect();
            return {x: rect.left + box.x + box.width / 2, y: rect.top + box.y + box.height / 2};
        }""", [chart, series_id, index])


def test_the_dashboard_draws_updates_clicks_through_and_refuses_agents(
    claims_servers: Servers, claims_db_url: str, chromium_browser,
) -> None:
    for username, name, role in (("dash-super", "陈主管", "supervisor"),
                                 ("dash-agent", "周明", "agent")):
        with contextlib.suppress(AgentError):
            add_agent(username, PASSWORD, name, role=role, url=claims_db_url)
    first = _red_claim(claims_db_url, days_ago=3)
    context = chromium_browser.new_context(viewport={"width": 1400, "height": 1000},
                                           locale="zh-CN")
    page = context.new_page()
    seen = WatchedPage(page)
    page.on("pageerror", lambda err: seen.page_errors.append(str(err)))
    try:
        _log_in(page, claims_servers, "dash-super")
        expect(page.locator("[data-testid=dashboard-link]")).to_be_visible()
        page.click("[data-testid=dashboard-link]")
        expect(page.locator("body")).to_have_attribute("data-ready", "true", timeout=WAIT_MS)

        # Every chart is an ECharts instance holding the store's series.
        lights = _series(page, "lights")
        assert set(lights) == {"green", "yellow", "red"}
        days = len(lights["red"])
        assert days == 30
        red_today = lights["red"][-1]
        assert red_today >= 1 and lights["red"][-3] >= 1
        stages = _series(page, "stages")
        assert stages["reported"][-1] >= 1
        for chart in ("settlement", "complaints", "satisfaction", "handoffs", "notices"):
            assert _series(page, chart) is not None
        expect(page.locator("[data-testid=chart-lights]")).to_have_attribute("data-empty",
                                                                            "false")

        # A new red claim appears at the next poll, without reloading the page.
        refreshes = int(page.locator("body").get_attribute("data-refreshes"))
        second = _red_claim(claims_db_url, days_ago=1)
        page.wait_for_function(
            "(n) => Number(document.body.dataset.refreshes) > n", arg=refreshes,
            timeout=WAIT_MS)
        assert _series(page, "lights")["red"][-1] == red_today + 1
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT), full_page=True)

        # A click on today's red bar lists the red claims; one opens in the claim view.
        point = _bar_centre(page, "lights", "red", days - 1)
        page.mouse.click(point["x"], point["y"])
        behind = page.locator("[data-testid=behind]")
        expect(behind).to_be_visible()
        expect(behind).to_have_attribute("data-key", "red")
        links = page.locator("[data-testid=behind-claim]")
        expect(links.filter(has_text=first)).to_have_count(1)
        expect(links.filter(has_text=second)).to_have_count(1)
        expect(page.locator("[data-testid=behind-count]")).to_contain_text(
            f"{red_today + 1} 件理赔")
        links.filter(has_text=second).click()
        # The link only fills in the look-up form: nothing is looked up (nor audited) until
        # the agent has read the suggested reason and pressed Look up.
        expect(page.locator("[data-testid=lookup-form]")).to_have_attribute(
            "data-prefilled", "true")
        expect(page.locator("[data-testid=lookup-query]")).to_have_value(second)
        expect(page.locator("[data-testid=lookup-reason]")).to_have_value(
            re.compile("^主管看板"))
        page.wait_for_timeout(500)
        with unit_of_work(claims_db_url) as uow:
            assert not [e for e in uow.audit.list("workspace.lookup")
                        if e.actor == "agent:dash-super" and e.subject_id == second]
        expect(page.locator("[data-testid=workspace]")).not_to_have_attribute("data-claim",
                                                                              second)
        page.click("[data-testid=lookup-button]")
        expect(page.locator("[data-testid=workspace]")).to_have_attribute("data-claim", second)
        with unit_of_work(claims_db_url) as uow:
            looked = [e for e in uow.audit.list("workspace.lookup")
                      if e.actor == "agent:dash-super"]
            assert looked and looked[-1].subject_id == second
            assert looked[-1].detail["reason"].startswith("主管看板")

        # Bad input: a period ending before it starts; an unknown line; an empty period.
        base = claims_servers.rasa_url + "/webhooks/agent/"
        page.goto(base + "dashboard?from=2026-03-10&to=2026-03-01")
        expect(page.locator("[data-testid=error]")).to_contain_text("结束日期早于开始日期")
        # The old charts are not left under the message.
        expect(page.locator("#board")).to_be_hidden()
        answer = context.request.get(base + "api/dashboard?line=pets")
        assert answer.status == 400 and answer.json()["error"] == "unknown_line"
        page.goto(base + "dashboard?from=2020-01-01&to=2020-01-07")
        expect(page.locator("body")).to_have_attribute("data-ready", "true", timeout=WAIT_MS)
        for chart in ("stages", "lights", "settlement", "complaints", "satisfaction",
                      "handoffs", "notices"):
            expect(page.locator(f"[data-testid=chart-{chart}]")).to_have_attribute(
                "data-empty", "true")
        assert page.evaluate("""() => echarts.getInstanceByDom(
            document.getElementById('chart-satisfaction')).getOption().graphic[0]
            .elements[0].style.text""") == "无数据 / no data"

        # An agent without the supervisor role gets a clear refusal, not figures.
        page.goto(base)
        page.click("[data-testid=logout]")
        expect(page.locator("#login-view")).to_be_visible()
        _log_in(page, claims_servers, "dash-agent")
        expect(page.locator("[data-testid=dashboard-link]")).to_be_hidden()
        page.goto(base + "dashboard")
        expect(page.locator("[data-testid=refused]")).to_be_visible()
        expect(page.locator("[data-testid=refused]")).to_contain_text("仅限主管")
        expect(page.locator("#board")).to_be_hidden()
        answer = context.request.get(base + "api/dashboard")
        assert answer.status == 403 and answer.json()["error"] == "role_not_allowed"
        assert seen.page_errors == []
        claims_servers.check()
    finally:
        context.close()
