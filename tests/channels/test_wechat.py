"""The WeChat channel's callback, driven in-process (no port, no model) against the local WeChat
API stand-in, a seeded store and a stand-in for Rasa's agent; speech is recognised for real."""
from __future__ import annotations

import asyncio
import io
import re
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest
from PIL import Image
from rasa.core.channels.channel import UserMessage, register
from sanic import Sanic

from bot.outbox.senders import ChannelCannotDeliver, Notice, PermanentDeliveryError
from bot.outbox.windows import WECHAT_WINDOW, record_inbound, window_open
from bot.replies import say
from bot.settings import get_settings
from bot.store.db import unit_of_work
from bot.store.models import InboundReceipt
from bot.wechat import callback as wx
from bot.wechat.api import SharedTokenClient, stored_token
from bot.wechat.outgoing import WeChatNoticeSender, open_id_of, split_text
from channels.locations import coordinates_text
from channels.wechat import WeChatInput
from tests.channels.test_telegram import StandInAgent, domain  # noqa: F401 (fixture)
from tests.standins.wechat import APP_ID, APP_SECRET, WeChatStandIn, xml_of
from tests.support.asgi import AsgiClient
from tests.support.audio import amr, speak
from tests.support.store import seeded_store

WEBHOOK = "/webhooks/wechat/webhook"
OPEN_ID = "oStandinFollower0001"
SENDER = f"wx-{OPEN_ID}"
AUTO_CLAIM = "CLM-2026-000004"  # AUTO-2026-0001's collision: driving licence, repair invoice


def jpeg(colour: tuple = (200, 30, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def wechat() -> Iterator[WeChatStandIn]:
    with WeChatStandIn() as standin:
        yield standin


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
          wechat: WeChatStandIn) -> Iterator[str]:
    wechat.reset()
    from bot.outbox import senders as notify

    monkeypatch.setattr(notify, "_registry", {})  # the channel registers its sender
    with seeded_store(monkeypatch, tmp_path, WECHAT_APP_ID=APP_ID, WECHAT_APP_SECRET=APP_SECRET,
                      WECHAT_TOKEN=wechat.token, WECHAT_ENCODING_AES_KEY=wechat.aes_key,
                      WECHAT_API_BASE=wechat.base_url + "/cgi-bin/") as url:
        yield url


@pytest.fixture
def agent(domain: Any) -> StandInAgent:  # noqa: F811
    return StandInAgent(domain)


@pytest.fixture
def channel(store: str) -> WeChatInput:
    # Tests read the answers after the callback returns: let the turn finish first.
    return WeChatInput(answer_within_s=120)


def make_client(agent: StandInAgent, channel: WeChatInput) -> AsgiClient:
    app = Sanic(f"wechat_test_{uuid.uuid4().hex}")
    app.ctx.agent = agent
    register([channel], app, route="/webhooks/")
    return AsgiClient(app)


@pytest.fixture
def client(agent: StandInAgent, channel: WeChatInput) -> Iterator[AsgiClient]:
    with make_client(agent, channel) as c:
        yield c


def post(client: AsgiClient, wechat: WeChatStandIn, fields: Dict[str, Any] | str, *,
         encrypted: bool = False, timestamp: int | None = None, nonce: str | None = None,
         query: Dict[str, str] | None = None) -> Any:
    signed, body = wechat.sealed(fields, timestamp=timestamp, nonce=nonce, encrypted=encrypted)
    params = "&".join(f"{k}={v}" for k, v in (query or signed).items())
    return client.post(f"{WEBHOOK}?{params}", body=body.encode("utf-8"),
                       headers={"content-type": "text/xml"})


def _receipts(channel: str = "wechat") -> List[str]:
    with unit_of_work() as uow:
        return [row.external_id for row in
                uow.session.query(InboundReceipt).filter_by(channel=channel)]


# --- off, and the server-URL check --------------------------------------------------------------

def test_the_channel_loads_from_credentials_and_stays_off_without_its_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, agent: StandInAgent, wechat: WeChatStandIn
) -> None:
    from rasa.core.run import _create_single_channel

    from bot.outbox import senders as notify

    monkeypatch.setattr(notify, "_registry", {})
    for name in ("WECHAT_APP_ID", "WECHAT_APP_SECRET", "WECHAT_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    with seeded_store(monkeypatch, tmp_path):
        channel = _create_single_channel("channels.wechat.WeChatInput", {})
        assert isinstance(channel, WeChatInput) and channel.url_prefix() == "wechat"
        assert not channel.configured and channel.get_output_channel() is None
        with make_client(agent, channel) as client:
            assert post(client, wechat, wechat.text(OPEN_ID, "你好")).status == 503
            assert client.get("/webhooks/wechat/health").json() == {"status": "ok",
                                                                    "configured": False}
    assert agent.received == [] and wechat.sent == []
    assert "wechat" not in notify.registered_senders()


def test_the_server_url_check_echoes_only_for_our_token(
    client: AsgiClient, wechat: WeChatStandIn
) -> None:
    query = wechat.signed_query()
    answer = client.get(WEBHOOK + "?" + "&".join(f"{k}={v}" for k, v in query.items())
                        + "&echostr=4711")
    assert answer.status == 200 and answer.text == "4711"
    forged = {**query, "signature": "0" * 40}
    answer = client.get(WEBHOOK + "?" + "&".join(f"{k}={v}" for k, v in forged.items())
                        + "&echostr=4711")
    assert answer.status == 403 and "4711" not in answer.text
    stale = wechat.signed_query(timestamp=int(time.time()) - 3600)
    answer = client.get(WEBHOOK + "?" + "&".join(f"{k}={v}" for k, v in stale.items())
                        + "&echostr=4711")
    assert answer.status == 403


def test_the_server_url_check_refuses_a_nonce_used_before(
    client: AsgiClient, wechat: WeChatStandIn
) -> None:
    query = wechat.signed_query(nonce="echo-nonce-1")
    url = WEBHOOK + "?" + "&".join(f"{k}={v}" for k, v in query.items()) + "&echostr=4711"
    assert client.get(url).text == "4711"
    again = client.get(url)
    assert again.status == 403 and again.text == wx.REPLAYED
    # WeChat's next 提交 signs with a new nonce: accepted.
    fresh_query = wechat.signed_query()
    assert client.get(WEBHOOK + "?" + "&".join(f"{k}={v}" for k, v in fresh_query.items())
                      + "&echostr=4712").text == "4712"


# --- bad input ----------------------------------------------------------------------------------

def test_forged_stale_and_replayed_callbacks_are_refused_and_nothing_happens(
    client: AsgiClient, agent: StandInAgent, wechat: WeChatStandIn
) -> None:
    message = wechat.text(OPEN_ID, "我要报案")
    query, body = wechat.sealed(message)
    for forged in ({**query, "signature": "f" * 40}, {**query, "nonce": "other"},
                   {k: v for k, v in query.items() if k != "signature"}):
        answer = client.post(WEBHOOK + "?" + "&".join(f"{k}={v}" for k, v in forged.items()),
                             body=body.encode())
        assert answer.status == 403
    assert post(client, wechat, message, timestamp=int(time.time()) - 600).status == 403
    assert agent.received == [] and wechat.sent == [] and _receipts() == []

    # The genuine delivery is handled; its signed query (timestamp, nonce) used again, even on
    # another body, is a replay: refused, whatever the body says.
    signed_at = int(time.time())
    assert post(client, wechat, message, nonce="n0nce-1", timestamp=signed_at).text == "success"
    again = wechat.text(OPEN_ID, "another message")
    replayed = post(client, wechat, again, nonce="n0nce-1", timestamp=signed_at)
    assert replayed.status == 403 and replayed.text == wx.REPLAYED
    assert agent.texts == ["我要报案"]


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<xml><ToUserName>gh</ToUserName><FromUserName>oStandinFollower0001</FromUserName>
<CreateTime>1</CreateTime><MsgType>text</MsgType><Content>&lol3;</Content><MsgId>1</MsgId></xml>"""
EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE x [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<xml><ToUserName>gh</ToUserName><FromUserName>oStandinFollower0001</FromUserName>
<CreateTime>1</CreateTime><MsgType>text</MsgType><Content>&secret;</Content><MsgId>2</MsgId></xml>"""


@pytest.mark.parametrize("body", [
    BILLION_LAUGHS, EXTERNAL_ENTITY, "<xml><MsgType>text", "not xml at all", "<json/>",
    "<xml><MsgType>text</MsgType><Content>no sender</Content></xml>",
])
def test_malformed_and_hostile_xml_is_refused_by_the_hardened_parser(
    client: AsgiClient, agent: StandInAgent, wechat: WeChatStandIn, body: str
) -> None:
    answer = post(client, wechat, body)
    assert answer.status == 400 and answer.text == wx.MALFORMED
    assert agent.received == [] and wechat.sent == [] and _receipts() == []


def test_read_xml_refuses_dtds_entities_and_oversized_bodies() -> None:
    assert wx.read_xml(xml_of({"MsgType": "text", "Content": "a]]>b"}))["Content"] == "a]]>b"
    for hostile in (BILLION_LAUGHS, EXTERNAL_ENTITY):
        with pytest.raises(wx.Rejected) as refused:
            wx.read_xml(hostile)
        assert refused.value.status == 400
    with pytest.raises(wx.Rejected) as refused:
        wx.read_xml(b"<xml>" + b"a" * wx.MAX_BODY_BYTES + b"</xml>")
    assert refused.value.status == 413


# --- safe mode, duplicates, the 5-second window -------------------------------------------------

def test_text_in_safe_mode_reaches_the_bot_and_the_answer_goes_by_the_cs_api(
    client: AsgiClient, agent: StandInAgent, wechat: WeChatStandIn
) -> None:
    answer = post(client, wechat, wechat.text(OPEN_ID, "查一下理赔进度"), encrypted=True)
    assert answer.status == 200 and answer.text == "success"
    assert agent.texts == ["查一下理赔进度"]
    assert agent.received[0].sender_id == SENDER and agent.received[0].input_channel == "wechat"
    assert wechat.texts_to(OPEN_ID) == ["echo: 查一下理赔进度"]
    assert window_open(SENDER, WECHAT_WINDOW)  # the follower just wrote: the window is open


def test_safe_mode_with_a_wrong_msg_signature_is_refused(
    client: AsgiClient, agent: StandInAgent, wechat: WeChatStandIn
) -> None:
    query, body = wechat.sealed(wechat.text(OPEN_ID, "我要报案"), encrypted=True)
    query["msg_signature"] = "0" * 40
    answer = client.post(WEBHOOK + "?" + "&".join(f"{k}={v}" for k, v in query.items()),
                         body=body.encode())
    assert answer.status == 403 and agent.received == []


def test_a_delivery_wechat_repeats_is_handled_once(
    client: AsgiClient, agent: StandInAgent, wechat: WeChatStandIn
) -> None:
    message = wechat.text(OPEN_ID, "我要报案", msg_id=770001)
    assert post(client, wechat, message).text == "success"
    # WeChat's retry: same MsgId, a new timestamp and nonce.
    assert post(client, wechat, message).text == "success"
    assert post(client, wechat, message, encrypted=True).text == "success"
    assert agent.texts == ["我要报案"] and wechat.texts_to(OPEN_ID) == ["echo: 我要报案"]
    subscribe = wechat.event(OPEN_ID, "subscribe")
    post(client, wechat, subscribe)
    post(client, wechat, subscribe)
    assert agent.texts == ["我要报案", "/greet"]


def test_a_retry_that_repeats_the_query_string_is_answered_success_and_not_handled_again(
    client: AsgiClient, agent: StandInAgent, wechat: WeChatStandIn
) -> None:
    signed_at = int(time.time())
    for encrypted in (False, True):
        message = wechat.text(OPEN_ID, f"我要报案{encrypted}")
        first = post(client, wechat, message, nonce=f"same-{encrypted}", timestamp=signed_at,
                     encrypted=encrypted)
        # WeChat's retry of the same message with the first request's timestamp, nonce and
        # signature: "success", handled once.
        retry = post(client, wechat, message, nonce=f"same-{encrypted}", timestamp=signed_at,
                     encrypted=encrypted)
        assert (first.status, first.text) == (200, "success")
        assert (retry.status, retry.text) == (200, "success")
    assert agent.texts == ["我要报案False", "我要报案True"]
    assert len(wechat.texts_to(OPEN_ID)) == 2


def test_the_same_msg_id_from_two_followers_is_two_messages(
    client: AsgiClient, agent: StandInAgent, wechat: WeChatStandIn
) -> None:
    other = "oStandinFollower0002"
    assert post(client, wechat, wechat.text(OPEN_ID, "我要报案", msg_id=880001)).text == "success"
    assert post(client, wechat, wechat.text(other, "查一下进度", msg_id=880001)).text == "success"
    assert agent.texts == ["我要报案", "查一下进度"]
    assert wechat.texts_to(other) == ["echo: 查一下进度"]


def test_slow_work_is_acknowledged_within_wechats_five_seconds_and_answered_later(
    store: str, agent: StandInAgent, wechat: WeChatStandIn
) -> None:
    async def slow(message: UserMessage) -> None:
        await asyncio.sleep(2.0)
        await message.output_channel.send_text_message(message.sender_id, "done")

    agent.reply = slow
    channel = WeChatInput(answer_within_s=0.5)
    with make_client(agent, channel) as client:
        started = time.monotonic()
        answer = post(client, wechat, wechat.text(OPEN_ID, "慢一点"))
        took = time.monotonic() - started
        assert answer.text == "success" and took < 2.0 and wechat.texts_to(OPEN_ID) == []
        client.loop.run_until_complete(channel.wait_idle(10))
    assert wechat.texts_to(OPEN_ID) == ["done"]


# --- buttons as numbers -------------------------------------------------------------------------

def test_buttons_become_numbered_choices_and_the_number_picks_one(
    client: AsgiClient, agent: StandInAgent, wechat: WeChatStandIn
) -> None:
    from rasa.shared.core.events import BotUttered

    buttons = [{"title": "转人工", "payload": "/request_human"},
               {"title": "不用了", "payload": "/deny"}]

    async def offer(message: UserMessage) -> None:
        await message.output_channel.send_text_with_buttons(message.sender_id, "要不要转人工？",
                                                            buttons)
        # What Rasa keeps of the turn: the bot's message and its buttons.
        tracker = await agent.tracker_store.get_or_create_tracker(message.sender_id)
        tracker.update(BotUttered("要不要转人工？", {"buttons": buttons}, timestamp=time.time()))
        await agent.tracker_store.save(tracker)

    agent.reply = offer
    post(client, wechat, wechat.text(OPEN_ID, "我七十多岁了"))
    [offered] = wechat.texts_to(OPEN_ID)
    assert offered == "要不要转人工？\n" + say("sms_options", "zh") + "\n1. 转人工\n2. 不用了"
    agent.reply = StandInAgent.echo
    post(client, wechat, wechat.text(OPEN_ID, "2"))
    assert agent.texts[-1] == "/deny"
    post(client, wechat, wechat.text(OPEN_ID, "7"))  # not an option: the customer's words
    assert agent.texts[-1] == "7"


def test_a_claim_picked_by_its_number_reaches_the_bot_as_its_own_payload_in_the_script(
    client: AsgiClient, agent: StandInAgent, wechat: WeChatStandIn
) -> None:
    from rasa.shared.core.events import BotUttered

    from bot.language import PICKED_CHOICE, in_script

    claims = ["CLM-2026-000004", "CLM-2026-000005"]
    buttons = [{"title": f"第{n}笔 车险 {number}",
                "payload": f'/inform{{"claim_number":"{number}"}}'}
               for n, number in enumerate(claims, 1)]

    async def offer(message: UserMessage) -> None:
        await message.output_channel.send_text_with_buttons(message.sender_id, "您有兩筆理賠。",
                                                            buttons)
        tracker = await agent.tracker_store.get_or_create_tracker(message.sender_id)
        tracker.update(BotUttered("您有兩筆理賠。", {"buttons": buttons}, timestamp=time.time()))
        await agent.tracker_store.save(tracker)

    agent.set_slots(SENDER, language="zh", script="traditional")
    agent.reply = offer
    post(client, wechat, wechat.text(OPEN_ID, "查一下進度"))
    [offered] = wechat.texts_to(OPEN_ID)
    # The header follows the conversation's script, like the bot's own words above it.
    header = in_script(say("sms_options", "zh"), "traditional")
    assert header != say("sms_options", "zh")
    assert offered == "您有兩筆理賠。\n" + header + "\n1. 第1笔 车险 CLM-2026-000004\n" \
        "2. 第2笔 车险 CLM-2026-000005"
    agent.reply = StandInAgent.echo
    post(client, wechat, wechat.text(OPEN_ID, "2"))
    # The button's payload as the bot wrote it (not read as the customer's English words),
    # marked as a picked choice: it never changes the conversation's language.
    picked = agent.received[-1]
    assert picked.text == '/inform{"claim_number":"CLM-2026-000005"}'
    assert picked.metadata[PICKED_CHOICE] is True
    post(client, wechat, wechat.text(OPEN_ID, "CLM-2026-000005"))  # typed: the customer's words
    assert PICKED_CHOICE not in agent.received[-1].metadata


# --- voice, photos, location, menu, events ------------------------------------------------------

def test_an_amr_voice_message_is_recognised_shown_back_and_handled_as_text(
    client: AsgiClient, agent: StandInAgent, wechat: WeChatStandIn
) -> None:
    agent.set_slots(SENDER, language="en")
    media_id = wechat.add_media(amr(speak("I want to check the status of my claim.", "wav")),
                                "audio/amr")
    post(client, wechat, wechat.voice(OPEN_ID, media_id))
    heard, echoed = wechat.texts_to(OPEN_ID)
    assert heard.startswith("I heard:") and "status" in heard.lower()
    # The words are quoted without their own final stop: the reply ends the sentence once.
    assert "”." in heard and not re.search(r"[.。!！?？]”", heard), heard
    assert "claim" in agent.texts[-1].lower() and echoed.startswith("echo:")
    assert wechat.downloads == [media_id]


def test_voice_that_fails_to_decode_or_download_is_asked_again(
    client: AsgiClient, agent: StandInAgent, wechat: WeChatStandIn
) -> None:
    agent.set_slots(SENDER, language="zh")
    broken = wechat.add_media(b"#!AMR\n" + b"\xff" * 400, "audio/amr")
    post(client, wechat, wechat.voice(OPEN_ID, broken))
    assert wechat.texts_to(OPEN_ID) == [say("speech_not_understood", "zh")]
    missing = wechat.add_media(b"", "audio/amr")
    wechat.failing_media.add(missing)
    post(client, wechat, wechat.voice(OPEN_ID, missing))
    assert wechat.texts_to(OPEN_ID)[-1] == say("wechat_media_failed", "zh")
    assert agent.received == []


def _verified(agent: StandInAgent) -> None:
    agent.set_slots(SENDER, language="zh", verified=True, customer_id=1,
                    policy_number="AUTO-2026-0001")


def _files(url: str, number: str = AUTO_CLAIM) -> List[Any]:
    with unit_of_work(url) as uow:
        claim = uow.claims.by_number(number)
        return [(f.content_type, f.document.code if f.document else None) for f in claim.files]


def test_a_photo_is_stored_against_the_claim_and_a_number_says_which_document(
    client: AsgiClient, agent: StandInAgent, wechat: WeChatStandIn, store: str
) -> None:
    _verified(agent)
    media_id = wechat.add_media(jpeg(), "image/jpeg")
    post(client, wechat, wechat.image(OPEN_ID, media_id))
    [asked] = wechat.texts_to(OPEN_ID)
    assert asked.endswith(say("sms_options", "zh") + "\n1. 驾驶证\n2. 维修发票/估损单")
    assert _files(store) == [("image/jpeg", None)]
    post(client, wechat, wechat.text(OPEN_ID, "2"))
    assert _files(store) == [("image/jpeg", "repair_invoice")]
    assert wechat.texts_to(OPEN_ID)[-1].startswith(
        say("intake_received", "zh", document="维修发票/估损单"))
    assert agent.received == []  # the number was the answer, not the customer's words


def test_a_photo_that_fails_to_download_is_asked_again_and_nothing_is_stored(
    client: AsgiClient, agent: StandInAgent, wechat: WeChatStandIn, store: str
) -> None:
    _verified(agent)
    media_id = wechat.add_media(jpeg(), "image/jpeg")
    wechat.failing_media.add(media_id)
    post(client, wechat, wechat.image(OPEN_ID, media_id))
    assert wechat.texts_to(OPEN_ID) == [say("wechat_media_failed", "zh")]
    assert _files(store) == []


def test_location_menu_clicks_subscribe_and_unknown_types(
    client: AsgiClient, agent: StandInAgent, wechat: WeChatStandIn
) -> None:
    agent.set_slots(SENDER, language="en")
    post(client, wechat, wechat.location(OPEN_ID, 31.230416, 121.473701, "People's Square"))
    assert coordinates_text(31.230416, 121.473701) in agent.texts[-1]
    assert "People's Square" in agent.texts[-1]
    post(client, wechat, wechat.event(OPEN_ID, "CLICK", "CHECK_STATUS"))
    assert agent.texts[-1] == "/check_status"
    post(client, wechat, wechat.event(OPEN_ID, "CLICK", "NOT_IN_THE_MENU"))
    post(client, wechat, wechat.event(OPEN_ID, "unsubscribe"))
    post(client, wechat, wechat.event(OPEN_ID, "subscribe"))
    assert agent.texts[-2:] == ["/check_status", "/greet"]
    before = len(wechat.texts_to(OPEN_ID))
    post(client, wechat, wechat.message(OPEN_ID, "shortvideo", MediaId="m", ThumbMediaId="t"))
    assert wechat.texts_to(OPEN_ID)[before:] == [say("wechat_unsupported", "en")]
    assert len(agent.received) == 3


# --- the access token ---------------------------------------------------------------------------

def test_the_token_is_shared_and_an_expired_or_revoked_one_is_refreshed_once(
    client: AsgiClient, agent: StandInAgent, wechat: WeChatStandIn, store: str
) -> None:
    post(client, wechat, wechat.text(OPEN_ID, "one"))
    post(client, wechat, wechat.text(OPEN_ID, "two"))
    assert wechat.token_fetches == 1  # one token for every call (and every replica)
    first = stored_token(APP_ID)
    wechat.expire_token()  # 42001
    post(client, wechat, wechat.text(OPEN_ID, "three"))
    wechat.expire_token(40001)  # revoked
    post(client, wechat, wechat.text(OPEN_ID, "four"))
    assert wechat.texts_to(OPEN_ID) == ["echo: one", "echo: two", "echo: three", "echo: four"]
    assert wechat.refused == [42001, 40001] and wechat.token_fetches == 3
    assert stored_token(APP_ID) not in (None, first)


def test_a_client_retries_once_and_then_raises(wechat: WeChatStandIn, store: str,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.wechat import api

    client = SharedTokenClient(APP_ID, APP_SECRET, api_base=wechat.base_url + "/cgi-bin/")
    # Every token WeChat hands out is already refused: one refresh, one retry, then the error.
    monkeypatch.setattr(api, "store_token", lambda *a, **k: None)
    monkeypatch.setattr(api, "stored_token", lambda *a, **k: "ACCESS_never_valid")
    with pytest.raises(api.WeChatError) as error:
        api.call(lambda: client.message.send_text(OPEN_ID, "hi"))
    assert error.value.errcode == 40001 and wechat.refused == [40001, 40001]


# --- notices: the 48-hour window, templates, fallback -------------------------------------------

def _notice(kind: str = "documents_accepted", body: str = "您的材料已审核通过。") -> Notice:
    return Notice(id=1, claim_number=AUTO_CLAIM, customer_id=1, channel="wechat",
                  conversation_id=SENDER, language="zh", kind=kind, body=body, attempt=1)


def _templates_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.wechat import config

    path = tmp_path / "templates.yml"
    path.write_text("templates:\n  documents_accepted:\n    template_id: TPL-progress-1\n"
                    "    data: {keyword2: {zh: 材料审核通过}}\n", encoding="utf-8")
    monkeypatch.setenv("WECHAT_TEMPLATES_FILE", str(path))
    config._read.cache_clear()


def test_notices_go_as_cs_messages_in_the_window_then_templates_then_sms_fallback(
    wechat: WeChatStandIn, store: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _templates_file(tmp_path, monkeypatch)
    wrote = datetime(2026, 11, 22, 9, 0)
    record_inbound(SENDER, "wechat", at=wrote)
    client = lambda: SharedTokenClient(APP_ID, APP_SECRET,  # noqa: E731
                                       api_base=wechat.base_url + "/cgi-bin/")

    WeChatNoticeSender(client, clock=lambda: wrote + timedelta(hours=47))(_notice())
    assert wechat.texts_to(OPEN_ID) == ["您的材料已审核通过。"] and wechat.templates == []

    WeChatNoticeSender(client, clock=lambda: wrote + timedelta(hours=49))(_notice())
    [template] = wechat.templates_to(OPEN_ID)
    assert template["template_id"] == "TPL-progress-1"
    assert template["data"]["keyword1"] == {"value": AUTO_CLAIM}
    assert template["data"]["keyword2"] == {"value": "材料审核通过"}
    assert template["data"]["remark"] == {"value": "您的材料已审核通过。"}

    with pytest.raises(ChannelCannotDeliver):  # no template for this kind: SMS takes it
        WeChatNoticeSender(client, clock=lambda: wrote + timedelta(hours=49))(
            _notice("paid_closed"))
    # WeChat's own clock says the window closed: the template goes instead.
    wechat.outside_window.add(OPEN_ID)
    WeChatNoticeSender(client, clock=lambda: wrote + timedelta(hours=1))(_notice())
    assert len(wechat.templates_to(OPEN_ID)) == 2
    with pytest.raises(PermanentDeliveryError):
        WeChatNoticeSender(client)(Notice(**{**_notice().__dict__, "conversation_id": "tg-1"}))


def test_no_notice_goes_to_a_follower_who_unsubscribed_until_they_subscribe_again(
    client: AsgiClient, agent: StandInAgent, wechat: WeChatStandIn, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch
) -> None:
    _templates_file(tmp_path, monkeypatch)
    api = lambda: SharedTokenClient(APP_ID, APP_SECRET,  # noqa: E731
                                    api_base=wechat.base_url + "/cgi-bin/")
    post(client, wechat, wechat.text(OPEN_ID, "查一下进度"))
    post(client, wechat, wechat.event(OPEN_ID, "unsubscribe"))
    sent = list(wechat.sent)
    with pytest.raises(ChannelCannotDeliver):  # the outbox texts the phone on file instead
        WeChatNoticeSender(api)(_notice())
    with pytest.raises(ChannelCannotDeliver):  # nor a template, hours later
        WeChatNoticeSender(api, clock=lambda: datetime.utcnow() + timedelta(hours=49))(
            _notice())
    assert wechat.sent == sent and wechat.templates_to(OPEN_ID) == []
    post(client, wechat, wechat.event(OPEN_ID, "subscribe"))
    WeChatNoticeSender(api)(_notice())
    assert wechat.texts_to(OPEN_ID)[-1] == "您的材料已审核通过。"


def test_the_menu_is_installed_from_yaml(wechat: WeChatStandIn, store: str,
                                         capsys: pytest.CaptureFixture) -> None:
    from bot.cli import main

    assert main(["wechat", "menu", "install"]) == 0
    [menu] = wechat.menus
    assert [b["name"] for b in menu["button"]] == ["报案", "查进度", "材料", "转人工"]
    assert all(b["type"] == "click" and b["key"] for b in menu["button"])
    assert "menu installed" in capsys.readouterr().out


def test_small_pieces() -> None:
    assert open_id_of(SENDER) == OPEN_ID and open_id_of("tg-1") is None
    assert open_id_of("wx-../../etc") is None
    parts = split_text("甲" * 1500)
    assert [len(p) for p in parts] == [600, 600, 300]
    assert get_settings.__name__  # settings read per test (seeded_store clears the cache)


# --- bad input at volume ------------------------------------------------------------------------

def test_signed_garbage_gets_a_success_or_a_4xx_never_a_server_error(
    client: AsgiClient, agent: StandInAgent, wechat: WeChatStandIn
) -> None:
    """Hypothesis: any field WeChat could sign (hostile text, odd types, odd events, huge or
    broken values), plain or sealed, is answered "success" or 4xx; what reaches the bot is text
    UTF-8 takes."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from tests.fuzz.corpus import hostile_text, volume

    @settings(max_examples=volume(60), deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(kind=st.sampled_from(["text", "voice", "image", "location", "event", "link", "file",
                                 "", "TEXT"]),
           value=hostile_text(80), event=st.sampled_from(["subscribe", "CLICK", "VIEW", "",
                                                          "unsubscribe", "weird"]),
           encrypted=st.booleans(), msg_id=st.one_of(st.integers(), hostile_text(20)))
    def check(kind: str, value: str, event: str, encrypted: bool, msg_id: Any) -> None:
        fields: Dict[str, Any] = {"ToUserName": "gh_x", "FromUserName": OPEN_ID,
                                  "CreateTime": int(time.time()), "MsgType": kind,
                                  "Content": value, "MediaId": value, "Event": event,
                                  "EventKey": value, "Location_X": value, "Location_Y": "1",
                                  "MsgId": msg_id}
        try:
            answer = post(client, wechat, fields, encrypted=encrypted)
        except UnicodeEncodeError:  # a lone surrogate: no HTTP client can send it
            return
        assert answer.status == 200 and answer.text == "success" or 400 <= answer.status < 500
        for message in agent.received:
            message.text.encode("utf-8")

    check()


def test_the_web_chat_may_not_speak_for_a_wechat_conversation() -> None:
    from channels.webchat import SENDER_ID_PATTERN

    assert SENDER_ID_PATTERN.fullmatch(SENDER) is None
    assert SENDER_ID_PATTERN.fullmatch("WX-" + OPEN_ID) is None
    assert SENDER_ID_PATTERN.fullmatch("web-" + "a" * 32) is not None


def test_the_server_stops_cleanly_for_wechat_and_telegram() -> None:
    """Shutting the server down waits for the turns in hand and raises nothing (a leftover
    attribute once broke WeChat's listener at every Ctrl-C of `make run`)."""
    import asyncio

    from channels.telegram import TelegramInput

    for channel in (WeChatInput.from_credentials({}), TelegramInput.from_credentials({})):
        blueprint = channel.blueprint(lambda message: None)
        stops = [future for future in blueprint._future_listeners
                 if future.event == "before_server_stop"]
        assert stops, type(channel).__name__
        for future in stops:
            asyncio.run(future.listener(None, None))
