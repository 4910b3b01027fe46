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
