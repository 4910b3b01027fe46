"""The claim workspace of the agent console in a real browser against the real servers: an agent
looks up a claim with a reason, sees its files and flags, takes a task and transfers a
conversation to a supervisor; a complaint officer logs a hotline complaint. The screenshot of the
workspace (demo data only) is saved to results/console-workspace.png; the README's copy is
docs/console-workspace.png, refreshed by hand when the page changes."""
from __future__ import annotations

import contextlib
import struct
import zlib
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from bot.agents import AgentError, add_agent
from bot.documents.intake import receive_file
from bot.handoff import request_handoff
from bot.replies import say
from bot.store.db import unit_of_work
from bot.store.models import Complaint, Notification
from bot.tasks import list_tasks, open_task_now
from bot.workspace import quick_reply
from rasa_server.launcher import ROOT, Servers
from tests.browser.conftest import WatchedPage

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

SCREENSHOT = ROOT / "results" / "console-workspace.png"
PASSWORD = "workspace-password-1"
STAFF = (("ws-agent", "周明", "agent"), ("ws-super", "陈主管", "supervisor"),
         ("ws-officer", "赵敏", "complaint_officer"))
WAIT_MS = 15_000
CONVERSATION = "ws-browser-1"


def _png() -> bytes:
    """A small valid PNG (a grey square), as a customer's photo would be."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + b"\x80\x80\x80" * 16 for _ in range(16))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 16, 16, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def _prepare(db_url: str, var_dir: Path) -> tuple[str, int]:
    """Staff with roles, and for the demo motor claim of AUTO-2026-0001: a photo, a review flag,
    an open call-back task and a queued conversation about it. Returns (claim, task id)."""
    for username, name, role in STAFF:
        with contextlib.suppress(AgentError):  # a second run in the same session
            add_agent(username, PASSWORD, name, role=role, url=db_url)
    with unit_of_work(db_url) as uow:
        claim = next(c for c in uow.policies.by_number("AUTO-2026-0001").claims
                     if c.stage == "documents_review")
        number = claim.number
        claim.flags = [{"code": "recent_claims", "route": "review",
                        "note_zh": "近期多次理赔", "note_en": "Several recent claims",
                        "detail": {}}]
        uow.commit()
    receive_file(number, "现场照片.png", _png(), "image/png", actor="customer", url=db_url,
                 uploads_dir=var_dir / "uploads")
    task = open_task_now("callback", dedupe_key=f"ws-browser:callback:{number}",
                         actor="bot", claim_number=number, url=db_url,
                         title="按约定时间给客户回电 / Call the customer back")
    request_handoff(CONVERSATION, reason="request", language="zh", channel="webchat", url=db_url,
                    summary={"claim_number": number, "first_request": "追尾那次理赔到哪一步了",
                             "customer": {"name": "张伟", "verified": True,
                                          "policy_number": "AUTO-2026-0001"}})
    return number, task.id


def _log_in(page: Page, servers: Servers, username: str) -> None:
    page.goto(servers.rasa_url + "/webhooks/agent/")
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("[data-testid=login-button]")
    expect(page.locator("body")).to_have_attribute("data-logged-in", "true")


def test_the_workspace_look_up_files_flags_task_transfer_and_a_hotline_complaint(
    claims_servers: Servers, claims_db_url: str, claims_e2e_dir: Path, chromium_browser,
) -> None:
    number, task_id = _prepare(claims_db_url, claims_e2e_dir / "var")
    context = chromium_browser.new_context(viewport={"width": 1360, "height": 900},
                                           locale="zh-CN")
    page = context.new_page()
    seen = WatchedPage(page)
    page.on("dialog", lambda dialog: (seen.dialogs.append(dialog.message), dialog.dismiss()))
    page.on("pageerror", lambda err: seen.page_errors.append(str(err)))
    try:
        _log_in(page, claims_servers, "ws-agent")
        expect(page.locator("[data-testid=agent-role]")).to_have_text("坐席 / Agent")
        expect(page.locator("[data-testid=tab-complaints]")).to_be_hidden()  # not an agent's

        # A look-up without a reason is not sent; with one, the claim's workspace opens.
        page.fill("#lookup-query", number)
        page.click("[data-testid=lookup-button]")
        expect(page.locator("[data-testid=workspace]")).to_be_hidden()
        page.fill("#lookup-reason", "客户来电询问理赔进度")
        page.click("[data-testid=lookup-button]")
        workspace = page.locator("[data-testid=workspace]")
        expect(workspace).to_have_attribute("data-claim", number)
        expect(page.locator("[data-testid=claim-stage]")).to_contain_text("documents review")
        expect(page.locator("[data-testid=claim-flags]")).to_contain_text("近期多次理赔")
        expect(page.locator("[data-testid=claim-checklist]")).to_contain_text("已收 / received")
        link = page.locator("[data-testid=claim-file]").filter(has_text="现场照片.png")
        expect(link).to_have_count(1)
        served = context.request.get(claims_servers.rasa_url + "/webhooks/agent/" +
                                     link.get_attribute("href"))
        assert served.status == 200 and served.headers["content-type"] == "image/png"
        assert served.body() == _png()
        with unit_of_work(claims_db_url) as uow:
            [looked] = [e for e in uow.audit.list("workspace.lookup")
                        if e.actor == "agent:ws-agent"]
            assert looked.subject_id == number
            assert looked.detail["reason"] == "客户来电询问理赔进度"

        # The claim's call-back task: the agent takes it.
        task = page.locator(f'[data-testid=claim-tasks] [data-task="{task_id}"]')
        task.locator("[data-testid=task-take]").click()
        expect(page.locator("[data-testid=notice]")).to_contain_text(f"Task taken: #{task_id}")
        expect(page.locator(f'[data-testid=claim-tasks] [data-task="{task_id}"]')
               ).to_have_attribute("data-status", "taken")
        [taken] = [t for t in list_tasks(status="all", url=claims_db_url) if t.id == task_id]
        assert taken.status == "taken" and taken.assignee == "ws-agent"

        # The conversation about the claim: take it, then transfer it to the supervisor.
        item = page.locator(f'[data-testid=queue-item][data-conversation="{CONVERSATION}"]')
        expect(item).to_be_visible(timeout=WAIT_MS)
        item.locator("[data-testid=take-button]").click()
        expect(page.locator("#conversation")).to_have_attribute("data-mine", "true")
        # A quick reply goes into the reply box in the customer's language (not sent by itself).
        page.select_option("#template-select", "checking")
        expect(page.locator("#reply-input")).to_have_value(quick_reply("checking", "zh"))
        page.fill("#reply-input", "")
        # An internal note on the conversation: shown to agents, kept from the customer.
        page.fill("#note-input", "客户情绪较急，已核对理赔号")
        page.click("[data-testid=note-button]")
        expect(page.locator("[data-testid=conversation-notes] [data-testid=note]")
               ).to_contain_text("客户情绪较急，已核对理赔号")
        page.select_option("#transfer-to", "agent:ws-super")
        page.fill("#transfer-note", "客户要求主管处理")
        page.click("[data-testid=transfer-button]")
        expect(page.locator("[data-testid=notice]")).to_contain_text("已转交")
        routed = page.locator(f'[data-testid=queue-item][data-conversation="{CONVERSATION}"] '
                              "[data-testid=queue-routed]")
        expect(routed).to_contain_text("陈主管", timeout=WAIT_MS)
        told = say("handoff_transferred", "zh", agent="陈主管")
        with unit_of_work(claims_db_url) as uow:
            bodies = [n.body for n in uow.session.query(Notification).filter(
                Notification.conversation_id == CONVERSATION)]
            assert told in bodies
            assert not any("客户情绪较急" in body for body in bodies)
            assert [e.detail["to"] for e in uow.audit.list("handoff.transferred")] == ["ws-super"]

        page.locator("[data-testid=workspace]").scroll_into_view_if_needed()
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        SCREENSHOT.parent.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOT), full_page=True)

        # A complaint officer logs a complaint taken on the hotline.
        page.click("[data-testid=logout]")
        _log_in(page, claims_servers, "ws-officer")
        page.click("[data-testid=tab-complaints]")
        page.select_option("#complaint-source", "hotline")
        page.fill("#complaint-name", "张伟")
        page.fill("#complaint-phone", "13800000001")
        page.fill("#complaint-claim", number)
        page.fill("#complaint-subject", "理赔员一直没有回电话")
        page.fill("#complaint-request", "尽快给我回电")
        page.click("[data-testid=complaint-submit]")
        expect(page.locator("[data-testid=notice]")).to_contain_text("Complaint recorded")
        expect(page.locator("[data-testid=complaints]")).to_contain_text("理赔员一直没有回电话")
        with unit_of_work(claims_db_url) as uow:
            complaint = uow.session.query(Complaint).filter(
                Complaint.subject == "理赔员一直没有回电话").one()
            assert complaint.source == "hotline" and complaint.claim.number == number
            reference = complaint.reference
        [callback] = list_tasks(complaint_reference=reference, url=claims_db_url)
        assert callback.kind == "complaint_callback"
        assert seen.dialogs == [] and seen.page_errors == []
        claims_servers.check()
    finally:
        context.close()
