"""Headless Chromium for browser tests: the system's /usr/bin/chromium, driven by playwright."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Iterator, List

import pytest

CHROMIUM = os.environ.get("CLAIMS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@dataclass
class WatchedPage:
    """A page plus everything it did that a test may want to forbid."""

    page: object
    dialogs: List[str] = field(default_factory=list)
    page_errors: List[str] = field(default_factory=list)
    console_errors: List[str] = field(default_factory=list)


@pytest.fixture(scope="session")
def chromium_browser() -> Iterator[object]:
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM} (apt-get install chromium)", pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def watched_page(chromium_browser) -> Iterator[WatchedPage]:
    """A fresh phone-sized page (own storage) that records dialogs and script errors."""
    context = chromium_browser.new_context(
        viewport={"width": 430, "height": 900}, locale="zh-CN", device_scale_factor=1
    )
    page = context.new_page()
    watched = WatchedPage(page)

    def on_dialog(dialog) -> None:
        watched.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.on("pageerror", lambda err: watched.page_errors.append(str(err)))
    page.on(
        "console",
        lambda msg: watched.console_errors.append(msg.text) if msg.type == "error" else None,
    )
    try:
        yield watched
    finally:
        context.close()
