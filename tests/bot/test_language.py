"""Language detection, switching and normalisation."""
import pytest

from bot.language import EN, ZH, conversation_language, detect, normalise, requested


@pytest.mark.parametrize(
    "text, expected",
    [
        ("我要查理赔进度", ZH),
        ("請問我的理賠進度", ZH),
        ("I want to check my claim", EN),
        ("status please", EN),
        ("hello", EN),
        ("ok", None),
        ("AUTO-2026-0001", None),
        ("CLM-2026-000001", None),
        ("1985-04-12", None),
        ("👍👍", None),
        ("", None),
        ("我的claim怎么样了", ZH),
        ("/request_human", None),
        # A claim's button in the web chat, with and without the "/" the channel takes away
        ('/inform{"claim_number":"CLM-2026-000004"}', None),
        ('inform{"claim_number":"CLM-2026-000004"}', None),
        ("please inform {me} later", EN),
    ],
)
def test_detect(text, expected):
    assert detect(text) == expected


def test_codes_do_not_switch_a_chinese_conversation():
    assert conversation_language(ZH, "MED-2026-0002") == (ZH, False)
    assert conversation_language(ZH, "0001") == (ZH, False)


def test_language_follows_the_customer_until_pinned():
    assert conversation_language(ZH, "Where is my claim?") == (EN, False)
    assert conversation_language(EN, "我要转人工") == (ZH, False)
    assert conversation_language(None, "ok") == (ZH, False)


def test_explicit_request_switches_and_pins():
    language, pinned = conversation_language(ZH, "请用英文回答", switch_request=True)
    assert (language, pinned) == (EN, True)
    assert conversation_language(language, "我的理赔到哪了", pinned=pinned) == (EN, True)
    assert conversation_language(EN, "Chinese please", pinned=True, switch_request=True) == (
        ZH,
        True,
    )


def test_requested():
    assert requested("說中文") == ZH
    assert requested("English please") == EN
    assert requested("hello") is None
    assert requested("中文还是English") is None


def test_normalise_traditional_and_full_width():
    assert normalise("請問我的理賠進度") == "请问我的理赔进度"
    assert normalise("保單號ＡＵＴＯ－２０２６－０００１") == "保单号AUTO-2026-0001"
    assert normalise("  hello  ") == "hello"


def test_normalise_drops_markup_and_squeezes_spaces():
    assert normalise("<script>alert(1)</script>") == "alert(1)"
    assert normalise("<b>查</b>  进度") == "查 进度"
