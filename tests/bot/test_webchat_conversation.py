"""What a reopened web chat page shows of its conversation (bot.webchat_conversation): the
customer's words and what they were shown, in order, from the current session only, capped; and
the bookkeeping of "End chat" (a request for a person not yet taken is withdrawn, audited)."""
from __future__ import annotations

from datetime import datetime

from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUttered,
)

from bot.handoff import Reason, request_handoff, take
from bot.store.db import unit_of_work
from bot.store.models import Agent, AuditEntry, Handoff
from bot.webchat_conversation import (
    ELLIPSIS,
    MAX_MESSAGES,
    MAX_TEXT_CHARS,
    record_end,
    visible_history,
)

NOW = datetime(2026, 11, 22, 2, 0)  # naive UTC: 10:00 in Shanghai, inside working hours
OFFER = [{"title": "转人工", "payload": "/request_human"}, {"title": "不用了", "payload": "/deny"}]


def _texts(history) -> list[tuple[str, str]]:
    return [(m["from"], m["text"]) for m in history.messages]


def test_the_customer_and_the_bot_come_back_in_order_and_nothing_else() -> None:
    events = [
        ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen"),
        UserUttered("查一下理赔进度", {"name": "check_status"}),
        SlotSet("requested_slot", "policy_number"),
        ActionExecuted("identity_form"),
        BotUttered("请告诉我您的保单号。"),
        UserUttered("AUTO-2026-0001", {"name": "inform"}),
        BotUttered("", data={"custom": {"x": 1}}),  # nothing a person can read
        BotUttered("您的理赔在审核中。"),
    ]
    history = visible_history(events)
    assert _texts(history) == [("customer", "查一下理赔进度"), ("bot", "请告诉我您的保单号。"),
                               ("customer", "AUTO-2026-0001"), ("bot", "您的理赔在审核中。")]
    assert history.truncated is False
    assert history.as_json() == {"messages": list(history.messages), "truncated": False}


def test_stored_events_read_the_same_as_live_ones() -> None:
    live = [UserUttered("你好", {"name": "greet"}), BotUttered("您好")]
    stored = [event.as_dict() for event in live]
    assert _texts(visible_history(stored)) == _texts(visible_history(live)) == [
        ("customer", "你好"), ("bot", "您好")]


def test_only_the_current_session_is_shown() -> None:
    events = [UserUttered("旧的对话", {"name": "greet"}), BotUttered("旧的回答"),
              ActionExecuted("action_restart"), Restarted(),
              UserUttered("新的", {"name": "greet"}), BotUttered("新的回答")]
    assert _texts(visible_history(events)) == [("customer", "新的"), ("bot", "新的回答")]
    after_expiry = events + [SessionStarted(), ActionExecuted("action_listen")]
    assert visible_history(after_expiry).messages == ()
    assert visible_history([]).messages == ()


def test_external_triggers_are_not_customer_words_and_agents_are_named_as_agents() -> None:
    events = [UserUttered.create_external("EXTERNAL_handed_back", []),
              BotUttered("您好，我是理赔员王小明。", metadata={"agent": "王小明"}),
              BotUttered("机器人又回来了")]
    assert _texts(visible_history(events)) == [("agent", "您好，我是理赔员王小明。"),
                                               ("bot", "机器人又回来了")]


def test_a_pressed_button_comes_back_as_its_title_and_only_open_buttons_stay() -> None:
    events = [BotUttered("需要转人工吗？", data={"buttons": OFFER}),
              UserUttered("/deny", {"name": "deny"}),
              BotUttered("好的，还有什么可以帮您？"),
              BotUttered("要人工吗？", data={"buttons": OFFER})]
    history = visible_history(events)
    assert _texts(history) == [("bot", "需要转人工吗？"), ("customer", "不用了"),
                               ("bot", "好的，还有什么可以帮您？"), ("bot", "要人工吗？")]
    assert "buttons" not in history.messages[0]  # answered: text only
    assert history.messages[-1]["buttons"] == OFFER  # the open question keeps its choices
    # A payload the web chat took the "/" away from is still recognised.
    slashless = visible_history([BotUttered("选一个", data={"buttons": [
        {"title": "CLM-2026-000001 车险", "payload": '/choose{"claim": "CLM-2026-000001"}'}]}),
        UserUttered('choose{"claim": "CLM-2026-000001"}', {"name": "choose"})])
    assert _texts(slashless)[-1] == ("customer", "CLM-2026-000001 车险")


def test_identifiers_are_masked_as_agents_see_them() -> None:
    events = [UserUttered("我的手机是13800000001", {"name": "inform"}),
              BotUttered("验证码已发送到 13800000001")]
    texts = [text for _, text in _texts(visible_history(events))]
    assert all("13800000001" not in text for text in texts)
    assert all("138****0001" in text for text in texts)


def test_the_history_is_capped_in_messages_and_characters() -> None:
    events = [BotUttered(f"第{n}条") for n in range(MAX_MESSAGES + 5)]
    events.append(UserUttered("长" * (MAX_TEXT_CHARS + 50), {"name": "inform"}))
    history = visible_history(events)
    assert len(history.messages) == MAX_MESSAGES and history.truncated is True
    assert history.messages[0]["text"] == "第6条"  # the latest are kept
    last = history.messages[-1]["text"]
    assert len(last) == MAX_TEXT_CHARS and last.endswith(ELLIPSIS)
    assert visible_history(events[:3], limit=2).truncated is True
    assert visible_history(events[:2], limit=2).truncated is False


def _agent(db_url: str) -> int:
    with unit_of_work(db_url) as uow:
        agent = uow.agents.add(Agent(username="a1", display_name="王小明", password_hash="x"))
        uow.commit()
        return agent.id


def _audited(db_url: str, sender: str) -> list[dict]:
    with unit_of_work(db_url) as uow:
        rows = uow.session.query(AuditEntry).filter_by(action="webchat.ended",
                                                       subject_id=sender).all()
        return [row.detail for row in rows]


def test_ending_withdraws_a_request_no_agent_has_taken(db_url: str) -> None:
    request_handoff("web-end-1", reason=Reason.REQUEST, channel="webchat", now=NOW, url=db_url)
    assert record_end("web-end-1", now=NOW, url=db_url) is True
    with unit_of_work(db_url) as uow:
        row = uow.session.query(Handoff).filter_by(conversation_id="web-end-1").one()
        assert row.status == "closed" and "ended" in row.resolution
    assert _audited(db_url, "web-end-1") == [{"handoff_withdrawn": True}]


def test_ending_leaves_a_taken_conversation_to_its_agent_and_is_audited_alone(
        db_url: str) -> None:
    agent_id = _agent(db_url)
    queued = request_handoff("web-end-2", reason=Reason.REQUEST, channel="webchat", now=NOW,
                             url=db_url)
    take(queued.entry.id, agent_id, actor="a1", now=NOW, url=db_url)
    assert record_end("web-end-2", now=NOW, url=db_url) is False
    with unit_of_work(db_url) as uow:
        assert uow.handoffs.open_for_conversation("web-end-2").status == "taken"
    assert record_end("web-end-3", now=NOW, url=db_url) is False  # nothing queued
    assert _audited(db_url, "web-end-2") == [{"handoff_withdrawn": False}]
    assert _audited(db_url, "web-end-3") == [{"handoff_withdrawn": False}]
