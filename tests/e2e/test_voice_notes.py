"""Web chat voice notes against the real Rasa server, action server and speech model: what was
heard is shown, the words are handled as if typed, and two failures in a row offer a person whom
a plain "yes" then reaches."""
from __future__ import annotations

import uuid

import pytest
import requests

from bot.handoff import open_entry_for
from bot.replies import say
from tests.support.audio import silence, speak
from tests.support.webchat import signed_headers

pytestmark = pytest.mark.e2e


class VoiceCustomer:
    def __init__(self, servers) -> None:
        self.base = servers.webchat_url.rstrip("/")
        self.sender = f"e2e-voice-{uuid.uuid4().hex[:10]}"

    def speaks(self, audio: bytes, content_type: str = "audio/ogg") -> list:
        response = requests.post(f"{self.base}/voice", params={"sender": self.sender},
                                 data=audio, timeout=120,
                                 headers=signed_headers(self.sender,
                                                        {"Content-Type": content_type}))
        assert response.status_code == 200, response.text
        return response.json()

    def types(self, message: str) -> list:
        response = requests.post(f"{self.base}/webhook", timeout=60,
                                 json={"sender": self.sender, "message": message},
                                 headers=signed_headers(self.sender))
        assert response.status_code == 200, response.text
        return response.json()


def test_a_voice_note_is_answered_like_the_same_words_typed(claims_servers):
    customer = VoiceCustomer(claims_servers)
    heard, *replies = customer.speaks(speak("I would like to check the status of my claim please.",
                                            "ogg"))
    assert heard["heard"] is True and heard["text"].startswith("I heard: “")
    assert [r.get("text") for r in replies] == [say("ask_policy_number", "en")]
    # The conversation goes on by typing, in the language the voice note set.
    assert customer.types("HOME-2026-0001")[0]["text"] == say("ask_verification", "en")


def test_two_notes_not_understood_offer_a_person_and_yes_hands_over(claims_servers, claims_db_url):
    customer = VoiceCustomer(claims_servers)
    first = customer.speaks(silence(2, "ogg"))
    assert first == [{"recipient_id": customer.sender, "text": say("speech_not_understood", "zh")}]
    [offer] = customer.speaks(silence(2, "ogg"))
    assert offer["text"] == say("speech_offer_person", "zh")
    assert [b["payload"] for b in offer["buttons"]] == ["/request_human", "/deny"]
    assert open_entry_for(customer.sender, url=claims_db_url) is None

    replies = customer.types("好的")
    assert replies, "the offer's yes must be answered"
    entry = open_entry_for(customer.sender, url=claims_db_url)
    assert entry is not None and entry.channel == "webchat"
