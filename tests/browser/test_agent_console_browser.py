"""The human handoff in two real browsers: a customer in the web chat, an agent in the console."""
from __future__ import annotations

import re
from typing import List

import pytest
from playwright.sync_api import Page, expect

from bot.replies import say
from bot.settings import get_settings
from rasa_server.launcher import ROOT, Servers
from tests.browser.conftest import WatchedPage
from tests.support.e2e import E2E_AGENTS
from tests.support.sms_code import LI_XIUYING_PHONE, code_sent_to
from tests.support.webchat import page_session

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

REPLY_TIMEOUT_MS = 60_000
OUTBOX_TIMEOUT_MS = 15_000  # the page collects messages every 2 s
QUEUED = re.compile("已为您转人工|已经排上队")
SCREENSHOT = ROOT / "results" / "screenshots" / "agent_console.png"


def open_chat(page: Page, servers: Servers) -> str:
    page.goto(servers.webchat_url)
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    return page_session(page)["sender"]


def send(page: Page, text: str) -> None:
    page.fill("#message-input", text)
    page.press("#message-input", "Enter")
    expect(page.locator("#typing-indicator")).to_be_hidden(timeout=REPLY_TIMEOUT_MS)


def bot_texts(page: Page) -> List[str]:
    return page.locator("#messages .msg.bot:not(.welcome) .msg-text").all_text_contents()


def watch(page: Page, into: WatchedPage) -> None:
    page.on("dialog", lambda dialog: (into.dialogs.append(dialog.message), dialog.dismiss()))
    page.on("pageerror", lambda err: into.page_errors.append(str(err)))


def test_the_elderly_customer_is_offered_a_person_first_thing_after_verification(
    claims_servers: Servers, watched_page: WatchedPage, twilio_standin, forget_attempts
) -> None:
    page = watched_page.page
    open_chat(page, claims_servers)
    send(page, "查一下我的理赔进度")
    send(page, "MED-2026-0002")
    sms_before = len(twilio_standin.messages)
    send(page, "1948-09-30")
    # A medical policy: the SMS code to the phone on file comes after the date of birth.
    assert bot_texts(page)[-1] == say(
        "identity_code_sent_medical", "zh", minutes=get_settings().identity_code_minutes)
    before = len(bot_texts(page))
    send(page, code_sent_to(twilio_standin, LI_XIUYING_PHONE, sms_before))
    after = bot_texts(page)[before:]
    assert after[0] == say("identity_verified", "zh", name="李秀英")
    assert after[1] == say("elderly_offer", "zh")  # first thing after verification
    offer = page.locator("#messages .msg.bot:not(.welcome)").nth(before + 1)
    chip = offer.locator("[data-testid=bot-button]").first
    expect(chip).to_have_text("转人工")
    chip.click()
    expect(page.locator("#messages .msg.user").last).to_have_text("转人工")
    expect(page.locator("#messages .msg.bot .msg-text").last).to_have_text(
        QUEUED, timeout=REPLY_TIMEOUT_MS)
    assert watched_page.page_errors == [] and watched_page.dialogs == []


def test_a_person_takes_over_answers_and_hands_back(
    claims_servers: Servers, chromium_browser
) -> None:
    customer_context = chromium_browser.new_context(
        viewport={"width": 430, "height": 900}, locale="zh-CN")
    agent_context = chromium_browser.new_context(
        viewport={"width": 1360, "height": 900}, locale="zh-CN")
    customer, agent = customer_context.new_page(), agent_context.new_page()
    seen = WatchedPage(None)
    watch(customer, seen)
    watch(agent, seen)
    try:
        # The customer tells part of the story, then presses "talk to a person".
        sender = open_chat(customer, claims_servers)
        send(customer, "查一下我的理赔进度")
        customer.click("#handoff-button")
        expect(customer.locator("#messages .msg.bot .msg-text").last).to_have_text(
            QUEUED, timeout=REPLY_TIMEOUT_MS)

        # An agent logs in to the console in another browser context and takes it.
        agent.goto(claims_servers.rasa_url + "/webhooks/agent/")
        expect(agent.locator("body")).to_have_attribute("data-ready", "true")
        expect(agent.locator("#login-form")).to_be_visible()
        username, display_name, password = E2E_AGENTS[0]
        agent.fill("#username", username)
        agent.fill("#password", password)
        agent.click("[data-testid=login-button]")
        expect(agent.locator("body")).to_have_attribute("data-logged-in", "true")
        item = agent.locator(f'[data-testid=queue-item][data-conversation="{sender}"]')
        expect(item).to_be_visible(timeout=OUTBOX_TIMEOUT_MS)
        item.locator("[data-testid=take-button]").click()
        expect(agent.locator("#conversation")).to_have_attribute("data-mine", "true")
        expect(agent.locator("#summary-list")).to_contain_text("查进度")
        expect(agent.locator("[data-testid=line-customer] .text").first).to_have_text(
            "查一下我的理赔进度")

        joined = say("handoff_agent_joined", "zh", agent=display_name)
        agent_bubbles = customer.locator('#messages .msg.bot[data-kind="agent_message"]')
        expect(agent_bubbles.first).to_have_text(joined, timeout=OUTBOX_TIMEOUT_MS)

        # The agent's reply reaches the customer as text, HTML and all.
        typed = "您好，我来帮您看看<img src=x onerror=alert(1)><b>粗体</b>"
        agent.fill("#reply-input", typed)
        agent.click("[data-testid=reply-send]")
        expect(agent_bubbles.last).to_have_text(typed, timeout=OUTBOX_TIMEOUT_MS)
        assert customer.locator("#messages img, #messages b").count() == 0

        # What the customer writes while parked reaches the agent; the bot says nothing.
        bot_lines = customer.locator("#messages .msg.bot:not([data-kind])").count()
        customer_words = "<script>alert('x')</script>追尾那次的材料还要补吗"
        send(customer, customer_words)
        expect(agent.locator("[data-testid=line-customer] .text").last).to_have_text(
            customer_words, timeout=OUTBOX_TIMEOUT_MS)
        assert customer.locator("#messages .msg.bot:not([data-kind])").count() == bot_lines
        assert agent.locator("#transcript script, #transcript img, #transcript b").count() == 0

        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        agent.screenshot(path=str(SCREENSHOT), full_page=True)

        # The agent hands back with what was agreed; the bot greets the customer again.
        agent.fill("#handback-note", "材料已齐，不用再补；三个工作日内给您结果")
        agent.click("[data-testid=handback-button]")
        expect(customer.locator('#messages .msg.bot[data-kind="handed_back"]').last).to_have_text(
            say("handed_back", "zh", agent=display_name,
                resolution="材料已齐，不用再补；三个工作日内给您结果"),
            timeout=OUTBOX_TIMEOUT_MS)
        expect(agent.locator(f'[data-testid=queue-item][data-conversation="{sender}"]')
               ).to_have_count(0, timeout=OUTBOX_TIMEOUT_MS)

        # And the bot answers the customer's next message again.
        send(customer, "你好")
        expect(customer.locator("#messages .msg.bot:not([data-kind]) .msg-text").last
               ).to_have_text(say("greet", "zh"))
        assert seen.dialogs == [] and seen.page_errors == []
        claims_servers.check()
    finally:
        customer_context.close()
        agent_context.close()
