"""Alerts (bot/alerts.py): the spike rule at its thresholds, KPIs below target, one task per open
alert, and the e-mail handed to a local SMTP server."""
from __future__ import annotations

import asyncio
import dataclasses
import json
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import List

import pytest

from bot.alerts import (
    Counted,
    Spike,
    SpikeRule,
    find_spikes,
    kpi_breaches,
    region_of,
    run_alerts,
    topics_in,
)
from bot.cli import main
from bot.kpis import AT_LEAST, AT_MOST, KpiResult, Period
from bot.settings import Settings, get_settings
from bot.store.db import unit_of_work
from bot.store.models import Agent, Claim, Complaint, Customer, Policy
from bot.tasks import finish_task, list_tasks
from rasa_server.jobs import BackOfficeRounds
from tests.standins.smtp import SmtpStandIn, free_port

NOW = datetime(2026, 11, 22, 2, 0)  # naive UTC: 10:00 in Shanghai


# --- what is counted ------------------------------------------------------------------------------

@pytest.mark.parametrize("place, region", [
    ("广东省广州市天河区天河路12号", "广州市"),
    ("上海市浦东新区张杨路 88 弄", "上海市"),
    ("北京市第六人民医院", "北京市"),
    ("廣東省廣州市海珠區", "广州市"),  # traditional characters
    ("新疆维吾尔自治区乌鲁木齐市天山区", "乌鲁木齐市"),
    ("广东省人民医院", "广东省"),  # a province with no city after it
    ("杭州市西湖区省府路", "杭州市"),  # a 省 later in the street is no province
    ("Pudong, Shanghai", None),
    ("", None),
    (None, None),
])
def test_region_of_a_place(place, region) -> None:
    assert region_of(place) == region


def test_keyword_topics() -> None:
    assert topics_in("理赔太慢了，等了好几天还没到账") == ["slow"]
    assert set(topics_in("又让我补材料，客服态度很差")) == {"documents", "attitude"}
    assert topics_in("The claim is SLOW and nobody answers") == ["slow", "unreachable"]
    assert topics_in("暴雨積水，車泡水了") == ["storm"]  # traditional text
    assert topics_in("谢谢") == []


# --- the spike rule -------------------------------------------------------------------------------

def _events(region: str, count: int, start: datetime, span: timedelta) -> List[Counted]:
    step = span / max(count, 1)
    return [Counted(start + step * i, {"region": (region,), "line": (), "keyword": ()})
            for i in range(count)]


RULE = SpikeRule(window_days=3, baseline_days=28, ratio=2.0, min_count=5)
WINDOW_START = NOW - timedelta(days=3)
BASELINE_START = WINDOW_START - timedelta(days=28)


@pytest.mark.parametrize("recent, spike", [(4, False), (5, True)])
def test_the_minimum_count_decides_when_the_baseline_is_quiet(recent: int, spike: bool) -> None:
    # 7 in the 28 days before: 0.75 expected in 3 days, so only the minimum count of 5 decides.
    events = (_events("广州市", 7, BASELINE_START, timedelta(days=27))
              + _events("广州市", recent, WINDOW_START, timedelta(days=2)))
    found = find_spikes(events, "complaints", NOW, RULE)
    assert bool(found) is spike
    if spike:
        [one] = found
        assert (one.dimension, one.value, one.recent, one.baseline) == ("region", "广州市", 5, 7)
        assert one.expected == pytest.approx(0.75)
        assert one.key == "alert:spike:complaints:region:广州市"


@pytest.mark.parametrize("recent, spike", [(5, False), (6, True)])
def test_the_ratio_decides_against_a_busy_baseline(recent: int, spike: bool) -> None:
    # 28 in the 28 days before: 3 expected in 3 days; twice that (6) is a spike, 5 is not.
    events = (_events("上海市", 28, BASELINE_START, timedelta(days=27, hours=23))
              + _events("上海市", recent, WINDOW_START, timedelta(days=2)))
    assert bool(find_spikes(events, "reports", NOW, RULE)) is spike


def test_one_complaint_is_never_a_spike_and_old_ones_do_not_count() -> None:
    events = _events("北京市", 1, WINDOW_START, timedelta(hours=1))
    events += _events("北京市", 50, BASELINE_START - timedelta(days=10), timedelta(days=5))
    assert find_spikes(events, "complaints", NOW, RULE) == []
    # Exactly at `now` is the next window's, not this one's.
    at_now = [Counted(NOW, {"region": ("北京市",)})] * 9
    assert find_spikes(at_now, "complaints", NOW, RULE) == []


# --- KPIs below target ----------------------------------------------------------------------------

def _kpi(key: str, value: float | None, target: float | None, denominator: float | None,
         direction: str = AT_LEAST, line: str | None = None) -> KpiResult:
    numerator = None if value is None or denominator is None else value * denominator
    return KpiResult(key=key, title_zh=f"{key} 指标", title_en=f"{key} figure", value=value,
                     unit="share", target=target, direction=direction, numerator=numerator,
                     denominator=denominator, source="DOMAIN.md targets", line=line)


def test_only_figures_below_target_with_enough_cases_are_breaches() -> None:
    results = [
        _kpi("notice_rate", 0.80, 0.90, 40),                       # below, enough cases
        _kpi("notice_rate", 0.50, 0.90, 19, line="life"),          # below, too few to mean it
        _kpi("notice_rate", 0.95, 0.90, 40, line="motor"),         # met
        _kpi("repeat_rate", 0.08, 0.05, 20, direction=AT_MOST),    # above an at-most target
        _kpi("repeat_rate", 0.05, 0.05, 20, direction=AT_MOST, line="home"),  # exactly on target
        _kpi("satisfaction", None, 0.85, 0),                       # no data
        _kpi("escalations", 0.3, None, 100),                       # no target
    ]
    results.append(_kpi("notice_rate", 0.70, 0.90, 30, line="home"))  # below for one line too
    breaches = kpi_breaches(results, days=30, min_cases=20)
    assert [b.key for b in breaches] == ["alert:kpi:notice_rate", "alert:kpi:repeat_rate"]
    notices = breaches[0]
    assert [r.line for r in notices.results] == [None, "home"]
    zh, en = notices.text()
    assert "全部险种 80.0%（40 件中 32 件）；家财险 70.0%（30 件中 21 件）" in zh
    assert "不低于 90.0%" in zh
    assert "over the last 30 days: all lines 80.0% (32 of 40); home 70.0% (21 of 30)" in en
    assert "at least 90.0%" in en
    assert notices.title().startswith("指标未达标：notice_rate 指标（全部险种、家财险）")


def test_a_kpi_alert_reads_for_a_manager_without_developer_strings() -> None:
    from bot.kpis.definitions import definition

    spec = definition("small_claims_pay_hours_p90")
    p90 = KpiResult(key=spec.key, title_zh=spec.title_zh, title_en=spec.title_en, value=31.5,
                    unit="hours", target=24, direction=AT_MOST, numerator=None,
                    denominator=45, source=spec.source)
    period = Period(datetime(2026, 5, 11, 2), datetime(2026, 6, 10, 2))
    [breach] = kpi_breaches([p90], days=30, min_cases=20, period=period)
    zh, en = breach.text()
    # Figures, target, how many cases and the period, in plain words; what to check.
    assert zh == ("近30天（2026-05-11 10:00 至 2026-06-10 10:00），「小额案件赔付时长P90（小时）」"
                  "为 全部险种 31.5 小时（共 45 件），目标不高于 24 小时。"
                  "请检查：哪些案件材料齐全后仍未赔付、卡在哪个环节，人手是否足够。")
    assert en == ("Small claims, hours to pay, P90 over the last 30 days (2026-05-11 10:00 to "
                  "2026-06-10 10:00): all lines 31.5 h (45 cases). The target is at most 24 h. "
                  "Please check which claims with complete documents are still unpaid, at which "
                  "step, and whether the team has enough hands.")
    for text in (zh, en, breach.title()):
        assert not any(word in text for word in ("seed", "DOMAIN.md", "依据", "n/a", "source"))


def test_a_region_spike_is_named_in_english_too() -> None:
    spike = Spike("reports", "region", "广州市", 15, 0, 0.0, 3, 28)
    assert spike.title().endswith("Sudden rise in claim reports: Guangzhou (广州市)")
    assert "about Guangzhou (广州市)" in spike.text()[1]


# --- a hand-built store ---------------------------------------------------------------------------

def _settings(**changes) -> Settings:
    return dataclasses.replace(get_settings(), alert_address="", **changes)


def _store(url: str, *, guangzhou_recent: int, complaints_recent: int) -> None:
    """Motor claims in 上海 spread over the baseline, and `guangzhou_recent` flood reports in 广州
    over the last two days, each with one complaint for the first `complaints_recent`."""
    with unit_of_work(url) as uow:
        customer = uow.customers.add(Customer(
            name="测试客户", date_of_birth=date(1980, 1, 1), phone="13800009999",
            phone_last4="9999", id_number_masked="D*****01", id_number_hash="alert-test-1"))
        policy = uow.policies.add(Policy(
            customer=customer, number="AUTO-T-0001", line_of_business="motor",
            product_code="MOTOR-COMP", product_name_zh="车险", product_name_en="Motor",
            sum_insured=Decimal("300000"), start_date=date(2026, 1, 1),
            end_date=date(2026, 12, 31)))
        serial = 0

        def claim(at: datetime, place: str, description: str) -> Claim:
            nonlocal serial
            serial += 1
            return uow.claims.add(Claim(
                number=f"CLM-2026-9{serial:05d}", policy=policy, incident_type="collision",
                incident_place=place, description=description, reported_at=at, flags=[]))

        for day in range(4, 30, 2):  # 13 reports in the baseline, none a spike
            claim(NOW - timedelta(days=day), "上海市浦东新区张杨路", "追尾")
        for i in range(guangzhou_recent):
            row = claim(NOW - timedelta(hours=2 + i), "广东省广州市天河区天河路",
                        "暴雨积水，车泡水")
            if i < complaints_recent:
                uow.flush()
                uow.complaints.add(Complaint(
                    reference=f"CMP-2026-9{i:05d}", customer_id=customer.id, claim_id=row.id,
                    subject="理赔太慢了，还没到账", received_at=NOW - timedelta(hours=1 + i)))
        uow.commit()


def _no_kpis(period: Period, line: str | None = None, channel: str | None = None,
             url: str | None = None) -> List[KpiResult]:
    return []


def test_a_spike_opens_one_supervisor_task_and_no_second_while_open(db_url: str) -> None:
    _store(db_url, guangzhou_recent=15, complaints_recent=5)
    first = run_alerts(NOW, url=db_url, settings=_settings(), kpi_compute=_no_kpis)
    # 13 motor reports in the baseline (1.4 expected in 3 days) and 15 in the window: the motor
    # line rises too, beside the region and the keyword.
    assert set(first.opened) == {
        "alert:spike:reports:region:广州市", "alert:spike:reports:keyword:storm",
        "alert:spike:reports:line:motor",
        "alert:spike:complaints:region:广州市", "alert:spike:complaints:keyword:slow",
        "alert:spike:complaints:line:motor"}
    tasks = list_tasks(kind="alert", url=db_url)
    assert len(tasks) == len(first.opened)
    assert {t.owner_role for t in tasks} == {"supervisor"}
    region = next(t for t in tasks if t.detail["value"] == "广州市"
                  and t.detail["subject"] == "complaints")
    assert "投诉激增：广州市，请安排专项检查" in region.title
    assert region.detail["recent"] == 5 and region.detail["baseline"] == 0
    assert region.detail["email"] == {"status": "pending"}  # no address configured

    later = run_alerts(NOW + timedelta(minutes=10), url=db_url, settings=_settings(),
                       kpi_compute=_no_kpis)
    assert later.opened == [] and set(later.still_open) == set(first.opened)
    assert len(list_tasks(kind="alert", url=db_url)) == len(tasks)


def test_below_the_minimum_nothing_is_raised(db_url: str) -> None:
    _store(db_url, guangzhou_recent=4, complaints_recent=4)
    report = run_alerts(NOW, url=db_url, settings=_settings(), kpi_compute=_no_kpis)
    assert report.spikes == [] and report.opened == []
    assert list_tasks(kind="alert", url=db_url) == []


def test_a_closed_alert_comes_back_on_a_later_day_only(db_url: str) -> None:
    _store(db_url, guangzhou_recent=15, complaints_recent=0)
    with unit_of_work(db_url) as uow:
        uow.agents.add(Agent(username="boss", display_name="Boss", password_hash="!",
                             role="supervisor"))
        uow.commit()
    rule = _settings(alert_min_reports=15)
    run_alerts(NOW, url=db_url, settings=rule, kpi_compute=_no_kpis)
    [task] = [t for t in list_tasks(kind="alert", url=db_url)
              if t.detail["dimension"] == "region"]
    finish_task(task.id, "boss", "专项检查已安排 / special check arranged", now=NOW,
                url=db_url)
    same_day = run_alerts(NOW + timedelta(hours=1), url=db_url, settings=rule,
                          kpi_compute=_no_kpis)
    assert "alert:spike:reports:region:广州市" not in same_day.opened + same_day.still_open
    next_day = run_alerts(NOW + timedelta(days=1), url=db_url, settings=rule,
                          kpi_compute=_no_kpis)
    assert "alert:spike:reports:region:广州市" in next_day.opened


def test_a_kpi_below_target_raises_an_alert_per_line(db_url: str) -> None:
    seen: List[tuple] = []

    def compute(period: Period, line: str | None = None, channel: str | None = None,
                url: str | None = None) -> List[KpiResult]:
        seen.append((period.end - period.start, line))
        if line in (None, "motor"):
            return [_kpi("small_claims_paid_24h", 0.70, 0.90, 50, line=line)]
        return [_kpi("small_claims_paid_24h", 0.10, 0.90, 3, line=line)]

    report = run_alerts(NOW, url=db_url, settings=_settings(), kpi_compute=compute)
    assert report.kpis_checked
    assert seen[0] == (timedelta(days=30), None) and {line for _, line in seen} >= {"motor"}
    assert report.opened == ["alert:kpi:small_claims_paid_24h"]  # one alert for the KPI
    [task] = list_tasks(kind="alert", url=db_url)
    assert "指标未达标" in task.title and "全部险种、车险" in task.title
    assert [(f["line"], f["value"], f["met"]) for f in task.detail["figures"]] == [
        (None, 0.70, False), ("motor", 0.70, False)]


def test_the_command_prints_each_alert_with_its_figures(db_url: str, capsys) -> None:
    from bot.clock import to_local

    _store(db_url, guangzhou_recent=15, complaints_recent=5)
    assert main(["--db-url", db_url, "alerts", "run", "--now",
                 to_local(NOW).isoformat()]) == 0
    out = capsys.readouterr().out
    assert "投诉激增：广州市，请安排专项检查 / Sudden rise in complaints: Guangzhou (广州市)" in out
    assert "近3天广州市相关投诉 5 件，此前28天共 0 件" in out
    assert "5 complaints about Guangzhou (广州市) in the last 3 days" in out


def test_the_kpis_are_computed_as_of_the_rounds_time_not_the_clock(db_url: str) -> None:
    # A round at a time later than the machine's clock (a demo's --now): the KPI period is
    # the 30 days before it, not cut at the clock (which would leave nothing to compute).
    report = run_alerts(datetime(2098, 1, 1), url=db_url, settings=_settings())
    assert report.kpis_checked and report.below_target == []


# --- the e-mail -----------------------------------------------------------------------------------

def test_the_alert_is_emailed_to_the_configured_address(db_url: str) -> None:
    _store(db_url, guangzhou_recent=6, complaints_recent=6)
    with SmtpStandIn() as smtp:
        settings = _settings(smtp_host="127.0.0.1", smtp_port=smtp.port,
                             alert_min_reports=100)
        settings = dataclasses.replace(settings, alert_address="ops@example.com, boss@example.com")
        report = run_alerts(NOW, url=db_url, settings=settings, kpi_compute=_no_kpis)
        assert report.email_failed == []
        assert sorted(report.emailed) == sorted(report.opened) and report.opened
        assert len(smtp.messages) == len(report.opened)
        assert smtp.recipients[0] == ["ops@example.com", "boss@example.com"]
        region = next(m for m in smtp.messages if "广州市" in m["Subject"])
        assert region["From"] == "claims-alerts@localhost"
        body = region.get_content()
        assert "近3天广州市相关投诉 6 件" in body and "Supervisor task #" in body
        # The next round sends nothing again for alerts already e-mailed.
        again = run_alerts(NOW + timedelta(minutes=10), url=db_url, settings=settings,
                           kpi_compute=_no_kpis)
        assert again.emailed == [] and len(smtp.messages) == len(report.opened)
    tasks = list_tasks(kind="alert", url=db_url)
    assert {t.detail["email"]["status"] for t in tasks} == {"sent"}


def test_an_email_that_cannot_be_sent_is_tried_again_next_round(db_url: str) -> None:
    _store(db_url, guangzhou_recent=6, complaints_recent=6)
    port = free_port()  # nothing listens there yet
    settings = _settings(smtp_host="127.0.0.1", smtp_port=port, alert_min_reports=100)
    settings = dataclasses.replace(settings, alert_address="ops@example.com")
    down = run_alerts(NOW, url=db_url, settings=settings, kpi_compute=_no_kpis)
    assert down.emailed == [] and sorted(down.email_failed) == sorted(down.opened)
    failed = list_tasks(kind="alert", url=db_url)[0].detail["email"]
    assert failed["status"] == "failed" and failed["attempts"] == 1
    with SmtpStandIn(port) as smtp:
        up = run_alerts(NOW + timedelta(minutes=10), url=db_url, settings=settings,
                        kpi_compute=_no_kpis)
    assert up.opened == [] and sorted(up.emailed) == sorted(down.opened)
    assert len(smtp.messages) == len(down.opened)
    sent = list_tasks(kind="alert", url=db_url)[0].detail["email"]
    assert sent["status"] == "sent" and sent["attempts"] == 2


# --- the back-office round ------------------------------------------------------------------------

def test_the_back_office_round_runs_the_alerts(db_url: str, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    """`back-office run` and the server's job (rasa_server/jobs.py) run the alerts after the
    round; an alert already open is not raised again by the next round."""
    _store(db_url, guangzhou_recent=15, complaints_recent=5)
    monkeypatch.delenv("CLAIMS_ALERT_ADDRESS", raising=False)
    monkeypatch.setenv("CLAIMS_DB_URL", db_url)
    get_settings.cache_clear()
    try:
        assert main(["--db-url", db_url, "back-office", "run", "--now",
                     "2026-11-22T10:00", "--json"]) == 0
        first = json.loads(capsys.readouterr().out)
        assert "alert:spike:complaints:region:广州市" in first["alerts"]["opened"]
        loop = asyncio.new_event_loop()
        try:
            job = BackOfficeRounds(3600)
            loop.run_until_complete(job.run_once(now=NOW + timedelta(minutes=10)))
            alerts = loop.run_until_complete(job.alerts(now=NOW + timedelta(minutes=10)))
        finally:
            loop.close()
    finally:
        get_settings.cache_clear()
    assert alerts.opened == [] and "alert:spike:complaints:region:广州市" in alerts.still_open
    assert {t.created_by for t in list_tasks(kind="alert", url=db_url)} == {"cli:back-office"}


def test_an_email_another_server_is_sending_is_left_to_it_until_its_lease_ends(
        db_url: str) -> None:
    _store(db_url, guangzhou_recent=6, complaints_recent=6)
    quiet = _settings(alert_min_reports=100, alert_min_complaints=100)
    run_alerts(NOW, url=db_url, settings=_settings(alert_min_reports=100), kpi_compute=_no_kpis)
    tasks = list_tasks(kind="alert", url=db_url)
    with unit_of_work(db_url) as uow:  # another server took every e-mail a minute ago
        for view in tasks:
            task = uow.tasks.get(view.id)
            task.detail = {**task.detail, "email": {
                "status": "sending", "attempts": 1,
                "until": (NOW + timedelta(minutes=4)).isoformat()}}
        uow.commit()
    with SmtpStandIn() as smtp:
        settings = dataclasses.replace(quiet, smtp_host="127.0.0.1", smtp_port=smtp.port,
                                       alert_address="ops@example.com")
        during = run_alerts(NOW + timedelta(minutes=2), url=db_url, settings=settings,
                            kpi_compute=_no_kpis)
        assert during.emailed == [] and smtp.messages == []
        after = run_alerts(NOW + timedelta(minutes=6), url=db_url, settings=settings,
                           kpi_compute=_no_kpis)
        assert len(after.emailed) == len(tasks) == len(smtp.messages)
    assert {t.detail["email"]["attempts"] for t in list_tasks(kind="alert", url=db_url)} == {2}
