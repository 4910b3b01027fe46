"""The supervisors' dashboard routes of the agent console, in-process (see test_agent_console.py
for the stand-ins): the page and ECharts are served, only a supervisor gets figures, bad input
is a clear 400, and the claims behind a point come back."""
from __future__ import annotations

from tests.channels import test_agent_console as base
from tests.channels.test_agent_console import PREFIX, get, login
from tests.support.asgi import AsgiClient

# The console's in-process fixtures: a store with agents a1, a2, o1 (complaint officer) and s1
# (supervisor), the stand-in Rasa agent, the app's client.
store, rasa_agent, client = base.store, base.rasa_agent, base.client


def test_the_page_and_echarts_from_node_modules_are_served(client: AsgiClient) -> None:
    page = client.get(PREFIX + "/dashboard")
    assert page.status == 200 and "vendor/echarts.min.js" in page.text
    policy = page.headers["content-security-policy"]
    assert "script-src 'self';" in policy and "frame-ancestors 'none'" in policy
    assert client.get(PREFIX + "/static/agent_dashboard.js").status == 200
    library = client.get(PREFIX + "/vendor/echarts.min.js")
    assert library.status == 200, "run `make setup` (npm ci) first"
    assert library.headers["content-type"].startswith("application/javascript")
    assert b"echarts" in library.body[:2000]


def test_only_a_supervisor_gets_figures(client: AsgiClient) -> None:
    assert get(client, "/api/dashboard").status == 401
    for username in ("a1", "o1"):
        refused = get(client, "/api/dashboard", login(client, username))
        assert refused.status == 403 and refused.json()["error"] == "role_not_allowed"
        assert "supervisor" in refused.json()["message"]
        assert get(client, "/api/dashboard/claims?chart=lights&key=red&day=2026-01-01",
                   login(client, username)).status == 403
    board = get(client, "/api/dashboard?from=2026-11-01&to=2026-11-07", login(client, "s1"))
    assert board.status == 200, board.text
    data = board.json()
    assert data["days"][0] == "2026-11-01" and len(data["days"]) == 7
    assert data["empty"] is True  # nothing in the store: no data, not 0%
    assert data["charts"]["satisfaction"]["mean"] == [None] * 7
    assert data["agent"]["role"] == "supervisor"


def test_bad_input_is_a_clear_400(client: AsgiClient) -> None:
    auth = login(client, "s1")
    for query, code in (("from=2026-11-07&to=2026-11-01", "period_reversed"),
                        ("from=2026-13-01", "bad_date"),
                        ("from=2020-01-01&to=2026-11-01", "period_too_long"),
                        ("line=pets", "unknown_line"),
                        ("channel=%3Cscript%3E", "unknown_channel")):
        res = get(client, "/api/dashboard?" + query, auth)
        assert res.status == 400 and res.json()["error"] == code, query
    for query, code in (("chart=pie&key=x&day=2026-11-01", "unknown_chart"),
                        ("chart=lights&key=red&day=yesterday", "bad_date"),
                        ("chart=lights&key=red&day=2026-01-01&from=2026-11-01&to=2026-11-07",
                         "day_outside_period")):
        res = get(client, "/api/dashboard/claims?" + query, auth)
        assert res.status == 400 and res.json()["error"] == code, query


def test_the_claims_behind_a_point(client: AsgiClient, store: str) -> None:
    from bot.seed import seed
    from tests.support.store import SEED_TODAY

    seed(store, today=SEED_TODAY)
    auth = login(client, "s1")
    day = SEED_TODAY.isoformat()
    board = get(client, f"/api/dashboard?to={day}", auth).json()
    stages = board["charts"]["stages"]["series"]
    res = get(client, f"/api/dashboard/claims?to={day}&chart=stages&key=documents_review"
                      f"&day={day}", auth)
    assert res.status == 200
    behind = res.json()
    assert behind["total"] == stages["documents_review"][-1] >= 1
    assert all(number.startswith("CLM-") for number in behind["claims"])


HOSTILE = ["", "0000-00-00", "0001-01-01", "9999-12-31", "2026-02-30", "2026-1-1", "-1",
           "2026-11-01T00:00", "x" * 5000, "%00", "\u202e2026-11-01", "１２", "' OR 1=1 --",
           "<script>alert(1)</script>", "null", "[]", "2026-11-01&from=2026-11-02"]


def test_hostile_query_values_get_a_200_or_a_clear_400_never_a_server_error(
        client: AsgiClient) -> None:
    from urllib.parse import quote

    auth = login(client, "s1")
    for value in HOSTILE:
        v = quote(value, safe="")
        for query in (f"from={v}", f"to={v}", f"line={v}", f"channel={v}",
                      f"from={v}&to={v}"):
            res = get(client, "/api/dashboard?" + query, auth)
            assert res.status in (200, 400), (query, res.status, res.text[:200])
            if res.status == 400:
                assert res.json()["message"]
        for query in (f"chart={v}&key=red&day=2026-11-01", f"chart=lights&key={v}&day="
                      "2026-11-01", f"chart=lights&key=red&day={v}"):
            res = get(client, "/api/dashboard/claims?from=2026-11-01&to=2026-11-07&" + query,
                      auth)
            assert res.status in (200, 400), (query, res.status, res.text[:200])


def test_the_channel_filter_offers_the_stores_channels_and_refuses_others(
        client: AsgiClient) -> None:
    import re

    from bot.kpis.series import CHANNELS

    page = client.get(PREFIX + "/dashboard").text
    select = page.split('id="channel"', 1)[1].split("</select>", 1)[0]
    offered = [v for v in re.findall(r'<option value="([^"]*)"', select) if v]
    # What the channels write (each input channel's name(), the outbox's pull channel).
    assert offered == list(CHANNELS)
    assert {"webchat", "telegram", "twilio", "twilio_voice", "wechat"} <= set(offered)
    assert "sms" not in offered and "voice" not in offered
    auth = login(client, "s1")
    board = get(client, "/api/dashboard?from=2026-11-01&to=2026-11-07&channel=wechat", auth)
    assert board.status == 200 and board.json()["channels"]["wechat"] == {"zh": "微信",
                                                                           "en": "WeChat"}
    for value in ("sms", "voice", "whatsapp", "x"):
        res = get(client, f"/api/dashboard?channel={value}", auth)
        assert res.status == 400 and res.json()["error"] == "unknown_channel"
        assert "twilio_voice" in res.json()["message"]  # the valid list is given


def test_an_unknown_series_of_a_chart_is_a_400(client: AsgiClient) -> None:
    auth = login(client, "s1")
    period = "from=2026-11-01&to=2026-11-07&day=2026-11-02"
    for chart, key in (("lights", "purple"), ("lights", "__proto__"), ("lights", "red%00"),
                       ("stages", "red"), ("notices", "sms"), ("complaints", "open")):
        res = get(client, f"/api/dashboard/claims?{period}&chart={chart}&key={key}", auth)
        assert res.status == 400 and res.json()["error"] == "unknown_key", (chart, key)
    for chart, key in (("lights", "red"), ("notices", "wechat:undelivered"),
                       ("complaints", "undecided"), ("satisfaction", "below")):
        res = get(client, f"/api/dashboard/claims?{period}&chart={chart}&key={key}", auth)
        assert res.status == 200, (chart, key, res.text)


def test_a_complaint_decided_after_its_day_shows_decided_not_open(
        client: AsgiClient, store: str, monkeypatch) -> None:
    from datetime import datetime

    import channels.agent_console as console
    from bot.store.db import unit_of_work
    from bot.store.models import Complaint

    # Received on 11-28 (local), decided two days later; the page is looked at on 12-06.
    with unit_of_work(store) as uow:
        uow.session.add(Complaint(reference="CMP-2026-000087", subject="理赔太慢",
                                  received_at=datetime(2026, 11, 28, 2), channel="webchat",
                                  acknowledged_at=datetime(2026, 11, 28, 5),
                                  decided_at=datetime(2026, 11, 30, 3)))
        uow.commit()
    monkeypatch.setattr(console, "utc_now", lambda: datetime(2026, 12, 6, 4))
    auth = login(client, "s1")
    for period in ("from=2026-11-22&to=2026-11-28", "from=2026-11-22&to=2026-12-06"):
        board = get(client, f"/api/dashboard?{period}", auth).json()
        index = board["days"].index("2026-11-28")
        series = board["charts"]["complaints"]["series"]
        assert series["decided_15"][index] == 1 and series["undecided"][index] == 0, period
        behind = get(client, f"/api/dashboard/claims?{period}&chart=complaints&key=decided_15"
                             "&day=2026-11-28", auth).json()
        assert behind["complaints"] == ["CMP-2026-000087"]
        still_open = get(client, f"/api/dashboard/claims?{period}&chart=complaints"
                                 "&key=undecided&day=2026-11-28", auth).json()
        assert still_open["complaints"] == []


def test_period_messages_name_the_real_fault(client: AsgiClient, monkeypatch) -> None:
    from datetime import datetime

    import channels.agent_console as console

    monkeypatch.setattr(console, "utc_now", lambda: datetime(2026, 12, 6, 4))
    auth = login(client, "s1")
    future = get(client, "/api/dashboard?from=2026-12-07", auth)
    assert future.status == 400 and future.json()["error"] == "period_in_future"
    assert "future" in future.json()["message"]
    # Only an early end: the default start follows it (never before 2000-01-01).
    early = get(client, "/api/dashboard?to=2000-01-05", auth)
    assert early.status == 200, early.text
    assert early.json()["days"][0] == "2000-01-01"
    assert get(client, "/api/dashboard?to=2026-11-30", auth).json()["days"][0] == "2026-11-01"


def test_unknown_api_paths_answer_json(client: AsgiClient) -> None:
    for path in ("/api/nope", "/api/dashboard/nope", "/api/a/b/c"):
        res = client.get(PREFIX + path)
        assert res.status == 404 and res.json()["error"] == "not_found", path
        assert res.headers["content-type"].startswith("application/json")
    res = client.post(PREFIX + "/api/nope", json_body={})
    assert res.status == 404 and res.json()["error"] == "not_found"


def test_a_demoted_or_disabled_supervisors_token_is_refused_at_once(
        client: AsgiClient, store: str, monkeypatch, capsys) -> None:
    from bot.cli import main

    bearer = {"authorization": "Bearer " + login(client, "s1")[0]["cookie"].split("=", 1)[1]
              .split(";")[0]}
    cookie = login(client, "s1")
    assert client.get(PREFIX + "/api/dashboard", headers=bearer).status == 200
    assert main(["--db-url", store, "agents", "set-role", "s1", "agent"]) == 0
    assert "2 console session(s) ended" in capsys.readouterr().out
    assert client.get(PREFIX + "/api/dashboard", headers=bearer).status == 401
    assert get(client, "/api/dashboard", cookie).status == 401
    # Logged in again with the new role: no figures.
    assert get(client, "/api/dashboard", login(client, "s1")).status == 403

    assert main(["--db-url", store, "agents", "set-role", "s1", "supervisor"]) == 0
    auth = login(client, "s1")
    assert get(client, "/api/dashboard", auth).status == 200
    assert main(["--db-url", store, "agents", "disable", "s1"]) == 0
    assert get(client, "/api/dashboard", auth).status == 401
    refused = client.post(PREFIX + "/api/login", json_body={"username": "s1",
                                                             "password": base.PASSWORD},
                          headers=base.ORIGIN)
    assert refused.status == 401
    assert main(["--db-url", store, "agents", "enable", "s1"]) == 0
    auth = login(client, "s1")
    monkeypatch.setenv("CLAIMS_AGENT_PASSWORD", "a brand new password")
    assert main(["--db-url", store, "agents", "reset-password", "s1"]) == 0
    assert get(client, "/api/dashboard", auth).status == 401
    new = client.post(PREFIX + "/api/login", json_body={"username": "s1",
                                                         "password": "a brand new password"},
                      headers=base.ORIGIN)
    assert new.status == 200
    assert main(["--db-url", store, "agents", "disable", "nobody"]) == 2
    assert "no agent" in capsys.readouterr().err


def test_task_cards_about_a_clock_name_it_and_alerts_carry_their_figures(
        client: AsgiClient, store: str) -> None:
    from bot.store.db import unit_of_work
    from bot.tasks import open_task

    with unit_of_work(store) as uow:
        for clock in ("settlement", "decision"):
            open_task(uow, "supervision", dedupe_key=f"t:{clock}", actor="test",
                      detail={"clock": clock, "due": "2026-11-02T00:00:00"})
        open_task(uow, "alert", dedupe_key="alert:t", actor="test", title="投诉激增",
                  detail={"alert": "spike", "value": "motor", "recent": 9,
                          "text_zh": "近7天投诉9件", "text_en": "9 complaints in 7 days"})
        uow.commit()
    tasks = get(client, "/api/tasks?status=all", login(client, "s1")).json()["tasks"]
    clocks = {t["clock_en"] for t in tasks if t["kind"] == "supervision"}
    assert clocks == {"paying or refusing", "deciding the claim"}
    [alert] = [t for t in tasks if t["kind"] == "alert"]
    assert alert["detail"]["text_en"] == "9 complaints in 7 days"


def test_one_dashboard_computation_per_session_identical_ones_shared_and_cached(
        client: AsgiClient, monkeypatch) -> None:
    """The series run in the dashboard's own worker pool: while one is in flight, the same
    request waits for the same answer, another one from the same session is a 429, and the
    answer is reused for a few seconds."""
    import asyncio
    import threading

    from bot.kpis import series as kpi_series

    gate, calls = threading.Event(), []
    real = kpi_series.dashboard

    def held(*args, **kwargs):  # the real computation, held until the test lets it go
        calls.append(threading.current_thread().name)
        assert gate.wait(20)
        return real(*args, **kwargs)

    monkeypatch.setattr(kpi_series, "dashboard", held)
    auth = login(client, "s1")[0]
    headers = {"host": "testserver", "content-length": "0", **auth}
    same = PREFIX + "/api/dashboard?from=2026-11-01&to=2026-11-07"

    async def scenario():
        first = asyncio.ensure_future(client._request("GET", same, b"", headers))
        twin = asyncio.ensure_future(client._request("GET", same, b"", headers))
        for _ in range(200):
            if calls:
                break
            await asyncio.sleep(0.05)
        other = await client._request("GET", PREFIX + "/api/dashboard?from=2026-11-02"
                                      "&to=2026-11-07", b"", headers)
        gate.set()
        return other, await first, await twin

    other, first, twin = client.loop.run_until_complete(scenario())
    assert other.status == 429 and other.json()["error"] == "dashboard_busy"
    assert "wait" in other.json()["message"]
    assert first.status == twin.status == 200 and first.json() == twin.json()
    assert len(calls) == 1 and calls[0].startswith("dashboard")  # not on the event loop
    assert get(client, "/api/dashboard?from=2026-11-01&to=2026-11-07",
               (auth, "")).status == 200
    assert len(calls) == 1  # answered from the short cache
