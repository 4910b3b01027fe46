"""What an outside tester found: the same file sent twice got "不用再发" and "请告诉我这是哪一份
材料" together. A duplicate gets one clear reply."""
from __future__ import annotations

from pathlib import Path

import pytest

from bot.documents.intake import intake_text
from bot.replies import say
from tests.bot.test_intake import JPEG, PNG, receive


@pytest.fixture
def uploads(tmp_path: Path) -> Path:
    return tmp_path / "uploads"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_same_file_twice_without_its_item_gets_one_clear_reply(
        seeded_url: str, uploads: Path, lang: str) -> None:
    receive(seeded_url, uploads, JPEG)
    again = receive(seeded_url, uploads, JPEG, name="again.jpg")
    assert again.duplicate and again.needs_document_code
    text = intake_text(again, lang)
    assert text.count("\n") == 0  # one reply, not two that contradict each other
    assert say("intake_duplicate", lang) not in text
    assert text.startswith(say("intake_duplicate_which_document", lang, documents="")[:8])
    assert ("驾驶证" if lang == "zh" else "Driving licence") in text
    assert "文件收到了" not in text and "Got the file" not in text


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_same_file_twice_with_its_item_says_it_is_kept_and_what_is_left(
        seeded_url: str, uploads: Path, lang: str) -> None:
    receive(seeded_url, uploads, PNG, code="driving_licence")
    again = receive(seeded_url, uploads, PNG, code="driving_licence")
    text = intake_text(again, lang)
    assert text.startswith(say("intake_duplicate", lang))
    assert say("intake_which_document", lang, documents="")[:6] not in text
    assert ("维修发票" if lang == "zh" else "Repair invoice") in text  # what is still missing
