"""The web chat page in headless Chromium against the real servers, model and seeded database."""
from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import Page, expect

from rasa_server.launcher import ROOT, Servers
from tests.browser.conftest import WatchedPage
from tests.support.webchat import (
    PAGE_OLD_SENDER_KEY,
    PAGE_SESSION_KEY,
    page_moves_on,
    page_session,
)

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

CHINESE = re.compile("[\u4e00-\u9fff]")
REPLY_TIMEOUT_MS = 60_000
SCREENSHOT = ROOT / "results" / "screenshots" / "webchat.png"
TYPED_HTML = "<img src=x onerror=alert(1)><b>hi</b>"
RENEWED = re.compile(r"^之前的对话已无法继续.*/ Your earlier conversation could not be continued")


def open_chat(page: Page, servers: Servers) -> None:
    page.goto(servers.webchat_url)
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    expect(page).to_have_title("理赔助手 · Claims assistant")


def bot_replies(page: Page):
    return page.locator("#messages .msg.bot:not(.welcome)")


def wait_until_answered(page: Page) -> None:
    expect(page.locator("#typing-indicator")).to_be_hidden(timeout=REPLY_TIMEOUT_MS)


def test_chinese_greeting_gets_a_chinese_reply_and_typed_html_stays_text(
    claims_servers: Servers, watched_page: WatchedPage
) -> None:
    page = watched_page.page
    open_chat(page, claims_servers)

    page.fill("#message-input", "你好")
    page.press("#message-input", "Enter")
    expect(page.locator("#messages .msg.user").last).to_have_text("你好")
    expect(bot_replies(page).first).to_have_text(CHINESE, timeout=REPLY_TIMEOUT_MS)
    wait_until_answered(page)
    assert page.locator("#messages .msg.error").count() == 0
    assert page.input_value("#message-input") == ""

    page.fill("#message-input", TYPED_HTML)
    page.click("#send-button")
    user_bubble = page.locator("#messages .msg.user").last
    expect(user_bubble).to_have_count(1)
    assert user_bubble.evaluate("el => el.textContent") == TYPED_HTML
    wait_until_answered(page)
    page.wait_for_timeout(500)  # time for an injected onerror handler to have fired
    assert page.locator("#messages img").count() == 0
    assert page.locator("#messages b").count() == 0
    assert watched_page.dialogs == []
    assert watched_page.page_errors == []

    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    claims_servers.check()


def test_talk_to_a_person_button_sends_the_handoff_words(
    claims_servers: Servers, watched_page: WatchedPage
) -> None:
    page = watched_page.page
    open_chat(page, claims_servers)
    page.click("#handoff-button")
    expect(page.locator("#messages .msg.user").last).to_have_text("转人工")
    wait_until_answered(page)
    assert page.locator("#messages .msg.error").count() == 0
    assert watched_page.page_errors == []


def test_unreachable_server_shows_the_bilingual_error_line(
    claims_servers: Servers, watched_page: WatchedPage
) -> None:
    page = watched_page.page
    open_chat(page, claims_servers)
    page.route("**/webhooks/webchat/webhook", lambda route: route.abort())
    page.fill("#message-input", "你好")
    page.press("#message-input", "Enter")
    error = page.locator("#messages .msg.error")
    expect(error).to_have_text("网络出错了,请稍后再试 / Connection problem, please try again")
    expect(page.locator("#typing-indicator")).to_be_hidden()


def test_end_chat_gets_a_new_sender_id(
    claims_servers: Servers, watched_page: WatchedPage
) -> None:
    page = watched_page.page
    open_chat(page, claims_servers)
    first = page_session(page)
    assert re.fullmatch(r"web-[0-9a-f]{32}", first["sender"]) and first["token"]
    page.reload()
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    assert page_session(page) == first
    page.click("#end-chat")
    second = page_moves_on(page, first["sender"])
    assert re.fullmatch(r"web-[0-9a-f]{32}", second["sender"])
    assert second["sender"] != first["sender"] and second["token"] != first["token"]
    # Only the welcome, and the line that says the chat ended.
    assert page.locator("#messages .msg").count() == 2
    expect(page.locator('[data-testid="chat-ended"]')).to_be_visible()


def test_an_old_id_without_a_token_or_a_refused_token_gets_a_new_conversation(
    claims_servers: Servers, watched_page: WatchedPage
) -> None:
    """A page stored an id of its own making (before server-issued sessions), or its token is
    refused (the server's key changed): a fresh session, and the message still goes out."""
    page = watched_page.page
    open_chat(page, claims_servers)  # its own session stored first: none lands after the clear
    page.evaluate(f"localStorage.clear(); localStorage.setItem('{PAGE_OLD_SENDER_KEY}', 'me')")
    open_chat(page, claims_servers)
    fresh = page_session(page)
    assert fresh["sender"] != "me" and re.fullmatch(r"web-[0-9a-f]{32}", fresh["sender"])
    assert page.evaluate(f"localStorage.getItem('{PAGE_OLD_SENDER_KEY}')") is None
    # Never a silent switch: the customer is told, in the page's language first.
    expect(page.locator('[data-testid="session-renewed"]')).to_have_text(RENEWED)

    forged = {"sender": fresh["sender"], "token": "A" * 43}
    page.evaluate(f"localStorage.setItem('{PAGE_SESSION_KEY}', '{json.dumps(forged)}')")
    refused: list = []
    page.on("response", lambda res: refused.append(res.url) if res.status == 401 else None)
    page.fill("#message-input", "你好")
    page.press("#message-input", "Enter")
    expect(page.locator("#typing-indicator")).to_be_hidden(timeout=60_000)
    assert refused  # the forged token was refused (the message's or a poll's), then renewed
    expect(page.locator("#messages .msg.bot:not(.welcome)").first).to_be_visible()
    assert page.locator("#messages .msg.error").count() == 0
    renewed = page_session(page)
    assert renewed["sender"] not in (fresh["sender"], "me")
    expect(page.locator('[data-testid="session-renewed"]')).to_have_count(2)  # once each


def test_input_is_capped_at_2000_characters(
    claims_servers: Servers, watched_page: WatchedPage
) -> None:
    page = watched_page.page
    open_chat(page, claims_servers)
    page.fill("#message-input", "长" * 2100)
    assert len(page.input_value("#message-input")) == 2000
    expect(page.locator("#char-count")).to_have_text("2000 / 2000")


def test_real_server_serves_the_assets_and_nothing_beside_them(claims_servers: Servers) -> None:
    import urllib.error
    import urllib.request

    for path in ("static/webchat.js", "static/webchat.css"):
        with urllib.request.urlopen(claims_servers.webchat_url + path, timeout=10) as res:
            assert res.status == 200
    for path in ("static/..%2fwebchat.py", "static/%2e%2e/%2e%2e/bot/settings.py"):
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(claims_servers.webchat_url + path, timeout=10)
        assert err.value.code == 404



def test_an_outbox_message_is_shown_once_and_acknowledged_even_when_it_comes_again(
    claims_servers: Servers, claims_db_url: str, watched_page: WatchedPage
) -> None:
    """The acknowledgement is lost (the network drops it): the message comes back after its
    lease and the page shows it once, then acknowledges it when it can."""
    from bot.outbox.delivery import POLL_LEASE
    from bot.outbox.notices import queue_message
    from bot.store.db import unit_of_work

    page = watched_page.page
    open_chat(page, claims_servers)
    sender = page_session(page)["sender"]
    acks: list = []
    page.route("**/messages/ack", lambda route: (acks.append(route.request.post_data_json),
                                                 route.abort()))
    text = "您好，我是理赔员王小明。"
    message_id = queue_message(sender, "webchat", text, kind="agent_message",
                               url=claims_db_url)
    shown = page.locator('#messages .msg.bot[data-kind="agent_message"]')
    expect(shown).to_have_count(1, timeout=15_000)
    expect(shown.first).to_have_text(text)
    # Handed out again after the lease (its acknowledgement never arrived): not shown twice.
    page.wait_for_timeout(POLL_LEASE.total_seconds() * 1000 + 5_000)
    assert len(acks) >= 2 and all(a == {"sender": sender, "ids": [message_id]} for a in acks)
    expect(shown).to_have_count(1)
    page.unroute("**/messages/ack")

    def delivered() -> bool:
        with unit_of_work(claims_db_url) as uow:
            return uow.notifications.get(message_id).status == "sent"

    for _ in range(100):
        if delivered():
            break
        page.wait_for_timeout(300)
    assert delivered()
    expect(shown).to_have_count(1)


@pytest.mark.parametrize("stored", ['{"sender":"web-x","token":"short"}', "not json", "{}"])
def test_a_stored_session_that_is_no_session_is_said_to_be_renewed(
    claims_servers: Servers, watched_page: WatchedPage, stored: str
) -> None:
    """Found by an outside tester: a session cut short in the browser's storage started a new
    conversation without the notice an old id gets."""
    page = watched_page.page
    open_chat(page, claims_servers)  # its own session stored first: none lands after the clear
    page.evaluate(f"localStorage.clear(); localStorage.setItem('{PAGE_SESSION_KEY}', "
                  f"{json.dumps(stored)})")
    open_chat(page, claims_servers)
    expect(page.locator('[data-testid="session-renewed"]')).to_have_text(RENEWED)
    assert re.fullmatch(r"web-[0-9a-f]{32}", page_session(page)["sender"])
