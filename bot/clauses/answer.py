"""Clause questions answered from the customer's own policy wording, in plain words, with the
clause quoted by number and, where the question is about their situation, their policy's dates
and amounts. Below the evidence threshold it says no clause answers and offers a person: it never
guesses at cover."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Callable, Dict, List, Protocol

from bot.clauses.catalog import Clause, Product, product_for
from bot.clauses.search import rank
from bot.clock import local_today
from bot.language import to_simplified
from bot.replies import date_text, money, say
from bot.store.db import unit_of_work

# Evidence (library BM25, see bot.clauses.search) a best clause needs before it is offered as the
# answer, and before it is offered without "not sure? ask a person". Chinese questions yield
# more terms (characters and pairs) than English ones, so each script has its own scale.
# Measured on tests/bot/clause_questions.yml: questions no clause answers score up to ~7.6 (zh)
# and ~3.4 (en); answerable ones from ~10 (zh) and ~4.1 (en).
MIN_SCORE = {"zh": 9.0, "en": 3.8}
CONFIDENT_SCORE = {"zh": 14.0, "en": 6.0}

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")


class PolicyFacts(Protocol):
    """What an answer may use of a policy; bot.store.models.Policy has all of it."""

    product_code: str
    line_of_business: str
    start_date: date
    end_date: date
    waiting_period_days: int
    deductible: Decimal
    sum_insured: Decimal


@dataclass(frozen=True)
class ClauseMatch:
    clause: Clause
    score: float
    confident: bool


@dataclass(frozen=True)
class ClauseAnswer:
    """The reply text and what it rests on; `clause` is None when no clause answers."""

    text: str
    clause: Clause | None
    score: float
    confident: bool
    full_quote: str | None = None  # the whole clause, for "全文" / "full text"

    @property
    def offers_person(self) -> bool:
        return not self.confident


def _script(question: str) -> str:
    return "zh" if _CJK.search(question) else "en"


def find_clause(question: str, product_code_or_line: str | Product | None) -> ClauseMatch | None:
    """The clause of the product's wording that best answers `question`, or None when none
    scores enough evidence (or the product is unknown)."""
    product = (
        product_code_or_line if isinstance(product_code_or_line, Product)
        else product_for(product_code_or_line)
    )
    if product is None or not question.strip():
        return None
    hits = rank(question, product)
    if not hits:
        return None
    best, script = hits[0], _script(question)
    if best.score < MIN_SCORE[script]:
        return None
    return ClauseMatch(best.clause, best.score, best.score >= CONFIDENT_SCORE[script])


# --- the customer's own situation ---------------------------------------------------------------

def _waiting_period(policy: PolicyFacts, today: date, lang: str) -> str | None:
    days = int(policy.waiting_period_days or 0)
    if days <= 0:
        return say("clause_waiting_none", lang)
    start = policy.start_date
    last_day, cover_from = start + timedelta(days=days - 1), start + timedelta(days=days)
    key = "clause_waiting_over" if today >= cover_from else "clause_waiting_running"
    return say(key, lang, start=date_text(start, lang), days=days,
               end=date_text(last_day, lang), cover_from=date_text(cover_from, lang))


def _deductible(policy: PolicyFacts, today: date, lang: str) -> str | None:
    amount = policy.deductible
    if amount is None:
        return None
    if Decimal(str(amount)) == 0:
        return say("clause_policy_no_deductible", lang)
    return say("clause_policy_deductible", lang, amount=money(amount, lang))


def _sum_insured(policy: PolicyFacts, today: date, lang: str) -> str | None:
    if policy.sum_insured is None:
        return None
    return say("clause_policy_sum_insured", lang, amount=money(policy.sum_insured, lang),
               start=date_text(policy.start_date, lang), end=date_text(policy.end_date, lang))


_SITUATIONAL: Dict[str, Callable[[PolicyFacts, date, str], str | None]] = {
    "waiting_period": _waiting_period,
    "deductible": _deductible,
    "sum_insured": _sum_insured,
}


def situation(clause: Clause, policy: PolicyFacts | None, today: date | None,
              lang: str) -> str | None:
    """What the clause means for this policy today, for the topics that depend on it."""
    handler = _SITUATIONAL.get(clause.topic)
    if handler is None or policy is None:
        return None
    return handler(policy, today or local_today(), lang)


# --- the answer ----------------------------------------------------------------------------------

def quote(clause: Clause, lang: str) -> str:
    """'保单第十二条「…」原文：“…”' / 'Your policy, Clause 12 (…), says: "…"'."""
    return say("clause_quote", lang, reference=clause.reference(lang), title=clause.title(lang),
               text=clause.text(lang))


# A clause text longer than this is quoted by the sentence that answers (phone screens: issue
# 19), with the whole of it on "全文" / "full text".
EXCERPT_OVER = {"zh": 80, "en": 240}
_ZH_PARTS = re.compile(r"(?<=[。；;])")
_EN_PARTS = re.compile(r"(?<=[.;])\s+")
_EN_WORD = re.compile(r"[a-z]{3,}")
# Words of any question about cover, which pick no sentence out.
_EN_COMMON = frozenset({"the", "and", "for", "what", "does", "are", "can", "this", "that",
                        "with", "was", "were", "have", "had", "will", "would", "there", "any",
                        "not", "you", "your", "why", "how", "when", "who", "covered", "cover",
                        "pay", "paid", "policy", "claim", "get"})


def _overlap(question: str, part: str, lang: str) -> int:
    if lang == "en":
        words = set(_EN_WORD.findall(question.lower())) - _EN_COMMON
        return sum(1 for word in words if word[:4] in part.lower())  # "driving" ~ "driver"
    question = to_simplified(question)
    pairs = {question[i:i + 2] for i in range(len(question) - 1)}
    return sum(1 for pair in pairs if _CJK.match(pair) and pair in part)


def excerpt(clause: Clause, lang: str, question: str) -> str | None:
    """The sentence of the clause that answers `question` (after the words that introduce a
    list, "下列情况下…不负责赔偿："), or None when the clause is short enough to quote whole."""
    return answering_part(clause.text(lang), lang, question)


def answering_part(text: str, lang: str, question: str, *, lists_only: bool = False) -> str | None:
    """The part of a long `text` that answers `question`: the sentence or list item with most
    of the question's words, after the words that introduce the list; None for a short text
    (and, with `lists_only`, for a text that is no list)."""
    if len(text) <= EXCERPT_OVER["en" if lang == "en" else "zh"]:
        return None
    head, colon, rest = text.partition("：" if lang != "en" else ":")
    if not colon or len(head) > len(text) // 2:
        if lists_only:
            return None
        head, rest = "", text
    parts = [part.strip() for part in (_EN_PARTS if lang == "en" else _ZH_PARTS).split(rest)
             if part.strip()]
    if len(parts) < 2 and not head:
        return None
    best = max(parts, key=lambda part: _overlap(question, part, lang))
    if _overlap(question, best, lang) == 0:
        best = parts[0]
    return (head + colon + (" " if head and lang == "en" else "") + best).rstrip("；;") + "…"


def quote_for(clause: Clause, lang: str, question: str) -> str:
    """The quote a reply shows: the answering sentence of a long clause (with how to see the
    whole), the whole of a short one."""
    part = excerpt(clause, lang, question)
    if part is None:
        return quote(clause, lang)
    return say("clause_quote_excerpt", lang, reference=clause.reference(lang),
               title=clause.title(lang), text=part)


def explain(
    question: str,
    product_code_or_line: str | None,
    lang: str,
    *,
    policy: PolicyFacts | Any | None = None,
    today: date | None = None,
) -> ClauseAnswer:
    """Answer `question` from the wording of the product (its code, e.g. 'MED-HOSP', or its line
    of business, e.g. 'medical'; taken from `policy` when None): plain words first, then what it
    means for `policy` on `today`, then the clause quoted with its number; a person is offered
    when the match is weak, and when no clause answers."""
    if product_code_or_line is None and policy is not None:
        product_code_or_line = policy.product_code
    product = product_for(product_code_or_line)
    if product is None:
        return ClauseAnswer(say("clause_unknown_product", lang), None, 0.0, False)
    match = find_clause(question, product)
    if match is None:
        return ClauseAnswer(say("clause_no_answer", lang), None, 0.0, False)
    clause = match.clause
    plain = clause.plain(lang)
    # The plain words are cut only where they list cases: one case answers the question.
    parts: List[str] = [answering_part(plain, lang, question, lists_only=True) or plain]
    own = situation(clause, policy, today, lang)
    if own:
        parts.append(own)
    parts.append(quote_for(clause, lang, question))
    if not match.confident:
        parts.append(say("clause_unsure", lang))
    return ClauseAnswer("\n".join(parts), clause, match.score, match.confident,
                        full_quote=quote(clause, lang))


def answer_clause_question(
    question: str,
    product_code_or_line: str | None,
    lang: str,
    *,
    policy: PolicyFacts | Any | None = None,
    today: date | None = None,
) -> str:
    """The reply text of explain()."""
    return explain(question, product_code_or_line, lang, policy=policy, today=today).text


def answer_for_policy(
    question: str,
    policy_number: str,
    lang: str,
    *,
    today: date | None = None,
    url: str | None = None,
) -> ClauseAnswer:
    """explain() for a policy in the store, by number. Call only after identity verification."""
    with unit_of_work(url) as uow:
        policy = uow.policies.by_number(policy_number)
        if policy is None:
            return ClauseAnswer(say("clause_unknown_product", lang), None, 0.0, False)
        return explain(question, policy.product_code, lang, policy=policy, today=today)
