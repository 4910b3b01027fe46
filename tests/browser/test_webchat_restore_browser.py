"""The web chat page opened again on its conversation, and "结束对话 / End chat", in headless
Chromium against the real servers and model (found by an outside tester: a reload showed an
empty chat while the server kept the conversation verified; the next person on a shared
computer got a "fresh" chat that was not)."""
from __future__ import annotations

import re

import pytest
import requests
from playwright.sync_api import Page, expect

from bot.replies import say
from rasa_server.launcher import Servers
from tests.browser.conftest import WatchedPage
from tests.support.webchat import (
    page_moves_on,
    page_session,
    session_headers,
)

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

REPLY_TIMEOUT_MS = 60_000
ZHANG = {"policy": "AUTO-2026-0001", "born": "1985-04-12", "claim": "CLM-2026-000004",
         "name": "张伟"}


def open_chat(page: Page, servers: Servers) -> None:
    page.goto(servers.webchat_url)
    expect(page.locator("body")).to_have_attribute("data-ready", "true", timeout=30_000)


def says(page: Page, text: str) -> str:
    """Types `text`, waits for the answer; the bot's last message."""
    replies = page.locator("#messages .msg.bot:not(.welcome)")
    before = replies.count()
    page.fill("#message-input", text)
    page.press("#message-input", "Enter")
    expect(replies).not_to_have_count(before, timeout=REPLY_TIMEOUT_MS)
    expect(page.locator("#typing-indicator")).to_be_hidden(timeout=REPLY_TIMEOUT_MS)
    return replies.last.inner_text()


def shown(page: Page) -> list[tuple[str, str]]:
    """The conversation on the page: (customer|bot, text), without the welcome or notices."""
    return [tuple(line) for line in page.eval_on_selector_all(
        "#messages .msg.user, #messages .msg.bot:not(.welcome)",
        "els => els.map(el => [el.classList.contains('user') ? 'customer' : 'bot',"
        " (el.querySelector('.msg-text') || el).textContent])")]


def zhang_verified(servers: Servers, watched: WatchedPage) -> tuple[Page, dict]:
    """The chat opened and 张伟 verified in it: the page and its session."""
    page = watched.page
    open_chat(page, servers)
    says(page, "查一下我的理赔进度")
    says(page, ZHANG["policy"])
    answer = says(page, ZHANG["born"])
    assert ZHANG["claim"] in answer, answer
    assert ZHANG["name"] in page.locator("#messages").inner_text()
    return page, page_session(page)


def test_a_reload_shows_the_conversation_that_goes_on(
        claims_servers: Servers, watched_page: WatchedPage) -> None:
    page, session = zhang_verified(claims_servers, watched_page)
    before = shown(page)

    page.reload()
    expect(page.locator("body")).to_have_attribute("data-ready", "true", timeout=30_000)
    assert page_session(page) == session  # the same conversation, and the page says so
    restored = shown(page)
    assert len(restored) == len(before)
    assert [who for who, _ in restored] == [who for who, _ in before]
    assert restored[0] == ("customer", "查一下我的理赔进度")
    assert restored[1:] and all(text for _, text in restored)
    assert ZHANG["claim"] in restored[-1][1]
    # The identity answer comes back as the store keeps it: a label, not the date of birth.
    assert all(ZHANG["born"] not in text for _, text in restored)
    assert page.locator("#messages [data-restored='true']").count() == len(before)

    # It goes on where it was: still verified, new lines below the restored ones.
    assert ZHANG["claim"] in says(page, "我的理赔进度")
    assert shown(page)[:len(restored)] == restored
    assert watched_page.page_errors == []


def test_end_chat_ends_the_verified_conversation_and_the_next_one_asks_who_it_is(
        claims_servers: Servers, watched_page: WatchedPage) -> None:
    page, old = zhang_verified(claims_servers, watched_page)

    page.click("#end-chat")
    expect(page.locator('[data-testid="chat-ended"]')).to_have_text(
        re.compile(r"^对话已结束.*/ The chat has ended"))
    page_moves_on(page, old["sender"])
    assert shown(page) == []  # nothing of the ended conversation is left on the screen

    # The next person at this computer: asked who they are.
    asked = says(page, "查一下我的理赔进度")
    assert asked == say("ask_policy_number", "zh")
    page.reload()
    expect(page.locator("body")).to_have_attribute("data-ready", "true", timeout=30_000)
    assert ZHANG["claim"] not in page.locator("#messages").inner_text()

    # Whoever kept the ended conversation's id and token: asked who they are too, and its
    # history is gone.
    chat = f"{claims_servers.rasa_url}/webhooks/webchat"
    headers = session_headers(old["token"])
    history = requests.get(f"{chat}/history", params={"sender": old["sender"]},
                           headers=headers, timeout=30)
    assert history.status_code == 200 and history.json()["messages"] == []
    again = requests.post(f"{chat}/webhook", headers=headers, timeout=90,
                          json={"sender": old["sender"], "message": "查一下我的理赔进度"})
    assert again.status_code == 200
    texts = "\n".join(m.get("text") or "" for m in again.json())
    assert texts == say("ask_policy_number", "zh")
    assert watched_page.page_errors == []


def test_ending_the_chat_in_one_window_ends_it_in_the_other(
        claims_servers: Servers, watched_page: WatchedPage) -> None:
    page = watched_page.page
    open_chat(page, claims_servers)
    says(page, "你好")
    other = page.context.new_page()
    open_chat(other, claims_servers)
    old = page_session(page)
    assert page_session(other) == old
    assert shown(other) == shown(page)  # the second window shows the conversation too

    page.click("#end-chat")
    expect(other.locator('[data-testid="chat-replaced"]')).to_be_visible(timeout=15_000)
    expect(page.locator('[data-testid="chat-ended"]')).to_be_visible()
    new = page_moves_on(page, old["sender"])
    assert shown(page) == [] and shown(other) == []
    # The other window now speaks in the new conversation, not the ended one.
    sent: list = []
    other.on("request", lambda r: sent.append(r.post_data_json)
             if r.url.endswith("/webhook") else None)
    says(other, "你好")
    assert sent and sent[-1]["sender"] == new["sender"]
