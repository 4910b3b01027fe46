"""Human handoff: when to hand a conversation to a person, how urgent it is, the queue agents take
from and the summary that spares the customer from telling the story twice.

Queue order: priority first (highest first), then waiting time (oldest first). Elderly customers
are ranked first (DOMAIN.md, seed: "ranked first in the queue"), so their bonus is larger than
any difference between reasons; among the others urgent cases come first, then disputes and
complaints, then plain requests, then conversations the bot failed to understand.

Messages to a conversation outside its turn (an agent's words, the hand-back greeting, a
complaint outcome) go through the outbox (bot.outbox.notices.queue_message; the web chat
collects them with bot.outbox.delivery).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import Enum
from functools import lru_cache
from typing import Any, Dict, Iterable, List, Mapping, Sequence, Tuple

from bot.claims.risk import urgent_reasons
from bot.clock import as_utc_naive, local_zone, to_local
from bot.dates import incident_time_text
from bot.language import to_simplified
from bot.privacy import redact_events, redact_text, redact_value
from bot.settings import get_settings
from bot.store.db import unit_of_work
from bot.store.models import AGENT_ROLES, Agent, CaseOwner, Handoff

HANDOFF_ACTOR = "handoff"


class Reason(str, Enum):
    REQUEST = "request"  # the customer asked for a person
    ELDERLY = "elderly"  # an elderly customer took up the offer of a person
    DISPUTE = "dispute"  # a claim decision is disputed
    COMPLAINT = "complaint"  # a complaint that asks for a person
    URGENT = "urgent"  # serious injury, hospital emergency, major accident
    NOT_UNDERSTOOD = "not_understood"  # the bot failed twice in a row

    def __str__(self) -> str:
        return self.value


BASE_PRIORITY: Dict[Reason, int] = {
    Reason.URGENT: 50,
    Reason.DISPUTE: 30,
    Reason.COMPLAINT: 30,
    Reason.REQUEST: 20,
    Reason.ELDERLY: 20,
    Reason.NOT_UNDERSTOOD: 10,
}
ELDERLY_BONUS = 100  # larger than any gap between reasons: elderly customers come first


def priority(reason: Reason | str, elderly: bool) -> int:
    """The queue priority of a handoff; higher is taken first."""
    reason = Reason(reason)
    return BASE_PRIORITY[reason] + (ELDERLY_BONUS if elderly or reason is Reason.ELDERLY else 0)


# --- triggers found in the customer's words ------------------------------------------------------

def is_urgent(text: str | None) -> bool:
    """Whether a message describes an urgent case: serious injury, emergency, death, fire (the
    risk rules' urgent words, bot/claims/risk.yml)."""
    return bool(text and urgent_reasons(None, text))


_CN_TENS = {"六": 60, "七": 70, "八": 80, "九": 90}
# "我七十多岁了", "我今年68岁", "我都八十了" — only about the writer: "我70岁的母亲" is not.
# The age must be followed by 岁 (not 岁的) or end the clause: "我100块的发票" is no age.
_AGE_END = r"(?:岁(?!的)|(?=了|啦|$|[\s，,。.!！?？]))"
# "我姓李，今年78了": an age said in passing, with 今年 or 本人 and no 我 right before it, is the
# writer's own unless a relative is named in the same clause ("我妈今年78了").
_AGE_LEAD = r"(?:我(?:今年|已经|都|已|快)*|本人(?:今年)?|(?<![我])今年(?:已经|都|已|快)*)"
_AGE_DIGITS = re.compile(_AGE_LEAD + r"(\d{2,3})(?:多)?(?:周)?" + _AGE_END)
_AGE_WORDS = re.compile(_AGE_LEAD + r"([六七八九])十(?:多|几|[一二三四五六七八九])?" + _AGE_END)
_SOMEONE_ELSE = re.compile(r"(妈|爸|母|父|奶|爷|婆|公|外公|姥|他|她|孩子|儿|女|老伴|爱人|丈夫|"
                           r"妻|哥|姐|弟|妹|亲戚|朋友|邻居)[^，,。.!！?？;；\s]*$")
_AGE_EN = re.compile(
    r"\bi(?:'m| am)\s+(?:now\s+|already\s+|over\s+)?(\d{2,3})"
    r"(?:\s*(?:years?\s+old|yrs?|yo)\b|(?=\s*(?:$|[,.!;?]|and\b|now\b)))",
    re.IGNORECASE,
)
_ELDERLY_WORDS = re.compile(
    r"(我是老年人|我是老人|我年纪大了|我岁数大了|我上了年纪|我是退休老人|老年人不会|"
    r"\bi(?:'m| am) (?:a )?(?:pensioner|senior citizen|elderly|old age pensioner)\b|"
    r"\bi(?:'m| am) in my (?:sixties|seventies|eighties|nineties)\b)",
    re.IGNORECASE,
)


def declared_age(text: str | None) -> int | None:
    """The age a customer says they are ("我七十多岁了" -> 70, "I'm 72" -> 72), or None."""
    if not text:
        return None
    text = to_simplified(text)
    for pattern in (_AGE_DIGITS, _AGE_EN):
        for match in pattern.finditer(text):
            age = int(match.group(1))
            # "I'm 12 minutes late" is not an age worth acting on
            if 40 <= age <= 120 and _writers_own(text, match):
                return age
    for match in _AGE_WORDS.finditer(text):
        if _writers_own(text, match):
            return _CN_TENS[match.group(1)]
    return None


def _writers_own(text: str, match: re.Match) -> bool:
    """An age introduced by 今年 alone is the writer's unless the clause before names someone
    else ("我妈今年78了"); one introduced by 我 always is."""
    if match.group(0).startswith(("我", "本人")) or not match.group(0)[:1].strip():
        return True
    if match.group(0)[:1].isascii():
        return True  # English: "I'm 82"
    return not _SOMEONE_ELSE.search(text[: match.start()])


def declares_elderly(text: str | None, elderly_age: int = 60) -> bool:
    """Whether the customer says they are 60 or older (or an elderly person)."""
    age = declared_age(text)
    if age is not None:
        return age >= elderly_age
    return bool(text and _ELDERLY_WORDS.search(text))


_PERSON = re.compile(
    r"(人工|真人|专人|客服经理|经理|主管|领导|工作人员|打电话给我|给我回电|回个电话|电话联系我|"
    r"\ba (?:real )?person\b|\bhuman\b|\bmanager\b|\bsupervisor\b|\bcall me\b|"
    r"\bsomeone\b|\bagent\b)",
    re.IGNORECASE,
)


# "someone senior to review it", "请领导重新审核": a review of the decision by more senior staff
# is what the complaint asks for, not a person in the conversation (the complaint's handler
# arranges it), unless the customer also asks to be called or to talk.
_REVIEW = re.compile(r"(复核|复查|重新审|重新核|审核|审查|重审|重新处理|\breview\b|"
                     r"\blook (?:into|at)\b|"
                     r"\bre-?(?:assess|consider|examine)\b|\bescalate\b)", re.IGNORECASE)
_CONTACT = re.compile(r"(人工|电话|回电|联系我|当面|跟.{0,4}[说谈]|\bcall\b|\bphone\b|\btalk\b|"
                      r"\bspeak\b|\bchat\b|\bcontact me\b)", re.IGNORECASE)


def asks_for_person(text: str | None) -> bool:
    """Whether a complaint's request asks for a person to deal with it (to call or talk to the
    customer); a review by senior staff is the complaint's wish, not a handoff."""
    if not text or not _PERSON.search(text):
        return False
    return not (_REVIEW.search(text) and not _CONTACT.search(text))


# Every way the training and held-out data ask for a person names one (人工, 真人, 客服, 经理,
# "agent", "human" ...) or the machine they want to get away from (机器人, "bot"). A message the
# model takes for a request but that names neither ("没人受伤", "人在医院") is an answer to
# a question, not a request: the handoff is too big a step to take on the word 人 alone.
_NAMES_PERSON = re.compile(
    r"(人工|真人|活人|客服|专人|专员|工作人员|人员|经理|主管|领导|负责|理赔员|业务员|坐席|转接|接通|"
    r"接人|机器|个人|找人|叫人|跟人|和人|让人|请人|人来|人说|人帮|电话|回电|对接|按零|zrg|"
    r"\b(?:person|people|humans?|agents?|someone|somebody|anyone|representative|rep|operator|"
    r"staff|manager|supervisor|advis[eo]r|handler|employee|boss|in charge|robot|bot|callback|"
    r"call me|call back|phone me|live|customer service|transfer)\b)",
    re.IGNORECASE,
)


# "我手机是138…，你们打这个电话给我", "call me on 138…": a call from a person asked for, with the
# number to call. The model reads the number as an identity answer (inform).
_CALL_ME = re.compile(
    r"(?:打|回)(?:个|一下)?电话给我|给我(?:打|回)(?:个|一下)?电话|打(?:这个|我的?)(?:电话|号码?|手机)"
    r"|(?:回个?电话|回电)(?:给我)?吧?$|\b(?:call|phone|ring) me\b|\bcall (?:me )?back\b",
    re.IGNORECASE,
)


def asks_to_be_called(text: str | None) -> bool:
    """Whether a message asks for a call from a person ("你们打这个电话给我", "please call me")."""
    return bool(text and _CALL_ME.search(to_simplified(text)))


def names_a_person(text: str | None) -> bool:
    """Whether a message says whom it wants: a person, or not the machine."""
    return bool(text and _NAMES_PERSON.search(to_simplified(text)))


# "客服电话打不通", "打了好几次电话都没人接": the line not answering is what the customer complains
# about (a complaint's subject), not a request for a person, unless they also ask for one plainly.
_LINE_TROUBLE = re.compile(
    r"(打不通|打不进|接不通|没人接|无人接|不接电话|一直占线|总是占线|占线|没人回|没人理|"
    r"\b(?:no ?one|nobody) (?:answers|answered|picks? up|picked up)\b|can'?t get through|"
    r"couldn'?t get through|line (?:is |was )?(?:always |constantly )?busy)",
    re.IGNORECASE,
)
_CLEAR_REQUEST = re.compile(
    r"(转人工|转接人工|接人工|找人工|要人工|人工服务|真人|活人|让人工|请人工|换人工|"
    r"(?:找|要|跟|和|让|请)(?:你们)?(?:的)?(?:人工)?客服(?:说|谈|聊|处理|来)|"
    r"\b(?:talk|speak|chat) (?:to|with) (?:a |an |the |some |your )?(?:real )?"
    r"(?:person|human|agent|someone|somebody|people|representative|operator)\b|"
    r"\b(?:real|live) (?:person|human|agent)\b|\bhuman agent\b)",
    re.IGNORECASE,
)


def complains_about_the_line(text: str | None) -> bool:
    """Whether a message tells that the phone line does not answer without plainly asking for a
    person ("姑娘，客服电话打不通"): in a form it is the answer to its question."""
    words = to_simplified(text or "")
    return bool(_LINE_TROUBLE.search(words)) and not _CLEAR_REQUEST.search(words)


# "不用人工了", "不要转人工", "no need for an agent", "I don't want to talk to a person": the
# customer turns a person down. The words name one (人工, agent), so the model may read them as a
# request; they never queue anyone (components/person_request.py). Checked on simplified text.
_REFUSES_PERSON = re.compile(
    r"((?:不用|不要|不需要|不想|别|无需|不必|用不着|不找|不用再|先不用|暂时不用|先不|暂时不)"
    r"(?:再)?(?:给我)?(?:(?:转|找|接|叫|跟|和|要|等)(?:到|给)?)?(?:你们的?)?"
    r"(?:人工|真人|专人|客服|坐席)|"
    r"(?:不用|不要|不需要|不想|无需|不必|用不着)(?:跟|和|找|叫)人(?:说|聊|谈|来)?|"
    r"(?:人工|真人|人工客服|转人工)(?:就|先|暂时)?(?:不用|不要|不需要|算了|免了)|"
    r"\bno need (?:for|of) (?:a |an |the )?(?:real )?(?:person|human|agent|someone|people|"
    r"representative|operator)|"
    r"\b(?:don'?t|do not|dont|no longer) (?:want|need)(?: to (?:talk|speak|chat) (?:to|with)| to "
    r"wait for)? (?:a |an |the |any |your )?(?:real |live )?(?:person|human|agent|someone|"
    r"somebody|people|representative|operator)s?\b|"
    r"^no (?:human|agent|person)s?\b)",
    re.IGNORECASE,
)


def refuses_person(text: str | None) -> bool:
    """Whether the customer says they do NOT want a person ("不用人工了", "no need for an
    agent"): never a reason to queue them."""
    if not text:
        return False
    return bool(_REFUSES_PERSON.search(to_simplified(text).strip().lower()))


# --- what the customer is told -------------------------------------------------------------------

# The replies actions/handoff.start_handoff gives a customer queued in writing ("4 people ahead…
# about 20 minutes… add anything else right here"). A call is put through now, or told what
# happens instead, in its own words (channels/twilio_voice_twiml.Twiml.to_person): there, these
# are left unsaid.
QUEUE_REPLIES = ("handoff_queued", "handoff_queued_next", "handoff_after_hours", "handoff_already")


@lru_cache(maxsize=1)
def _queue_reply_patterns() -> Tuple[re.Pattern[str], ...]:
    from bot.replies import catalog, template_pattern

    return tuple(template_pattern(template.strip()) for key in QUEUE_REPLIES
                 for template in catalog()[key].values())


def is_queue_reply(text: str) -> bool:
    """Whether `text` is one of QUEUE_REPLIES, in either language, whatever its fields."""
    text = text.strip()
    return any(pattern.fullmatch(text) for pattern in _queue_reply_patterns())


# --- working hours ------------------------------------------------------------------------------

def working_hours(spec: str | None = None) -> Tuple[time, time]:
    """Opening and closing time, local, from "08:00-20:00" (settings)."""
    spec = spec or get_settings().agent_hours
    start_text, end_text = (part.strip() for part in spec.split("-", 1))
    return time.fromisoformat(start_text), time.fromisoformat(end_text)


def hours_text(lang: str | None, spec: str | None = None) -> str:
    """The agents' hours as customers read them, always with the time zone:
    "08:00–20:00（北京时间）", "08:00–20:00 (Beijing time)"."""
    from bot.replies import say, zone_name

    start, end = working_hours(spec)
    return say("agent_hours_text", lang, start=f"{start:%H:%M}", end=f"{end:%H:%M}",
               zone=zone_name(lang))


def next_opening(now: datetime | None = None, spec: str | None = None) -> datetime | None:
    """None while people are answering; otherwise when they start again (naive UTC)."""
    start, end = working_hours(spec)
    if start == end:  # "00:00-00:00": someone answers around the clock
        return None
    local = to_local(as_utc_naive(now))
    if start <= local.time() < end:
        return None
    day = local.date() if local.time() < start else local.date() + timedelta(days=1)
    opening = datetime.combine(day, start, tzinfo=local_zone())
    return as_utc_naive(opening)


def wait_minutes(ahead: int, per_customer: int | None = None) -> int:
    """Rough minutes until a person answers: everyone ahead, plus this customer's turn."""
    per_customer = per_customer or get_settings().handoff_minutes_per_customer
    return max(1, (ahead + 1) * per_customer)


# --- the summary the agent reads -----------------------------------------------------------------

# Staff-facing labels (the console is for agents; customers never see these).
TOPIC_LABELS: Dict[str, str] = {
    "check_status": "查进度 / claim status",
    "report_claim": "报案 / report a claim",
    "ask_documents": "材料 / documents",
    "ask_clause": "条款 / policy clauses",
    "complain": "投诉 / complaint",
    "dispute_decision": "对理赔结果有异议 / disputes a decision",
    "request_human": "要求人工 / asked for a person",
    "declare_elderly": "老年客户 / elderly customer",
    "nlu_fallback": "未能理解 / not understood",
    "out_of_scope": "其他问题 / out of scope",
}
_NOT_TOPICS = {"greet", "goodbye", "thank", "affirm", "deny", "inform", "cancel",
               "switch_language", "ask_capabilities", "no_text", "message_too_long"}
MAX_SUMMARY_MESSAGES = 10
MAX_SUMMARY_TEXT = 500


def _intent_of(event: Mapping[str, Any]) -> str:
    return ((event.get("parse_data") or {}).get("intent") or {}).get("name") or ""


def _clip(text: str, limit: int = MAX_SUMMARY_TEXT) -> str:
    text = " ".join(text.split()) if "\n" not in text else text.strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def build_summary(
    events: Sequence[Mapping[str, Any]],
    slots: Mapping[str, Any],
    *,
    reason: Reason | str,
    claims: Iterable[Mapping[str, Any]] = (),
    complaint: Mapping[str, Any] | None = None,
) -> Dict[str, Any]:
    """What an agent needs before answering, built from the conversation's events (Rasa's
    event dicts) and slots: who the customer is, which policy and claims, what they asked for,
    the reason for the handoff and the last messages. It is stored and shown to agents, so the
    customer's words are redacted first (bot.privacy: an identity answer becomes a label, phone,
    ID and card numbers are masked)."""
    events = redact_events(events, language=slots.get("language"))
    asked: List[str] = []
    first_request = ""
    messages: List[Dict[str, Any]] = []
    for event in events:
        kind = event.get("event")
        text = event.get("text")
        if kind == "user":
            intent = _intent_of(event)
            if intent.startswith("EXTERNAL_") or (text or "").startswith("EXTERNAL:"):
                continue
            if intent and intent not in _NOT_TOPICS and intent not in asked:
                asked.append(intent)
            if text and not first_request and intent not in _NOT_TOPICS:
                first_request = _clip(text)
            if text:
                messages.append({"from": "customer", "text": _clip(text),
                                 "at": event.get("timestamp")})
        elif kind == "bot" and text:
            metadata = event.get("metadata") or {}
            messages.append({"from": "agent" if metadata.get("agent") else "bot",
                             "text": _clip(text), "at": event.get("timestamp"),
                             **({"agent": metadata["agent"]} if metadata.get("agent") else {})})
    return {
        "reason": str(Reason(reason)),
        "customer": {
            "name": slots.get("customer_name") or None,
            "verified": bool(slots.get("verified")),
            "policy_number": slots.get("policy_number") if slots.get("verified") else None,
            "elderly": bool(slots.get("elderly")),
        },
        "claim_number": slots.get("claim_number") or slots.get("last_claim_number") or None,
        "claims": [dict(claim) for claim in claims],
        "complaint": redact_value(dict(complaint), slots.get("language")) if complaint else None,
        "asked": [{"intent": intent, "label": TOPIC_LABELS.get(intent, intent)}
                  for intent in asked],
        "first_request": first_request or None,
        "last_messages": messages[-MAX_SUMMARY_MESSAGES:],
    }


def _incident_time(at: Any, precision: str | None) -> str:
    """"2026年11月14日 约 下午 / 14 Nov 2026, afternoon (approx.)": agents see how precise it is."""
    return f"{incident_time_text(at, precision, 'zh')} / {incident_time_text(at, precision, 'en')}"


def claims_for_summary(policy_number: str | None, *, hidden: Iterable[str] = (),
                       url: str | None = None) -> List[Dict[str, Any]]:
    """The verified policy holder's claims, newest first, as the summary lists them. Claims of
    the `hidden` policies (medical ones whose one-time code this conversation has not given:
    bot.access.hidden_policies) are left out: an agent reads no more than the customer may."""
    if not policy_number:
        return []
    hidden = frozenset(hidden)
    with unit_of_work(url) as uow:
        policy = uow.policies.by_number(policy_number)
        if policy is None:
            return []
        return [
            {"number": claim.number, "stage": claim.stage, "policy_number": claim.policy.number,
             "incident_type": claim.incident_type,
             "incident_time": _incident_time(claim.incident_at, claim.incident_time_precision),
             "product": claim.policy.product_name_zh + " / " + claim.policy.product_name_en}
            for claim in uow.claims.of_customer(policy.customer_id)
            if claim.policy.number not in hidden
        ]


# --- the queue ------------------------------------------------------------------------------------

class HandoffError(Exception):
    """A queue operation was refused; the message says why."""


class HandoffNotFound(HandoffError):
    def __init__(self, handoff_id: int) -> None:
        super().__init__(f"handoff {handoff_id} not found")


class AlreadyTaken(HandoffError):
    def __init__(self, handoff_id: int, by: str | None) -> None:
        super().__init__(f"handoff {handoff_id} is already taken" + (f" by {by}" if by else ""))
        self.by = by


class NotYours(HandoffError):
    def __init__(self, handoff_id: int) -> None:
        super().__init__(f"handoff {handoff_id} is not held by this agent")


class RoutedElsewhere(HandoffError):
    """The handoff was transferred to a named colleague or to a role's queue: only they (or a
    supervisor) may take it."""

    def __init__(self, handoff_id: int, to: str) -> None:
        super().__init__(f"handoff {handoff_id} was transferred to {to}")
        self.to = to


class TransferRefused(HandoffError):
    """A transfer the rules do not allow; `status` is the HTTP status the console answers."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


@dataclass(frozen=True)
class QueueEntry:
    id: int
    conversation_id: str
    channel: str | None
    reason: str
    priority: int
    language: str | None
    summary: Dict[str, Any]
    status: str
    agent_id: int | None
    agent_name: str | None
    created_at: datetime
    taken_at: datetime | None
    closed_at: datetime | None
    resolution: str | None
    callback_at: datetime | None = None  # a call-back the customer booked (bot/waiting.py)
    callback_phone: str | None = None
    # Where it goes first: the case owner (首问负责制) or whom it was transferred to.
    routed_to_id: int | None = None
    routed_to_name: str | None = None
    routed_role: str | None = None
    routed_why: str | None = None  # case_owner | transfer
    transferred_by: str | None = None
    transfer_note: str | None = None


def _entry(row: Handoff) -> QueueEntry:
    return QueueEntry(
        id=row.id, conversation_id=row.conversation_id, channel=row.channel, reason=row.reason,
        priority=row.priority, language=row.language, summary=dict(row.summary or {}),
        status=row.status, agent_id=row.agent_id,
        agent_name=row.agent.display_name if row.agent is not None else None,
        created_at=row.created_at, taken_at=row.taken_at, closed_at=row.closed_at,
        resolution=row.resolution, callback_at=row.callback_at, callback_phone=row.callback_phone,
        routed_to_id=row.routed_to_id,
        routed_to_name=row.routed_to.display_name if row.routed_to is not None else None,
        routed_role=row.routed_role, routed_why=row.routed_why,
        transferred_by=row.transferred_by, transfer_note=row.transfer_note,
    )


# --- the case owner (首问负责制) ----------------------------------------------------------------

def case_keys(conversation_id: str, summary: Mapping[str, Any] | None) -> List[str]:
    """The keys a customer's case is known by, most specific first: the claim the handoff is
    about, the verified policy, the conversation."""
    summary = summary or {}
    keys: List[str] = []
    if summary.get("claim_number"):
        keys.append(f"claim:{str(summary['claim_number']).upper()}")
    policy = (summary.get("customer") or {}).get("policy_number")
    if policy:
        keys.append(f"policy:{str(policy).upper()}")
    keys.append(f"conversation:{conversation_id}")
    return [key[:300] for key in keys]


def _owner(uow: Any, keys: Sequence[str]) -> Agent | None:
    """The active agent who owns the first of `keys` that has an owner."""
    for key in keys:
        row = uow.session.query(CaseOwner).filter(CaseOwner.case_key == key).one_or_none()
        if row is not None and row.agent is not None and row.agent.active:
            return row.agent
    return None


def _own(uow: Any, keys: Sequence[str], agent_id: int, at: datetime, *,
         replace: bool = False) -> None:
    """Makes the agent the owner of every key that has none (`replace`: of every key)."""
    for key in keys:
        row = uow.session.query(CaseOwner).filter(CaseOwner.case_key == key).one_or_none()
        if row is None:
            uow.session.add(CaseOwner(case_key=key, agent_id=agent_id, since=at))
        elif replace and row.agent_id != agent_id:
            row.agent_id, row.since = agent_id, at


def case_owner(*, claim_number: str | None = None, policy_number: str | None = None,
               conversation_id: str | None = None, url: str | None = None) -> str | None:
    """The display name of the agent who owns this case, if any."""
    keys = ([f"claim:{claim_number.upper()}"] if claim_number else []) + \
        ([f"policy:{policy_number.upper()}"] if policy_number else []) + \
        ([f"conversation:{conversation_id}"] if conversation_id else [])
    with unit_of_work(url) as uow:
        agent = _owner(uow, keys)
        return agent.display_name if agent is not None else None


@dataclass(frozen=True)
class Queued:
    """The outcome of a handoff request, with what the customer is told."""

    entry: QueueEntry
    created: bool  # False: the conversation was already in the queue
    ahead: int  # queued handoffs an agent takes before this one
    wait_minutes: int
    opens_at: datetime | None  # outside working hours: when people start again (naive UTC)


def request_handoff(
    conversation_id: str,
    *,
    reason: Reason | str,
    elderly: bool = False,
    language: str | None = None,
    channel: str | None = None,
    summary: Mapping[str, Any] | None = None,
    now: datetime | None = None,
    url: str | None = None,
) -> Queued:
    """Put a conversation in the queue, once: a conversation already queued or held keeps its
    entry (its priority rises if this request ranks higher), and no second entry is made."""
    at = as_utc_naive(now)
    reason = Reason(reason)
    rank = priority(reason, elderly)
    with unit_of_work(url) as uow:
        # Rasa handles one message per conversation at a time, so no other request for this
        # conversation runs between the look-up and the insert.
        row = uow.handoffs.open_for_conversation(conversation_id)
        created = row is None
        if row is None:
            # A returning customer goes to the agent who owns their case first (首问负责制).
            owner = _owner(uow, case_keys(conversation_id, summary))
            row = uow.handoffs.add(Handoff(
                conversation_id=conversation_id, channel=channel, reason=reason.value,
                priority=rank, language=language, summary=dict(summary or {}),
                status="queued", created_at=at,
                routed_to_id=owner.id if owner is not None else None,
                routed_why="case_owner" if owner is not None else None,
            ))
            uow.flush()
            uow.audit.record(HANDOFF_ACTOR, "handoff.queued", "handoff", row.id,
                             {"conversation": conversation_id, "reason": reason.value,
                              "priority": rank, "channel": channel,
                              "routed_to": owner.username if owner is not None else None},
                             at=at)
        elif rank > row.priority and row.status == "queued":
            row.priority = rank
        ahead = uow.handoffs.queued_ahead_of(row) if row.status == "queued" else 0
        opens = next_opening(at)
        if reason is Reason.URGENT and opens is not None and row.status == "queued":
            # "A person will take this first when they start": a task due at the opening.
            from bot.promises import promise_urgent_out_of_hours

            promise_urgent_out_of_hours(uow, row, opens, actor=HANDOFF_ACTOR, now=at)
        uow.commit()
        entry = _entry(row)
    return Queued(entry, created, ahead, wait_minutes(ahead), opens)


def open_queue(*, url: str | None = None) -> List[QueueEntry]:
    """Queued and taken handoffs, in the order agents take them."""
    with unit_of_work(url) as uow:
        return [_entry(row) for row in uow.handoffs.open()]


def get_entry(handoff_id: int, *, url: str | None = None) -> QueueEntry | None:
    with unit_of_work(url) as uow:
        row = uow.handoffs.get(handoff_id)
        return _entry(row) if row is not None else None


def open_entry_for(conversation_id: str, *, url: str | None = None) -> QueueEntry | None:
    with unit_of_work(url) as uow:
        row = uow.handoffs.open_for_conversation(conversation_id)
        return _entry(row) if row is not None else None


def take(handoff_id: int, agent_id: int, *, actor: str, now: datetime | None = None,
         role: str | None = None, url: str | None = None) -> QueueEntry:
    """Give a queued conversation to an agent. Of two agents taking it at once, one wins; the
    other gets AlreadyTaken naming the winner. A handoff transferred to a named colleague or to
    a role's queue is theirs (RoutedElsewhere for anyone else but a supervisor). The taker
    becomes the owner of the customer's case where it has none yet (首问负责制)."""
    at = as_utc_naive(now)
    with unit_of_work(url) as uow:
        queued = uow.handoffs.get(handoff_id)
        if queued is not None and queued.status == "queued" and queued.routed_why == "transfer" \
                and role != "supervisor":
            if queued.routed_to_id is not None and queued.routed_to_id != agent_id:
                name = queued.routed_to.display_name if queued.routed_to else "a colleague"
                raise RoutedElsewhere(handoff_id, name)
            if queued.routed_role is not None and queued.routed_role != role:
                raise RoutedElsewhere(handoff_id, f"the {queued.routed_role} queue")
        won = uow.handoffs.take(handoff_id, agent_id, at)
        row = uow.session.get(Handoff, handoff_id, populate_existing=True)
        if row is None:
            raise HandoffNotFound(handoff_id)
        if not won:
            by = row.agent.display_name if row.agent is not None else None
            raise AlreadyTaken(handoff_id, by)
        uow.audit.record(actor, "handoff.taken", "handoff", handoff_id,
                         {"conversation": row.conversation_id}, at=at)
        _own(uow, case_keys(row.conversation_id, row.summary), agent_id, at)
        uow.commit()
        return _entry(row)


def transfer(handoff_id: int, agent_id: int, *, actor: str, to_username: str | None = None,
             to_role: str | None = None, note: str | None = None, role: str = "agent",
             now: datetime | None = None, url: str | None = None) -> Tuple[QueueEntry, str]:
    """The agent holding a handoff passes it on: to a named colleague or supervisor (who also
    becomes the case's owner), or to a role's queue. It goes back into the queue routed there;
    returns the entry and the name the customer is told. Only a supervisor may route to the
    supervisors' queue (anyone may name a supervisor). Refusals are audited."""
    at = as_utc_naive(now)
    note = (note or "").strip()[:2000] or None

    def refuse(uow: Any, error: HandoffError) -> None:
        uow.rollback()
        uow.audit.record(actor, "handoff.transfer_refused", "handoff", handoff_id,
                         {"reason": getattr(error, "code", type(error).__name__),
                          "to": to_username or to_role}, at=at)
        uow.commit()
        raise error

    with unit_of_work(url) as uow:
        row = uow.handoffs.get(handoff_id)
        if row is None:
            raise HandoffNotFound(handoff_id)
        if row.status != "taken" or row.agent_id != agent_id:
            refuse(uow, NotYours(handoff_id))
        target: Agent | None = None
        if bool(to_username) == bool(to_role):
            refuse(uow, TransferRefused("invalid_target", "name one colleague or one role"))
        if to_username:
            target = uow.agents.by_username(to_username.strip().lower())
            if target is None or not target.active:
                refuse(uow, TransferRefused("unknown_agent", f"no active agent {to_username}",
                                            status=404))
            if target.id == agent_id:
                refuse(uow, TransferRefused("same_agent", "you hold it already"))
        elif to_role not in AGENT_ROLES:
            refuse(uow, TransferRefused("invalid_role", f"a role is one of "
                                        f"{', '.join(AGENT_ROLES)}"))
        elif to_role == "supervisor" and role != "supervisor":
            refuse(uow, TransferRefused(
                "role_not_allowed", "only a supervisor may send a conversation to the "
                "supervisors' queue; name the supervisor instead", status=403))
        row.status, row.agent_id, row.taken_at = "queued", None, None
        row.routed_to_id = target.id if target is not None else None
        row.routed_role = None if target is not None else to_role
        row.routed_why = "transfer"
        row.transferred_at, row.transferred_by, row.transfer_note = at, actor[:100], note
        if target is not None:
            _own(uow, case_keys(row.conversation_id, row.summary), target.id, at, replace=True)
        uow.audit.record(actor, "handoff.transferred", "handoff", handoff_id,
                         {"conversation": row.conversation_id,
                          "to": target.username if target is not None else f"role:{to_role}",
                          "note": bool(note)}, at=at)
        uow.flush()
        uow.commit()
        row = uow.session.get(Handoff, handoff_id, populate_existing=True)
        return _entry(row), (target.display_name if target is not None else to_role or "")


def held_by(handoff_id: int, agent_id: int, *, url: str | None = None) -> QueueEntry:
    """The handoff, if this agent holds it now; NotYours or HandoffNotFound otherwise."""
    entry = get_entry(handoff_id, url=url)
    if entry is None:
        raise HandoffNotFound(handoff_id)
    if entry.status != "taken" or entry.agent_id != agent_id:
        raise NotYours(handoff_id)
    return entry


def hand_back(handoff_id: int, agent_id: int, resolution: str | None, *, actor: str,
              now: datetime | None = None, url: str | None = None) -> QueueEntry:
    """Close a held handoff with what was agreed; NotYours when the agent does not hold it."""
    at = as_utc_naive(now)
    note = (resolution or "").strip()[:2000] or None
    with unit_of_work(url) as uow:
        if not uow.handoffs.close(handoff_id, agent_id, at, note):
            if uow.handoffs.get(handoff_id) is None:
                raise HandoffNotFound(handoff_id)
            raise NotYours(handoff_id)
        row = uow.session.get(Handoff, handoff_id, populate_existing=True)
        uow.audit.record(actor, "handoff.handed_back", "handoff", handoff_id,
                         {"conversation": row.conversation_id}, at=at)
        uow.commit()
        return _entry(row)


def last_hand_back(conversation_id: str, *, url: str | None = None) -> QueueEntry | None:
    """The conversation's most recently closed handoff (what the hand-back greeting tells)."""
    with unit_of_work(url) as uow:
        row = uow.handoffs.last_closed_for_conversation(conversation_id)
        return _entry(row) if row is not None else None


def record(actor: str, action: str, handoff_id: int, detail: Dict[str, Any] | None = None,
           *, url: str | None = None) -> None:
    """An audit entry about a handoff (an agent read or wrote to it)."""
    with unit_of_work(url) as uow:
        uow.audit.record(actor, action, "handoff", handoff_id, detail)
        uow.commit()


# --- messages outside the customer's turn ------------------------------------------------


def report_draft_text(draft: Mapping[str, Any] | None, language: str | None) -> str | None:
    """The report the customer was giving when the conversation went to a person, as the lines
    they would have confirmed (redacted like the rest of the summary); None without one."""
    if not draft:
        return None
    from bot.claims.reporting.answers import report_summary
    from bot.claims.reporting.service import ReportDraft

    lines = report_summary(ReportDraft.from_dict(dict(draft)), language or "zh")
    return redact_text(lines, language, masked=True) if lines.strip() else None
