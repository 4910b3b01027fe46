"""How replies are said on the phone (bot/phone/wording.py, bot/catalog/phone.yml): every phone
wording stands for a chat reply, with its fields or fewer, and asks nothing a caller cannot do."""
from __future__ import annotations

import re

import pytest

from bot.language import LANGUAGES
from bot.phone.wording import fields_of, for_phone, lists_choices, phone_catalog
from bot.replies import catalog, say

# What a caller cannot do on a call: send, write or photograph anything, or copy an example.
SCREEN_ONLY_ZH = re.compile(r"发给我|请.{0,4}发|再发|发到这里|写在|拍照|XXXX"
                            r"|\d{4}-\d{2}-\d{2}|回复“|点“")
SCREEN_ONLY_EN = re.compile(r"(?i)\b(?:send|write|tap|reply)\b|right here|XXXX"
                            r"|\d{4}-\d{2}-\d{2}")


def chinese(text: str) -> int:
    return len(re.findall(r"[\u4e00-\u9fff]", text))


@pytest.mark.parametrize("key", sorted(phone_catalog()))
def test_each_phone_wording_stands_for_a_reply_with_its_fields_or_fewer(key: str) -> None:
    assert key in catalog(), key
    entry = phone_catalog()[key]
    assert set(entry) == set(LANGUAGES)
    for lang in LANGUAGES:
        assert set(fields_of(entry[lang])) <= set(fields_of(catalog()[key][lang])), (key, lang)
    assert set(fields_of(entry["zh"])) == set(fields_of(entry["en"]))


@pytest.mark.parametrize("key", sorted(phone_catalog()))
def test_phone_wordings_ask_only_what_a_caller_can_do_and_stay_short(key: str) -> None:
    entry = phone_catalog()[key]
    assert not SCREEN_ONLY_ZH.search(entry["zh"]), key
    assert not SCREEN_ONLY_EN.search(entry["en"]), key
    assert chinese(entry["zh"]) <= 60, key
    assert len(entry["en"]) <= 220, key


def test_a_reply_with_a_phone_wording_is_said_in_it_whatever_its_fields() -> None:
    chat = say("policy_unknown", "zh", policy_number="AUTO-2026-0009")
    assert for_phone(chat) == say_phone("policy_unknown", "zh", policy_number="AUTO-2026-0009")
    assert "按 0 转人工" in for_phone(chat)
    # Either language, whichever the text is in.
    assert for_phone(say("ask_policy_number", "en")).startswith("First I need to check")


def say_phone(key: str, lang: str, **fields: object) -> str:
    return phone_catalog()[key][lang].format(**fields)


def test_screen_only_phrases_of_other_replies_are_said_the_phone_way() -> None:
    assert for_phone("请核对理赔号后再发一次。") == "请核对理赔号后再说一遍。"
    assert "写在这里" not in for_phone(say("handoff_queued", "zh", ahead=2, minutes=5))
    assert "right here" not in for_phone(say("handoff_queued", "en", ahead=2, minutes=5))
    assert for_phone(say("identity_code_unreadable", "zh")) == "请说出短信里的 6 位数字验证码。"
    assert "说“转人工”" in for_phone("需要专人跟进请回复“转人工”。")
    # Format examples in brackets are for copying, not for hearing.
    assert for_phone(say("identity_expired", "zh")).endswith("请重新告诉我您的保单号。")
    assert for_phone(say("identity_expired", "en")).endswith("your policy number again.")


# Replies a caller can meet on a call (questions of the report, identity and choice steps, the
# queue at night): none of them may ask, after for_phone, for what a call cannot do. Replies of
# other channels (uploads, Telegram, WeChat, SMS receipts) never reach the phone.
ON_A_CALL = ["asks.other_way.incident_type", "asks.other_way.injuries",
             "asks.other_way.verification_answer", "asks.other_way.identity_code",
             "amend_ask_value", "status_pick_unclear", "ask_policy_choice",
             "policy_choice_unclear", "report_type_choose", "urgent.again.wait",
             "report_vehicle_not_home", "identity_code_sent_medical", "verification_date_order",
             "complaint_phone_invalid", "callback_ask_phone", "ask_policy_number_urgent",
             "satisfaction_invalid"]
PICK_ZH = re.compile(r"点下面|按钮|点按|回复")
PICK_EN = re.compile(r"\b(?:[Tt]ap|[Rr]eply|[Ss]end)\b")


@pytest.mark.parametrize("key", ON_A_CALL)
def test_replies_a_caller_meets_ask_only_what_a_call_can_do(key: str) -> None:
    for lang, screen_only, pick in (("zh", SCREEN_ONLY_ZH, PICK_ZH), ("en", SCREEN_ONLY_EN,
                                                                      PICK_EN)):
        template = catalog()[key][lang]
        spoken = for_phone(template.format(**{name: "X" for name in fields_of(template)}))
        assert not screen_only.search(spoken) and not pick.search(spoken), (key, lang, spoken)
        if lang == "en":
            assert not re.search(r"[.?!] [a-z]", spoken), spoken  # sentences still start upper


def test_text_that_is_no_reply_is_said_as_written() -> None:
    assert for_phone("您好") == "您好"
    assert for_phone("") == ""


@pytest.mark.parametrize("script", ["traditional", "taiwan", "hongkong"])
def test_a_reply_in_the_customer_s_traditional_script_is_said_the_phone_way_in_that_script(
        script: str) -> None:
    from bot.language import in_script, to_simplified

    chat = in_script(say("policy_unknown", "zh", policy_number="AUTO-2026-0009"), script)
    phone = say_phone("policy_unknown", "zh", policy_number="AUTO-2026-0009")
    said = for_phone(chat)
    assert to_simplified(said) == phone and said != phone  # the phone's words, not simplified
    again = for_phone(in_script("请核对理赔号后再发一次。", script))
    assert to_simplified(again) == "请核对理赔号后再说一遍。" and "請" in again


def test_a_message_lists_its_choices_only_when_each_is_named_by_place_and_number() -> None:
    titles = ["第1笔 车险 CLM-2026-000004", "第2笔 健康险 CLM-2026-000007"]
    listing = ("您名下有2笔理赔：\n第1笔 CLM-2026-000004（车险）：审核中\n"
               "第2笔 CLM-2026-000007（健康险）：已赔付")
    assert lists_choices([listing], titles)
    assert lists_choices(["1. CLM-2026-000004 (motor): in review",
                          "2. CLM-2026-000007 (health): paid"], titles)
    # One choice not named by its place, or no number to match: the menu is read.
    assert not lists_choices(["第1笔 CLM-2026-000004：审核中\n另一笔 CLM-2026-000007：已赔付"],
                             titles)
    assert not lists_choices(["第1笔 CLM-2026-000007：…\n第2笔 CLM-2026-000004：…"], titles)
    assert not lists_choices(["有人受伤吗？"], ["有人受伤", "没有人受伤"])
    assert not lists_choices(["anything"], [])
