"""Waiting for a person: what the bot does with a customer's messages while their conversation
is queued and no agent has taken it yet (bot/handoff.py keeps the queue itself).

- Every message gets an answer: the first after the handoff, the first after a gap of ACK_GAP
  since the last full acknowledgement, and any question about the wait ("还要等多久", "status")
  get the full one (where they stand, when a person answers); the ones in between a short "got
  it" (Outcome.SILENT: nothing new to tell), and all are kept for the agent.
- "不用了", "不用人工了 取消", "不要转人工", "back to the bot", "no need for an agent" take the
  customer out of the queue: the entry is closed (agents no longer see it waiting) and the bot
  answers again.
- Out of the agents' hours the customer can book a call-back for a time within those hours, up
  to MAX_DAYS_AHEAD days ahead; it is stored on the queue entry with the number to ring (the one
  on file for a verified customer, else one they type) and agents see both in the console.
- Once an agent has taken the conversation, nothing here answers: the person does.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import Enum
from typing import Tuple

from bot.clock import as_utc_naive, local_zone, to_local
from bot.dates import parse_incident_datetime
from bot.handoff import (
    HANDOFF_ACTOR,
    next_opening,
    refuses_person,
    wait_minutes,
    working_hours,
)
from bot.language import to_simplified
from bot.store.db import unit_of_work

ACK_GAP = timedelta(minutes=10)
MAX_DAYS_AHEAD = 7
LEFT_RESOLUTION = "客户不再等待，回到机器人 / the customer left the queue"

# Leaving the queue: a "no longer needed" about the person or the wait, or a plain "cancel".
_LEAVE = re.compile(
    r"(不用了|不需要了|不用人工|不要人工|不找人工|取消人工|取消排队|不排了|不排队了|不等了|"
    r"别等了|算了吧?$|^算了|^取消|取消$|还是跟?机器人|回到机器人|"
    r"\bno longer need\b|\bdon'?t need (?:a |the )?(?:person|human|agent)|"
    r"\bnever ?mind\b|\bcancel\b|\bback to the bot\b|\bstop waiting\b|\bforget it\b|"
    r"\bi'?ll (?:use|talk to) the bot\b)",
    re.IGNORECASE,
)
# Asking to be called back, with or without a time.
_CALLBACK = re.compile(
    r"(回电|回个电话|回电话|打电话给我|打给我|给我打|来电|预约|约个时间|"
    r"\bcall(?:-| )?back\b|\bcall me\b|\bring me\b|\bphone me\b|\bbook\b)",
    re.IGNORECASE,
)


# A question about the wait itself: answered with where the customer stands, whatever the gap.
_ABOUT_THE_WAIT = re.compile(
    r"(多久|多长时间|还要等|要等|等到|排到|排第几|第几位|进度|状态|几点|什么时候|啥时候|怎么没人|"
    r"没人理|人呢|有人吗|在吗|还在吗|"
    r"\bhow long\b|\bstatus\b|\bwhen\b|\bstill waiting\b|\banyone there\b|\bhello\?|"
    r"\bwhere am i\b|\bposition\b|\bwait(?:ing)? time\b)",
    re.IGNORECASE,
)


def wants_to_leave(text: str | None) -> bool:
    """Whether a queued customer says they no longer want to wait for a person ("不用了", "不要
    转人工", "I don't want to talk to a person")."""
    if not text:
        return False
    return bool(_LEAVE.search(to_simplified(text).strip(" 。.!！~～"))) or refuses_person(text)


def asks_about_the_wait(text: str | None) -> bool:
    """"还要等多久", "查进度", "status", "how long do I have to wait": where they stand."""
    return bool(text and _ABOUT_THE_WAIT.search(to_simplified(text)))


def asks_for_callback(text: str | None) -> bool:
    return bool(text and _CALLBACK.search(to_simplified(text)))


def acknowledgement_due(last: datetime | None, now: datetime, gap: timedelta = ACK_GAP) -> bool:
    """The first message after the handoff, and the first after `gap` without one, get an
    answer."""
    return last is None or as_utc_naive(now) - as_utc_naive(last) >= gap


class CallbackProblem(str, Enum):
    NO_TIME = "no_time"  # no time in the words
    UNCLEAR = "unclear"  # a time, but not one moment (ambiguous, no hour)
    PAST = "past"  # already gone
    OUTSIDE_HOURS = "outside_hours"  # not when agents work
    TOO_FAR = "too_far"  # more than MAX_DAYS_AHEAD days ahead


def _within_hours(moment: datetime, spec: str | None) -> bool:
    start, end = working_hours(spec)
    if start == end:
        return True
    return start <= moment.time() < end


def callback_time(text: str, now: datetime, *, spec: str | None = None
                  ) -> Tuple[datetime | None, CallbackProblem | None]:
    """The call-back moment a customer asks for (naive UTC), or why it cannot be booked.

    The time is read with bot/dates.py. A day without a time, or a time without a day ("10点")
    takes the one reading that falls within the agents' hours and is still ahead (today, else
    tomorrow)."""
    now_utc = as_utc_naive(now)
    now_local = to_local(now_utc).replace(tzinfo=None)
    parsed = parse_incident_datetime(text, now_utc)
    if not parsed.found:
        return None, CallbackProblem.NO_TIME
    candidates: list[datetime] = []
    if parsed.time is not None:
        days = [parsed.date] if parsed.date else [now_local.date(),
                                                    now_local.date() + timedelta(days=1)]
        candidates = [datetime.combine(day, parsed.time) for day in days]
    else:
        for alternative in parsed.alternatives:
            if isinstance(alternative, datetime):
                candidates.append(alternative)
            elif isinstance(alternative, time):
                candidates += [datetime.combine(now_local.date() + timedelta(days=d), alternative)
                               for d in (0, 1)]
    if not candidates:
        return None, CallbackProblem.UNCLEAR
    ahead = [moment for moment in candidates if moment > now_local]
    if not ahead:
        return None, CallbackProblem.PAST
    fitting = [moment for moment in ahead if _within_hours(moment, spec)]
    if not fitting:
        return None, CallbackProblem.OUTSIDE_HOURS
    chosen = min(fitting)
    if len({moment for moment in fitting if moment.date() == chosen.date()}) > 1:
        return None, CallbackProblem.UNCLEAR
    if chosen.date() - now_local.date() > timedelta(days=MAX_DAYS_AHEAD):
        return None, CallbackProblem.TOO_FAR
    return as_utc_naive(chosen.replace(tzinfo=local_zone())), None


class Outcome(str, Enum):
    GONE = "gone"  # no open queue entry: the bot should answer again
    TAKEN = "taken"  # a person has the conversation: say nothing
    SILENT = "silent"  # fully acknowledged a moment ago: a short "got it", kept for the agent
    ACKNOWLEDGED = "acknowledged"
    LEFT = "left"  # the customer left the queue
    BOOKED = "booked"
    CALLBACK_PROBLEM = "callback_problem"  # a call-back asked for that cannot be booked as said
    NEEDS_PHONE = "needs_phone"  # a call-back time, but no number to ring
    WHICH_DAY = "which_day"  # "明天10点" after midnight, before opening: today's or the next?


@dataclass(frozen=True)
class WaitingReply:
    outcome: Outcome
    ahead: int = 0
    wait_minutes: int = 0
    opens_at: datetime | None = None  # out of hours: when agents start (naive UTC)
    callback_at: datetime | None = None  # a booked call-back (naive UTC)
    callback_phone: str | None = None  # the number it rings
    problem: CallbackProblem | None = None
    choices: Tuple[datetime, ...] = ()  # WHICH_DAY: the two readings (naive UTC)


def phone_on_file(policy_number: str | None, *, url: str | None = None) -> str | None:
    """The phone number of the verified customer holding `policy_number`."""
    if not policy_number:
        return None
    with unit_of_work(url) as uow:
        policy = uow.policies.by_number(policy_number)
        return policy.customer.phone if policy is not None else None


def on_message(conversation_id: str, text: str | None, *, phone: str | None = None,
               typed_phone: str | None = None, now: datetime | None = None,
               url: str | None = None) -> WaitingReply:
    """What to do with a customer's message while the conversation is in the queue. `phone` is
    the number on file (verified customers), `typed_phone` one found in this message."""
    at = as_utc_naive(now)
    text = text or ""
    with unit_of_work(url) as uow:
        row = uow.handoffs.open_for_conversation(conversation_id)
        if row is None:
            return WaitingReply(Outcome.GONE)
        if row.status != "queued":
            return WaitingReply(Outcome.TAKEN)
        if wants_to_leave(text) and not asks_for_callback(text):
            if not uow.handoffs.withdraw(row.id, at, LEFT_RESOLUTION):
                return WaitingReply(Outcome.TAKEN)  # an agent took it a moment ago
            uow.audit.record(HANDOFF_ACTOR, "handoff.left_queue", "handoff", row.id,
                             {"conversation": conversation_id}, at=at)
            uow.commit()
            return WaitingReply(Outcome.LEFT)
        opens = next_opening(at)
        ahead = uow.handoffs.queued_ahead_of(row)
        common = dict(ahead=ahead, wait_minutes=wait_minutes(ahead), opens_at=opens)
        if opens is not None:
            booked = _callback(uow, row, text, phone or typed_phone or row.callback_phone, at,
                               typed=typed_phone)
            if booked is not None:
                return WaitingReply(**common, **booked)  # type: ignore[arg-type]
        if not acknowledgement_due(row.acknowledged_at, at) and not asks_about_the_wait(text):
            return WaitingReply(Outcome.SILENT, **common, callback_at=row.callback_at,
                                callback_phone=row.callback_phone)
        row.acknowledged_at = at
        uow.commit()
        return WaitingReply(Outcome.ACKNOWLEDGED, **common, callback_at=row.callback_at,
                            callback_phone=row.callback_phone)


def _callback(uow, row, text: str, phone: str | None, at: datetime,
              typed: str | None = None) -> dict | None:
    """Book the call-back the message asks for (out of hours); None when it asks for none."""
    both = which_day(text, at)
    if both is not None:
        return {"outcome": Outcome.WHICH_DAY, "choices": both}
    moment, problem = callback_time(text, at)
    if problem is CallbackProblem.NO_TIME:
        # A time proposed before and waiting for a number: "打这个号 139…" or "好" books it.
        proposed = _proposed(uow, row, at)
        if proposed is not None and (typed or agrees(text)):
            moment, problem = proposed, None
    # A past or vague time without a word about calling is the story, not a booking
    # ("昨天下午撞的车"); a time still ahead is one ("明天上午10点").
    vague = (CallbackProblem.NO_TIME, CallbackProblem.UNCLEAR, CallbackProblem.PAST)
    if problem in vague and not asks_for_callback(text):
        return None
    if problem is not None:
        return {"outcome": Outcome.CALLBACK_PROBLEM, "problem": problem}
    if not phone:
        # Kept on the queue entry (its audit trail), so that the number alone completes it.
        uow.audit.record(HANDOFF_ACTOR, PROPOSED, "handoff", row.id,
                         {"conversation": row.conversation_id, "at": moment.isoformat()}, at=at)
        uow.commit()
        return {"outcome": Outcome.NEEDS_PHONE, "callback_at": moment}
    row.callback_at, row.callback_phone = moment, phone
    row.acknowledged_at = at
    uow.audit.record(HANDOFF_ACTOR, BOOKED, "handoff", row.id,
                     {"conversation": row.conversation_id, "at": moment.isoformat()}, at=at)
    # "A person will call you at {when}": the task that keeps it, due at that time.
    from bot.promises import promise_callback

    promise_callback(uow, row, actor=HANDOFF_ACTOR, now=at)
    uow.commit()
    return {"outcome": Outcome.BOOKED, "callback_at": moment, "callback_phone": phone}



PROPOSED = "handoff.callback_proposed"  # a call-back time said, no number to ring yet
BOOKED = "handoff.callback_booked"

# A plain yes to the call-back time just proposed.
_AGREE = re.compile(
    r"^(好|好的|好吧|可以|行|嗯|嗯嗯|对|是的|没问题|就这样|ok|okay|yes|yep|sure|fine)$",
    re.IGNORECASE)
# "明天" / "tomorrow": after midnight and before opening, it may mean the coming morning.
_TOMORROW = re.compile(r"(明天|明早|明儿|\btomorrow\b)", re.IGNORECASE)


def agrees(text: str | None) -> bool:
    return bool(text and _AGREE.match(to_simplified(text).strip(" ，,。.!！~～").lower()))


def which_day(text: str, now: datetime, *, spec: str | None = None
              ) -> Tuple[datetime, datetime] | None:
    """After midnight and before the agents start, "明天上午10点" / "tomorrow 10am" can mean the
    coming morning (the customer has not slept yet) or the next calendar day: both readings
    (naive UTC, today's first) when both are ahead and within hours, else None."""
    if not text or not _TOMORROW.search(to_simplified(text)):
        return None
    start, end = working_hours(spec)
    now_utc = as_utc_naive(now)
    now_local = to_local(now_utc).replace(tzinfo=None)
    if start == end or now_local.time() >= start:
        return None
    parsed = parse_incident_datetime(text, now_utc)
    tomorrow = now_local.date() + timedelta(days=1)
    if not parsed.found or parsed.time is None or parsed.date != tomorrow:
        return None
    readings = [datetime.combine(day, parsed.time) for day in (now_local.date(), tomorrow)]
    if not all(m > now_local and _within_hours(m, spec) for m in readings):
        return None
    today_at, tomorrow_at = (as_utc_naive(m.replace(tzinfo=local_zone())) for m in readings)
    return today_at, tomorrow_at


def _proposed(uow, row, at: datetime) -> datetime | None:
    """The call-back time last proposed on this queue entry and not booked since (still
    ahead), or None."""
    latest = None
    for entry in uow.audit.for_subject("handoff", row.id):
        if entry.action in (PROPOSED, BOOKED):
            latest = entry
    if latest is None or latest.action != PROPOSED or not (latest.detail or {}).get("at"):
        return None
    moment = datetime.fromisoformat(latest.detail["at"])
    return moment if moment > as_utc_naive(at) else None
