"""The words that take a stopped report up again start the report form (issue 19)."""
from __future__ import annotations

from rasa.shared.nlu.training_data.message import Message

from components.resume import ResumeReport


def _message(text: str, intent: str, confidence: float = 0.6) -> Message:
    return Message(data={"text": text, "intent": {"name": intent, "confidence": confidence},
                         "intent_ranking": [{"name": intent, "confidence": confidence}]})


def test_words_that_take_a_report_up_again_start_the_report_form():
    resumed = ResumeReport().process([_message("刚才说到哪了", "nlu_fallback", 0.3),
                                      _message("where were we", "greet"),
                                      _message("我要查理赔", "check_status"),
                                      _message("/greet", "greet")])
    assert [message.get("intent")["name"] for message in resumed] == [
        "report_claim", "report_claim", "check_status", "greet"]
    assert resumed[0].get("intent_ranking")[0] == {"name": "report_claim", "confidence": 1.0}
