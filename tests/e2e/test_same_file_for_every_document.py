"""What an outside tester found through the web chat's upload route: one photo sent once for each
listed document ticked every one of them off, and the claim went to review as complete, while
each reply after the first said the file was not needed. Over real HTTP against the real servers:
the same file counts for its first item only; for every other item that item stays on the list
and the reply says the file is already kept as the first item and asks for the other."""
from __future__ import annotations

import pytest

from bot.replies import say
from tests.support.e2e import servers_apart
from tests.support.webchat import WebChat, reported_claim

pytestmark = pytest.mark.e2e

claims_servers = servers_apart("same-file-e2e")  # reports claims: a store apart


SAME = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"same-photo-for-every-item" * 8


def _reported(chat: WebChat) -> str:
    """A claim reported in this conversation by a verified customer."""
    chat.says("查一下我的理赔进度")
    chat.says("AUTO-2026-0001")
    chat.says("1985-04-12")
    return reported_claim(chat, "我要报案,大前天晚上七点在建设路车窗玻璃被砸碎了,大概八百块")


def test_one_photo_sent_for_every_listed_document_counts_once(claims_servers):
    chat = WebChat(claims_servers)
    number = _reported(chat)
    listed = chat.documents()
    assert listed["claim_number"] == number
    items = [(d["code"], d["name"]) for d in listed["documents"]]
    assert len(items) >= 3, items
    (first_code, first_name), others = items[0], items[1:]

    assert chat.uploads(SAME, first_code, content_type="image/jpeg",
                        filename="same.jpg").startswith(
        say("intake_received", "zh", document=first_name))
    left = [code for code, _ in others]
    for code, name in others:
        reply = chat.uploads(SAME, code, content_type="image/jpeg", filename="same.jpg")
        assert [d["code"] for d in chat.documents()["documents"]] == left, reply  # still missing
        assert say("intake_duplicate", "zh") not in reply
        assert reply == say("intake_duplicate_other_item", "zh", kept_as=first_name,
                            document=name), reply
    assert "材料已经齐了" not in chat.says("还缺什么材料？")

    # The same file for its own item again: already kept, nothing changes.
    again = chat.uploads(SAME, first_code, content_type="image/jpeg", filename="same.jpg")
    assert again.startswith(say("intake_duplicate", "zh"))
    assert [d["code"] for d in chat.documents()["documents"]] == left
