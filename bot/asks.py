"""Bounded asks: one policy for every question of every form.

Every form question counts the answers it could not use (one dict kept in a slot for all forms,
keyed "form:question"). The first failed answer is asked again the usual way; the second gets a
different way to answer (buttons, an example, "记不清也可以"); the third records what can be
recorded (a day without an hour, "unknown" for a field that may be unknown) or offers a person.
The same question is never asked a third time.

Also here: the words that stop, skip or take up again a report ("算了", "继续报案"), a clear yes
to an offer, and counting misunderstandings in a row.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from enum import Enum
from typing import Any, Iterable, Mapping

from bot.claims.reporting.extract import general_incident_type
from bot.claims.reporting.service import ReportDraft
from bot.language import normalise


class Step(Enum):
    """What the form does after a failed answer."""

    REASK = "reask"  # first failure: the question again, the usual way
    OTHER_WAY = "other_way"  # second: buttons, an example, "roughly is fine"
    GIVE_UP = "give_up"  # third: record what can be recorded, or offer a person


# After this many failed answers to one question it is not asked again.
MAX_FAILED = 3
_STEPS = {1: Step.REASK, 2: Step.OTHER_WAY}


# Questions that are one question to the customer, counted as one: "when did it happen?",
# then "what time?" for the day given, and on a hospital stay "which day were you admitted?".
SAME_QUESTION = {
    "report": {"incident_hour": "incident_time", "admission_date": "incident_time"},
}


def _counted_as(form: str, question: str) -> str:
    return SAME_QUESTION.get(form, {}).get(question, question)


def same_question(form: str, first: str | None, second: str | None) -> bool:
    """Whether two questions of `form` are one question to the customer (one count)."""
    if not first or not second:
        return False
    return _counted_as(form, first) == _counted_as(form, second)


def key(form: str, question: str) -> str:
    return f"{form}:{_counted_as(form, question)}"


def failures(counts: Mapping[str, Any] | None, form: str, question: str) -> int:
    value = (counts or {}).get(key(form, question))
    return value if isinstance(value, int) else 0


def failed(counts: Mapping[str, Any] | None, form: str, question: str
           ) -> tuple[dict[str, int], Step]:
    """The counts after one more failed answer to `question`, and what to do about it."""
    updated = {name: value for name, value in (counts or {}).items() if isinstance(value, int)}
    number = min(failures(counts, form, question) + 1, MAX_FAILED)
    updated[key(form, question)] = number
    return updated, _STEPS.get(number, Step.GIVE_UP)


def answered(counts: Mapping[str, Any] | None, form: str, question: str,
             next_question: str | None = None) -> dict[str, int]:
    """The counts after `question` was answered: its count starts again, unless the next
    question is the same one to the customer (a day given, the hour still to say): then the
    count goes on, so that "when?" is never asked a third time in other words."""
    if same_question(form, question, next_question):
        return {name: value for name, value in (counts or {}).items() if isinstance(value, int)}
    return {name: value for name, value in (counts or {}).items()
            if name != key(form, question) and isinstance(value, int)}


def forget_form(counts: Mapping[str, Any] | None, form: str) -> dict[str, int] | None:
    """The counts once `form` is over (submitted, stopped or cancelled)."""
    left = {name: value for name, value in (counts or {}).items()
            if not name.startswith(f"{form}:") and isinstance(value, int)}
    return left or None


# --- report questions ------------------------------------------------------------------------

# Report questions that may stay unknown: after the third failed answer the claim records
# "unknown" (a day without an hour for incident_hour) and the report goes on. The others
# (what happened, which day) cannot be filed without: a person is offered instead.
MAY_BE_UNKNOWN = frozenset({
    "incident_hour", "place", "description", "injuries", "estimated_amount", "hospital",
    "admission_date", "diagnosis", "other_party", "plate",
})


def record_unknown(draft: ReportDraft, question: str) -> ReportDraft | None:
    """The draft with `question` recorded as unknown, or None when it may not stay unknown."""
    if question == "incident_type":
        # An account that names no type: recorded under the line's most general type, the
        # account kept; the handler decides (bot/claims/reporting/extract.py).
        general = general_incident_type(draft.line_of_business)
        if general is None or not draft.description:
            return None
        return replace(draft, incident_type=general)
    if question not in MAY_BE_UNKNOWN:
        return None
    return replace(draft, declined=tuple(sorted({*draft.declined, question})))


# --- stop, skip, take up again ---------------------------------------------------------------

# The report as a whole is dropped only on words that say so.
_CANCEL_REPORT = re.compile(
    r"(不报了|取消|不办了|不弄了|不要报|别报了|cancel|stop (the|this|my)? ?(report|claim)|"
    r"don'?t want to (report|file|claim))",
    re.IGNORECASE,
)
# "算了" / "不想说" / "never mind": this question, or the whole report? (asked back)
_SOFT_STOP = re.compile(
    r"^(算了|算了吧|不想说|不想回答|不想讲|不说了|不方便说|先不说|没什么好说的|never ?mind|"
    r"forget it|i'?d rather not( say)?|rather not say|i don'?t want to (say|answer)|"
    r"pass|skip( it| this| this question)?)[\s,.!。！，~～]*$",
    re.IGNORECASE,
)
_SKIP = re.compile(
    r"(跳过|下一个|下一题|这个不说|skip|next question|move on)", re.IGNORECASE)
_PAUSE = re.compile(
    r"(先不报|不报了|暂停|先放|放一放|停下|整个|stop|pause|later|the whole report)", re.IGNORECASE)
_RESUME = re.compile(
    r"(继续报案|接着报|继续刚才|接着刚才|刚才说到哪|说到哪了|我们说到哪|上次说到哪|继续填|恢复报案|"
    r"where were we|continue (the|my)? ?(report|claim)|carry on with (the|my) (report|claim)|"
    r"resume (the|my)? ?(report|claim)|pick up where|back to (the|my) (report|claim))",
    re.IGNORECASE,
)
_YES_WORDS = (
    r"(是|是的|对|对的|好|好的|好啊|好吧|行|可以|要|需要|嗯|恩|转|转吧|转人工|人工|麻烦了|麻烦你了|"
    r"麻烦|请|请转|谢谢|yes|yeah|yep|yup|ok|okay|sure|please|go ahead|please do|"
    r"put me through|talk to a person|a person|thanks|thank you)"
)
_CLEAR_YES = re.compile(rf"^(?:{_YES_WORDS}[\s,.!。！，~～呀啊吧哈呢嘛]*){{1,3}}$", re.IGNORECASE)
_CLEAR_NO = re.compile(
    r"^(不|不用|不用了|不要|不需要|没有|没|没事|算了|no|nope|no thanks|no thank you|not now)"
    r"[\s,.!。！，~～]*(谢谢|thanks|thank you)?[\s,.!。！，~～]*$",
    re.IGNORECASE,
)


def _clean(text: str) -> str:
    return normalise(text or "").strip()


def cancels_report(text: str) -> bool:
    """"不报了" / "取消报案" / "cancel": the whole report, in so many words."""
    return bool(_CANCEL_REPORT.search(_clean(text)))


def soft_stop(text: str) -> bool:
    """"算了" / "不想说" / "never mind" alone: which is meant, this question or the report, is
    asked back."""
    return bool(_SOFT_STOP.match(_clean(text)))


def wants_skip(text: str) -> bool:
    return bool(_SKIP.search(_clean(text)))


def wants_pause(text: str) -> bool:
    return bool(_PAUSE.search(_clean(text)))


def wants_resume(text: str) -> bool:
    """"继续报案" / "刚才说到哪了" / "where were we": take the report up again."""
    return bool(_RESUME.search(_clean(text)))


def clear_no(text: str) -> bool:
    return bool(_CLEAR_NO.match(_clean(text)))


def clear_yes(text: str) -> bool:
    """A plain yes ("好的", "要", "yes please"), not a message that only starts like one
    ("嗯嗯那个啥就是说吧")."""
    return bool(_CLEAR_YES.match(_clean(text)))


# --- misunderstandings in a row --------------------------------------------------------------

# What a turn the bot could not place looks like: the model's low-confidence guess, or a yes
# or no that answered no question (the rules send those to action_how_can_i_help).
NOT_PLACED = "nlu_fallback"
STRAY_ANSWERS = frozenset({"affirm", "deny"})
STRAY_ANSWER_ACTION = "action_how_can_i_help"


@dataclass(frozen=True)
class Turn:
    """One customer message: its intent and the first action the bot took on it."""

    intent: str | None
    action: str | None


def misunderstood(turn: Turn) -> bool:
    if turn.intent == NOT_PLACED:
        return True
    return turn.intent in STRAY_ANSWERS and turn.action == STRAY_ANSWER_ACTION


def misunderstood_in_a_row(turns: Iterable[Turn]) -> int:
    """How many of the latest turns (oldest first) in a row the bot could not place."""
    count = 0
    for turn in reversed(list(turns)):
        if not misunderstood(turn):
            break
        count += 1
    return count


def numbered_pick(text: str, options: int) -> int | None:
    """"1" / "２" / "1." typed to a question offered as numbered options (the web chat and
    WeChat show buttons as "1. … 2. …"): the option's number, or None."""
    bare = unicodedata.normalize("NFKC", text or "").strip(" .。!！、)）")
    return int(bare) if bare.isdigit() and 1 <= int(bare) <= options else None
