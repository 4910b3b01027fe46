"""Which wording answers a customer's clause question: their own policy once they are verified
(the one the question names or best fits), or, before verification, the general wording of a
line of business the question names ("车险的免赔额是什么意思") — never anyone's policy details.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Dict, List, Tuple

from bot.clauses.answer import ClauseAnswer, explain, find_clause
from bot.clauses.search import normalise
from bot.replies import say
from bot.store.db import unit_of_work

# Words that name a line of business in a question (simplified Chinese, lower-case English).
# Only names of the insurance itself: "意外" or "住院" alone say what happened, not which policy.
LINE_WORDS: Dict[str, Tuple[str, ...]] = {
    "motor": ("车险", "汽车险", "汽车保险", "机动车保险", "机动车险", "交强险", "商业险", "车损险",
              "三者险", "车辆保险", "car insurance", "motor insurance", "auto insurance",
              "vehicle insurance", "car policy", "motor policy", "auto policy"),
    "medical": ("医疗险", "医疗保险", "住院险", "住院医疗险", "住院医疗保险", "百万医疗",
                "medical insurance", "health insurance", "medical policy", "health policy",
                "hospital insurance", "hospital policy"),
    "home": ("家财险", "家庭财产保险", "家庭财产险", "财产险", "房屋保险", "家财",
             "home insurance", "home policy", "contents insurance", "house insurance",
             "household insurance", "home and contents"),
    "accident": ("意外险", "意外伤害保险", "意外伤害险", "意外保险", "accident insurance",
                 "accident policy", "personal accident"),
    "critical_illness": ("重疾险", "重大疾病保险", "重大疾病险", "critical illness insurance",
                         "critical illness policy", "critical illness cover"),
    "life": ("寿险", "人寿保险", "定期寿险", "终身寿险", "life insurance", "life policy",
             "life cover", "term life"),
}


def line_named_in(question: str) -> str | None:
    """The line of business the question names, or None (also when it names several)."""
    text = normalise(question)
    found = {line for line, words in LINE_WORDS.items() if any(word in text for word in words)}
    return found.pop() if len(found) == 1 else None


@dataclass(frozen=True)
class CustomerClauseAnswer:
    answer: ClauseAnswer
    policy_number: str | None  # the policy whose wording answered; None for a general answer
    line: str | None  # the line of business answered for

    @property
    def text(self) -> str:
        return self.answer.text


def _with_intro(intro: str, answer: ClauseAnswer) -> ClauseAnswer:
    return ClauseAnswer(intro + "\n" + answer.text, answer.clause, answer.score, answer.confident,
                        full_quote=answer.full_quote)


def general_answer(question: str, lang: str) -> CustomerClauseAnswer | None:
    """Before verification: the general wording of the line the question names, with a note
    that it is not the customer's own policy; None when the question names no line."""
    line = line_named_in(question)
    if line is None:
        return None
    answer = explain(question, line, lang)
    intro = say("clause_general_intro", lang, line=say(f"line.{line}", lang))
    return CustomerClauseAnswer(_with_intro(intro, answer), None, line)


def answer_for_customer(
    question: str,
    policy_number: str,
    lang: str,
    *,
    today: date | None = None,
    url: str | None = None,
) -> CustomerClauseAnswer:
    """The answer from the verified customer's own policies (`policy_number` is the one they
    verified with): the policy of the line the question names, else the one whose wording
    answers best (the verified one on a tie). Situational questions use that policy's dates and
    amounts. A line the customer holds no policy of is answered from its general wording, and
    says so. Call only after identity verification."""
    with unit_of_work(url) as uow:
        verified = uow.policies.by_number(policy_number)
        if verified is None:
            return CustomerClauseAnswer(explain(question, None, lang), None, None)
        policies = [verified] + [
            policy for policy in uow.policies.of_customer(verified.customer_id)
            if policy.id != verified.id
        ]
        named = line_named_in(question)
        candidates: List = policies
        if named is not None:
            candidates = [policy for policy in policies if policy.line_of_business == named]
            if not candidates:
                answer = explain(question, named, lang)
                intro = say("clause_line_not_held", lang, line=say(f"line.{named}", lang))
                return CustomerClauseAnswer(_with_intro(intro, answer), None, named)
        chosen = candidates[0]
        first = find_clause(question, chosen.product_code) if len(candidates) > 1 else None
        if len(candidates) > 1 and (first is None or not first.confident):
            # The first policy (the verified one, when it qualifies) keeps the question when
            # its wording answers it confidently; otherwise the best-answering policy takes it.
            best = first.score if first is not None else -1.0
            for policy in candidates[1:]:
                match = find_clause(question, policy.product_code)
                if match is not None and match.score > best:
                    chosen, best = policy, match.score
        answer = explain(question, chosen.product_code, lang, policy=chosen, today=today)
        if len(policies) > 1 and answer.clause is not None:
            product = chosen.product_name_en if lang == "en" else chosen.product_name_zh
            intro = say("clause_for_policy", lang, product=product, policy_number=chosen.number)
            answer = _with_intro(intro, answer)
        return CustomerClauseAnswer(answer, chosen.number, chosen.line_of_business)
