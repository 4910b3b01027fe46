"""Who may see what (bot/access.py): only the verified customer's own policies and claims, only
while the identity check is fresh, and every refusal audited."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from bot.access import (
    REFUSED,
    Viewer,
    claim_for,
    idle_expired,
    may_see_claim,
    may_see_policy,
    policy_for,
    upload_target_for,
    viewer_of,
)
from bot.store.db import unit_of_work

T0 = datetime(2026, 11, 22, 2, 0, tzinfo=timezone.utc).timestamp()
IDLE = timedelta(minutes=15)


def user(at: float, text: str = "hi", intent: str = "greet") -> dict:
    return {"event": "user", "text": text, "timestamp": at,
            "parse_data": {"intent": {"name": intent}}}


def verified_at(at: float, value: bool = True) -> dict:
    return {"event": "slot", "name": "verified", "value": value, "timestamp": at}


def customer_ids(url: str) -> dict:
    with unit_of_work(url) as uow:
        return {number: uow.policies.by_number(number).customer_id
                for number in ("AUTO-2026-0001", "MED-2026-0002", "HOME-2026-0001")}


def refusals(url: str) -> list:
    with unit_of_work(url) as uow:
        return [(e.subject_type, e.subject_id, (e.detail or {}).get("reason"))
                for e in uow.audit.list(REFUSED)]


# --- the idle time --------------------------------------------------------------------------------

def test_a_check_with_messages_closer_than_the_idle_time_stays_valid():
    events = [user(T0 - 60), verified_at(T0), user(T0 + 600), user(T0 + 1200)]
    assert not idle_expired(events, now=T0 + 1200 + 899, idle=IDLE)


def test_a_pause_longer_than_the_idle_time_ends_the_check_even_after_new_messages():
    events = [verified_at(T0), user(T0 + 16 * 60), user(T0 + 17 * 60)]
    assert idle_expired(events, idle=IDLE)  # now = the latest message
    assert idle_expired([verified_at(T0)], now=T0 + 15 * 60 + 1, idle=IDLE)
    assert not idle_expired([verified_at(T0)], now=T0 + 15 * 60, idle=IDLE)


def test_a_new_check_starts_the_count_again_and_injected_messages_do_not_count():
    external = {"event": "user", "text": "EXTERNAL: handed back", "timestamp": T0 + 1000,
                "parse_data": {"intent": {"name": "EXTERNAL_handed_back"}}}
    events = [verified_at(T0 - 3600), user(T0 - 3000), verified_at(T0), external]
    assert not idle_expired(events, now=T0 + 900, idle=IDLE)
    assert idle_expired(events, now=T0 + 901, idle=IDLE)  # the injected event is not activity


def test_the_idle_time_comes_from_the_settings(monkeypatch):
    from bot.settings import get_settings

    monkeypatch.setenv("CLAIMS_VERIFIED_IDLE_MINUTES", "1")
    get_settings.cache_clear()
    try:
        assert idle_expired([verified_at(T0)], now=T0 + 61)
        assert not idle_expired([verified_at(T0)], now=T0 + 59)
    finally:
        monkeypatch.delenv("CLAIMS_VERIFIED_IDLE_MINUTES")
        get_settings.cache_clear()
    assert not idle_expired([verified_at(T0)], now=T0 + 14 * 60)


def test_rasa_event_objects_are_read_like_event_dicts():
    slot = SimpleNamespace(type_name="slot", key="verified", value=True, timestamp=T0)
    message = SimpleNamespace(type_name="user", text="hi", intent_name="greet",
                              timestamp=T0 + 100)
    assert not idle_expired([slot, message], now=T0 + 900, idle=IDLE)
    assert idle_expired([slot, message], now=T0 + 1001, idle=IDLE)


def test_the_viewer_is_the_verified_customer_id_not_the_policy_number_typed():
    slots = {"verified": True, "customer_id": 3, "policy_number": "MED-2026-0002"}
    viewer = viewer_of("web-1", slots, [verified_at(T0)], now=T0 + 60, idle=IDLE)
    assert viewer.verified and viewer.customer_id == 3
    assert viewer.policy_number == "MED-2026-0002"  # named, not trusted
    expired = viewer_of("web-1", slots, [verified_at(T0)], now=T0 + 3600, idle=IDLE)
    assert expired.expired and not expired.verified
    # verified without a customer id (say, a forged slot) is no one
    assert not viewer_of("web-1", {"verified": True, "policy_number": "MED-2026-0002"},
                         []).verified
    assert not viewer_of("web-1", {"verified": "true", "customer_id": 3}, []).verified


# --- policies and claims --------------------------------------------------------------------------

def test_another_customers_policy_is_refused_like_one_that_does_not_exist(seeded_url):
    ids = customer_ids(seeded_url)
    john = Viewer("web-john", ids["HOME-2026-0001"])
    other = policy_for(john, "MED-2026-0002", url=seeded_url)
    missing = policy_for(john, "MED-2026-9999", url=seeded_url)
    assert other.refused == "MED-2026-0002" and missing.refused == "MED-2026-9999"
    # either way only John's own policy stays in view
    assert other.policy_number == missing.policy_number == "HOME-2026-0001"
    assert not may_see_policy(john, "AUTO-2026-0001", url=seeded_url)
    assert refusals(seeded_url) == [
        ("policy", "MED-2026-0002", "not_the_customers"),
        ("policy", "MED-2026-9999", "unknown"),
        ("policy", "AUTO-2026-0001", "not_the_customers"),
    ]


def test_a_customer_may_switch_to_another_policy_of_their_own(seeded_url):
    zhang = Viewer("web-zhang", customer_ids(seeded_url)["AUTO-2026-0001"])
    assert policy_for(zhang, "med-2026-0001", url=seeded_url).policy_number == "MED-2026-0001"
    assert policy_for(zhang, url=seeded_url).policy_number in ("AUTO-2026-0001", "MED-2026-0001")
    assert may_see_policy(zhang, "AUTO-2026-0001", url=seeded_url)
    assert refusals(seeded_url) == []


def test_claims_are_seen_only_by_their_own_customer(seeded_url):
    ids = customer_ids(seeded_url)
    with unit_of_work(seeded_url) as uow:
        li_claim = uow.claims.of_customer(ids["MED-2026-0002"])[0].number
    li = Viewer("web-li", ids["MED-2026-0002"])
    john = Viewer("web-john", ids["HOME-2026-0001"])
    assert claim_for(li, li_claim, url=seeded_url) == li_claim
    assert not may_see_claim(john, li_claim, url=seeded_url)
    assert claim_for(john, "CLM-2099-000001", url=seeded_url) is None
    assert claim_for(Viewer("web-nobody"), li_claim, url=seeded_url) is None
    assert [r[2] for r in refusals(seeded_url)] == ["not_the_customers", "unknown"]


def test_uploads_go_only_to_the_verified_customers_own_open_claim(seeded_url):
    ids = customer_ids(seeded_url)
    john = Viewer("web-john", ids["HOME-2026-0001"], policy_number="AUTO-2026-0001")
    # John typed 张伟's policy: his own claims are paid or denied, so nothing is open
    assert upload_target_for("web-john", john, url=seeded_url) is None
    zhang = Viewer("web-zhang", ids["AUTO-2026-0001"])
    target = upload_target_for("web-zhang", zhang, url=seeded_url)
    assert target is not None
    with unit_of_work(seeded_url) as uow:
        assert uow.claims.by_number(target.claim_number).policy.customer_id == zhang.customer_id
    # a conversation whose check has run out, or that was never verified, gets none
    assert upload_target_for("web-zhang", Viewer("web-zhang", None, expired=True),
                             url=seeded_url) is None
    assert upload_target_for("web-zhang", Viewer("web-zhang"), url=seeded_url) is None


@pytest.mark.parametrize("slots", [{}, {"verified": False, "customer_id": 1}])
def test_an_unverified_viewer_sees_no_policy(seeded_url, slots):
    viewer = viewer_of("web-x", slots, [])
    assert policy_for(viewer, "AUTO-2026-0001", url=seeded_url).policy_number is None
