"""Disputes over a claim decision: explain it from what is stored (the reasons and the clause),
then the ladder — talk to a person, mediation, arbitration, court — recording where the customer
stands. The assistant explains and points to the next step; it never argues a decision."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import List

from bot.claims.status import clause_reference
from bot.clauses import clause_by_reference
from bot.clock import as_utc_naive
from bot.replies import money, say
from bot.store.db import UnitOfWork, unit_of_work
from bot.store.models import DISPUTE_STEPS, Claim, Dispute

LADDER = DISPUTE_STEPS  # explained -> negotiation -> mediation -> arbitration -> litigation
DECIDED_STAGES = ("denied", "payment", "closed")

_STEP_WORDS = (
    ("litigation", re.compile(r"(起诉|诉讼|打官司|法院|告你们|\bcourt\b|\bsue\b|\blawsuit\b|"
                              r"\blitigation\b|\blawyer\b)", re.IGNORECASE)),
    ("arbitration", re.compile(r"(仲裁|\barbitrat\w*)", re.IGNORECASE)),
    ("mediation", re.compile(r"(调解|\bmediat\w*)", re.IGNORECASE)),
)


# "what can I do now?" / "那我现在怎么办": asked right after a decision was explained, the ladder.
_WHAT_NOW = re.compile(
    r"\bwhat (?:can|should|do) (?:i|we) do\b|\bwhat are my (?:options|choices|rights)\b|"
    r"\bwhat now\b|\bnow what\b|\bwhat(?:'s| is) next\b|\bwhat options\b|"
    r"怎么办|能做什么|能干什么|还能(?:做|怎么|干)|有什么办法|该怎么(?:做|弄)|我能怎么|有什么选择|下一步(?:呢|怎么)",
    re.IGNORECASE,
)


def asks_what_now(text: str | None) -> bool:
    """Whether the customer asks what they can do (next) about a decision."""
    return bool(text and _WHAT_NOW.search(text))


# "为什么拒赔？我看不懂" / "why was it refused": a question about a refusal, answered with the
# decision's explanation (reason, clause, the way to appeal), never the last line made shorter
# (issue 19, outside tester).
_WHY_REFUSED = re.compile(
    r"(?:为什么|为啥|凭什么|怎么|咋)(?:就|会|要)?(?:被)?(?:拒赔|拒付|拒绝(?:赔|理赔)|不(?:给|予)?(?:我)?赔|"
    r"不(?:给|予)?(?:理赔|赔付|报销)|没(?:有|给)?(?:我)?赔|被拒)|"
    r"(?:拒赔|拒付|不予赔付|拒绝理赔|不赔)(?:的)?(?:理由|原因|是什么意思|什么意思|看不懂|不明白|没看懂|不懂)|"
    r"(?:看不懂|不明白|没看懂|不懂)(?:你们|为什么)?(?:的)?(?:拒赔|拒付|不予赔付|不赔)|"
    r"\bwhy (?:was|were|is|did|has|have)?\s*(?:it|my claim|the claim|they|you|this)?\s*"
    r"(?:been )?(?:get |got )?(?:refused|denied|rejected|declined|turned down|refuse|deny|reject)|"
    r"\bwhy (?:won'?t|didn'?t|don'?t|wouldn'?t) (?:you|they) (?:pay|cover)|"
    r"(?:don'?t|do not|didn'?t|can'?t) (?:understand|get) (?:the|your|this|why)?\s*"
    r"(?:refusal|denial|rejection|decision|refused|denied|rejected)|"
    r"\breason (?:for|of) (?:the )?(?:refusal|denial|rejection)",
    re.IGNORECASE,
)


def asks_why_refused(text: str | None) -> bool:
    """Whether the customer asks why their claim was refused (or says they don't understand
    the refusal)."""
    return bool(text and _WHY_REFUSED.search(text))


def step_index(step: str) -> int:
    return LADDER.index(step)


def next_step(step: str) -> str | None:
    """The rung after `step`, or None at the top."""
    index = step_index(step)
    return LADDER[index + 1] if index + 1 < len(LADDER) else None


def requested_step(text: str | None) -> str | None:
    """A rung the customer names ("我要走调解" -> mediation), or None."""
    for step, pattern in _STEP_WORDS:
        if text and pattern.search(text):
            return step
    return None


@dataclass(frozen=True)
class Explanation:
    claim_number: str | None  # None: no claim of theirs to explain
    stage: str | None
    step: str  # where the customer stands now
    next_step: str | None
    text: str  # the customer-facing explanation and the next step
    again: bool = False  # disputed again in the same conversation: the ladder, not the reasons


def ladder_text(claim_number: str | None, lang: str, *, again: bool = False) -> str:
    """What the customer can do about a decision they do not accept: a review by a person, a
    complaint, mediation, then arbitration or court; ends with the offer of a person."""
    if again and claim_number:
        intro = say("dispute_again", lang, number=claim_number)
    elif claim_number:
        intro = say("dispute_options_intro", lang, number=claim_number)
    else:
        intro = say("dispute_options_intro_any", lang)
    return intro + "\n" + say("dispute_ladder", lang)


def _choose_claim(claims: List[Claim], wanted: str | None) -> Claim | None:
    if wanted:
        return next((claim for claim in claims if claim.number == wanted.upper()), None)
    for stages in (("denied",), ("payment", "closed")):
        found = [claim for claim in claims if claim.stage in stages]
        if found:
            return found[0]  # newest report first
    return claims[0] if claims else None


def _decision_lines(claim: Claim, lang: str) -> List[str]:
    policy = claim.policy
    product = policy.product_name_en if lang == "en" else policy.product_name_zh
    if claim.stage == "denied":
        reason = (claim.denial_reason_en if lang == "en" else claim.denial_reason_zh) or \
            say("dispute_reason_unknown", lang)
        lines = [say("dispute_denied", lang, number=claim.number, product=product,
                     reason=reason.rstrip("。."))]
        clause = clause_by_reference(policy.product_code, claim.denial_clause)
        if clause is not None:
            lines.append(say("dispute_clause", lang, reference=clause.reference(lang),
                             title=clause.title(lang), text=clause.text(lang),
                             plain=clause.plain(lang)))
        elif claim.denial_clause:
            lines.append(say("dispute_clause_ref", lang,
                             reference=clause_reference(claim.denial_clause, lang)))
        return lines
    if claim.stage in ("payment", "closed") and (claim.approved_amount is not None
                                                 or claim.paid_amount is not None):
        amount = claim.approved_amount if claim.approved_amount is not None else \
            claim.paid_amount
        return [say("dispute_amount", lang, number=claim.number, product=product,
                    amount=money(amount, lang), sum_insured=money(policy.sum_insured, lang),
                    deductible=money(policy.deductible, lang))]
    return [say("dispute_not_decided", lang, number=claim.number, product=product,
                stage=say(f"stage.{claim.stage}", lang))]


def _record_step(uow: UnitOfWork, claim: Claim, step: str, conversation_id: str | None,
                 actor: str, at: datetime) -> str:
    """Move the customer's dispute about `claim` up to `step` (never down); returns the step."""
    row = uow.disputes.for_claim(claim.id, claim.policy.customer_id)
    if row is None:
        row = uow.disputes.add(Dispute(claim_id=claim.id, customer_id=claim.policy.customer_id,
                                       conversation_id=conversation_id, step=step,
                                       opened_at=at, updated_at=at))
        uow.audit.record(actor, "dispute.step", "claim", claim.number, {"step": step}, at=at)
    elif step_index(step) > step_index(row.step):
        row.step, row.updated_at = step, at
        if conversation_id:
            row.conversation_id = conversation_id
        uow.audit.record(actor, "dispute.step", "claim", claim.number, {"step": step}, at=at)
    return row.step


def explain_decision(
    policy_number: str,
    *,
    lang: str,
    claim_number: str | None = None,
    text: str | None = None,
    conversation_id: str | None = None,
    actor: str = "bot",
    now: datetime | None = None,
    url: str | None = None,
    explained_before: bool = False,
) -> Explanation:
    """Explain the decision on the verified customer's claim (the one named, else the newest
    denied, else the newest decided one) and say the next step of the ladder. A rung the
    customer names in `text` (mediation, arbitration, court) is where they stand from now.
    `explained_before`: this conversation was given the explanation already; disputed again,
    the customer gets the ladder's next steps instead of the same text."""
    at = as_utc_naive(now)
    with unit_of_work(url) as uow:
        policy = uow.policies.by_number(policy_number)
        if policy is None:
            return Explanation(None, None, "explained", None,
                               say("dispute_no_claim", lang) + "\n" +
                               say("dispute_next.negotiation", lang))
        claims = uow.claims.of_customer(policy.customer_id)
        claim = _choose_claim(claims, claim_number)
        if claim is None:
            key = "dispute_unknown_claim" if claim_number else "dispute_no_claim"
            return Explanation(None, None, "explained", None,
                               say(key, lang, claim_number=claim_number or "") + "\n" +
                               say("dispute_next.negotiation", lang))
        lines = _decision_lines(claim, lang)
        wanted = requested_step(text) or "explained"
        # Explained already in this conversation and disputed again without naming a rung:
        # the next step of the ladder, not the same explanation word for word.
        again = explained_before and wanted == "explained"
        step = _record_step(uow, claim, wanted, conversation_id, actor, at)
        if claim.stage == "denied" and not (claim.denial_reason_en if lang == "en"
                                            else claim.denial_reason_zh):
            # "A person will explain the reason in full": the task that keeps it.
            from bot.promises import promise_refusal_explained

            promise_refusal_explained(uow, claim, actor=actor, now=at,
                                      promise="dispute_reason_unknown",
                                      conversation_id=conversation_id)
        uow.audit.record(actor, "claim.viewed", "claim", claim.number, {"for": "dispute"}, at=at)
        uow.commit()
        following = next_step(step)
        if again:
            return Explanation(claim.number, claim.stage, step, following,
                               ladder_text(claim.number, lang, again=True), again=True)
        if step in ("mediation", "arbitration", "litigation"):
            lines.append(say(f"dispute_step.{step}", lang))
        else:
            lines.append(say("dispute_next.negotiation", lang))
        return Explanation(claim.number, claim.stage, step, following, "\n".join(lines))


def dispute_goes_to_person(policy_number: str | None, claim_number: str | None, *,
                           conversation_id: str | None = None, actor: str = "handoff",
                           now: datetime | None = None, url: str | None = None) -> str | None:
    """A disputed claim handed to a person stands at 'negotiation' from now; returns the step,
    or None when there is no dispute on record to move."""
    if not policy_number:
        return None
    at = as_utc_naive(now)
    with unit_of_work(url) as uow:
        policy = uow.policies.by_number(policy_number)
        if policy is None:
            return None
        disputes = uow.disputes.of_customer(policy.customer_id)
        target = next((d for d in disputes if claim_number and d.claim.number == claim_number),
                      disputes[0] if disputes else None)
        if target is None:
            return None
        step = _record_step(uow, target.claim, "negotiation", conversation_id, actor, at)
        uow.commit()
        return step
