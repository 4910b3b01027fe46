"""What a customer asks for in a message that also carries their policy number.

"你好 我想查下理赔 保单号AUTO-2026-0001", "AUTO-2026-0001这张保单免赔额是多少": the classifier reads
such a message as giving details (intent `inform`, for the number), so the request would be
forgotten by the time the identity check is done. These words keep it (slot `pending_request`,
done by action_identity_done). Only the request kinds the identity check can answer afterwards:
a clause question, the documents needed, the claim status. Reporting a claim has its own form.
"""
from __future__ import annotations

import re

from bot.parsing import without_reference_numbers

# Most specific first: "理赔需要什么材料" asks for documents, "免赔额" for a clause, and "理赔" or
# "claim" alone for the status.
_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("ask_clause", ("免赔", "等待期", "观察期", "保额", "条款", "保障范围", "保不保", "保什么",
                    "能不能赔", "能赔吗", "赔多少", "报销比例", "赔付比例", "保险责任", "责任免除",
                    "deductible", "excess", "waiting period", "covered", "coverage",
                    "cover ", "sum insured", "clause", "exclusion")),
    ("ask_documents", ("材料", "资料", "单据", "文件", "证件", "要交什么", "交什么", "上传",
                       "document", "paperwork", "papers", "upload", "what do i need to send")),
    ("check_status", ("进度", "理赔", "理陪", "怎么样了", "状态", "赔款", "到账", "赔付", "查下",
                      "查一下", "查查",
                      "查询", "到哪", "审核", "结果", "status", "claim", "progress", "check",
                      "where is", "paid", "payout")),
)


# "住院的钱怎么报", "这个怎么理赔", "how do I claim for it": how a claim is made, answered with the
# documents and steps (the documents answer). Not "怎么报案" (reporting has its own form).
_HOW_TO_CLAIM = re.compile(
    r"((?:怎么|怎样|如何|咋)(?:去|才能|能)?(?:报(?![案警])|赔|理赔|申请理赔|报销|办理赔)|"
    r"\bhow (?:do|can|should) (?:i|we) (?:make a |put in a |file a )?claim\b|"
    r"\bhow to (?:make a |file a )?claim\b)",
    re.IGNORECASE,
)


def asks_how_to_claim(text: str | None) -> bool:
    """Whether a message asks how a claim is made ("住院的钱怎么报")."""
    return bool(text and _HOW_TO_CLAIM.search(without_reference_numbers(text)))


def request_in(text: str) -> str | None:
    """The request a message makes beside its policy or claim number ("check_status",
    "ask_documents" or "ask_clause"), or None when it only gives details."""
    rest = without_reference_numbers(text or "").lower()
    for request, words in _WORDS:
        if request == "check_status" and asks_how_to_claim(rest):
            return "ask_documents"  # "这个怎么理赔": how to claim, not where a claim stands
        if any(word in rest for word in words):
            return request
    return None


# --- a greeting with a request ("你好，我要投诉", "早上好，我出车祸了") ---------------------

_GREETING = re.compile(
    r"^\s*(?:(?:你好|您好|你們好|你们好|嗨|哈喽|哈啰|早上好|上午好|中午好|下午好|晚上好|早安|早|在吗|在嗎|"
    r"hi|hello|hey|hiya|good (?:morning|afternoon|evening)|morning|afternoon|evening)"
    r"(?:啊|呀|呢|吖|哈|\s*there|\s*all|\s*everyone)?[\s,，!！。.~～、]*)+",
    re.IGNORECASE,
)
# What a greeting may carry that the bot must do rather than only greet back, each confirmed by
# the words after the greeting (the runner-up guess alone is not enough: "哈喽 客服在吗" is a
# greeting, never the queue; a person is asked for in words components/person_request.py reads).
_COMPLAINT_WORDS = re.compile(r"(投诉|投訴|不满|不滿|\bcomplain|\bcomplaint)", re.IGNORECASE)
_CLAIM_WORDS = re.compile(r"(报销|報銷|理赔|理賠|报案|報案|出险|出險|\bclaim\b|\breport\b)",
                          re.IGNORECASE)
MIN_RUNNER_UP = 0.15


def _confirmed(request: str, rest: str, text: str) -> bool:
    from bot.claims.reporting import incident_kinds
    from bot.handoff import declares_elderly
    from bot.language import to_simplified

    rest = to_simplified(rest)
    if request == "report_claim":
        return bool(_CLAIM_WORDS.search(rest) or incident_kinds(rest))
    if request == "complain":
        return bool(_COMPLAINT_WORDS.search(rest))
    if request in ("check_status", "ask_documents", "ask_clause"):
        return request_in(rest) is not None
    if request == "declare_elderly":
        return declares_elderly(text)
    return False


def after_greeting(text: str | None) -> str:
    """The words after an opening greeting ("你好，我要投诉" -> "我要投诉"); "" when there are
    none."""
    rest = _GREETING.sub("", text or "", count=1)
    return rest.strip(" ,，!！。.~～、?？") if rest != (text or "") else (text or "").strip()


def request_after_greeting(text: str | None, ranking: list[dict] | None) -> str | None:
    """The request a message read as a greeting makes after it: the model's best guess other
    than greet, when the words after the greeting bear it out; else None."""
    rest = after_greeting(text)
    if len(rest) < 2 or rest == (text or "").strip():
        return None  # a greeting alone, or no greeting at the start
    for entry in ranking or []:
        name = entry.get("name")
        if name == "greet":
            continue
        if float(entry.get("confidence") or 0) >= MIN_RUNNER_UP \
                and _confirmed(str(name), rest, text or ""):
            return name
        break
    return None
