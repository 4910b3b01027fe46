"""A bare 1-10 number after a closed claim's notice: the customer's satisfaction score. A bad
rating given unasked ("你们服务太差了，1分") is dissatisfaction: the complaint and a person are
offered."""
from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.common import conversation_actor, language_of, reply
from bot.outbox.satisfaction import answer_survey, sounds_dissatisfied
from bot.replies import say


class ActionRecordSatisfaction(Action):
    def name(self) -> str:
        return "action_record_satisfaction"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        text = tracker.latest_message.get("text") or ""
        answer = answer_survey(tracker.sender_id, text, conversation_actor(tracker))
        if answer.outcome == "recorded":
            reply(dispatcher, tracker, "satisfaction_thanks", score=answer.score)
        elif answer.outcome == "not_a_score":
            reply(dispatcher, tracker, "satisfaction_invalid")
        elif sounds_dissatisfied(text):
            # No survey asked: a complaint-ish rating, never "what would you like to do?".
            lang = language_of(tracker)
            dispatcher.utter_message(
                text=say("unprompted_dissatisfied", lang),
                buttons=[{"title": say("button.complain", lang), "payload": "/complain"},
                         {"title": say("button.human", lang), "payload": "/request_human"}])
        else:
            reply(dispatcher, tracker, "number_without_question")
        return []
