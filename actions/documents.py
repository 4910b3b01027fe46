"""Which documents a claim needs: for the claim being reported, an open claim, or a kind of loss."""
from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.access import policy_in_view, step_up
from actions.common import conversation_actor, language_of
from actions.report import load_draft
from bot.access import hidden_policies
from bot.claims.amounts import is_small_claim
from bot.claims.lifecycle import claims_of_policy_holder
from bot.claims.reporting import incident_kinds
from bot.claims.reporting.extract import LINE_HINTS, resolve_incident_type
from bot.claims.status import claim_for_documents, documents_of_claim
from bot.clock import utc_now
from bot.documents import checklist, normalise_incident_type, one_time_notice
from bot.documents.chase import (
    ClaimNotFound,
    promise_reply,
    record_documents_promise,
    says_documents_later,
)
from bot.language import to_simplified
from bot.replies import say
from bot.side_questions import documents_answer


def _kind_from_text(text: str, line: str | None = None) -> tuple[str, str] | None:
    """The line and kind of loss the words name; within `line` when the line is known."""
    kinds = incident_kinds(to_simplified(text))
    if line:
        incident_type = normalise_incident_type(line, resolve_incident_type(line, kinds)) \
            if kinds else None
        return (line, incident_type) if incident_type else None
    for kind in kinds:
        line = LINE_HINTS.get(kind)
        incident_type = normalise_incident_type(line, resolve_incident_type(line, kinds))
        if line and incident_type:
            return line, incident_type
    return None


def _notice(items: Any, lang: str, intro_key: str, *, small_claim: bool = False) -> str:
    """The one-time notice for a claim that does not exist yet: its heading says so ("这类理赔
    一般需要…", "报完案后需要…") instead of "办理这笔理赔还需要…"."""
    text = one_time_notice(items, lang, small_claim=small_claim)
    heading = say("notice_intro", lang)
    return say(intro_key, lang) + text[len(heading):] if text.startswith(heading) else text


def _reporting(tracker: Tracker) -> bool:
    return (tracker.active_loop or {}).get("name") == "report_form"


def answer_for_report(dispatcher: CollectingDispatcher, tracker: Tracker) -> List[Dict[str, Any]]:
    """"要什么材料？" in the middle of a report: the list for the claim being reported (its line
    and kind of loss, from the draft or the words), never another claim's; the report goes on
    after it (rules/report.yml)."""
    lang = language_of(tracker)
    draft = load_draft(tracker)
    text = tracker.latest_message.get("text") or ""
    line = draft.line_of_business
    incident_type = normalise_incident_type(line, draft.incident_type) if line else None
    kind = (line, incident_type) if line and incident_type else (
        _kind_from_text(text, line) or _kind_from_text(draft.description or "", line))
    if kind:
        dispatcher.utter_message(text=_notice(
            checklist(*kind), lang, "documents_for_report_intro",
            small_claim=is_small_claim(draft.estimated_amount)))
        return []
    dispatcher.utter_message(text=documents_answer(text, lang, line=line))
    return []


class ActionAnswerDocuments(Action):
    """Names every document at once (the one-time notice), never a partial list."""

    def name(self) -> str:
        return "action_answer_documents"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        return answer_documents(dispatcher, tracker)


def answer_documents(dispatcher: CollectingDispatcher, tracker: Tracker,
                     text: str | None = None) -> List[Dict[str, Any]]:
    """The documents answer: for the claim being reported (only that one: answer_for_report),
    the verified customer's open claim
    (also after the identity check a request like "AUTO-2026-0001 需要什么材料" started), or the
    kind of loss the message names (`text`, by default the latest message; an earlier question
    when it is answered later, as after a declined offer of a person)."""
    lang = language_of(tracker)
    if text is None:
        text = tracker.latest_message.get("text") or ""
    if says_documents_later(text):
        promised = documents_later(dispatcher, tracker)
        if promised is not None:
            return promised
    if _reporting(tracker):
        return answer_for_report(dispatcher, tracker)
    draft = load_draft(tracker)
    line, incident_type = draft.line_of_business, normalise_incident_type(
        draft.line_of_business, draft.incident_type
    )
    if line and incident_type:
        dispatcher.utter_message(text=_notice(
            checklist(line, incident_type), lang, "documents_for_report_intro",
            small_claim=is_small_claim(draft.estimated_amount),
        ))
        return []
    if tracker.get_slot("verified"):
        in_view = policy_in_view(dispatcher, tracker)
        if isinstance(in_view, list):
            return in_view
        looking, access = in_view
        views = claims_of_policy_holder(access.policy_number or "", actor=looking.actor)
        view = claim_for_documents(views, looking.focus)
        if view is not None and view.policy_number in hidden_policies(looking):
            # A medical claim's documents: the one-time code first.
            return step_up(dispatcher, tracker, view.policy_number, "check_status",
                           view.number)
        if view is not None:
            for line in documents_of_claim(view, lang):
                dispatcher.utter_message(text=line)
            return []
        if views and not _kind_from_text(text):
            # Several claims, none in focus, none waiting for anything: say so, not the
            # list every claim needs.
            dispatcher.utter_message(text=say("documents_none_for_claims", lang))
            return []
    kind = _kind_from_text(text)
    if kind:
        dispatcher.utter_message(text=_notice(checklist(*kind), lang,
                                              "documents_before_claim_intro"))
        return []
    # No kind of loss named: the line's list ("车险理赔要什么材料") or what every claim needs,
    # with the kinds to choose from, never only a question back.
    dispatcher.utter_message(text=documents_answer(text, lang))
    return []


def _claim_waiting_for_documents(tracker: Tracker) -> str | None:
    """The claim a "documents later" promise is about: the one reported in this conversation,
    else the verified customer's open claim still missing documents."""
    number = tracker.get_slot("last_claim_number")
    if number:
        return str(number)
    if not tracker.get_slot("verified"):
        return None
    from actions.access import viewer

    looking = viewer(tracker)
    if not looking.verified or looking.expired:
        return None
    from bot.access import policy_for

    policy_number = policy_for(looking).policy_number
    if not policy_number or policy_number in hidden_policies(looking):
        return None
    waiting = [view for view in claims_of_policy_holder(policy_number, actor=looking.actor)
               if view.missing_documents and view.stage in ("reported", "documents_review")]
    return waiting[0].number if waiting else None


def documents_later(dispatcher: CollectingDispatcher,
                    tracker: Tracker) -> List[Dict[str, Any]] | None:
    """"我稍后补材料" / "I'll send them later" about a claim waiting for documents: the promise
    is recorded (bot/documents/chase.py) and the customer told what happens next. None when no
    claim of theirs is waiting: the documents answer goes on as usual."""
    if (tracker.active_loop or {}).get("name") == "report_form":
        return None  # a report in progress: its own list, and the form goes on
    number = _claim_waiting_for_documents(tracker)
    if number is None:
        return None
    try:
        result = record_documents_promise(
            number, tracker.latest_message.get("text") or "", actor=conversation_actor(tracker),
            now=utc_now(), conversation_id=tracker.sender_id)
    except ClaimNotFound:
        return None
    dispatcher.utter_message(text=promise_reply(result, language_of(tracker)))
    return []
