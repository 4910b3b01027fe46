"""Voice notes in the web chat page, in headless Chromium with a fake microphone that plays an
espeak-ng recording, against the real servers and speech model."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator

import pytest
from playwright.sync_api import Page, expect

from bot.replies import say
from rasa_server.launcher import Servers
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.support.audio import speak

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

REPLY_TIMEOUT_MS = 120_000
SENTENCE = "I would like to check the status of my claim please."


@pytest.fixture(scope="module")
def spoken_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # The fake device loops the file (the sentence, then 3 s of silence) from a moment the
    # page does not control, so a recording may start mid-sentence: it lasts one loop plus one
    # sentence, and then always holds one whole sentence (a 5 s one once caught only
    # "...check the service of my-").
    path = tmp_path_factory.mktemp("voice") / "status.wav"
    path.write_bytes(speak(SENTENCE, "wav", pad_seconds=3.0))
    return path


@pytest.fixture
def page_with_microphone(chromium_browser, spoken_wav: Path) -> Iterator[Page]:
    """A second Chromium with a fake microphone, from the session's playwright: a second
    sync_playwright() in the same process fails while the session's one runs."""
    browser = chromium_browser.browser_type.launch(
        executable_path=CHROMIUM, headless=True,
        args=[*CHROMIUM_ARGS, "--use-fake-ui-for-media-stream",
              "--use-fake-device-for-media-stream",
              f"--use-file-for-fake-audio-capture={spoken_wav}"],
    )
    try:
        context = browser.new_context(viewport={"width": 430, "height": 900}, locale="en-GB")
        page = context.new_page()
        errors: list = []
        page.on("pageerror", lambda err: errors.append(str(err)))
        yield page
        assert errors == []
    finally:
        browser.close()


def open_chat(page: Page, servers: Servers) -> None:
    page.goto(servers.webchat_url)
    expect(page.locator("body")).to_have_attribute("data-ready", "true")


def test_a_recorded_voice_note_is_shown_back_and_answered(
    claims_servers: Servers, page_with_microphone: Page
) -> None:
    page = page_with_microphone
    open_chat(page, claims_servers)
    page.click("#voice-button")
    expect(page.locator("#voice-button")).to_have_attribute("aria-pressed", "true")
    page.wait_for_timeout(10_500)  # a loop (3.5 s sentence, 3 s silence) and a sentence more
    page.click("#voice-button")
    expect(page.locator("#voice-button")).to_have_attribute("aria-pressed", "false")
    expect(page.locator('#messages .msg.user[data-kind="voice"]')).to_have_count(1)

    heard = page.locator('#messages .msg.bot[data-kind="heard"]')
    expect(heard).to_have_text(re.compile(r"^I heard: “.*status.*”", re.IGNORECASE),
                               timeout=REPLY_TIMEOUT_MS)
    expect(page.locator("#messages .msg.bot:not(.welcome)").last).to_have_text(
        say("ask_policy_number", "en"), timeout=REPLY_TIMEOUT_MS)
    assert page.locator("#messages .msg.error").count() == 0


def test_a_picked_audio_file_is_sent_as_a_voice_note(
    claims_servers: Servers, page_with_microphone: Page, tmp_path: Path
) -> None:
    page = page_with_microphone
    open_chat(page, claims_servers)
    note = tmp_path / "note.ogg"
    note.write_bytes(speak(SENTENCE, "ogg"))
    page.set_input_files("#voice-input", str(note))
    expect(page.locator('#messages .msg.bot[data-kind="heard"]')).to_have_text(
        re.compile("status", re.IGNORECASE), timeout=REPLY_TIMEOUT_MS)
    expect(page.locator("#typing-indicator")).to_be_hidden(timeout=REPLY_TIMEOUT_MS)

    silent = tmp_path / "silent.ogg"
    from tests.support.audio import silence

    silent.write_bytes(silence(2, "ogg"))
    page.set_input_files("#voice-input", str(silent))
    # The first note set the conversation's language: the ask-again reply is in English.
    expect(page.locator("#messages .msg.bot").last).to_have_text(
        say("speech_not_understood", "en"), timeout=REPLY_TIMEOUT_MS)
