"""The SMS receipt's one-time link in headless Chromium against the real servers and model: the
page opens logged in for the claim, the customer asks about it without an identity check, the
token leaves the address bar, and the same link in another browser is refused."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from bot.login_links import issue, link_url
from bot.replies import say
from bot.store.db import unit_of_work
from rasa_server.launcher import Servers
from tests.browser.conftest import WatchedPage

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

CLAIM = "CLM-2026-000004"
REPLY_TIMEOUT_MS = 60_000


def _link(db_url: str, servers: Servers) -> str:
    with unit_of_work(db_url) as uow:
        token = issue(uow, uow.claims.by_number(CLAIM))
        uow.commit()
    base = servers.webchat_url.split("/webhooks/webchat", 1)[0]
    return link_url(token, base)


def test_the_link_opens_the_chat_logged_in_once(claims_servers: Servers, claims_db_url: str,
                                                watched_page: WatchedPage,
                                                chromium_browser) -> None:
    link = _link(claims_db_url, claims_servers)
    page = watched_page.page
    page.goto(link)
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    logged_in = page.locator('#messages .msg.bot[data-kind="login"]')
    expect(logged_in).to_contain_text(CLAIM, timeout=REPLY_TIMEOUT_MS)
    assert "#k=" not in page.url  # the token left the address bar

    # Verified already: a question about the claim is answered, not met with the identity check.
    page.fill("#message-input", "我的理赔进度怎么样了")
    page.press("#message-input", "Enter")
    expect(page.locator("#typing-indicator")).to_be_hidden(timeout=REPLY_TIMEOUT_MS)
    replies = page.locator("#messages .msg.bot:not(.welcome)")
    expect(replies.last).to_contain_text(re.compile(CLAIM), timeout=REPLY_TIMEOUT_MS)
    assert watched_page.page_errors == []

    # The same link again, in another browser: refused, in words.
    other = chromium_browser.new_context(locale="zh-CN").new_page()
    other.goto(link)
    refused = other.locator('#messages .msg.bot[data-kind="login"]')
    expect(refused).to_have_text(say("webchat_link_refused", "zh"), timeout=REPLY_TIMEOUT_MS)
    other.context.close()
