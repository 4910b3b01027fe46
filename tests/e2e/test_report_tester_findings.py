"""Issue 19, outside testers' findings through the web chat and the real servers: natural
corrections of the place and the amount, a car reported on a home policy, and the list of what a
report still needs answered in one message."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import text

from bot.claims.lifecycle import claim_view
from bot.store import models
from bot.store.db import unit_of_work
from tests.support.webchat import WebChat

pytestmark = pytest.mark.e2e

CLAIM_NUMBER = re.compile(r"CLM-\d{4}-\d{6}")
# The bot's questions -> the customer's answer (whatever order the bot asks them in).
ANSWERS = (("几点", "九点左右"), ("受伤", "没人受伤"), ("经过", "倒车的时候蹭到柱子了"))


@pytest.fixture(autouse=True)
def forget_these_claims(claims_db_url):
    """The claims reported here are removed afterwards, with every row that names them (the
    servers and the demo data are shared by the whole session)."""
    with unit_of_work(claims_db_url) as uow:
        before = max((claim.id for claim in uow.claims.list()), default=0)
    yield
    with unit_of_work(claims_db_url) as uow:
        session = uow.session
        new_ids = [claim.id for claim in uow.claims.list() if claim.id > before]
        if not new_ids:
            return
        session.execute(text("PRAGMA foreign_keys=OFF"))
        for table in models.Base.metadata.sorted_tables:
            if "claim_id" in table.c:
                session.execute(table.delete().where(table.c.claim_id.in_(new_ids)))
        session.execute(models.Claim.__table__.delete().where(
            models.Claim.__table__.c.id.in_(new_ids)))
        uow.commit()


def _until(customer: WebChat, reply: str, wanted: str) -> str:
    """Answers the bot's questions until it asks about `wanted`."""
    for _ in range(6):
        if wanted in reply:
            return reply
        answer = next((text for word, text in ANSWERS if word in reply), None)
        assert answer is not None, reply
        reply = customer.says(answer)
    raise AssertionError(reply)


def _claims(url: str) -> int:
    with unit_of_work(url) as uow:
        return len(uow.claims.list())


def test_the_place_and_the_amount_are_corrected_in_the_customers_words(claims_servers,
                                                                       claims_db_url):
    customer = WebChat(claims_servers)
    customer.says("前天晚上在小区地下车库停车的时候把柱子蹭了，右边车门凹进去一块")
    customer.says("AUTO-2026-0001")
    asked = _until(customer, customer.says("1985-04-12"), "损失多少钱")
    noted = customer.says("地点是虹桥天地地下车库B2")
    assert "虹桥天地地下车库B2" in noted and "损失多少钱" in noted  # the same list again
    summary = customer.says("晚上9点左右，没人受伤，两千")
    assert "地点：虹桥天地地下车库B2" in summary and "2,000" in summary, (asked, summary)
    summary = customer.says("地点不对，是虹桥天地地下车库B2层")
    assert "地点：虹桥天地地下车库B2层" in summary and "地点：不对" not in summary
    summary = customer.says("金额不对，还不知道多少钱")
    assert "估计损失" not in summary and "地点：虹桥天地地下车库B2层" in summary
    receipt = customer.says("对")
    view = claim_view(CLAIM_NUMBER.search(receipt).group(0), url=claims_db_url)
    assert view.incident_place == "虹桥天地地下车库B2层" and view.estimated_amount is None


def test_a_car_is_not_reported_on_a_home_policy(claims_servers, claims_db_url):
    before = _claims(claims_db_url)
    customer = WebChat(claims_servers)
    customer.says("我的车昨天被砸了，车窗碎了")
    customer.says("HOME-2026-0001")
    told = customer.says("1990-07-01")
    assert "不保车辆" in told and "车险保单号" in told and "高空坠物" not in told
    assert not CLAIM_NUMBER.search(told) and _claims(claims_db_url) == before


# --- stop 25: what a report still needs, asked in one list ---------------------------------


def test_the_list_is_answered_in_one_message_and_a_correction_by_not_this_but_that(
        claims_servers, claims_db_url):
    customer = WebChat(claims_servers)
    customer.says("我要报案，车被追尾了，后保险杠坏了")
    listed = customer.says("AUTO-2026-0001，1985-04-12")
    assert "还需要这几项" in listed and "在哪里" in listed and "多少钱" in listed
    # an hour no other test reports at: no "is it the same incident?" from another test's claim
    summary = customer.says("大前天凌晨4点 在人民路88号3栋门口 没人受伤 钱的话五六千吧")
    assert "地点：人民路88号3栋门口" in summary and "5,000" in summary, summary
    assert "有人受伤：没有" in summary and "04:00" in summary, summary
    fixed = customer.says("不是五千 是六千二")
    assert "6,200" in fixed, fixed
    receipt = customer.says("对")
    view = claim_view(CLAIM_NUMBER.search(receipt).group(0), url=claims_db_url)
    assert view.incident_place == "人民路88号3栋门口" and float(view.estimated_amount) == 6200
