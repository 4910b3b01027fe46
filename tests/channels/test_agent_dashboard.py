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
