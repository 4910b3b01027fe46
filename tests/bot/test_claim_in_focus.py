"""The claim in focus (bot.claims.focus) and what follows it: the claim the documents answer is
about (bot.claims.status.claim_for_documents) and the web chat's documents list and upload
(bot.access.upload_target_for), one rule for all three."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from rasa.shared.core.events import Restarted, SlotSet

from bot.access import Viewer, upload_target_for
from bot.claims.focus import claim_in_focus
from bot.claims.model import ClaimView
from bot.claims.reporting import ReportDraft, submit_report
from bot.claims.status import claim_for_documents, status_of_customer
from tests.bot.test_access import customer_ids

COLLISION = "CLM-2026-000004"  # 张伟's seeded claim: driving licence, repair invoice missing
PAID = "CLM-2026-000001"  # John Smith's paid claim
REPORTED_AT = dt.datetime(2026, 11, 22, 4, 0)


def _slot(name: str, value) -> dict:
    return {"event": "slot", "name": name, "value": value}


def test_the_latest_claim_number_set_is_the_focus_whatever_set_it():
    assert claim_in_focus([]) is None
    picked = [_slot("claim_number", COLLISION), {"event": "bot", "text": "…"},
              _slot("claim_number", None)]  # the status reply clears the slot again
    assert claim_in_focus(picked) == COLLISION
    assert claim_in_focus(picked + [_slot("last_claim_number", "CLM-2026-000009")]) \
        == "CLM-2026-000009"
    assert claim_in_focus([_slot("last_claim_number", "CLM-2026-000009")] + picked) == COLLISION
    assert claim_in_focus([_slot("claim_number", "not a number")]) is None


def test_rasas_own_events_read_the_same_and_a_restart_forgets():
    events = [SlotSet("claim_number", COLLISION), SlotSet("claim_number", None)]
    assert claim_in_focus(events) == COLLISION
    assert claim_in_focus(events + [Restarted()]) is None
    assert claim_in_focus([{"event": "restart"}, _slot("claim_number", PAID)]) == PAID


def _view(number: str, stage: str, missing: tuple = ()) -> ClaimView:
    from dataclasses import fields

    values = {field.name: None for field in fields(ClaimView)}
    values.update(number=number, stage=stage, missing_documents=missing,
                  policy_number="P-1", line_of_business="motor")
    return ClaimView(**values)


def test_the_only_claim_is_the_one_asked_about_even_when_it_needs_nothing():
    only = _view("CLM-2026-000003", "assessment")
    assert claim_for_documents([only], None) is only
    waiting = _view("CLM-2026-000008", "reported", (("driving_licence", "驾驶证", "Licence"),))
    paid = _view(PAID, "paid")
    assert claim_for_documents([waiting, paid], None) is waiting
    assert claim_for_documents([waiting, paid], PAID) is paid
    assert claim_for_documents([waiting, paid], "CLM-2026-000099") is waiting  # not theirs
    # Several claims, none waiting, none in focus: none to name.
    assert claim_for_documents([paid, only], None) is None


def _newer_claim_of_zhang(url: str) -> str:
    return submit_report(
        ReportDraft(policy_number="AUTO-2026-0001", line_of_business="motor",
                    incident_type="collision", incident_at=REPORTED_AT - dt.timedelta(days=1),
                    place="人民路", description="倒车撞柱子", injuries=False,
                    estimated_amount=Decimal("2000"), language="zh", channel="webchat"),
        verified_customer_id=customer_ids(url)["AUTO-2026-0001"], now=REPORTED_AT,
        actor="test", url=url).claim_number


def test_a_pick_by_place_tells_one_claim_and_names_it(seeded_url):
    newer = _newer_claim_of_zhang(seeded_url)
    listed = status_of_customer("AUTO-2026-0001", "zh", actor="test", url=seeded_url,
                                text="查进度")
    assert listed.claim_number is None and listed.buttons
    for text in ("第二个", "the second one"):
        picked = status_of_customer("AUTO-2026-0001", "zh", actor="test", url=seeded_url,
                                    text=text)
        assert picked.claim_number == COLLISION, (text, picked.text)
    named = status_of_customer("AUTO-2026-0001", "zh", actor="test", url=seeded_url,
                               claim_number=newer)
    assert named.claim_number == newer


def test_uploads_go_to_the_claim_in_focus(seeded_url):
    newer = _newer_claim_of_zhang(seeded_url)
    zhang_id = customer_ids(seeded_url)["AUTO-2026-0001"]
    zhang = Viewer("web-zhang", zhang_id)
    assert upload_target_for("web-zhang", zhang, url=seeded_url).claim_number == newer
    target = upload_target_for("web-zhang", Viewer("web-zhang", zhang_id, focus=COLLISION),
                               url=seeded_url)
    assert target.claim_number == COLLISION and target.takes_documents
    assert "driving_licence" in [item.code for item in target.documents]
    # Someone else's claim in the slot is not theirs to send to: the newest of theirs waiting.
    assert upload_target_for("web-zhang", Viewer("web-zhang", zhang_id, focus=PAID),
                             url=seeded_url).claim_number == newer


def test_a_claim_in_focus_that_needs_nothing_takes_no_upload(seeded_url):
    john = customer_ids(seeded_url)["HOME-2026-0001"]
    assert upload_target_for("web-john", Viewer("web-john", john), url=seeded_url) is None
    target = upload_target_for("web-john", Viewer("web-john", john, focus=PAID), url=seeded_url)
    assert target.claim_number == PAID and not target.takes_documents
