"""Questions a customer asks beside what is being done, answered from the domain without a
policy: which documents a kind of loss needs (a line's list, or the list every claim needs),
what happens after a report and who will be in touch, where and when money is paid, and how to
argue with a decision. A customer in the middle of the identity check or a form gets the answer
and then the question they were at; someone with no policy at all gets these answers without
being asked for one (bot/identity.has_no_policy)."""
from __future__ import annotations

import re
from typing import Sequence

from bot.claims.reporting import incident_kinds
from bot.claims.reporting.extract import LINE_HINTS, resolve_incident_type
from bot.documents import all_checklists, checklist, incident_types, lines_of_business
from bot.documents.checklist import item_line, normalise_incident_type
from bot.language import to_simplified
from bot.parsing import normalise_digits
from bot.replies import date_text, join, money, say
from bot.store.db import unit_of_work

DOCUMENTS, NEXT_STEPS, PAYMENT, DISPUTE = "documents", "next_steps", "payment", "dispute"
POLICY = "policy"  # "check my policy details": the verified customer's policy summary
WITHDRAW = "withdraw"  # "撤案": a person withdraws a claim with the customer
COMPLAINT_STATUS = "complaint_status"  # "查投诉进度": the verified customer's complaints

_DOCUMENT_WORDS = re.compile(
    r"材料|文件|资料|单据|证件|要准备|需要准备|要带|要交什么|清单|要什么东西|需要什么东西"
    r"|paperwork|documents?\b|papers\b|what do i need|what.{0,12}need to (?:send|provide|bring)"
    r"|general list|\bthe list\b|checklist",
    re.IGNORECASE,
)
_NEXT_WORDS = re.compile(
    r"接下来|下一步|然后呢|之后(?:会|怎么|呢)|会有人|有人(?:会)?(?:来|上门|联系|看)|上门|查勘|定损员"
    r"|谁(?:会)?(?:来)?联系|什么时候联系|多久.{0,6}联系|流程是"
    r"|what happens (?:next|now)|what now\b|next steps?\b|will (?:someone|anyone|somebody) "
    r"(?:come|contact|call|visit|look|get in touch)|come round|come out to|who will "
    r"(?:contact|call|be in touch)|send someone|loss adjuster|assessor|inspect",
    re.IGNORECASE,
)
_PAYMENT_WORDS = re.compile(
    r"(?:哪个|哪张|什么|哪)(?:账户|账号|银行卡|卡)|打到哪|钱.{0,4}(?:打到|转到|进了|到哪)|赔款.{0,6}(?:哪|什么时候|多久)"
    r"|什么时候(?:到账|打款|赔钱|给钱|能拿到)|多久(?:到账|打款|能赔|能拿到)"
    r"|which (?:account|card|bank)|what account|where (?:does|did|will) (?:the )?"
    r"(?:money|payment|payout)|when (?:will|do) i get (?:paid|the money|my money)"
    r"|how (?:will|do) (?:i|you) (?:get )?pa(?:y|id)|(?:go|went|paid) into",
    re.IGNORECASE,
)
_DISPUTE_WORDS = re.compile(
    r"(?:但是|可是|明明|其实|当时)我?.{0,8}(?:锁|关好|院子|停在|在家|不是我)|不合理|凭什么|我不服|不认可"
    r"|it was (?:locked|inside|parked|in my|behind)|but (?:i|it|the car|the bike) (?:was|had|did)"
    r"|that'?s not fair|\bunfair\b|i disagree|wasn'?t my fault|i had locked",
    re.IGNORECASE,
)
_POLICY_WORDS = re.compile(
    r"保单(?:详情|信息|内容|明细|情况)|我的保单(?!号)|查(?:一下|下)?(?:我的)?保单(?!号)|看(?:一下|下)?(?:我的)?保单(?!号)"
    r"|保(?:了|的)(?:些)?什么|保额(?:是)?多少|保到什么时候"
    r"|policy (?:details|summary|info(?:rmation)?)|(?:check|see|show|view|look at) (?:me )?my "
    r"(?:policy|cover)(?! number)|what(?:'s| is| does) my (?:policy|cover)|what am i covered",
    re.IGNORECASE,
)
_WITHDRAW_WORDS = re.compile(
    r"撤案|撤销(?:理赔|报案|索赔)|撤回(?:理赔|报案|索赔)|不想?(?:要)?(?:理赔|索赔)了|不报(?:案)?了|取消(?:理赔|报案)"
    r"|withdraw (?:my |the |a )?claim|cancel (?:my |the )?claim|drop (?:my |the )?claim"
    r"|don'?t want to claim any ?more",
    re.IGNORECASE,
)
_COMPLAINT_STATUS_WORDS = re.compile(
    r"投诉(?:的)?(?:进度|进展|结果|处理得?怎么样|到哪|有结果|处理了吗|怎么样了)|查(?:一下|下)?(?:我的)?投诉"
    r"|complaint (?:status|progress|update)|(?:status|progress) of my complaint"
    r"|(?:what|where)(?:'s| is) (?:happening with )?my complaint"
    r"|any (?:news|update) on my complaint"
    r"|CMP-\d{4}-\d{6}",
    re.IGNORECASE,
)
# Words naming a line of business by what is insured or what happened (beside bot.clauses'
# names of the insurance itself).
_LINE_WORDS = (
    ("motor", r"车险|汽车|车子|车辆|我的车|车被|开车|\bcar\b|\bmotor\b|\bvehicle\b|\bauto\b"),
    ("medical", r"医疗|住院|看病|门诊|\bmedical\b|\bhospital\b|\bhealth\b"),
    ("home", r"家财|房子|房屋|家里|家中|\bhome\b|\bhouse\b|\bflat\b|\bapartment\b"),
    ("accident", r"意外|\baccident(?:al)? (?:insurance|policy|cover)\b"),
    ("critical_illness", r"重疾|大病|\bcritical illness\b"),
    ("life", r"寿险|身故|\blife insurance\b|\bdeath\b"),
)


def _words(text: str) -> str:
    return to_simplified(normalise_digits(text or ""))


# "不报了" names no claim already filed: said while a report is under way it stops that report
# ("算了，我不报了"), so it is a withdrawal only when the classifier did not read it as cancel.
_NOT_REPORTING = re.compile(r"不报(?:案)?了")


def only_stops_reporting(text: str) -> bool:
    """Whether the only withdrawal words in `text` are "不报了" ("算了，我不报了"), not a filed
    claim's withdrawal ("撤案", "撤销理赔", "withdraw my claim")."""
    words = _words(text)
    return bool(_NOT_REPORTING.search(words)) and not _WITHDRAW_WORDS.search(
        _NOT_REPORTING.sub("", words))


def side_question(text: str) -> str | None:
    """The kind of general question `text` asks (DOCUMENTS, NEXT_STEPS, PAYMENT, DISPUTE,
    POLICY, WITHDRAW, COMPLAINT_STATUS), or None."""
    words = _words(text)
    for kind, pattern in ((WITHDRAW, _WITHDRAW_WORDS),
                          (COMPLAINT_STATUS, _COMPLAINT_STATUS_WORDS),
                          (DOCUMENTS, _DOCUMENT_WORDS), (PAYMENT, _PAYMENT_WORDS),
                          (NEXT_STEPS, _NEXT_WORDS), (DISPUTE, _DISPUTE_WORDS),
                          (POLICY, _POLICY_WORDS)):
        if pattern.search(words):
            return kind
    return None


def line_in(text: str) -> str | None:
    """The one line of business the words point to (what is insured or what happened)."""
    words = _words(text)
    found = [line for line, pattern in _LINE_WORDS if re.search(pattern, words, re.IGNORECASE)]
    if not found:
        found = [LINE_HINTS[kind] for kind in incident_kinds(words) if kind in LINE_HINTS]
    return found[0] if len(set(found)) == 1 else None


def _kind_on(line: str, text: str) -> str | None:
    kinds = incident_kinds(_words(text))
    return normalise_incident_type(line, resolve_incident_type(line, kinds)) if kinds else None


def documents_answer(text: str, lang: str, *, line: str | None = None) -> str:
    """Which documents, without a policy: the checklist of the kind of loss named ("a house
    fire", "my car got stolen"); a line named alone ("车险理赔要什么材料"): what every claim of
    that line needs and what depends on what happened; nothing named: what every claim needs
    and the kinds to choose from. `line`: the line already known (a report in progress)."""
    line = line or line_in(text)
    incident = _kind_on(line, text) if line else None
    if line and incident:
        items = checklist(line, incident)
        needed = [item_line(item, lang, with_hint=False) for item in items if item.mandatory
                  and not item.fetched_by_insurer]
        return "\n".join([say("side_documents_kind", lang, line=say(f"line.{line}", lang),
                              kind=say(f"incident.{incident}", lang))] + needed
                         + [say("side_documents_more", lang)])
    if line:
        lists = [checklist(line, kind) for kind in incident_types(line)]
        always = [item for item in lists[0] if item.mandatory and not item.fetched_by_insurer
                  and all(item.code in {other.code for other in rest if other.mandatory}
                          for rest in lists[1:])]
        kinds = [say(f"incident.{kind}", lang) for kind in incident_types(line)]
        lines = [say("side_documents_line", lang, line=say(f"line.{line}", lang))]
        lines += [item_line(item, lang, with_hint=False) for item in always]
        if len(kinds) > 1:
            lines.append(say("side_documents_depends", lang, kinds=join(kinds, lang)))
        return "\n".join(lines)
    lists = list(all_checklists().values())
    common = [item for item in lists[0]
              if all(item.code in {other.code for other in rest} for rest in lists[1:])]
    lines = [say("side_documents_general", lang)]
    lines += [item_line(item, lang, with_hint=False) for item in common]
    lines.append(say("side_documents_lines", lang, lines=join(
        [say(f"line.{name}", lang) for name in lines_of_business()], lang)))
    return "\n".join(lines)


def payment_answer(lang: str, paid: Sequence = ()) -> str:
    """Where and when money goes. `paid`: the verified customer's paid claims (ClaimViews),
    named with amount and date; the store keeps no account number, so the answer says how the
    account is chosen (the bank card sent with the claim) rather than naming one."""
    lines = [say("side_payment_paid", lang, number=view.number,
                 amount=money(view.paid_amount, lang), date=date_text(view.paid_at, lang))
             for view in paid]
    lines.append(say("side_payment_where", lang))
    return "\n".join(lines)


def answer(kind: str, text: str, lang: str, *, paid: Sequence = ()) -> str:
    """The answer to a side question of `kind` (see side_question)."""
    if kind == DOCUMENTS:
        return documents_answer(text, lang)
    if kind == PAYMENT:
        return payment_answer(lang, paid)
    if kind == NEXT_STEPS:
        return say("side_next_steps", lang)
    if kind == POLICY:
        return say("side_policy_needs_check", lang)
    if kind == WITHDRAW:
        return say("side_withdraw", lang)
    if kind == COMPLAINT_STATUS:
        return say("side_complaint_status_check", lang)
    return say("side_dispute", lang)


def policy_summary(policy_number: str, lang: str, *, url: str | None = None) -> str | None:
    """One policy in a few lines for its verified holder: product, number, period, sum insured,
    deductible and waiting period. None when there is no such policy. Call only for a policy
    the access check allowed (bot/access.policy_for)."""
    with unit_of_work(url) as uow:
        policy = uow.policies.by_number(policy_number)
        if policy is None:
            return None
        return say("policy_summary", lang,
                   product=policy.product_name_en if lang == "en" else policy.product_name_zh,
                   number=policy.number, start=date_text(policy.start_date, lang),
                   end=date_text(policy.end_date, lang),
                   sum_insured=money(policy.sum_insured, lang),
                   deductible=money(policy.deductible, lang),
                   waiting=policy.waiting_period_days)


def complaint_status_lines(customer_id: int, lang: str, *, now=None,  # noqa: ANN001
                           url: str | None = None) -> str:
    """The verified customer's complaints, each with its reference, where it stands and when
    the decision is due; or that there are none under their name."""
    from bot.complaints import list_complaints

    own = [view for view in list_complaints(now=now, url=url) if view.customer_id == customer_id]
    if not own:
        return say("complaint_status_none", lang)
    lines = [say("complaint_status_intro", lang, count=len(own))]
    for view in own:
        lines.append(say("complaint_status_line", lang, reference=view.reference,
                         status=say(f"complaint_status.{view.status}", lang),
                         due=date_text(view.decision.due_at, lang)))
    return "\n".join(lines)
