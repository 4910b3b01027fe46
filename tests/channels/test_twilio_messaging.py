"""The Twilio SMS/WhatsApp channel in-process: a stand-in Rasa agent, a seeded store, and the local
Twilio stand-in for the Messages API and media downloads (real signatures, real HTTP)."""
from __future__ import annotations

import logging
import re
import shutil
import uuid
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List
from urllib.parse import urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rasa.core.channels.channel import UserMessage, register
from rasa.shared.core.events import BotUttered, UserUttered
from sanic import Sanic
from sqlalchemy import func, select

from bot.claims.reporting import ReportDraft, submit_report
from bot.inbound import first_receipt
from bot.outbox.delivery import deliver_pending
from bot.outbox.notices import list_notices
from bot.outbox.senders import Notice, PermanentDeliveryError
from bot.replies import say
from bot.settings import get_settings
from bot.store.db import dispose_engines, unit_of_work
from bot.store.models import InboundReceipt, Notification
from channels import twilio_rest as channel_module
from channels.twilio import EMPTY_TWIML, TwilioMessagingInput, chosen_number
from channels.twilio_rest import (
    MAX_PART_CHARS,
    Address,
    e164,
    send_call_notice,
    send_notice,
    split_message,
)
from tests.standins.twilio import TwilioStandIn
from tests.support.asgi import AsgiClient, AsgiResponse
from tests.support.store import migrate_and_seed

OUR_SMS = "+15005550006"
OUR_WHATSAPP = "whatsapp:+14155238886"
CUSTOMER = "+8613900000001"
WEBHOOK = "/webhooks/twilio/webhook"
SIGNED_URL = "http://testserver" + WEBHOOK  # what the channel sees behind the ASGI client

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"licence" * 40
PDF = b"%PDF-1.7\n" + b"invoice" * 40


# --- the stand-in Rasa agent --------------------------------------------------------------------

class Tracker:
    def __init__(self) -> None:
        self.slots: Dict[str, Any] = {}
        self.events: List[Any] = []

    def get_slot(self, name: str) -> Any:
        return self.slots.get(name)


class TrackerStore:
    def __init__(self) -> None:
        self.trackers: Dict[str, Tracker] = {}

    async def retrieve(self, sender_id: str) -> Tracker | None:
        return self.trackers.get(sender_id)


class StandInAgent:
    """Answers like Rasa's agent, and keeps a tracker of what was said, as Rasa does."""

    def __init__(self) -> None:
        self.received: List[UserMessage] = []
        self.tracker_store = TrackerStore()
        self.reply: Callable[[UserMessage], Any] = self.echo

    @staticmethod
    async def echo(message: UserMessage) -> None:
        await message.output_channel.send_text_message(message.sender_id, f"echo: {message.text}")

    async def handle_message(self, message: UserMessage) -> None:
        self.received.append(message)
        tracker = self.tracker_store.trackers.setdefault(message.sender_id, Tracker())
        tracker.events.append(UserUttered(message.text))
        before = len(message.output_channel.messages)
        await self.reply(message)
        for sent in message.output_channel.messages[before:]:
            tracker.events.append(BotUttered(sent.get("text"),
                                             data={"buttons": sent.get("buttons")}))

    def texts(self) -> List[str]:
        return [message.text for message in self.received]


# --- fixtures -----------------------------------------------------------------------------------

@pytest.fixture
def twilio() -> Iterator[TwilioStandIn]:
    with TwilioStandIn() as standin:
        yield standin


@pytest.fixture(scope="module")
def seeded_file(tmp_path_factory) -> Path:
    """The demo data, migrated and seeded once; each test works on its own copy."""
    path = tmp_path_factory.mktemp("twilio-seed") / "claims.db"
    migrate_and_seed(f"sqlite:///{path}", today=None)
    dispose_engines()
    return path


@pytest.fixture
def store(tmp_path, monkeypatch, twilio, seeded_file) -> Iterator[str]:
    shutil.copy(seeded_file, tmp_path / "claims.db")
    url = f"sqlite:///{tmp_path / 'claims.db'}"
    env = {
        "CLAIMS_DB_URL": url, "CLAIMS_VAR_DIR": str(tmp_path),
        "TWILIO_ACCOUNT_SID": twilio.account_sid, "TWILIO_AUTH_TOKEN": twilio.auth_token,
        "TWILIO_API_BASE": twilio.base_url, "TWILIO_SMS_FROM": OUR_SMS,
        "TWILIO_WHATSAPP_FROM": OUR_WHATSAPP.split(":", 1)[1],
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    yield url
    dispose_engines()
    get_settings.cache_clear()


@pytest.fixture
def agent() -> StandInAgent:
    return StandInAgent()


class Phone:
    """Plays Twilio's side: signed webhooks in, and what the stand-in was asked to send out."""

    def __init__(self, client: AsgiClient, channel: TwilioMessagingInput,
                 twilio: TwilioStandIn) -> None:
        self.client, self.channel, self.twilio = client, channel, twilio

    def post(self, params: Dict[str, str], *, signature: str | None = None,
             url: str = SIGNED_URL, body: bytes | None = None) -> AsgiResponse:
        headers = {"content-type": "application/x-www-form-urlencoded"}
        signature = self.twilio.signature(url, params) if signature is None else signature
        if signature:
            headers["X-Twilio-Signature"] = signature
        data = body if body is not None else urlencode(params).encode("utf-8")
        response = self.client.post(WEBHOOK, body=data, headers=headers)
        self.settle()
        return response

    def settle(self) -> None:
        self.client.loop.run_until_complete(self.channel.wait_idle())

    def send(self, text: str = "", *, sender: str = CUSTOMER, to: str = OUR_SMS,
             media: tuple = (), sid: str | None = None, **extra: str) -> AsgiResponse:
        params = {"MessageSid": sid or f"SM{uuid.uuid4().hex}",
                  "AccountSid": self.twilio.account_sid, "From": sender, "To": to,
                  "Body": text, "NumMedia": str(len(media)), **extra}
        for index, (url, content_type) in enumerate(media):
            params[f"MediaUrl{index}"] = url
            params[f"MediaContentType{index}"] = content_type
        return self.post(params)

    def sent_to(self, to: str = CUSTOMER) -> List[Dict[str, str]]:
        return [m for m in self.twilio.messages if m.get("To") == to and "_failed" not in m]

    def bodies(self, to: str = CUSTOMER) -> List[str]:
        return [m["Body"] for m in self.sent_to(to)]


@pytest.fixture
def phone(store, agent, twilio) -> Iterator[Phone]:
    channel = TwilioMessagingInput()
    app = Sanic(f"twilio_test_{uuid.uuid4().hex}")
    app.ctx.agent = agent
    register([channel], app, route="/webhooks/")
    with AsgiClient(app) as client:
        yield Phone(client, channel, twilio)


def open_claim(url: str, conversation_id: str = "sms-" + CUSTOMER) -> str:
    """A motor collision claim reported in this SMS conversation, waiting for documents."""
    with unit_of_work(url) as uow:
        customer_id = uow.policies.by_number("AUTO-2026-0001").customer_id
    draft = ReportDraft(policy_number="AUTO-2026-0001", incident_type="collision",
                        incident_at=datetime.utcnow() - timedelta(days=1), place="中山路",
                        estimated_amount=Decimal("3000"), language="zh", channel="twilio",
                        conversation_id=conversation_id)
    return submit_report(draft, verified_customer_id=customer_id, actor="test",
                         url=url).claim_number


def files_of(url: str, number: str) -> List[tuple[int, int | None]]:
    """(size, checklist row) of each file stored for the claim."""
    with unit_of_work(url) as uow:
        claim = uow.claims.by_number(number)
        return [(f.size_bytes, f.document_id) for f in claim.files]


def received_documents(url: str, number: str) -> List[str]:
    with unit_of_work(url) as uow:
        claim = uow.claims.by_number(number)
        return sorted(d.code for d in claim.documents if d.status == "received")


def wanted_documents(url: str, number: str) -> List[Any]:
    from bot.documents.intake import upload_target

    target = upload_target("sms-" + CUSTOMER, url=url)
    assert target is not None and target.claim_number == number
    return list(target.documents)


def receipts(url: str) -> int:
    with unit_of_work(url) as uow:
        return uow.session.execute(select(func.count()).select_from(InboundReceipt)).scalar_one()


# --- splitting long replies ---------------------------------------------------------------------

def test_a_short_reply_is_one_part():
    assert split_message("您好，我是理赔助手。") == ["您好，我是理赔助手。"]
    assert split_message("   ") == []


def test_chinese_is_split_after_a_sentence_end():
    sentence = "请准备驾驶证、行驶证和维修发票的照片。"  # 20 characters
    text = sentence * 200  # 4000 characters
    parts = split_message(text)
    assert len(parts) == 3
    assert all(len(part) <= MAX_PART_CHARS for part in parts)
    assert all(part.endswith("。") for part in parts)
    assert "".join(parts) == text


def test_english_is_split_between_sentences_not_inside_words_or_numbers():
    text = " ".join(["Claim CLM-2026-000123 pays CNY 3,200.50 within 3.5 days."] * 60)
    parts = split_message(text, limit=500)
    assert all(len(part) <= 500 for part in parts)
    assert all(part.endswith("days.") for part in parts)
    assert " ".join(parts) == text


def test_line_breaks_are_preferred_and_a_text_without_any_boundary_is_cut_hard():
    lines = "\n".join(f"{n}. 材料名称比较长的一份材料" for n in range(1, 60))
    parts = split_message(lines, limit=200)
    assert all(len(part) <= 200 for part in parts)
    assert all(re.fullmatch(r"(\d+\. 材料名称比较长的一份材料\n?)+", part) for part in parts)
    assert split_message("字" * 250, limit=100) == ["字" * 100, "字" * 100, "字" * 50]


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="ab 。.!？\n理赔x", max_size=600), st.integers(min_value=2, max_value=80))
def test_parts_keep_every_character_and_respect_the_limit(text, limit):
    parts = split_message(text, limit=limit)
    assert all(0 < len(part) <= limit and part == part.strip() for part in parts)
    squeeze = re.compile(r"\s+")
    assert squeeze.sub("", "".join(parts)) == squeeze.sub("", text)


# --- addresses and numbered choices -------------------------------------------------------------

def test_addresses_for_sms_and_whatsapp():
    sms = Address.from_twilio("+8613900000001")
    whatsapp = Address.from_twilio("whatsapp:+8613900000001")
    assert (sms.sender_id, sms.twilio_to) == ("sms-+8613900000001", "+8613900000001")
    assert (whatsapp.sender_id, whatsapp.twilio_to) == ("wa-+8613900000001",
                                                        "whatsapp:+8613900000001")
    assert Address.from_sender_id("wa-+8613900000001") == whatsapp
    assert Address.from_sender_id("web-123") is None
    assert "13900000001" not in sms.masked and sms.masked.endswith("0001")
    for bad in ("", "13900000001", "+0123", "whatsapp:", "+86 139 0000 0001", "client:bob"):
        assert Address.from_twilio(bad) is None, bad


@pytest.mark.parametrize(("text", "number"), [("1", 1), (" 2 ", 2), ("２", 2), ("3.", 3),
                                               ("10", 10), ("1985-04-12", None), ("1 2", None),
                                               ("一", None), ("", None)])
def test_a_reply_that_is_only_a_number_picks_an_option(text, number):
    assert chosen_number(text) == number


def test_channel_loads_from_credentials_and_leaves_agents_words_to_the_outbox():
    from rasa.core.run import _create_single_channel

    channel = _create_single_channel("channels.twilio.TwilioMessagingInput", {})
    assert isinstance(channel, TwilioMessagingInput)
    assert channel.name() == "twilio" and channel.url_prefix() == "twilio"
    # The agent console pushes through an output channel when there is one; None sends the
    # agent's words through the outbox and its retries instead.
    assert channel.get_output_channel() is None


# --- the webhook: who may post --------------------------------------------------------------------

def test_text_message_is_answered_through_the_messages_api(phone, agent):
    response = phone.send("你好")
    assert response.status == 200
    assert response.text == EMPTY_TWIML and response.content_type.startswith("text/xml")
    [message] = agent.received
    assert (message.text, message.sender_id, message.input_channel) == (
        "你好", "sms-" + CUSTOMER, "twilio")
    [sent] = phone.sent_to(CUSTOMER)
    assert (sent["From"], sent["Body"]) == (OUR_SMS, "echo: 你好")


def test_whatsapp_is_its_own_conversation_answered_on_whatsapp(phone, agent):
    phone.send("hello there", sender="whatsapp:" + CUSTOMER, to=OUR_WHATSAPP)
    assert agent.received[0].sender_id == "wa-" + CUSTOMER
    [sent] = phone.sent_to("whatsapp:" + CUSTOMER)
    assert (sent["From"], sent["Body"]) == (OUR_WHATSAPP, "echo: hello there")
    assert phone.sent_to(CUSTOMER) == []


def test_unsigned_or_forged_requests_are_refused_and_nothing_happens(phone, agent, store):
    params = {"MessageSid": "SM" + "1" * 32, "From": CUSTOMER, "To": OUR_SMS, "Body": "你好"}
    assert phone.post(params, signature="").status == 403
    assert phone.post(params, signature="bm90IGEgc2lnbmF0dXJl").status == 403
    # Signed for another URL, or with another account's token.
    assert phone.post(params, url="https://evil.example/webhooks/twilio/webhook").status == 403
    forged = TwilioStandIn(auth_token="someone-elses-token").signature(SIGNED_URL, params)
    assert phone.post(params, signature=forged).status == 403
    # Signed, then changed on the way.
    signature = phone.twilio.signature(SIGNED_URL, params)
    assert phone.post({**params, "Body": "转账"}, signature=signature).status == 403
    assert agent.received == [] and phone.twilio.messages == [] and receipts(store) == 0


def test_without_a_twilio_account_the_webhook_is_off(phone, agent, monkeypatch):
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "")
    get_settings.cache_clear()
    assert phone.send("你好").status == 503
    assert agent.received == [] and phone.twilio.messages == []


@pytest.mark.parametrize("missing", ["From", "MessageSid"])
def test_a_signed_body_without_sender_or_sid_is_400(phone, agent, missing):
    params = {"MessageSid": "SM" + "2" * 32, "From": CUSTOMER, "To": OUR_SMS, "Body": "你好"}
    del params[missing]
    response = phone.post(params)
    assert response.status == 400
    assert agent.received == [] and phone.twilio.messages == []


def test_a_huge_body_is_413(phone, agent):
    params = {"MessageSid": "SM" + "3" * 32, "From": CUSTOMER, "Body": "字" * 30000}
    assert phone.post(params).status == 413
    assert agent.received == []


def test_a_retried_delivery_is_handled_once(phone, agent, store):
    sid = "SM" + "4" * 32
    assert phone.send("查进度", sid=sid).status == 200
    assert phone.send("查进度", sid=sid).status == 200  # Twilio retried: same MessageSid
    assert agent.texts() == ["查进度"]
    assert len(phone.sent_to(CUSTOMER)) == 1
    assert not first_receipt("twilio", sid, url=store)


def test_a_message_from_an_unknown_number_starts_a_new_conversation(phone, agent):
    phone.send("你好", sender="+447700900123")
    assert agent.received[0].sender_id == "sms-+447700900123"
    assert phone.bodies("+447700900123") == ["echo: 你好"]


def test_non_utf8_text_is_read_with_replacement_characters_not_a_server_error(phone, agent):
    params = {"MessageSid": "SM" + "5" * 32, "From": CUSTOMER, "To": OUR_SMS,
              "Body": "\ufffd\ufffd"}
    raw = urlencode({k: v for k, v in params.items() if k != "Body"}).encode() + b"&Body=%FF%FE"
    assert phone.post(params, body=raw).status == 200
    assert agent.texts() == ["\ufffd\ufffd"]
    # Bytes that are not even UTF-8 before decoding: no form, so no valid signature.
    assert phone.post(params, body=b"Body=\xff\xfe&From=%2B86").status == 403


def test_control_characters_never_reach_the_bot(phone, agent):
    phone.send("查\x00进度\x1b[31m")
    assert agent.texts() == ["查进度[31m"]


def test_too_long_text_gets_a_clear_reply_and_is_not_guessed_at(phone, agent, monkeypatch):
    monkeypatch.setenv("CLAIMS_MAX_MESSAGE_CHARS", "50")
    get_settings.cache_clear()
    phone.send("我" * 51)
    assert agent.received == []
    assert phone.bodies() == [say("message_too_long", "zh", limit=50)]


def test_an_empty_message_is_answered_without_asking_the_bot(phone, agent):
    phone.send("  ")
    assert agent.received == []
    assert phone.bodies() == [say("no_text", "zh")]


def test_whatsapp_location_becomes_the_place_in_words(phone, agent):
    phone.send("", sender="whatsapp:" + CUSTOMER, to=OUR_WHATSAPP, Latitude="31.2304",
               Longitude="121.4737", Label="外滩", Address="上海市中山东一路1号")
    [place] = agent.texts()
    from channels.locations import location_text  # one wording for a shared place everywhere

    assert place == location_text({"latitude": 31.2304, "longitude": 121.4737}, "zh",
                                  {"title": "外滩", "address": "上海市中山东一路1号"})
    assert place.startswith("位置：外滩 上海市中山东一路1号 31°13")
    assert "," not in place and "." not in place
    phone.send("", sender="whatsapp:" + CUSTOMER, to=OUR_WHATSAPP, Latitude="north",
               Longitude="121.4737")
    assert len(agent.received) == 1  # not a place: asked to say something instead
    assert phone.bodies("whatsapp:" + CUSTOMER)[-1] == say("no_text", "zh")


def test_logs_name_the_customer_only_by_masked_number(phone, caplog):
    caplog.set_level(logging.INFO, logger="channels.twilio")
    phone.send("你好")
    assert "sms:+86139****0001" in caplog.text
    assert "13900000001" not in caplog.text


def test_when_the_bot_fails_the_customer_is_told_to_send_again(phone, agent):
    async def broken(message: UserMessage) -> None:
        raise RuntimeError("action server down")

    agent.reply = broken
    phone.send("查进度")
    assert phone.bodies() == [say("sms_failed", "zh")]


def test_a_turn_the_bot_could_not_finish_is_asked_again_not_half_answered(phone, agent):
    from rasa_server.turns import ACTIONS_UNAVAILABLE, mark_failed

    async def action_server_down(message: UserMessage) -> None:
        mark_failed(ACTIONS_UNAVAILABLE, "connection refused")
        await message.output_channel.send_text_message(message.sender_id, "half an answer")

    agent.reply = action_server_down
    phone.send("查进度")
    assert phone.bodies() == [say("try_again_shortly", "zh")]


# --- replies: splitting, buttons, failures ------------------------------------------------------

def test_a_long_turn_is_sent_in_parts_within_the_limit_in_order(phone, agent):
    async def long_answer(message: UserMessage) -> None:
        for n in range(3):
            await message.output_channel.send_text_message(
                message.sender_id, f"第{n}段。" + "材料清单里的每一项都要拍清楚。" * 60)

    agent.reply = long_answer
    phone.send("要什么材料")
    bodies = phone.bodies()
    assert len(bodies) == 3 and all(len(body) <= MAX_PART_CHARS for body in bodies)
    joined = "".join(bodies)
    assert joined.index("第0段") < joined.index("第1段") < joined.index("第2段")


def offer_person(message: UserMessage) -> Any:
    return message.output_channel.send_text_with_buttons(
        message.sender_id, say("elderly_offer", "zh"),
        [{"title": say("button.human", "zh"), "payload": "/request_human"},
         {"title": say("button.no_thanks", "zh"), "payload": "/deny"}])


def test_buttons_become_numbered_options_and_a_number_picks_the_payload(phone, agent):
    async def reply(message: UserMessage) -> None:
        if message.text == "你好":
            await offer_person(message)
        else:
            await StandInAgent.echo(message)

    agent.reply = reply
    phone.send("你好")
    [offer] = phone.bodies()
    assert offer.endswith("\n".join([say("sms_options", "zh"), "1. " + say("button.human", "zh"),
                                     "2. " + say("button.no_thanks", "zh")]))
    phone.send("1")
    assert agent.texts() == ["你好", "/request_human"]
    phone.send("1")  # the options were answered: a number now is just a number
    assert agent.texts()[-1] == "1"


@pytest.mark.parametrize("kind", ["sms", "whatsapp"])
def test_a_claim_picked_by_its_number_reaches_the_bot_as_its_own_payload_in_the_script(
    phone, agent, kind
):
    from bot.language import PICKED_CHOICE, in_script

    buttons = [{"title": f"第{n}笔 车险 {number}",
                "payload": f'/inform{{"claim_number":"{number}"}}'}
               for n, number in enumerate(["CLM-2026-000004", "CLM-2026-000005"], 1)]

    async def reply(message: UserMessage) -> None:
        if message.text == "查一下進度":
            await message.output_channel.send_text_with_buttons(message.sender_id,
                                                                "您有兩筆理賠。", buttons)
        else:
            await StandInAgent.echo(message)

    sender = ("wa-" if kind == "whatsapp" else "sms-") + CUSTOMER
    agent.tracker_store.trackers[sender] = Tracker()
    agent.tracker_store.trackers[sender].slots.update(language="zh", script="traditional")
    agent.reply = reply
    whatsapp = {"sender": "whatsapp:" + CUSTOMER, "to": OUR_WHATSAPP}
    to = whatsapp["sender"] if kind == "whatsapp" else CUSTOMER

    def send(text: str) -> None:
        phone.send(text, **(whatsapp if kind == "whatsapp" else {}))

    send("查一下進度")
    [offer] = phone.bodies(to)
    header = in_script(say("sms_options", "zh"), "traditional")
    assert header != say("sms_options", "zh")
    assert offer.endswith("\n".join([header, *(in_script(f"{n}. {b['title']}", "traditional")
                                               for n, b in enumerate(buttons, 1))]))
    send("2")
    picked = agent.received[-1]
    assert picked.text == '/inform{"claim_number":"CLM-2026-000005"}'
    assert picked.metadata[PICKED_CHOICE] is True
    send("2")  # the options were answered: a number now is the customer's own
    assert agent.received[-1].text == "2" and PICKED_CHOICE not in agent.received[-1].metadata


def test_a_number_after_a_notice_answers_the_notice_not_old_options(phone, agent, store):
    async def reply(message: UserMessage) -> None:
        if message.text == "你好":
            await offer_person(message)

    agent.reply = reply
    phone.send("你好")
    from bot.outbox.notices import queue_message

    queue_message("sms-" + CUSTOMER, "twilio", "理赔已结案，请为我们打分（1-10）。",
                  kind="closed", status="sent", now=datetime.utcnow() + timedelta(seconds=1),
                  url=store)
    phone.send("2")
    assert agent.texts() == ["你好", "2"]


def test_a_reply_that_cannot_be_sent_now_waits_in_the_outbox_and_goes_out_once(phone, store):
    phone.twilio.fail_next(503)
    phone.send("你好")
    assert phone.bodies() == []
    [kept] = list_notices(status="pending", url=store)
    assert (kept.channel, kept.conversation_id, kept.body) == ("twilio", "sms-" + CUSTOMER,
                                                               "echo: 你好")
    report = deliver_pending({"twilio": send_notice}, url=store)
    assert report.sent == [kept.id]
    assert phone.bodies() == ["echo: 你好"]
    assert phone.sent_to(CUSTOMER)[0]["From"] == OUR_SMS
    assert deliver_pending({"twilio": send_notice}, url=store).sent == []


def test_a_reply_to_a_number_that_opted_out_is_dropped_not_retried(phone, store, caplog):
    caplog.set_level(logging.WARNING, logger="channels.twilio")
    phone.twilio.fail_next(400, code=21610)
    phone.send("你好")
    assert phone.bodies() == [] and list_notices(url=store) == []
    assert "21610" in caplog.text and "13900000001" not in caplog.text


# --- photos and PDFs ----------------------------------------------------------------------------

def test_a_photo_is_stored_against_the_open_claim_and_a_number_says_which_document(
        phone, agent, store):
    number = open_claim(store)
    wanted = wanted_documents(store, number)
    phone.send("", media=[(phone.twilio.add_media(JPEG, "image/jpeg"), "image/jpeg")])
    [question] = phone.bodies()
    assert question.startswith(say("sms_which_document", "zh", claim_number=number))
    assert f"1. {wanted[0].name('zh')}" in question
    assert files_of(store, number) == [(len(JPEG), None)]
    assert agent.received == []  # the bot is not asked about a file

    phone.send("1")
    assert agent.received == []
    assert received_documents(store, number) == [wanted[0].code]
    assert phone.bodies()[-1].startswith(say("intake_received", "zh",
                                             document=wanted[0].name("zh")))
    phone.send("1")  # answered: the next "1" is the bot's again
    assert agent.texts() == ["1"]


def test_a_caption_naming_the_document_files_it_at_once(phone, agent, store):
    number = open_claim(store)
    licence = next(item for item in wanted_documents(store, number)
                   if item.code == "driving_licence")
    phone.send(f"这是{licence.name('zh')}",
               media=[(phone.twilio.add_media(PDF, "application/pdf"), "application/pdf")])
    assert received_documents(store, number) == ["driving_licence"]
    assert agent.received == []
    assert phone.bodies()[0].startswith(say("intake_received", "zh",
                                            document=licence.name("zh")))


def test_two_photos_in_one_message_are_asked_about_one_after_the_other(phone, store):
    number = open_claim(store)
    wanted = wanted_documents(store, number)
    photo = JPEG + b"second"
    phone.send("", media=[(phone.twilio.add_media(JPEG, "image/jpeg"), "image/jpeg"),
                          (phone.twilio.add_media(photo, "image/jpeg"), "image/jpeg")])
    assert len(files_of(store, number)) == 2
    phone.send("1")
    assert say("sms_which_next_document", "zh") in phone.bodies()[-1]
    phone.send("1")  # the list has moved up: 1 is now the next document still missing
    assert received_documents(store, number) == sorted([wanted[0].code, wanted[1].code])


def test_a_photo_without_an_open_claim_is_not_fetched(phone, store):
    url = phone.twilio.add_media(JPEG, "image/jpeg")
    phone.send("", media=[(url, "image/jpeg")])
    assert phone.bodies() == [say("upload_no_claim", "zh")]
    assert phone.twilio.downloads == []


def test_unsupported_media_gets_a_clear_reply_and_is_not_fetched(phone, store):
    number = open_claim(store)
    phone.send("", media=[(phone.twilio.add_media(b"\x00\x00\x00\x18ftypmp42", "video/mp4"),
                           "video/mp4")])
    assert phone.bodies() == [say("sms_media_unsupported", "zh")]
    assert phone.twilio.downloads == [] and files_of(store, number) == []


def test_a_file_that_claims_to_be_a_photo_but_is_not_is_refused(phone, store):
    number = open_claim(store)
    phone.send("", media=[(phone.twilio.add_media(b"MZ\x90\x00evil", "image/jpeg"),
                           "image/jpeg")])
    assert phone.bodies() == [say("intake_error.unsupported_type", "zh")]
    assert files_of(store, number) == []


def test_a_media_url_that_fails_is_reported_and_nothing_is_stored(phone, store):
    number = open_claim(store)
    missing = phone.twilio.base_url + f"/2010-04-01/Accounts/{phone.twilio.account_sid}" \
        "/Messages/MM1/Media/ME404"
    phone.send("", media=[(missing, "image/jpeg")])
    assert phone.bodies() == [say("sms_media_failed", "zh")]
    assert files_of(store, number) == []


def test_a_media_download_that_hangs_times_out(phone, store, monkeypatch):
    number = open_claim(store)
    monkeypatch.setattr(channel_module, "DOWNLOAD_TIMEOUT_S", (1.0, 0.5))
    url = phone.twilio.add_file("slow.jpg", JPEG, "image/jpeg", delay_s=3)
    phone.send("", media=[(url, "image/jpeg")])
    assert phone.bodies() == [say("sms_media_failed", "zh")]
    assert files_of(store, number) == []


def test_media_elsewhere_than_twilio_gets_no_credentials(phone, store):
    open_claim(store)
    phone.send("", media=[("https://attacker.example/x.jpg", "image/jpeg")])
    assert phone.bodies() == [say("sms_media_failed", "zh")]


def test_media_download_uses_the_accounts_credentials(phone):
    url = phone.twilio.add_media(JPEG, "image/jpeg")
    assert channel_module.TwilioApi(get_settings()).download(url, 10**6) == JPEG
    stranger = channel_module.TwilioApi(replace(get_settings(), twilio_auth_token="wrong"))
    with pytest.raises(channel_module.MediaFailed, match="401"):
        stranger.download(url, 10**6)


def test_a_file_over_the_upload_limit_is_refused(phone, store, monkeypatch):
    number = open_claim(store)
    monkeypatch.setenv("CLAIMS_MAX_UPLOAD_BYTES", str(1024 * 1024))
    get_settings.cache_clear()
    big = JPEG + b"\x00" * (1024 * 1024)
    phone.send("", media=[(phone.twilio.add_media(big, "image/jpeg"), "image/jpeg")])
    assert phone.bodies() == [say("intake_error.too_large", "zh", limit_mb=1)]
    assert files_of(store, number) == []


# --- voice notes --------------------------------------------------------------------------------

def test_a_voice_note_is_heard_shown_and_answered(phone, agent):
    from tests.support.audio import speak

    ogg = speak("I want to check the status of my claim", "ogg")
    phone.send("", sender="whatsapp:" + CUSTOMER, to=OUR_WHATSAPP,
               media=[(phone.twilio.add_media(ogg, "audio/ogg"), "audio/ogg")])
    [said] = agent.texts()
    assert "status" in said.lower() and "claim" in said.lower()
    [reply] = phone.bodies("whatsapp:" + CUSTOMER)
    heard, answer = reply.split("\n\n")
    # Quoted without its own final stop: "I heard: “…”." ends once.
    assert heard.startswith("I heard") and said.rstrip(".") + "”." in heard
    assert answer == f"echo: {said}"


def test_a_voice_note_is_recognised_in_the_conversation_language_when_known(phone, agent,
                                                                            monkeypatch):
    """The rule of every channel (channels/media.py): the language forced from the
    conversation's choice, never guessed on a short clip; unknown, the recogniser chooses.
    Twilio used to pass None always."""
    import bot.speech
    from tests.support.audio import speak

    seen = []
    real = bot.speech.recognise

    def spy(audio, language=None, **kwargs):
        seen.append(language)
        return real(audio, language=language, **kwargs)

    monkeypatch.setattr(bot.speech, "recognise", spy)
    ogg = speak("I want to check the status of my claim", "ogg")
    phone.send("", media=[(phone.twilio.add_media(ogg, "audio/ogg"), "audio/ogg")])
    tracker = agent.tracker_store.trackers.setdefault("sms-" + CUSTOMER, Tracker())
    tracker.slots["language"] = "en"
    phone.send("", media=[(phone.twilio.add_media(ogg, "audio/ogg"), "audio/ogg")])
    assert seen == [None, "en"]


def test_a_voice_note_of_silence_is_asked_again_and_the_bot_is_not_called(phone, agent):
    from tests.support.audio import silence

    ogg = silence(2.0, "ogg")
    phone.send("", media=[(phone.twilio.add_media(ogg, "audio/ogg"), "audio/ogg")])
    assert agent.received == []
    assert phone.bodies() == [say("speech_not_understood", "zh")]


# --- notices and agents' words ------------------------------------------------------------------

def notice(body: str, conversation: str = "sms-" + CUSTOMER, attempt: int = 1) -> Notice:
    return Notice(id=1, claim_number="CLM-2026-000001", customer_id=1, channel="twilio",
                  conversation_id=conversation, language="zh", kind="documents_accepted",
                  body=body, attempt=attempt)


def test_the_sender_is_registered_for_the_channel_when_twilio_is_configured(phone):
    from bot.outbox.senders import registered_senders

    assert registered_senders()["twilio"] is send_notice


def test_without_twilio_settings_start_up_registers_nothing_and_calls_nobody(
        monkeypatch, twilio):
    import bot.outbox.senders

    monkeypatch.setattr(bot.outbox.senders, "_registry", {})
    for key in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("TWILIO_API_BASE", twilio.base_url)
    get_settings.cache_clear()
    try:
        TwilioMessagingInput().blueprint(StandInAgent().handle_message)
        assert "twilio" not in bot.outbox.senders.registered_senders()
        assert twilio.messages == [] and twilio.downloads == []
    finally:
        get_settings.cache_clear()


def test_notice_goes_by_sms_or_whatsapp_from_the_configured_numbers(phone):
    from bot.outbox.windows import record_inbound

    record_inbound("wa-" + CUSTOMER, "twilio")  # wrote just now: WhatsApp's window is open
    send_notice(notice("材料已审核通过。"))
    send_notice(notice("Documents accepted.", conversation="wa-" + CUSTOMER))
    assert [(m["To"], m["From"], m["Body"]) for m in phone.twilio.messages] == [
        (CUSTOMER, OUR_SMS, "材料已审核通过。"),
        ("whatsapp:" + CUSTOMER, OUR_WHATSAPP, "Documents accepted."),
    ]


@pytest.mark.parametrize("code", [21610, 21211, 21614, 63016])
def test_blocked_or_invalid_numbers_fail_for_good(phone, code):
    phone.twilio.fail_next(400, code=code)
    with pytest.raises(PermanentDeliveryError, match=str(code)) as raised:
        send_notice(notice("材料已审核通过。"))
    assert "13900000001" not in str(raised.value)


def test_server_errors_and_timeouts_are_left_to_the_retry(phone, monkeypatch):
    phone.twilio.fail_next(500)
    with pytest.raises(channel_module.SendFailed) as raised:
        send_notice(notice("材料已审核通过。"))
    assert not raised.value.permanent
    monkeypatch.setenv("TWILIO_API_BASE", "http://127.0.0.1:9")  # nothing listens there
    get_settings.cache_clear()
    with pytest.raises(Exception) as unreachable:
        send_notice(notice("材料已审核通过。"))
    assert not isinstance(unreachable.value, PermanentDeliveryError)


def test_a_phone_call_claim_gets_its_notices_by_sms_to_the_number_on_file(phone, store):
    from bot.claims.lifecycle import advance_claim
    from bot.outbox.senders import registered_senders

    assert registered_senders()["twilio_voice"] is send_call_notice
    number = open_claim(store, conversation_id="call-CA0123")
    with unit_of_work(store) as uow:  # the claim was reported in a call, not by SMS
        uow.claims.by_number(number).channel = "twilio_voice"
        uow.commit()
    advance_claim(number, "documents_review", actor="core-system", url=store)
    advance_claim(number, "assessment", actor="core-system", url=store)
    report = deliver_pending(registered_senders(), url=store)
    assert report.sent and not report.retrying
    [sent] = phone.sent_to("+8613800000001")  # 张伟's phone on file, 13800000001
    assert number in sent["Body"] and sent["From"] == OUR_SMS


def test_phone_numbers_on_file_become_e164():
    assert e164("13800000001") == "+8613800000001"
    assert e164("+86 138-0000-0001") == "+8613800000001"
    assert e164("+8613800000003") == "+8613800000003"
    assert e164("") is None and e164(None) is None


def test_a_conversation_that_is_not_a_number_cannot_be_sent_to(phone):
    with pytest.raises(PermanentDeliveryError):
        send_notice(notice("材料已审核通过。", conversation="web-1234"))


def test_outbox_delivers_a_notice_once_despite_a_failed_first_attempt(phone, store):
    number = open_claim(store)
    from bot.claims.lifecycle import advance_claim

    advance_claim(number, "documents_review", actor="core-system", url=store)
    advance_claim(number, "assessment", actor="core-system", url=store)
    phone.twilio.fail_next(500)
    first = deliver_pending({"twilio": send_notice}, url=store)
    assert first.retrying and not first.sent
    later = datetime.utcnow() + timedelta(minutes=2)  # after the backoff
    second = deliver_pending({"twilio": send_notice}, url=store, now=later)
    assert second.sent == first.retrying
    assert deliver_pending({"twilio": send_notice}, url=store,
                           now=later + timedelta(hours=2)).sent == []
    [sent] = phone.sent_to(CUSTOMER)
    assert number in sent["Body"]
    assert len([m for m in phone.twilio.messages if m.get("_failed")]) == 1


def test_outbox_records_a_blocked_number_as_failed_without_retrying(phone, store):
    number = open_claim(store)
    from bot.claims.lifecycle import advance_claim

    advance_claim(number, "documents_review", actor="core-system", url=store)
    advance_claim(number, "assessment", actor="core-system", url=store)
    phone.twilio.fail_next(400, code=21610)
    report = deliver_pending({"twilio": send_notice}, url=store)
    assert report.failed and not report.retrying
    [failed] = list_notices(status="failed", url=store)
    assert failed.attempts == 1 and "21610" in failed.last_error
    assert "13900000001" not in failed.last_error
    later = datetime.utcnow() + timedelta(days=1)
    assert deliver_pending({"twilio": send_notice}, url=store, now=later).sent == []
    assert phone.sent_to(CUSTOMER) == []


def test_a_long_notice_that_fails_half_way_never_sends_a_part_twice(phone, store,
                                                                  monkeypatch):
    from bot.outbox.notices import queue_message

    body = "。".join(["您的理赔材料已经审核通过，进入定损核赔"] * 120) + "。"
    queue_message("sms-" + CUSTOMER, "twilio", body, kind="agent", url=store)
    calls: List[str] = []
    original = channel_module.TwilioApi.send

    def second_call_fails(self, to, from_, text):
        calls.append(text)
        if len(calls) == 2:
            raise ConnectionError("network down")
        return original(self, to, from_, text)

    monkeypatch.setattr(channel_module.TwilioApi, "send", second_call_fails)
    assert len(deliver_pending({"twilio": send_notice}, url=store).sent) == 1
    assert len(deliver_pending({"twilio": send_notice}, url=store).sent) == 1
    bodies = phone.bodies()
    assert len(bodies) == len(split_message(body))
    assert "".join(bodies) == body


def test_agents_words_queued_by_the_console_reach_the_customer_by_sms(phone, store):
    from bot.outbox.notices import queue_message

    queue_message("sms-" + CUSTOMER, "twilio", "您好，我是王小明，您的案件我来跟进。", kind="agent",
                  url=store)
    assert len(deliver_pending({"twilio": send_notice}, url=store).sent) == 1
    assert phone.bodies() == ["您好，我是王小明，您的案件我来跟进。"]
    with unit_of_work(store) as uow:
        statuses = uow.session.execute(select(Notification.status)).scalars().all()
    assert statuses == ["sent"]


def test_a_photo_in_a_traditional_chinese_conversation_is_answered_in_traditional(
        phone, agent, store):
    # Issue 19 (outside tester): the channel's own lines follow the customer's script too.
    from bot.language import TRADITIONAL, in_script

    tracker = agent.tracker_store.trackers.setdefault("sms-" + CUSTOMER, Tracker())
    tracker.slots.update({"language": "zh", "script": TRADITIONAL})
    phone.send("", media=[(phone.twilio.add_media(JPEG, "image/jpeg"), "image/jpeg")])
    [answer] = phone.bodies()
    assert answer == in_script(say("upload_no_claim", "zh"), TRADITIONAL)
    assert answer != say("upload_no_claim", "zh")
