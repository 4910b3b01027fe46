"""Plain-language status of a customer's claims, in their language.

One claim is told in full: the stage, what the customer must still send (all of it, at once),
what the insurer is doing, the deadline that binds now and whether it is kept; a paid claim's
amount and date; a refused claim's reason, the clause it rests on (quoted) and the route of
appeal. Several claims are listed one line each for the customer to pick one by its number.
The describe_* functions are pure (a ClaimView in, text out); status_of_customer reads the store.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Collection, Dict, Iterable, List, Sequence

from bot.claims.amounts import is_small_claim
from bot.claims.deadlines import ClockStatus, claim_deadlines, rules, settlement_band
from bot.claims.lifecycle import claims_of_policy_holder
from bot.claims.model import ClaimStage, ClaimView
from bot.clauses import clause_by_reference
from bot.clock import to_local
from bot.documents import catalogue, one_time_notice
from bot.escalations import escalate_if_late
from bot.parsing import normalise_digits, parse_claim_number
from bot.replies import date_text, join, money, say
from bot.store.db import unit_of_work

logger = logging.getLogger(__name__)

S = ClaimStage
# Stages where the customer may still owe documents.
_DOCUMENT_STAGES = (S.REPORTED, S.DOCUMENTS_REVIEW)
# Stages with a running promise worth telling the customer; finished claims have none.
_CLOCKED_STAGES = (S.REPORTED, S.DOCUMENTS_REVIEW, S.INVESTIGATION, S.ASSESSMENT, S.PAYMENT)
_LATE = (ClockStatus.RED, ClockStatus.OVERDUE)


def _denial_reason(view: ClaimView, lang: str) -> str:
    reason = (view.denial_reason_en if lang == "en" else view.denial_reason_zh) or "-"
    return reason.rstrip("。.")


def clause_reference(reference: str | None, lang: str) -> str:
    """A stored reference may hold both languages ("第十二条 / Clause 12"); pick one."""
    if not reference:
        return "-"
    parts = [part.strip() for part in reference.split(" / ")]
    if len(parts) == 2:
        return parts[1] if lang == "en" else parts[0]
    return reference


def missing_labels(view: ClaimView, lang: str) -> List[str]:
    return [label_en if lang == "en" else label_zh
            for _, label_zh, label_en in view.missing_documents]


def summary_line(view: ClaimView, lang: str) -> str:
    """'· CLM-…（车险）：正在审核材料，报案日期 …' — one claim in one line."""
    return say(
        "status_line",
        lang,
        number=view.number,
        product=say(f"line.{view.line_of_business}", lang),
        stage=say(f"stage.{view.stage}", lang),
        reported=date_text(view.reported_at, lang),
    )


def insurer_doing(view: ClaimView, lang: str) -> str | None:
    """What the insurer is doing now, or None once the claim is finished."""
    if view.stage not in _CLOCKED_STAGES:
        return None
    key = f"status_doing.{view.stage}"
    if view.stage in _DOCUMENT_STAGES and view.missing_documents:
        key = "status_doing.waiting_documents"
    if view.stage == ClaimStage.PAYMENT and view.approved_amount is not None:
        # The customer asks "how much?": the agreed amount, not only that there is one.
        return say("status_doing.payment_amount", lang, amount=money(view.approved_amount, lang))
    return say(key, lang)


def deadline_line(view: ClaimView, lang: str, now: datetime | None = None,
                  escalated: Collection[str] = frozenset()) -> str | None:
    """The deadline that binds the claim now and whether it is kept (bot.claims.deadlines); before
    the documents are complete, the promise that will start when they are. A late (red) clock
    is said to be escalated only when it is in `escalated` (clocks with an escalation record,
    bot.escalations); otherwise the customer hears that it is late and can ask for a person."""
    if view.stage not in _CLOCKED_STAGES:
        return None
    binding = claim_deadlines(view, now).binding
    if binding is None:
        if view.stage not in _DOCUMENT_STAGES:
            return None
        amount = view.approved_amount if view.approved_amount is not None \
            else view.estimated_amount
        band = settlement_band(amount)
        spec = rules()["settlement"][band]
        if band == "small":
            return say("status_promise_small", lang, hours=spec["yellow_hours"])
        return say("status_promise_standard", lang, days=spec["yellow_working_days"])
    rule = binding.rule_text(lang)
    if lang == "en":  # the rule is written to stand alone; here it follows "Time limit:"
        rule = rule[:1].lower() + rule[1:]
    # The binding clock is a running one: ok, yellow, red or overdue.
    progress = binding.status.value
    if binding.status in _LATE and binding.name not in escalated:
        progress += "_not_escalated"
    return say("status_deadline", lang, rule=rule,
               progress=say(f"status_progress.{progress}", lang))


def denial_lines(view: ClaimView, lang: str) -> List[str]:
    """Why a claim was refused, the clause quoted, the route of appeal and a person offered."""
    lines = [
        say("status_denied", lang, reason=_denial_reason(view, lang),
            clause=clause_reference(view.denial_clause, lang))
    ]
    clause = clause_by_reference(view.line_of_business, view.denial_clause)
    if clause is not None:
        lines.append(say("status_denied_clause", lang, reference=clause.reference(lang),
                         title=clause.title(lang), text=clause.text(lang),
                         plain=clause.plain(lang)))
    lines.append(say("status_appeal", lang))
    return lines


def describe_claim(view: ClaimView, lang: str, now: datetime | None = None,
                   escalated: Collection[str] = frozenset()) -> List[str]:
    """The lines that tell one claim in full (`escalated`: see deadline_line)."""
    lines = [summary_line(view, lang)]
    missing = missing_labels(view, lang)
    if missing and view.stage in _DOCUMENT_STAGES:
        lines.append(say("status_missing", lang, documents=join(missing, lang)))
    doing = insurer_doing(view, lang)
    if doing:
        lines.append(doing)
    deadline = deadline_line(view, lang, now, escalated)
    if deadline:
        lines.append(deadline)
    if view.paid_amount is not None and view.paid_at is not None:
        lines.append(
            say("status_paid", lang, amount=money(view.paid_amount, lang),
                date=date_text(view.paid_at, lang))
        )
    if view.stage is S.DENIED:
        lines.extend(denial_lines(view, lang))
    return lines


def describe_one(view: ClaimView, lang: str, now: datetime | None = None,
                 escalated: Collection[str] = frozenset()) -> str:
    """One claim in full, as a reply."""
    return "\n".join(describe_claim(view, lang, now, escalated) + [say("status_next", lang)])


def hidden_line(view: ClaimView, lang: str) -> str:
    """A claim whose details need the one-time code first: its number and line, nothing else."""
    return say("status_line_hidden", lang, number=view.number,
               product=say(f"line.{view.line_of_business}", lang))


def describe_claims(views: Sequence[ClaimView], lang: str, now: datetime | None = None,
                    hidden: frozenset = frozenset(),
                    escalated: Collection[str] = frozenset()) -> str:
    """The reply to "where is my claim?": one claim in full, several as a list to pick from.
    Claims of the `hidden` policies are only named (medical: the code comes first)."""
    if not views:
        return say("status_no_claims", lang)
    if len(views) == 1:
        return "\n".join(
            [say("status_intro", lang, count=1)] + describe_claim(views[0], lang, now, escalated)
            + [say("status_next", lang)]
        )
    lines = [say("status_intro", lang, count=len(views))]
    lines.extend(choice_line(index, view, lang, hidden) for index, view in enumerate(views, 1))
    lines.append(say("status_pick", lang, example=views[0].number))
    return "\n".join(lines)


def select(views: Iterable[ClaimView], claim_number: str) -> List[ClaimView]:
    return [view for view in views if view.number == claim_number]


# --- reading the store --------------------------------------------------------------------------

@dataclass(frozen=True)
class StatusReply:
    text: str
    found: bool  # False: the named claim is not under this customer's name (or does not exist)
    # Set instead of details: the policy whose one-time code must come first (medical).
    step_up: str | None = None
    # One button per claim when the reply is a list to pick from (channels without buttons
    # read the numbered lines instead).
    buttons: tuple = ()
    # The claim told in full (picked, named, or the customer's only one): the claim in focus
    # from now on (bot.claims.focus); None for a list.
    claim_number: str | None = None


def status_of_customer(
    policy_number: str,
    lang: str,
    *,
    actor: str,
    claim_number: str | None = None,
    now: datetime | None = None,
    url: str | None = None,
    hidden: frozenset = frozenset(),
    text: str | None = None,
) -> StatusReply:
    """The status reply for the verified holder of `policy_number`: all their claims, or the one
    named. A claim that does not exist and one that belongs to someone else get the same reply
    (nothing is revealed), and the refused look-up is audited under `actor`.

    `text` is the customer's message: it may pick a claim from the list ("第二个", "the car
    one") or ask whether money was paid ("赔了没有"), which gets the paid claims first."""
    views = claims_of_policy_holder(policy_number, actor=actor, url=url)
    if not claim_number and text:
        picked = pick_claim(text, views) if looks_like_pick(text) or len(views) > 1 else None
        if picked is not None and not asks_paid(text):
            claim_number = picked.number
    if not claim_number:
        if len(views) == 1 and views[0].policy_number in hidden:
            return StatusReply("", True, step_up=views[0].policy_number)
        buttons = tuple(choice_buttons(views, lang))
        if text and asks_paid(text):
            return StatusReply(paid_answer(views, lang, hidden), True, buttons=buttons)
        escalated = (_escalated(views[0], now, actor, url) if len(views) == 1
                     else frozenset())
        return StatusReply(describe_claims(views, lang, now, hidden, escalated), True,
                           buttons=buttons,
                           claim_number=views[0].number if len(views) == 1 else None)
    chosen = select(views, claim_number)
    if chosen and chosen[0].policy_number in hidden:
        return StatusReply("", True, step_up=chosen[0].policy_number)
    if not chosen:
        with unit_of_work(url) as uow:
            uow.audit.record(actor, "claim.read_refused", "claim", claim_number,
                             {"policy_number": policy_number, "reason": "not_the_customers"})
            uow.commit()
        return StatusReply(say("status_unknown_claim", lang, claim_number=claim_number), False)
    return StatusReply(describe_one(chosen[0], lang, now,
                                    _escalated(chosen[0], now, actor, url)), True,
                       claim_number=chosen[0].number)


def _escalated(view: ClaimView, now: datetime | None, actor: str,
               url: str | None) -> frozenset:
    """The clocks of a claim about to be told in full that have an escalation record. A late
    claim the back-office round has not reached yet is escalated now, by the same code
    (bot.escalations), so the answer may say so."""
    if view.stage not in _CLOCKED_STAGES:
        return frozenset()
    binding = claim_deadlines(view, now).binding
    if binding is None or binding.status not in _LATE:
        return frozenset()
    try:
        return escalate_if_late(view.number, now, actor=actor, url=url)
    except Exception:  # noqa: BLE001 - the store refused the write: say only what is true
        logger.exception("status: could not escalate %s", view.number)
        return frozenset()


# --- the question asked: "paid yet?", one line per claim with its next step, picking one --------

_PAID_WORDS = re.compile(
    r"赔了没|赔了吗|赔没赔|赔付了[吗没]|到账|打款|打钱|给钱|钱到|钱呢|付款了|钱.{0,4}(?:到|来|给)了[吗没]"
    r"|\bpaid\b|\bpay(?:ment|out)s?\b|\bmoney\b|\bin my account\b|\bdeposited\b|\bsettled\b",
    re.IGNORECASE,
)


def asks_paid(text: str) -> bool:
    """Whether the customer asks whether (or when) money was paid: "has my claim been paid
    yet?", "赔了没有", "钱到账了吗"."""
    return bool(_PAID_WORDS.search(text or ""))


# A question about a claim already decided ("I had another claim that was paid, how much did I
# get?", "上次那笔赔了多少"): the status of a claim, never a new report.
_DECIDED_CLAIM_QUESTION = re.compile(
    r"\bclaims? (?:that |which )?(?:was |were |got |has been |had been |have been )"
    r"(?:paid|settled|approved|refused|denied|rejected|turned down)\b"
    r"|\bhow much (?:did|have|had|do) (?:i|we) (?:get|got|receive|been paid|get paid)\b"
    r"|\bhow much (?:was|were|has been) (?:i |it |they )?paid\b"
    r"|\bhow much (?:did|have) you (?:pay|paid)\b"
    r"|赔了多少|赔付了多少|赔(?:了)?我多少|给(?:了)?我多少钱|到账(?:了)?多少|打了多少"
    r"|(?:之前|上次|以前|另一|另外)(?:那|一)?(?:笔|个|次)?(?:理赔|案子).{0,8}(?:赔|付|到账|拒)",
    re.IGNORECASE,
)


def asks_about_decided_claim(text: str) -> bool:
    """Whether the customer asks about a claim that was already paid or refused (its amount,
    its date), rather than reporting a new one."""
    return bool(_DECIDED_CLAIM_QUESTION.search(text or ""))


def next_step(view: ClaimView, lang: str) -> str:
    """What the customer must do, or what happens next, for one claim in a few words."""
    if view.paid_amount is not None and view.paid_at is not None:
        return say("status_step.paid", lang, amount=money(view.paid_amount, lang),
                   date=date_text(view.paid_at, lang))
    missing = missing_labels(view, lang)
    if missing and view.stage in _DOCUMENT_STAGES:
        return say("status_step.send", lang, documents=join(missing, lang))
    return say(f"status_step.{view.stage}", lang)


def needs_documents(view: ClaimView) -> bool:
    """Whether the customer still owes the claim documents."""
    return bool(view.missing_documents) and view.stage in _DOCUMENT_STAGES


def documents_of_claim(view: ClaimView, lang: str) -> List[str]:
    """"还缺什么材料？" about one claim (the one the customer is talking about): every document it
    still needs, at once (the one-time notice); or that it needs none from them now, and what
    happens next."""
    if not needs_documents(view):
        return [say("documents_none_for_claim", lang, claim_number=view.number,
                    step=next_step(view, lang))]
    items = [catalogue()[code] for code, _, _ in view.missing_documents if code in catalogue()]
    return [say("documents_for_claim", lang, claim_number=view.number),
            one_time_notice(items, lang, small_claim=is_small_claim(view.estimated_amount))]


def claim_for_documents(views: Sequence[ClaimView], focus: str | None) -> ClaimView | None:
    """The claim a documents question is about: the one in focus (bot.claims.focus: picked from
    the list, named, told in full or reported in this conversation) when it is among the
    customer's `views`, whether or not it needs anything; else the newest one still waiting for
    documents; else their only claim; None when none of several claims needs anything."""
    chosen = select(views, focus) if focus else []
    if chosen:
        return chosen[0]
    waiting = next((view for view in views if needs_documents(view)), None)
    return waiting or (views[0] if len(views) == 1 else None)


def choice_line(index: int, view: ClaimView, lang: str,
                hidden: frozenset = frozenset()) -> str:
    """One claim of a list to pick from: its place in the list, number, line, when it happened
    and what happens next (only the number and line for a claim that needs the code first)."""
    if view.policy_number in hidden:
        return say("status_choice_hidden", lang, index=index, number=view.number,
                   product=say(f"line.{view.line_of_business}", lang))
    happened = view.incident_at or view.reported_at
    return say("status_choice", lang, index=index, number=view.number,
               product=say(f"line.{view.line_of_business}", lang),
               date=date_text(to_local(happened), lang), step=next_step(view, lang))


def choice_buttons(views: Sequence[ClaimView], lang: str) -> List[Dict[str, str]]:
    """One button per claim of a list, where the channel shows buttons: the payload names the
    claim number, so a tap is the same as typing it."""
    if len(views) < 2:
        return []
    return [{"title": say("status_button", lang, index=index, number=view.number,
                          product=say(f"line.{view.line_of_business}", lang)),
             "payload": f'/inform{{"claim_number":"{view.number}"}}'}
            for index, view in enumerate(views, 1)]


def paid_answer(views: Sequence[ClaimView], lang: str,
                hidden: frozenset = frozenset()) -> str:
    """The answer to "has my claim been paid?": the paid claims by name with amount and date,
    then every other claim with what happens next. Claims needing the code are only named."""
    if not views:
        return say("status_no_claims", lang)
    shown = [view for view in views if view.policy_number not in hidden]
    paid = [view for view in shown if view.paid_amount is not None and view.paid_at is not None]
    lines = [say("status_paid_claim", lang, number=view.number,
                 product=say(f"line.{view.line_of_business}", lang),
                 amount=money(view.paid_amount, lang), date=date_text(view.paid_at, lang))
             for view in paid]
    if not paid:
        lines.append(say("status_none_paid", lang))
    others = [(index, view) for index, view in enumerate(views, 1) if view not in paid]
    if others:
        if paid:
            lines.append(say("status_others", lang))
        lines.extend(choice_line(index, view, lang, hidden) for index, view in others)
    if len(views) > 1:
        lines.append(say("status_pick", lang, example=views[0].number))
    return "\n".join(lines)


_CN_NUMBERS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
               "九": 9, "十": 10, "十一": 11, "十二": 12}
_EN_ORDINALS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3,
                "fourth": 4, "4th": 4, "fifth": 5, "5th": 5}
_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august",
           "september", "october", "november", "december")
# Words naming a line of business, in the customer's words.
_LINE_WORDS = (
    ("motor", r"车险|车子|汽车|车祸|追尾|开车|\bcar\b|\bmotor\b|\bauto\b|\bvehicle\b|\bcrash\b"),
    ("medical", r"医疗|住院|看病|医院|\bmedical\b|\bhospital\b|\bhealth\b"),
    ("home", r"家财|房子|家里|漏水|被偷|失窃|\bhome\b|\bhouse\b|\bflat\b|\btheft\b|\bburglary\b|"
             r"\bleak\b|\bwater\b"),
    ("accident", r"意外|摔|\baccident(?:al)?\b|\binjury\b"),
    ("critical_illness", r"重疾|大病|\bcritical\b|\billness\b"),
    ("life", r"寿险|\blife\b"),
)
# A message that picks from a list: short, and made of a place, an ending, a month or a line.
_PICK_SHAPE = re.compile(
    r"^(?:就|要|看|查|选|是)?(?:第\s*[一二两三四五六七八九十\d]{1,2}\s*[个笔条项单]"
    r"|尾号\s*\d{2,6}|\d{1,2}月|[一二三四五六七八九十]{1,2}月|最后一[个笔]|最近的?一[个笔]"
    r"|车险|医疗险?|家财险?|意外险?|重疾险?|寿险|住院|车子?|房子)"
    r"(?:的|那)?(?:个|笔|那个|那笔|那一笔|那单|理赔|赔案)?(?:吧|呢|啊|。)?$"
    r"|^(?:the\s+)?(?:\w+\s+){0,2}one\s*[.!]?$"
    r"|^(?:number|no\.?|#)\s*\d\s*[.!]?$"
    r"|^(?:the\s+)?(?:first|second|third|fourth|fifth|last|latest|1st|2nd|3rd|4th|5th)"
    r"(?:\s+(?:one|claim))?\s*[.!]?$"
    r"|^(?:the\s+one\s+)?ending\s+(?:in\s+|with\s+)?\d{2,6}\s*[.!]?$",
    re.IGNORECASE,
)


def looks_like_pick(text: str) -> bool:
    """Whether a short message picks an item from a list just shown ("第二个", "尾号004那个",
    "the october one", "the car one", "number 2"): read by the NLU so it never starts a form.
    A bare digit is not one (it answers scores and counts)."""
    text = " ".join(normalise_digits(text or "").split()).strip()
    return 0 < len(text) <= 30 and bool(_PICK_SHAPE.match(text))


def _month_of(text: str) -> int | None:
    lowered = text.lower()
    for number, name in enumerate(_MONTHS, 1):
        if re.search(rf"\b(?:{name}|{name[:3]})\b", lowered):
            return number
    found = re.search(r"(十[一二]?|[一二三四五六七八九]|\d{1,2})\s*月", text)
    if not found:
        return None
    word = found.group(1)
    month = int(word) if word.isdigit() else _CN_NUMBERS.get(word)
    return month if month and 1 <= month <= 12 else None


def _position_of(text: str, count: int) -> int | None:
    """The 1-based place in the list that the words name, or None."""
    lowered = text.lower()
    if re.search(r"最后|\blast\b", lowered):
        return count
    if re.search(r"最近|最新|\blatest\b|\bnewest\b|\bmost recent\b", lowered):
        return 1
    found = re.search(r"第\s*(\d{1,2}|十[一二]?|[一二两三四五六七八九])", text)
    if found:
        word = found.group(1)
        return int(word) if word.isdigit() else _CN_NUMBERS.get(word)
    for word, place in _EN_ORDINALS.items():
        if re.search(rf"\b{word}\b", lowered):
            return place
    found = re.fullmatch(r"\s*(?:(?:number|no\.?|#)\s*)?(\d)\s*[.!。]?\s*", lowered)
    return int(found.group(1)) if found else None


def pick_claim(text: str, views: Sequence[ClaimView]) -> ClaimView | None:
    """The one claim of `views` (in the order they were listed) that the customer's words pick:
    its number, its place ("第二个", "the second one", "2"), the end of its number
    ("尾号004那个", "ending 004"), the month it happened or was reported in ("the october one",
    "10月那个") or its line ("the car one", "车险那个"). None when nothing, or more than one,
    fits."""
    text = normalise_digits(text or "")
    number = parse_claim_number(text)
    if number:
        chosen = select(views, number)
        return chosen[0] if chosen else None
    tail = re.search(r"(?:尾号|末尾|结尾|ending(?:\s+(?:in|with))?|ends?\s+(?:in|with))\s*(\d{2,6})"
                     r"|(\d{3,6})\s*(?:那|的那|号那)", text, re.IGNORECASE)
    if tail:
        digits = tail.group(1) or tail.group(2)
        fits = [view for view in views if view.number.endswith(digits)]
        return fits[0] if len(fits) == 1 else None
    place = _position_of(text, len(views))
    if place is not None:
        return views[place - 1] if 1 <= place <= len(views) else None
    month = _month_of(text)
    if month is not None:
        fits = [view for view in views
                if to_local(view.incident_at or view.reported_at).month == month]
        if not fits:
            fits = [view for view in views if to_local(view.reported_at).month == month]
        return fits[0] if len(fits) == 1 else None
    for line, pattern in _LINE_WORDS:
        if re.search(pattern, text, re.IGNORECASE):
            fits = [view for view in views if view.line_of_business == line]
            return fits[0] if len(fits) == 1 else None
    return None
