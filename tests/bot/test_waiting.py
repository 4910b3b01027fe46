"""Waiting for a person (bot/waiting.py): acknowledgements timed by an injected clock, leaving the
queue, and call-backs booked out of hours."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from bot import waiting
from bot.handoff import Reason, open_queue, request_handoff, take
from bot.store.db import unit_of_work
from bot.store.models import Agent
from bot.waiting import (
    CallbackProblem,
    Outcome,
    acknowledgement_due,
    callback_time,
    on_message,
    wants_to_leave,
)

DAY = datetime(2026, 11, 22, 2, 0)  # naive UTC: 10:00 in Shanghai, agents at work
NIGHT = datetime(2026, 11, 22, 14, 30)  # 22:30 in Shanghai, agents gone until 08:00
CONVERSATION = "waiting-1"


def _queue(db_url, at, conversation=CONVERSATION):
    return request_handoff(conversation, reason=Reason.REQUEST, language="zh", now=at, url=db_url)


def test_acknowledgement_is_due_first_and_after_the_gap():
    assert acknowledgement_due(None, DAY)
    assert not acknowledgement_due(DAY, DAY + timedelta(minutes=9, seconds=59))
    assert acknowledgement_due(DAY, DAY + waiting.ACK_GAP)


def test_the_first_message_is_acknowledged_then_the_next_ones_after_a_gap(db_url):
    _queue(db_url, DAY - timedelta(minutes=1))
    first = on_message(CONVERSATION, "怎么没人理我啊", now=DAY, url=db_url)
    assert first.outcome is Outcome.ACKNOWLEDGED and first.ahead == 0 and first.opens_at is None
    soon = on_message(CONVERSATION, "还有一件事", now=DAY + timedelta(minutes=3), url=db_url)
    assert soon.outcome is Outcome.SILENT  # answered with a short "got it" (the action)
    asked = on_message(CONVERSATION, "还要等多久", now=DAY + timedelta(minutes=4), url=db_url)
    assert asked.outcome is Outcome.ACKNOWLEDGED  # a question about the wait: where they stand
    later = on_message(CONVERSATION, "好吧", now=DAY + timedelta(minutes=15), url=db_url)
    assert later.outcome is Outcome.ACKNOWLEDGED


def test_the_acknowledgement_counts_who_is_ahead(db_url):
    _queue(db_url, DAY - timedelta(minutes=5), conversation="ahead-1")
    _queue(db_url, DAY - timedelta(minutes=4), conversation="ahead-2")
    _queue(db_url, DAY - timedelta(minutes=1))
    answer = on_message(CONVERSATION, "hello?", now=DAY, url=db_url)
    assert answer.ahead == 2 and answer.wait_minutes > 0


@pytest.mark.parametrize("text", ["不用了", "不用人工了 取消", "back to the bot", "算了，不等了",
                                  "不用人工了", "never mind", "取消排隊",
                                  # the outside tester's words (issue 19, part h-person)
                                  "不要转人工", "no need for an agent",
                                  "I don't want to talk to a person"])
def test_words_that_leave_the_queue(text):
    assert wants_to_leave(text)


@pytest.mark.parametrize("text", ["怎么没人理我啊", "你好", "我的车被追尾了", "好的",
                                  "明天上午10点给我回电话"])
def test_words_that_do_not_leave_the_queue(text):
    assert not wants_to_leave(text)


def test_a_call_back_asked_for_with_a_cancel_word_is_still_a_call_back(db_url):
    _queue(db_url, NIGHT)
    answer = on_message(CONVERSATION, "不用等了，明天上午10点给我回电话", phone="13900000000",
                        now=NIGHT, url=db_url)
    assert answer.outcome is Outcome.BOOKED


def test_leaving_closes_the_entry_and_agents_no_longer_see_it(db_url):
    _queue(db_url, NIGHT - timedelta(minutes=2))
    assert on_message(CONVERSATION, "怎么没人理我啊", now=NIGHT, url=db_url).outcome \
        is Outcome.ACKNOWLEDGED
    left = on_message(CONVERSATION, "不用人工了 取消", now=NIGHT + timedelta(minutes=1),
                      url=db_url)
    assert left.outcome is Outcome.LEFT
    assert [e for e in open_queue(url=db_url) if e.conversation_id == CONVERSATION] == []
    # Nothing is open any more: the bot answers the next message itself.
    assert on_message(CONVERSATION, "你好", now=NIGHT + timedelta(minutes=2),
                      url=db_url).outcome is Outcome.GONE


def test_a_taken_conversation_is_left_to_the_person(db_url):
    queued = _queue(db_url, DAY)
    with unit_of_work(db_url) as uow:
        agent = uow.agents.add(Agent(username="a1", display_name="王小明", password_hash="x"))
        uow.commit()
        agent_id = agent.id
    take(queued.entry.id, agent_id, actor="agent:a1", now=DAY, url=db_url)
    assert on_message(CONVERSATION, "在吗", now=DAY, url=db_url).outcome is Outcome.TAKEN
    assert on_message(CONVERSATION, "不用了", now=DAY, url=db_url).outcome is Outcome.TAKEN


@pytest.mark.parametrize("text, local_hour, days", [
    ("明天上午10点", 10, 1), ("明天10点", 10, 1), ("10点", 10, 1), ("tomorrow at 9am", 9, 1),
    ("後天上午十點", 10, 2),
])
def test_call_back_times_within_the_hours(text, local_hour, days):
    moment, problem = callback_time(text, NIGHT)
    assert problem is None
    local = moment + timedelta(hours=8)  # Shanghai has no daylight saving
    assert (local.hour, local.date()) == (local_hour, (NIGHT + timedelta(hours=8)).date()
                                          + timedelta(days=days))


@pytest.mark.parametrize("text, problem", [
    ("明天晚上10点", CallbackProblem.OUTSIDE_HOURS),
    ("12月20日上午10点", CallbackProblem.TOO_FAR),
    ("今天上午10点", CallbackProblem.PAST),
    ("怎么没人理我啊", CallbackProblem.NO_TIME),
])
def test_call_back_times_that_cannot_be_booked(text, problem):
    assert callback_time(text, NIGHT)[1] is problem


def test_a_call_back_is_booked_out_of_hours_with_the_number_on_file(db_url):
    _queue(db_url, NIGHT - timedelta(minutes=2))
    booked = on_message(CONVERSATION, "明天上午10点", phone="13900000000", now=NIGHT, url=db_url)
    assert booked.outcome is Outcome.BOOKED
    assert booked.callback_at == datetime(2026, 11, 23, 2, 0)  # 10:00 Beijing time
    entry = open_queue(url=db_url)[0]
    assert (entry.callback_at, entry.callback_phone) == (booked.callback_at, "13900000000")
    # The next message is acknowledged with the booking in it.
    later = on_message(CONVERSATION, "好的", now=NIGHT + timedelta(minutes=30), url=db_url)
    assert later.outcome is Outcome.ACKNOWLEDGED and later.callback_at == booked.callback_at


def test_a_call_back_without_a_number_asks_for_one(db_url):
    _queue(db_url, NIGHT)
    answer = on_message(CONVERSATION, "明天上午10点", now=NIGHT, url=db_url)
    assert answer.outcome is Outcome.NEEDS_PHONE
    assert open_queue(url=db_url)[0].callback_at is None
    typed = on_message(CONVERSATION, "明天上午10点 13900000000", typed_phone="13900000000",
                       now=NIGHT, url=db_url)
    assert typed.outcome is Outcome.BOOKED


def test_a_past_time_in_the_story_is_not_a_booking(db_url):
    _queue(db_url, NIGHT)
    answer = on_message(CONVERSATION, "昨天下午3点撞的车", phone="13900000000", now=NIGHT,
                        url=db_url)
    assert answer.outcome is Outcome.ACKNOWLEDGED and answer.callback_at is None


def test_no_call_back_is_booked_while_agents_work(db_url):
    _queue(db_url, DAY)
    answer = on_message(CONVERSATION, "明天上午10点", phone="13900000000", now=DAY, url=db_url)
    assert answer.outcome is Outcome.ACKNOWLEDGED and answer.callback_at is None


# --- issue 19 (g-callback): the outside tester's call-back findings -----------------------------

AFTER_MIDNIGHT = datetime(2026, 12, 6, 17, 37)  # 01:37 on 7 December in Shanghai


@pytest.mark.parametrize("text", ["明天上午10点给我回电话", "call me back tomorrow 10am"])
def test_tomorrow_after_midnight_asks_which_day_and_books_what_is_picked(db_url, text):
    _queue(db_url, AFTER_MIDNIGHT - timedelta(minutes=1))
    asked = on_message(CONVERSATION, text, phone="13900000000", now=AFTER_MIDNIGHT, url=db_url)
    assert asked.outcome is Outcome.WHICH_DAY and asked.callback_at is None
    assert asked.choices == (datetime(2026, 12, 7, 2, 0), datetime(2026, 12, 8, 2, 0))
    [entry] = open_queue(url=db_url)
    assert entry.callback_at is None  # nothing booked before they pick
    picked = on_message(CONVERSATION, "12月7日10:00", phone="13900000000",
                        now=AFTER_MIDNIGHT + timedelta(minutes=1), url=db_url)
    assert picked.outcome is Outcome.BOOKED and picked.callback_at == datetime(2026, 12, 7, 2, 0)


def test_tomorrow_in_the_evening_is_the_next_day_without_asking(db_url):
    _queue(db_url, NIGHT)
    answer = on_message(CONVERSATION, "明天上午10点给我回电话", phone="13900000000",
                        now=NIGHT, url=db_url)
    assert answer.outcome is Outcome.BOOKED and answer.callback_at == datetime(2026, 11, 23, 2)


def test_the_number_alone_books_the_time_proposed(db_url):
    _queue(db_url, NIGHT)
    proposed = on_message(CONVERSATION, "明天上午10点给我回电话", now=NIGHT, url=db_url)
    assert proposed.outcome is Outcome.NEEDS_PHONE
    answer = on_message(CONVERSATION, "打这个号 13912345678",
                        typed_phone="13912345678", now=NIGHT + timedelta(minutes=1), url=db_url)
    assert answer.outcome is Outcome.BOOKED and answer.callback_phone == "13912345678"
    [entry] = open_queue(url=db_url)
    assert entry.callback_at == datetime(2026, 11, 23, 2) and entry.callback_phone == "13912345678"


def test_a_yes_to_the_proposal_asks_for_the_number_then_books_on_file(db_url):
    _queue(db_url, NIGHT)
    on_message(CONVERSATION, "明天上午10点给我回电话", now=NIGHT, url=db_url)
    again = on_message(CONVERSATION, "好", now=NIGHT + timedelta(minutes=1), url=db_url)
    assert again.outcome is Outcome.NEEDS_PHONE and again.callback_at == datetime(2026, 11, 23, 2)
    booked = on_message(CONVERSATION, "ok", phone="13900000000",
                        now=NIGHT + timedelta(minutes=2), url=db_url)
    assert booked.outcome is Outcome.BOOKED and booked.callback_at == datetime(2026, 11, 23, 2)
