"""What an outside tester found after the claim-in-focus change, through the real Rasa and
action servers and the web chat: a claim picked from the status list by its place ("第二个",
"the second one") is the claim in focus for "这笔还缺哪些材料？" just as a tap on its button is;
a picked claim that needs nothing says so; and the web chat's document list and upload go to
the claim in focus (its number shown), not always the newest one."""
from __future__ import annotations

import pytest

from tests.support.e2e import servers_apart
from tests.support.webchat import CLAIM_NUMBER, reported_claim, verified_chat

pytestmark = pytest.mark.e2e

claims_servers = servers_apart("claim-focus-e2e")  # reports claims: a store apart


COLLISION = "CLM-2026-000004"  # 张伟's seeded claim: driving licence, repair invoice missing
PAID = "CLM-2026-000001"  # John Smith's paid claim: nothing missing
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"focus-finding" * 8
ORDINALS_ZH = {1: "第一个", 2: "第二个", 3: "第三个"}
ORDINALS_EN = {1: "the first one", 2: "the second one", 3: "the third one"}


def _zhang_with_two_claims(servers) -> tuple:
    """张伟 verified, with a second claim of his reported here: the chat, and the status list's
    numbers."""
    chat, listed = verified_chat(servers, "AUTO-2026-0001", "1985-04-12")
    numbers = list(dict.fromkeys(CLAIM_NUMBER.findall(listed)))
    if len(numbers) < 2:
        reported_claim(chat, "我要报案,前天早上八点在解放路倒车撞到柱子了,大概两千块")
        listed = chat.says("查一下我的理赔进度")
        numbers = list(dict.fromkeys(CLAIM_NUMBER.findall(listed)))
    assert COLLISION in numbers and len(numbers) >= 2, listed
    return chat, numbers


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_claim_picked_by_its_place_is_the_one_documents_are_about(claims_servers, lang):
    chat, numbers = _zhang_with_two_claims(claims_servers)
    place = numbers.index(COLLISION) + 1  # never the first: the newest is listed first
    assert place > 1
    picked = chat.says((ORDINALS_ZH if lang == "zh" else ORDINALS_EN)[place])
    assert COLLISION in picked
    answer = chat.says("这笔还缺哪些材料？" if lang == "zh"
                       else "which documents are still missing?")
    assert COLLISION in answer, answer
    assert not any(number in answer for number in numbers if number != COLLISION), answer


def test_a_paid_claim_picked_by_its_place_needs_nothing(claims_servers):
    chat, listed = verified_chat(claims_servers, "HOME-2026-0001", "1990-07-01",
                                 "what's the status of my claim")
    numbers = list(dict.fromkeys(CLAIM_NUMBER.findall(listed)))
    assert PAID in numbers, listed
    picked = chat.says(ORDINALS_EN[numbers.index(PAID) + 1])
    assert PAID in picked
    answer = chat.says("which documents are still missing?")
    assert PAID in answer and "doesn't need any more documents" in answer, answer


def test_the_web_chats_documents_and_upload_are_for_the_claim_in_focus(claims_servers):
    chat, numbers = _zhang_with_two_claims(claims_servers)
    newest = numbers[0]
    assert chat.documents()["claim_number"] == newest  # nothing picked: the newest waiting
    chat.says(f'/inform{{"claim_number":"{COLLISION}"}}')  # the button of the older claim
    info = chat.documents()
    assert info["claim_number"] == COLLISION, info
    assert COLLISION in info.get("heading", ""), info
    codes = [item["code"] for item in info["documents"]]
    assert codes and "driving_licence" in codes, info
    reply = chat.uploads(PNG, "driving_licence")
    assert newest not in reply, reply
    # The claim named by typing its place counts the same.
    chat.says(f"第{numbers.index(newest) + 1}个")
    assert chat.documents()["claim_number"] == newest
