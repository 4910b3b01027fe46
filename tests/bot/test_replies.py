"""The reply catalogue: complete in both languages, and the formatting helpers."""
import datetime as dt
import re
from decimal import Decimal

import pytest

from bot.replies import catalog, date_text, join, money, say

FIELD = re.compile(r"{(\w+)}")


@pytest.mark.parametrize("key", sorted(catalog()))
def test_every_reply_exists_in_both_languages_with_the_same_fields(key):
    entry = catalog()[key]
    assert set(entry) == {"zh", "en"}
    assert entry["zh"].strip() and entry["en"].strip()
    assert set(FIELD.findall(entry["zh"])) == set(FIELD.findall(entry["en"]))


def test_chinese_replies_are_chinese_and_english_ones_are_not():
    for key, entry in catalog().items():
        if key in ("list_separator", "list_comma"):
            continue
        assert re.search(r"[\u4e00-\u9fff]", entry["zh"]), key
        assert not re.search(r"[\u4e00-\u9fff]", entry["en"]), key


def test_say_fills_fields_and_the_hotline():
    assert "400-000-0000（演示号码）" in say("human_contact", "zh")
    assert "400-000-0000 (demo number)" in say("human_contact", "en")
    assert "3" in say("verification_mismatch", "en", attempts_left=3)


def test_unknown_language_falls_back_to_chinese():
    assert say("greet", "fr") == say("greet", "zh")


def test_money_and_dates():
    assert money(Decimal("3200.00"), "zh") == "3,200 元"
    assert money(8200.5, "en") == "CNY 8,200.5"
    assert money(None, "en") == "-"
    assert date_text(dt.date(2026, 11, 19), "zh") == "2026年11月19日"
    assert date_text(dt.date(2026, 11, 19), "en") == "19 Nov 2026"
    assert join(["驾驶证", "维修发票"], "zh") == "驾驶证、维修发票"


def test_the_demo_hotline_says_it_is_one_and_a_real_line_is_used_as_it_is(monkeypatch):
    """95500 belongs to a real insurer: no deployment sends its customers there by default."""
    from bot.settings import get_settings

    assert "95500" not in say("human_contact", "zh") + say("human_contact", "en")
    monkeypatch.setenv("CLAIMS_HOTLINE", "021-5555-0100")
    get_settings.cache_clear()
    try:
        assert "021-5555-0100（每天" in say("human_contact", "zh")
        assert "演示" not in say("human_contact", "zh")
        assert "demo" not in say("human_contact", "en")
    finally:
        monkeypatch.delenv("CLAIMS_HOTLINE")
        get_settings.cache_clear()
