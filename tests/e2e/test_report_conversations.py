"""Reporting claims through the REST channel against the real servers and store."""
from __future__ import annotations

import re

import pytest
import requests

from bot.claims.lifecycle import claim_view
from bot.claims.reporting.service import question_text
from bot.replies import say
from bot.store import models
from bot.store.db import unit_of_work
from tests.e2e.test_conversations import Customer
from tests.support.webchat import signed_headers

pytestmark = pytest.mark.e2e

CLAIM_NUMBER = re.compile(r"CLM-\d{4}-\d{6}")


def _claim_children() -> list:
    """Every table that points at a claim, those that point at them first (tasks before
    complaints, files before documents): the order a delete must follow."""
    return [table for table in reversed(models.Base.metadata.sorted_tables)
            if "claim_id" in table.c]


@pytest.fixture(autouse=True)
def forget_reported_claims(claims_db_url):
    """Claims these tests report are removed afterwards: the servers and the demo data are
    shared by the whole session, and other tests read the demo customers' claim lists."""
    with unit_of_work(claims_db_url) as uow:
        before = max((claim.id for claim in uow.claims.list()), default=0)
    yield
    with unit_of_work(claims_db_url) as uow:
        session = uow.session
        new_ids = [claim.id for claim in uow.claims.list() if claim.id > before]
        if new_ids:
            for table in _claim_children():
                if table.name == "complaints":  # a complaint stays; its claim goes
                    session.execute(table.update().where(table.c.claim_id.in_(new_ids))
                                    .values(claim_id=None))
                else:
                    session.execute(table.delete().where(table.c.claim_id.in_(new_ids)))
            session.query(models.Claim).filter(models.Claim.id.in_(new_ids)).delete(
                synchronize_session=False)
            uow.commit()


def _claim_count(url: str) -> int:
    with unit_of_work(url) as uow:
        return len(uow.claims.list())


def test_motor_claim_in_at_most_six_turns(claims_servers, claims_db_url):
    customer = Customer(claims_servers)
    turns = [
        "我要报案,昨天下午三点在中山路被追尾了,后保险杠坏了,大概三千块",
        "AUTO-2026-0001",
        "1985-04-12",
        "没人受伤",
    ]
    replies = [customer.says(text) for text in turns]
    assert "保单号" in replies[0]  # identity first, the facts already kept
    assert "张伟" in replies[2]
    summary = replies[-1]
    assert "中山路" in summary and "15:00" in summary and "3,000 元" in summary
    receipt = customer.says("对")
    assert len(turns) + 1 <= 6
    number = CLAIM_NUMBER.search(receipt).group(0)
    assert "驾驶证" in receipt and "转人工" in receipt
    view = claim_view(number, url=claims_db_url)
    assert view.policy_number == "AUTO-2026-0001" and view.incident_type == "collision"
    assert view.incident_place == "中山路" and str(view.estimated_amount) == "3000.00"
    assert view.stage == "reported"


def test_correction_at_the_summary_then_confirm(claims_servers, claims_db_url):
    customer = Customer(claims_servers)
    customer.says("查进度")
    customer.says("AUTO-2026-0001")
    customer.says("13800000001")
    customer.says("我的车昨天下午三点在人民路被刮了,大概两千五")
    summary = customer.says("没有人受伤")
    assert "2,500 元" in summary and "15:00" in summary
    corrected = customer.says("不对,时间是四点")
    assert "16:00" in corrected
    number = CLAIM_NUMBER.search(customer.says("对")).group(0)
    assert claim_view(number, url=claims_db_url).incident_place == "人民路"


def test_english_home_claim(claims_servers, claims_db_url):
    customer = Customer(claims_servers)
    customer.says("I need to make a claim, a pipe burst in my kitchen yesterday at 5pm")
    customer.says("HOME-2026-0001")
    asked = customer.says("1990-07-01")
    assert "John Smith" in asked
    answers = ["at home, 12 Renmin Road", "about 8000 yuan"]
    for answer in answers:
        reply = customer.says(answer)
    assert "Please check your claim details" in reply
    receipt = customer.says("yes")
    number = CLAIM_NUMBER.search(receipt).group(0)
    assert not re.search(r"[\u4e00-\u9fff]", receipt)
    assert claim_view(number, url=claims_db_url).incident_type == "water_damage"


def test_cancel_leaves_nothing_behind(claims_servers, claims_db_url):
    before = _claim_count(claims_db_url)
    customer = Customer(claims_servers)
    customer.says("我要报案")
    customer.says("ACC-2026-0001")
    customer.says("1992-02-14")
    # Issue 19: "算了" asks whether to skip the question or stop the report.
    assert customer.says("算了") == say("report_stop_or_rough", "zh")
    assert customer.says("先不报了") == say("report_cancelled", "zh")
    assert _claim_count(claims_db_url) == before


def test_future_date_and_absurd_amount_are_asked_again(claims_servers, claims_db_url):
    before = _claim_count(claims_db_url)
    customer = Customer(claims_servers)
    customer.says("我要报案")
    customer.says("AUTO-2026-0001")
    assert customer.says("1985-04-12").endswith(say("report_ask.incident_type", "zh"))
    assert customer.says("车被撞了") == question_text(
        ("incident_time", "place", "injuries", "estimated_amount"), "zh", "motor")
    assert customer.says("明天下午三点").startswith(say("when_future", "zh"))
    assert customer.says("昨天下午三点") == say("report_ask.place", "zh")
    customer.says("中山路")
    customer.says("没人受伤")
    assert customer.says("大概100000000000元").startswith(say("amount_too_large", "zh"))
    assert customer.says("-500").startswith(say("amount_negative", "zh"))
    assert _claim_count(claims_db_url) == before


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _upload(servers, sender: str, content: bytes, document: str | None = None,
            filename: str = "photo.png", content_type: str = "image/png") -> str:
    url = f"{servers.rasa_url}/webhooks/webchat/upload?sender={sender}"
    if document:
        url += f"&document={document}"
    response = requests.post(url, data=content, timeout=60,
                             headers=signed_headers(sender, {"Content-Type": content_type,
                                                             "X-Filename": filename}))
    assert response.status_code == 200, response.text
    return "\n".join(message["text"] for message in response.json())


def test_documents_sent_in_the_web_chat_are_stored_against_the_claim(
    claims_servers, claims_db_url
):
    customer = Customer(claims_servers)
    assert _upload(claims_servers, customer.sender, PNG) == say("upload_no_claim", "zh")
    for text in ("我要报案,昨天下午三点在人民路被追尾了,大概三千块", "AUTO-2026-0001",
                 "1985-04-12", "没人受伤"):
        customer.says(text)
    number = CLAIM_NUMBER.search(customer.says("对")).group(0)
    listed = requests.get(
        f"{claims_servers.rasa_url}/webhooks/webchat/documents?sender={customer.sender}",
        timeout=30, headers=signed_headers(customer.sender),
    ).json()
    assert listed["claim_number"] == number
    codes = [document["code"] for document in listed["documents"]]
    assert "driving_licence" in codes and "liability_record" not in codes  # insurer fetches it

    received = _upload(claims_servers, customer.sender, PNG, document="driving_licence")
    assert "驾驶证" in received and "行驶证" in received  # what was received, what is missing
    assert say("intake_duplicate", "zh") in _upload(
        claims_servers, customer.sender, PNG, document="driving_licence")
    assert _upload(claims_servers, customer.sender, b"hello", filename="a.txt",
                   content_type="text/plain") == say("intake_error.unsupported_type", "zh")
    with unit_of_work(claims_db_url) as uow:
        sizes = [row.size_bytes for row in uow.session.query(models.ReceivedFile)
                 if row.claim.number == number]
    assert sizes == [len(PNG)]
    assert claim_view(number, url=claims_db_url).stage == "documents_review"
