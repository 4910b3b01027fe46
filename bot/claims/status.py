"""Plain-language status of a customer's claims, in their language.

One claim is told in full: the stage, what the customer must still send (all of it, at once),
what the insurer is doing, the deadline that binds now and whether it is kept; a paid claim's
amount and date; a refused claim's reason, the clause it rests on (quoted) and the route of
appeal. Several claims are listed one line each for the customer to pick one by its number.
The describe_* functions are pure (a ClaimView in, text out); status_of_customer reads the store.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable, List, Sequence

from bot.claims.deadlines import claim_deadlines, rules, settlement_band
from bot.claims.lifecycle import claims_of_policy_holder
from bot.claims.model import ClaimStage, ClaimView
from bot.clauses import clause_by_reference
from bot.replies import date_text, join, money, say
from bot.store.db import unit_of_work

S = ClaimStage
# Stages where the customer may still owe documents.
_DOCUMENT_STAGES = (S.REPORTED, S.DOCUMENTS_REVIEW)
# Stages with a running promise worth telling the customer; finished claims have none.
_CLOCKED_STAGES = (S.REPORTED, S.DOCUMENTS_REVIEW, S.INVESTIGATION, S.ASSESSMENT, S.PAYMENT)


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
    return say(key, lang)


def deadline_line(view: ClaimView, lang: str, now: datetime | None = None) -> str | None:
    """The deadline that binds the claim now and whether it is kept (bot.claims.deadlines); before
    the documents are complete, the promise that will start when they are."""
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
    return say("status_deadline", lang, rule=rule,
               progress=say(f"status_progress.{binding.status.value}", lang))


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


def describe_claim(view: ClaimView, lang: str, now: datetime | None = None) -> List[str]:
    """The lines that tell one claim in full."""
    lines = [summary_line(view, lang)]
    missing = missing_labels(view, lang)
    if missing and view.stage in _DOCUMENT_STAGES:
        lines.append(say("status_missing", lang, documents=join(missing, lang)))
    doing = insurer_doing(view, lang)
    if doing:
        lines.append(doing)
    deadline = deadline_line(view, lang, now)
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


def describe_one(view: ClaimView, lang: str, now: datetime | None = None) -> str:
    """One claim in full, as a reply."""
    return "\n".join(describe_claim(view, lang, now) + [say("status_next", lang)])


def hidden_line(view: ClaimView, lang: str) -> str:
    """A claim whose details need the one-time code first: its number and line, nothing else."""
    return say("status_line_hidden", lang, number=view.number,
               product=say(f"line.{view.line_of_business}", lang))


def describe_claims(views: Sequence[ClaimView], lang: str, now: datetime | None = None,
                    hidden: frozenset = frozenset()) -> str:
    """The reply to "where is my claim?": one claim in full, several as a list to pick from.
    Claims of the `hidden` policies are only named (medical: the code comes first)."""
    if not views:
        return say("status_no_claims", lang)
    if len(views) == 1:
        return "\n".join(
            [say("status_intro", lang, count=1)] + describe_claim(views[0], lang, now)
            + [say("status_next", lang)]
        )
    lines = [say("status_intro", lang, count=len(views))]
    lines.extend(hidden_line(view, lang) if view.policy_number in hidden
                 else summary_line(view, lang) for view in views)
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


def status_of_customer(
    policy_number: str,
    lang: str,
    *,
    actor: str,
    claim_number: str | None = None,
    now: datetime | None = None,
    url: str | None = None,
    hidden: frozenset = frozenset(),
) -> StatusReply:
    """The status reply for the verified holder of `policy_number`: all their claims, or the one
    named. A claim that does not exist and one that belongs to someone else get the same reply
    (nothing is revealed), and the refused look-up is audited under `actor`."""
    views = claims_of_policy_holder(policy_number, actor=actor, url=url)
    if not claim_number:
        if len(views) == 1 and views[0].policy_number in hidden:
            return StatusReply("", True, step_up=views[0].policy_number)
        return StatusReply(describe_claims(views, lang, now, hidden), True)
    chosen = select(views, claim_number)
    if chosen and chosen[0].policy_number in hidden:
        return StatusReply("", True, step_up=chosen[0].policy_number)
    if not chosen:
        with unit_of_work(url) as uow:
            uow.audit.record(actor, "claim.read_refused", "claim", claim_number,
                             {"policy_number": policy_number, "reason": "not_the_customers"})
            uow.commit()
        return StatusReply(say("status_unknown_claim", lang, claim_number=claim_number), False)
    return StatusReply(describe_one(chosen[0], lang, now), True)
