"""Outside tester's findings on the complaint form, through the real Rasa and action servers:
a policy number given as the name and a date of birth given as the phone are asked again, and
the complaint stores the real phone (never the date of birth)."""
from __future__ import annotations

import re
import uuid

import pytest
import requests

from bot.replies import say
from bot.store.db import unit_of_work
from bot.store.models import Complaint
from bot.tasks import list_tasks

pytestmark = pytest.mark.e2e

REFERENCE = re.compile(r"CMP-\d{4}-\d{6}")


def test_a_policy_number_is_no_name_and_a_birth_date_is_no_phone(claims_servers, claims_db_url):
    sender = f"e2e-{uuid.uuid4().hex[:10]}"

    def says(message: str) -> str:
        res = requests.post(claims_servers.rest_url,
                            json={"sender": sender, "message": message}, timeout=60)
        assert res.status_code == 200, res.text
        return "\n".join(m.get("text") or "" for m in res.json())

    assert says("我要投诉") == say("ask_complainant_name", "zh")
    assert says("AUTO-2026-0001") == say("complaint_name_invalid", "zh")
    assert says("陈静") == say("ask_complainant_phone", "zh")
    assert says("1985-04-12") == say("complaint_phone_invalid", "zh")
    assert says("13966665555") == say("ask_complaint_about", "zh")
    assert says("理赔太慢") == say("ask_complaint_facts", "zh")
    assert says("报案两周了没人理我") == say("ask_complaint_request", "zh")
    reference = REFERENCE.search(says("请尽快给我回电话")).group()
    with unit_of_work(claims_db_url) as uow:
        row = uow.session.query(Complaint).filter(Complaint.reference == reference).one()
        assert row.complainant_name == "陈静" and row.complainant_phone == "13966665555"
    [task] = list_tasks(complaint_reference=reference, url=claims_db_url)
    assert task.detail["phone"] == "13966665555"
