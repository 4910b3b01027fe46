"""A motor claim reported over WeChat against the real Rasa and action servers, with WeChat's API
played by the local stand-in: a subscription, a voice message (AMR, safe mode), a location, a
numbered choice, two photos, a retried delivery, and the notices: a customer-service message
inside the 48-hour window, a template message after it, and an SMS to the phone on file for a
kind without a template."""
from __future__ import annotations

import io
import re
import secrets
import time
from datetime import timedelta
from typing import Any, Dict, List

import pytest
import requests
from PIL import Image

from bot.claims.lifecycle import claim_view
from bot.clock import local_today, utc_now
from bot.replies import say
from bot.store.db import unit_of_work
from bot.store.models import ChannelContact, Claim, InboundReceipt, Notification
from tests.e2e.test_report_conversations import forget_reported_claims  # noqa: F401 (autouse)
from tests.standins.wechat import WeChatStandIn
from tests.support.audio import amr, speak
from tests.support.e2e import E2E_CORE_API_TOKEN

pytestmark = pytest.mark.e2e

CLAIM_NUMBER = re.compile(r"CLM-\d{4}-\d{6}")
WEBHOOK_PATH = "/webhooks/wechat/webhook"
AUTH = {"Authorization": f"Bearer {E2E_CORE_API_TOKEN}"}
OPTION = re.compile(r"^(\d+)\. (.+)$", re.MULTILINE)
CJK = re.compile(r"[\u4e00-\u9fff]")


def photo(shade: int) -> bytes:
    """A small real JPEG: a page with dark lines, as a phone photo of a document."""
    page = Image.new("RGB", (320, 240), (245, shade, 240))
    for row in range(20, 220, 16):
        for column in range(20, 300):
            page.putpixel((column, row), (40, 40, 40))
    buffer = io.BytesIO()
    page.save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


class WeChatFollower:
    """One follower of the Official Account: posts signed callbacks to the server and reads what
    reached them through the customer-service message API."""

    def __init__(self, servers: Any, wechat: WeChatStandIn, *, encrypted: bool) -> None:
        self.url = servers.rasa_url + WEBHOOK_PATH
        self.wechat = wechat
        self.open_id = "oE2E" + secrets.token_hex(12)
        self.encrypted = encrypted

    @property
    def conversation(self) -> str:
        return f"wx-{self.open_id}"

    def sends(self, fields: Dict[str, Any], replies: int = 1) -> List[str]:
        before = len(self.wechat.texts_to(self.open_id))
        answer = self.wechat.post(self.url, fields, encrypted=self.encrypted)
        assert answer.status_code == 200 and answer.text == "success", answer.text
        return self.wechat.wait_for_texts(self.open_id, before + replies)[before:]

    def says(self, text: str) -> str:
        return "\n".join(self.sends(self.wechat.text(self.open_id, text)))


def _core(servers: Any, number: str, path: str, body: Dict[str, Any]) -> requests.Response:
    return requests.post(f"{servers.rasa_url}/webhooks/core/claims/{number}/{path}", json=body,
                         headers=AUTH, timeout=60)


def _notification(url: str, number: str, kind: str, timeout: float = 60) -> Dict[str, Any]:
    """The claim's notice of `kind` once the outbox has settled it (sent or failed): its
    status, channel, conversation and last error."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        with unit_of_work(url) as uow:
            claim = uow.session.query(Claim).filter_by(number=number).one()
            rows = uow.session.query(Notification).filter_by(claim_id=claim.id, kind=kind).all()
            if rows and rows[0].status in ("sent", "failed"):
                row = rows[0]
                return {"status": row.status, "channel": row.channel,
                        "conversation_id": row.conversation_id, "last_error": row.last_error,
                        "fallback_reason": getattr(row, "fallback_reason", None)}
        time.sleep(0.5)
    raise AssertionError(f"the {kind} notice of {number} was not settled")


def test_a_motor_claim_reported_over_wechat_with_a_voice_message_and_two_photos(
    claims_servers, wechat_standin: WeChatStandIn, twilio_standin: Any, claims_db_url: str
) -> None:
    wechat = wechat_standin
    follower = WeChatFollower(claims_servers, wechat, encrypted=True)  # safe mode (AES)
    started = utc_now() - timedelta(seconds=1)

    # Following the account greets (Chinese: nothing says otherwise yet); the follower writes
    # in English, and the conversation goes on in English (WeChat does not say the app's
    # language), so the voice message is recognised as English.
    assert follower.sends(wechat.event(follower.open_id, "subscribe")) == [say("greet", "zh")]
    assert follower.says("Hello") == say("greet", "en")

    # A voice message, as WeChat delivers it (AMR): recognised on our machine, shown back, then
    # handled as the customer's words. espeak-ng's Mandarin is too robotic for Whisper: English.
    voice = amr(speak("I need to make a claim. I was in a car crash yesterday at three pm.",
                      "wav"))
    media_id = wechat.add_media(voice, "audio/amr")
    heard, *answer = follower.sends(wechat.voice(follower.open_id, media_id), replies=2)
    assert heard.startswith("I heard:") and "claim" in heard.lower()
    assert "policy" in "\n".join(answer).lower()
    assert wechat.downloads.count(media_id) == 1

    assert follower.says("AUTO-2026-0001") == say("ask_verification", "en")
    assert "张伟" in follower.says("1985-04-12")
    # Where: a location sent from WeChat's map.
    reply = "\n".join(follower.sends(wechat.location(follower.open_id, 31.230416, 121.473701,
                                                     "Zhongshan Road")))
    for _ in range(5):  # what the report form still asks, in whatever order it asks it
        if "Please check your claim details" in reply:
            break
        options = dict((title.lower(), number) for number, title in OPTION.findall(reply))
        choice = next((n for title, n in options.items() if "collision" in title), None)
        if choice is not None:  # a numbered choice: the number picks it
            reply = follower.says(choice)
        elif re.search(r"hurt|injur", reply, re.IGNORECASE):
            reply = follower.says("nobody was hurt")
        elif re.search(r"how much|amount|cost", reply, re.IGNORECASE):
            reply = follower.says("about 3000 yuan")
        else:
            raise AssertionError(f"unexpected question: {reply}\n"
                                 f"{wechat.texts_to(follower.open_id)}")
    assert "Please check your claim details" in reply, wechat.texts_to(follower.open_id)
    receipt = follower.says("yes")
    number = CLAIM_NUMBER.search(receipt).group(0)
    view = claim_view(number, url=claims_db_url)
    assert view.policy_number == "AUTO-2026-0001" and view.incident_type == "collision"
    assert view.conversation_id == follower.conversation and view.language == "en"
    assert "Zhongshan Road" in view.incident_place

    # Two photos: each stored against the claim; a numbered list asks which document it is.
    for shade in (200, 120):
        photo_id = wechat.add_media(photo(shade), "image/jpeg")
        image = wechat.image(follower.open_id, photo_id)
        [asked] = follower.sends(image)
        options = OPTION.findall(asked)
        assert options and say("sms_options", "en") in asked
        [stored] = follower.sends(wechat.text(follower.open_id, options[0][0]))
        assert stored.startswith(f"Received: {options[0][1]}")
    with unit_of_work(claims_db_url) as uow:
        claim = uow.session.query(Claim).filter_by(number=number).one()
        codes = sorted(f.document.code for f in claim.files if f.document)
        assert len(claim.files) == 2 and len(set(codes)) == 2
        assert all(f.content_type == "image/jpeg" for f in claim.files)
        assert claim.channel == "wechat" and claim.stage == "documents_review"

    # The last photo delivered again (WeChat's retry, same MsgId): nothing stored twice.
    said = len(wechat.texts_to(follower.open_id))
    again = wechat.post(follower.url, image, encrypted=True)
    assert again.status_code == 200 and again.text == "success"
    with unit_of_work(claims_db_url) as uow:
        assert uow.session.query(InboundReceipt).filter_by(
            channel="wechat", external_id=f"{follower.open_id}:{image['MsgId']}").count() == 1
        claim = uow.session.query(Claim).filter_by(number=number).one()
        assert len(claim.files) == 2
    assert wechat.downloads.count(photo_id) == 1

    # Notice 1, inside the 48-hour window: a customer-service message.
    before = len(wechat.texts_to(follower.open_id))
    assert before == said
    assert _core(claims_servers, number, "stage", {"stage": "assessment"}).status_code == 200
    [notice] = wechat.wait_for_texts(follower.open_id, before + 1)[before:]
    assert number in notice
    row = _notification(claims_db_url, number, "documents_accepted")
    assert (row["status"], row["channel"], row["conversation_id"]) == (
        "sent", "wechat", follower.conversation)

    # 49 hours without a word from the follower (the store's record of their last message is
    # moved back: the servers' clock is the real one).
    with unit_of_work(claims_db_url) as uow:
        contact = uow.session.query(ChannelContact).filter_by(
            conversation_id=follower.conversation).one()
        contact.last_inbound_at -= timedelta(hours=49)
        uow.commit()

    # Notice 2, outside the window: the template message configured for its kind.
    assert _core(claims_servers, number, "stage", {"stage": "payment"}).status_code == 200
    row = _notification(claims_db_url, number, "review_done")
    assert row["status"] == "sent"
    [template] = wechat.templates_to(follower.open_id)
    assert template["template_id"] == "e2e-template-progress"
    assert template["data"]["keyword1"]["value"] == number
    assert template["data"]["keyword2"]["value"] == "Review done"
    assert len(wechat.texts_to(follower.open_id)) == before + 1  # no CS message this time

    # Notice 3, outside the window, a kind with no template: WeChat cannot carry it.
    paid = _core(claims_servers, number, "pay",
                 {"amount": "2600", "paid_on": local_today().isoformat()})
    assert paid.status_code == 200, paid.text
    row = _notification(claims_db_url, number, "paid_closed")
    assert len(wechat.templates_to(follower.open_id)) == 1
    assert len(wechat.texts_to(follower.open_id)) == before + 1
    # The sender raised ChannelCannotDeliver ("no template"); the outbox's delivery policy
    # (bot/outbox/delivery.py) texted the phone on file and recorded why.
    assert row["status"] == "sent" and "no template" in (row["fallback_reason"] or "")
    texts = [m for m in twilio_standin.messages if m.get("To", "").endswith("13800000001")]
    assert any(number in m.get("Body", "") for m in texts), texts

    # The delivery rate of this claim's notices (`python -m bot notices stats`, bot/outbox/stats):
    # three queued for WeChat, three delivered, one of them by SMS.
    from bot.outbox.stats import delivery_stats

    stats = delivery_stats(started, utc_now() + timedelta(minutes=1), url=claims_db_url)
    rows = [r for r in stats.rows if r.channel == "wechat"]
    for r in rows:
        print(f"delivery: {r.channel} {r.kind} queued={r.queued} delivered={r.delivered} "
              f"by_sms={r.by_sms} failed={r.failed} share={r.share} "
              f"median_s={r.median_seconds}")
    assert sum(r.queued for r in rows) == 3 and sum(r.delivered for r in rows) == 3
    assert sum(r.by_sms for r in rows) == 1


def test_forged_replayed_and_repeated_callbacks_change_nothing(
    claims_servers, wechat_standin: WeChatStandIn, claims_db_url: str
) -> None:
    wechat = wechat_standin
    follower = WeChatFollower(claims_servers, wechat, encrypted=False)
    message = wechat.text(follower.open_id, "查一下理赔进度")
    query, body = wechat.sealed(message)
    forged = requests.post(follower.url, params={**query, "signature": "0" * 40},
                           data=body.encode(), timeout=30)
    assert forged.status_code == 403
    first = requests.post(follower.url, params=query, data=body.encode(), timeout=30)
    assert first.status_code == 200 and first.text == "success"
    assert wechat.wait_for_texts(follower.open_id, 1) == [say("ask_policy_number", "zh")]
    # WeChat's retry may repeat the query string: the message was received, "success".
    replay = requests.post(follower.url, params=query, data=body.encode(), timeout=30)
    assert replay.status_code == 200 and replay.text == "success"
    # The used query string on another message is a replay: refused.
    other = wechat.text(follower.open_id, "我要报案")
    forged_body = wechat.sealed(other)[1]
    replay = requests.post(follower.url, params=query, data=forged_body.encode(), timeout=30)
    assert replay.status_code == 403 and replay.text == "replayed"
    again = wechat.post(follower.url, message)  # WeChat's retry: a new nonce, the same MsgId
    assert again.status_code == 200 and again.text == "success"
    time.sleep(2)
    assert wechat.texts_to(follower.open_id) == [say("ask_policy_number", "zh")]


def test_a_chinese_customer_picks_a_claim_by_its_number_and_is_answered_in_chinese(
    claims_servers, wechat_standin: WeChatStandIn
) -> None:
    wechat = wechat_standin
    follower = WeChatFollower(claims_servers, wechat, encrypted=False)
    follower.says("查一下进度")
    follower.says("HOME-2026-0001")
    listing = follower.says("0003")
    options = OPTION.findall(listing)
    assert len(options) >= 2 and say("sms_options", "zh") in listing, listing
    number, title = options[1]
    claim = CLAIM_NUMBER.search(title).group(0)
    detail = follower.says(number)
    assert claim in detail and CJK.search(detail), detail
    # Still Chinese: nothing of the detail is in English words.
    assert not re.search(r"[A-Za-z]{4,}", CLAIM_NUMBER.sub("", detail)), detail
