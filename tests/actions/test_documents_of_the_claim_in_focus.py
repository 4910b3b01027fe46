"""What an outside tester found chatting as a customer: "还缺什么材料？" right after picking a claim
from the status list is about that claim, and says so when it needs nothing more; never another
claim's list."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from actions.documents import ActionAnswerDocuments
from bot.claims.reporting import ReportDraft, submit_report
from bot.replies import say
from tests.support.actions import make_tracker, run_action

JOHN = {"language": "zh", "verified": True, "customer_id": 3,
        "customer_name": "John Smith", "policy_number": "HOME-2026-0001"}
ZHANG = {"language": "zh", "verified": True, "customer_id": 1,
         "customer_name": "张伟", "policy_number": "AUTO-2026-0001"}
COLLISION = "CLM-2026-000004"  # 张伟's seeded claim, driving licence and repair invoice missing
PAID = "CLM-2026-000001"  # John's paid claim: nothing missing
REPORTED_AT = dt.datetime(2026, 11, 22, 4, 0)  # 12:00 in Shanghai, the seeded store's day


def _picked(number: str) -> list:
    """The events a pick from the status list leaves: the button's claim number set, the
    claim told, and the slot cleared again by the status reply."""
    return [{"event": "user", "text": f'/inform{{"claim_number":"{number}"}}',
             "parse_data": {"intent": {"name": "inform"}}},
            {"event": "slot", "name": "claim_number", "value": number},
            {"event": "action", "name": "action_show_status"},
            {"event": "bot", "text": f"{number} …"},
            {"event": "slot", "name": "claim_number", "value": None},
            {"event": "action", "name": "action_listen"}]


def _another_open_claim(customer_id: int, policy: str, text: str,
                        line: tuple = ("motor", "collision")) -> str:
    """A claim reported now on `policy` (it still waits for every document)."""
    draft = ReportDraft(policy_number=policy, line_of_business=line[0], incident_type=line[1],
                        incident_at=REPORTED_AT - dt.timedelta(days=1), place="人民路",
                        description=text, injuries=False, estimated_amount=Decimal("2000"),
                        language="zh", channel="webchat")
    return submit_report(draft, verified_customer_id=customer_id, now=REPORTED_AT,
                         actor="test").claim_number


def _documents(slots: dict, events: list, text: str = "还缺什么材料？", domain=None):
    tracker = make_tracker(text, "ask_documents", slots=slots, events=events,
                           sender_id="web-focus")
    return run_action(ActionAnswerDocuments(), tracker, domain)


def test_the_documents_of_the_claim_just_picked_not_the_newest(claims_store, domain):
    newer = _another_open_claim(1, "AUTO-2026-0001", "倒车时撞到柱子")
    texts, _ = _documents(ZHANG, _picked(COLLISION), domain=domain)
    joined = "\n".join(texts)
    assert texts[0] == say("documents_for_claim", "zh", claim_number=COLLISION)
    assert "驾驶证" in joined and newer not in joined
    # Nothing picked: the newest claim still waiting for documents, as before.
    texts, _ = _documents(ZHANG, [], domain=domain)
    assert texts[0] == say("documents_for_claim", "zh", claim_number=newer)


def test_a_picked_claim_that_needs_nothing_says_so_for_that_claim(claims_store, domain):
    for lang, text in (("zh", "还缺什么材料？"), ("en", "what documents are still missing?")):
        texts, _ = _documents({**JOHN, "language": lang}, _picked(PAID), text, domain)
        assert len(texts) == 1
        none = {"zh": "不需要您再交材料", "en": "doesn't need any more documents"}[lang]
        assert PAID in texts[0] and none in texts[0] and "8,200" in texts[0]
    # Even with another claim of theirs waiting for documents.
    newer = _another_open_claim(3, "HOME-2026-0001", "厨房水管爆了",
                                ("home", "water_damage"))
    texts, _ = _documents(JOHN, _picked(PAID), domain=domain)
    assert PAID in texts[0] and newer not in "\n".join(texts)


def test_the_claim_reported_here_after_a_pick_is_the_one_in_focus(claims_store, domain):
    newer = _another_open_claim(1, "AUTO-2026-0001", "倒车时撞到柱子")
    events = _picked(COLLISION) + [{"event": "slot", "name": "last_claim_number",
                                    "value": newer}]
    texts, _ = _documents(ZHANG, events, domain=domain)
    assert texts[0] == say("documents_for_claim", "zh", claim_number=newer)


def test_a_claim_that_is_not_theirs_in_the_slot_is_not_the_focus(claims_store, domain):
    texts, _ = _documents(ZHANG, _picked(PAID), domain=domain)
    assert PAID not in "\n".join(texts)
    assert texts[0] == say("documents_for_claim", "zh", claim_number=COLLISION)


def test_a_claim_picked_by_its_place_is_recorded_as_a_tap_on_its_button(claims_store, domain):
    """"第二个" / "the second one" after the list: the status reply sets the claim's number and
    clears it, as a tap leaves it; "这笔还缺哪些材料？" next is about that claim."""
    from actions.status import ActionShowStatus

    newer = _another_open_claim(1, "AUTO-2026-0001", "倒车时撞到柱子")
    for text, question in (("第二个", "这笔还缺哪些材料？"),
                           ("the second one", "which documents are still missing?")):
        tracker = make_tracker(text, "inform", slots=ZHANG, sender_id="web-focus")
        texts, events = run_action(ActionShowStatus(), tracker, domain)
        assert COLLISION in texts[0] and newer not in texts[0]
        assert [(e["name"], e["value"]) for e in events if e["event"] == "slot"] \
            == [("claim_number", COLLISION), ("claim_number", None)]
        texts, _ = _documents(ZHANG, [{"event": "user", "text": text}] + events
                              + [{"event": "action", "name": "action_listen"}],
                              question, domain)
        assert COLLISION in texts[0] and newer not in "\n".join(texts)


def test_several_claims_that_need_nothing_say_so_not_the_generic_list(claims_store, domain):
    for lang in ("zh", "en"):
        texts, _ = _documents({**JOHN, "language": lang}, [], "还缺什么材料？", domain)
        assert texts == [say("documents_none_for_claims", lang)]
