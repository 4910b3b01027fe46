"""A claim reported over Telegram against the real Rasa and action servers, with the Bot API played
by the local stand-in: /start, a voice note, a shared location, a photo of a document, a forged
request, a retried update, and the stage notice pushed back to the chat."""
from __future__ import annotations

import io
import random
import re
from typing import Any, Dict, List

import pytest
import requests
from PIL import Image

from bot.claims.lifecycle import claim_view
from bot.replies import say
from bot.store.db import unit_of_work
from bot.store.models import Claim, InboundReceipt, Notification
from tests.e2e.test_report_conversations import forget_reported_claims  # noqa: F401 (autouse)
from tests.standins.telegram import TelegramStandIn
from tests.support.audio import speak
from tests.support.e2e import E2E_CORE_API_TOKEN

pytestmark = pytest.mark.e2e

CLAIM_NUMBER = re.compile(r"CLM-\d{4}-\d{6}")
WEBHOOK_PATH = "/webhooks/telegram/webhook"


def photo_of_a_document() -> bytes:
    """A small real JPEG: a white page with dark lines, as a phone photo of a form."""
    page = Image.new("RGB", (320, 240), (245, 245, 240))
    for row in range(20, 220, 16):
        for column in range(20, 300):
            page.putpixel((column, row), (40, 40, 40))
    buffer = io.BytesIO()
    page.save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


class TelegramCustomer:
    """One Telegram chat: sends Updates to the server's webhook and reads what the bot sent."""

    def __init__(self, servers: Any, telegram: TelegramStandIn, language_code: str) -> None:
        self.url = servers.rasa_url + WEBHOOK_PATH
        self.telegram = telegram
        self.chat_id = random.randint(10**8, 10**9)
        self.language_code = language_code

    @property
    def conversation(self) -> str:
        return f"tg-{self.chat_id}"

    def post(self, update: Dict[str, Any], **kwargs: Any) -> requests.Response:
        return self.telegram.post_update(self.url, update, **kwargs)

    def sends(self, update: Dict[str, Any], replies: int = 1) -> List[str]:
        """Post the update; the bot's new messages once at least `replies` have come."""
        before = len(self.telegram.texts_to(self.chat_id))
        answer = self.post(update)
        assert answer.status_code == 200, answer.text
        texts = self.telegram.wait_for_messages(self.chat_id, before + replies)
        return texts[before:]

    def says(self, text: str) -> str:
        update = self.telegram.text_update(self.chat_id, text, language_code=self.language_code)
        return "\n".join(self.sends(update))


def test_a_claim_reported_by_telegram_with_a_voice_note_and_a_photo(
    claims_servers, telegram_standin: TelegramStandIn, claims_db_url: str
) -> None:
    telegram = telegram_standin
    customer = TelegramCustomer(claims_servers, telegram, language_code="en")

    # /start greets in the language of the customer's Telegram app.
    assert customer.says("/start") == say("greet", "en")

    # A voice note: recognised, shown back, then handled as the customer's words.
    voice = speak("I need to make a claim. A pipe burst in my kitchen yesterday at five pm.",
                  "ogg")
    file_id = telegram.add_file(voice, "voice/file_1.oga")
    heard, *answer = customer.sends(
        telegram.voice_update(customer.chat_id, file_id, duration=6,
                              language_code="en"), replies=2)
    assert heard.startswith("I heard:") and "pipe burst" in heard.lower()
    assert "policy" in "\n".join(answer).lower()

    assert customer.says("HOME-2026-0001") == say("ask_verification", "en")
    assert "John Smith" in customer.says("1990-07-01")

    # Where it happened: a location shared from the map.
    customer.sends(telegram.location_update(customer.chat_id, 31.230416, 121.473701,
                                            language_code="en"))
    summary = customer.says("about 8000 yuan")
    assert "Please check your claim details" in summary and "31°13'49\"N" in summary
    receipt = customer.says("yes")
    number = CLAIM_NUMBER.search(receipt).group(0)
    assert not re.search(r"[\u4e00-\u9fff]", receipt)

    view = claim_view(number, url=claims_db_url)
    assert view.policy_number == "HOME-2026-0001" and view.incident_type == "water_damage"
    assert view.conversation_id == customer.conversation and view.language == "en"
    assert "31°13'49\"N 121°28'25\"E" in view.incident_place
    assert str(view.estimated_amount) == "8000.00" and view.stage.value == "reported"

    # A photo of a document, named in its caption: stored against this claim.
    photo = photo_of_a_document()
    photo_id = telegram.add_file(photo, "photos/file_2.jpg")
    [stored] = customer.sends(telegram.photo_update(customer.chat_id, photo_id,
                                                    caption="my ID card", language_code="en"))
    assert stored.startswith("Received: Claimant's ID card")
    with unit_of_work(claims_db_url) as uow:
        claim = uow.session.query(Claim).filter_by(number=number).one()
        [received] = claim.files
        assert (received.content_type, received.size_bytes) == ("image/jpeg", len(photo))
        assert received.document.code == "id_card"
        assert {d.code: d.status for d in claim.documents}["id_card"] == "received"
        assert claim.stage == "documents_review"
        assert claim.channel == "telegram"

    # What the stand-in was asked: replies to this chat only, as plain text; no getMe, ever.
    methods = {call.method for call in telegram.calls}
    assert "getMe" not in methods and "setWebhook" not in methods
    assert telegram.downloads.count("voice/file_1.oga") == 1
    assert telegram.downloads.count("photos/file_2.jpg") == 1
    assert all("parse_mode" not in m for m in telegram.messages_to(customer.chat_id))

    # The back office moves the claim on: the notice is pushed to the chat, once.
    before = len(telegram.texts_to(customer.chat_id))
    moved = requests.post(
        f"{claims_servers.rasa_url}/webhooks/core/claims/{number}/stage",
        json={"stage": "assessment", "note": "documents complete"},
        headers={"Authorization": f"Bearer {E2E_CORE_API_TOKEN}"}, timeout=30)
    assert moved.status_code == 200 and moved.json()["notice"] == "documents_accepted"
    texts = telegram.wait_for_messages(customer.chat_id, before + 1)
    [notice] = texts[before:]
    assert number in notice and not re.search(r"[\u4e00-\u9fff]", notice)
    with unit_of_work(claims_db_url) as uow:
        claim = uow.session.query(Claim).filter_by(number=number).one()
        [row] = uow.session.query(Notification).filter_by(claim_id=claim.id,
                                                          kind="documents_accepted").all()
        assert (row.status, row.channel, row.conversation_id, row.attempts) == (
            "sent", "telegram", customer.conversation, 1)


def test_a_forged_request_is_refused_and_changes_nothing(
    claims_servers, telegram_standin: TelegramStandIn, claims_db_url: str
) -> None:
    telegram = telegram_standin
    customer = TelegramCustomer(claims_servers, telegram, language_code="zh-hans")
    update = telegram.text_update(customer.chat_id, "转人工")
    for secret in (None, "guessed-secret"):
        answer = customer.post(update, secret=secret)
        assert answer.status_code == 403
    assert telegram.messages_to(customer.chat_id) == []
    with unit_of_work(claims_db_url) as uow:
        assert uow.session.query(InboundReceipt).filter_by(
            channel="telegram", external_id=str(update["update_id"])).count() == 0
    tracker = requests.get(
        f"{claims_servers.rasa_url}/conversations/{customer.conversation}/tracker",
        params={"token": claims_servers.api_token}, timeout=30)
    assert tracker.status_code == 200
    assert [e for e in tracker.json()["events"] if e.get("event") == "user"] == []


def test_an_update_delivered_twice_is_answered_once(
    claims_servers, telegram_standin: TelegramStandIn
) -> None:
    telegram = telegram_standin
    customer = TelegramCustomer(claims_servers, telegram, language_code="zh-hans")
    update = telegram.text_update(customer.chat_id, "查一下理赔进度")
    assert customer.sends(update) == [say("ask_policy_number", "zh")]
    again = customer.post(update)
    assert again.status_code == 200 and again.json().get("duplicate") is True
    assert telegram.texts_to(customer.chat_id) == [say("ask_policy_number", "zh")]
