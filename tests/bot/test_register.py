"""The customer's own script and register (issue 19): traditional characters with their Taiwan
or Hong Kong variant, times named with their zone, an age said in passing, "说简单点", "全文",
and questions about the service itself."""
from __future__ import annotations

import datetime as dt

import pytest

from bot.handoff import declared_age, declares_elderly, hours_text
from bot.language import (
    HONG_KONG,
    SIMPLIFIED,
    TAIWAN,
    TRADITIONAL,
    detect_script,
    in_script,
    says_abroad,
)
from bot.plain import asks_full_text, asks_simpler, simpler
from bot.replies import (
    clock_text,
    customer_abroad,
    date_text,
    in_customer_script,
    say,
    script_after,
    when_text,
)
from bot.request_words import request_in
from bot.service_questions import ACKNOWLEDGED, AGENT_HOURS, IS_BOT, service_question

# --- script ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("text, current, expected", [
    ("請問住院理賠需要準備哪些文件？", None, TRADITIONAL),
    ("请问住院理赔需要准备哪些文件？", None, SIMPLIFIED),
    ("請問住院理賠需要準備哪些文件？", SIMPLIFIED, TRADITIONAL),
    ("我想問下我嘅保單幾時賠", None, HONG_KONG),
    ("佢話唔使等咁耐", None, HONG_KONG),
    ("民國74年4月12日出生", None, TAIWAN),
    ("我的機車被撞了", None, TAIWAN),
    # Nothing to tell by (codes, digits, characters both scripts share): the script stays.
    ("AUTO-2026-0001", HONG_KONG, HONG_KONG),
    ("1985-04-12", None, None),
    ("你好", TAIWAN, TAIWAN),
    ("你好", None, None),
    # A plain traditional message keeps the variant already known.
    ("好的謝謝", TAIWAN, TAIWAN),
    # Writing simplified again switches back.
    ("好的谢谢", TAIWAN, SIMPLIFIED),
])
def test_the_script_of_a_message(text, current, expected):
    assert detect_script(text, current) == expected


def test_replies_are_converted_to_the_customers_script():
    text = say("how_can_i_help", "zh")
    assert in_script(text, SIMPLIFIED) == text and in_script(text, None) == text
    reply = "请问需要准备哪些文件？里面有发票"
    assert in_script(reply, TRADITIONAL) == "請問需要準備哪些文件？裡面有發票"
    assert in_script("为了核实身份", TRADITIONAL) == "為了核實身份"  # not OpenCC's own 爲/覈
    # Taiwan's character forms (裡), without the phrase table's 文件 -> 檔案.
    assert in_script(reply, TAIWAN) == "請問需要準備哪些文件？裡面有發票"
    assert in_script("里面有发票", HONG_KONG) == "裏面有發票"
    # Codes, fields and English are left alone.
    assert in_script("保单 AUTO-2026-XXXX {x} OK", TRADITIONAL) == "保單 AUTO-2026-XXXX {x} OK"
    assert in_script("Hello", TRADITIONAL) == "Hello"


def test_a_turns_messages_and_button_titles_are_converted_not_payloads():
    messages = [{"text": "转人工客服吗？",
                 "buttons": [{"title": "转人工", "payload": "/request_human"}]},
                {"image": "x.png"}]
    converted = in_customer_script(messages, TRADITIONAL)
    assert converted[0]["text"] == "轉人工客服嗎？"
    assert converted[0]["buttons"] == [{"title": "轉人工", "payload": "/request_human"}]
    assert converted[1] == {"image": "x.png"}
    assert messages[0]["text"] == "转人工客服吗？"  # the input is not changed
    assert in_customer_script(messages, None) is messages


def test_the_script_after_an_actions_own_events():
    assert script_after({"script": TRADITIONAL}) == TRADITIONAL
    assert script_after({}, [{"event": "slot", "name": "script", "value": HONG_KONG}]) == HONG_KONG
    assert script_after({"script": TAIWAN},
                        [{"event": "slot", "name": "script", "value": SIMPLIFIED}]) == SIMPLIFIED
    assert script_after({"script": None}) is None


# --- time zone ------------------------------------------------------------------------------------

STORED = dt.datetime(2026, 11, 21, 18, 30)  # naive UTC: 02:30 on 22 November in Beijing


def test_a_stored_moment_is_told_on_the_customers_day_not_utcs():
    assert date_text(STORED, "zh") == "2026年11月22日"
    assert date_text(STORED.date(), "zh") == "2026年11月21日"  # a plain day is left alone
    assert when_text(STORED, "zh") == "2026年11月22日 02:30"


def test_times_name_beijing_time_where_the_customer_may_be_abroad():
    assert when_text(STORED, "en") == "22 Nov 2026 02:30 Beijing time"
    with customer_abroad(True):
        assert when_text(STORED, "zh") == "2026年11月22日 02:30（北京时间）"
        assert clock_text(dt.time(8, 0), "zh") == "08:00（北京时间）"
    assert when_text(STORED, "zh") == "2026年11月22日 02:30"
    assert clock_text(dt.time(8, 0), "zh") == "08:00"
    assert clock_text(dt.time(8, 0), "zh", named=True) == "08:00（北京时间）"


def test_the_agents_hours_always_say_the_time_zone():
    assert hours_text("zh", "08:00-20:00") == "08:00至20:00（北京时间）"
    assert hours_text("en", "08:00-20:00") == "08:00 to 20:00 (Beijing time)"


@pytest.mark.parametrize("text, abroad", [
    ("我人在国外，想报个案", True), ("我在英國", True), ("I'm abroad right now", True),
    ("I'm in London", True), ("I am overseas", True),
    ("我在北京", False), ("国外的医院能赔吗", False), ("", False), (None, False),
])
def test_a_customer_who_says_they_are_abroad(text, abroad):
    assert says_abroad(text) is abroad


# --- an age said in passing -----------------------------------------------------------------------

@pytest.mark.parametrize("text, age", [
    ("我姓李，今年78了，想问一下我住院那个理陪怎么样了", 78),
    ("今年八十多了 眼睛不好", 80), ("本人今年70岁", 70), ("我都八十了", 80), ("I'm 82", 82),
    ("我姓李，今年78岁", 78), ("今年78了，我的理赔到哪了", 78),
    ("我妈今年78了", None), ("我老伴今年80岁了", None), ("今年是2026年", None),
    ("今年100块的发票", None), ("今年6月出的事", None),
])
def test_an_age_said_in_passing(text, age):
    assert declared_age(text) == age


def test_an_age_in_passing_is_the_elderly_declaration_and_the_question_is_kept():
    text = "我姓李，今年78了，想问一下我住院那个理陪怎么样了"
    assert declares_elderly(text)
    assert request_in(text) == "check_status"
    assert declares_elderly("I'm 82, has my claim been paid?")
    assert not declares_elderly("今年58了")


# --- "说简单点" and "全文" ---------------------------------------------------------------

@pytest.mark.parametrize("text", ["说简单点", "看不懂", "能不能说简单点",
                                  "您说的我看不太懂 能不能说简单点",
                                  "說簡單點", "simpler please", "I don't understand that"])
def test_asking_for_simpler_words(text):
    assert asks_simpler(text)


@pytest.mark.parametrize("text", ["看不懂保单号在哪里找，保单上写的是什么我真的找不到",
                                  "查进度", "", None, "I want to make a claim"])
def test_other_messages_do_not_ask_for_simpler_words(text):
    assert not asks_simpler(text)


def test_the_simpler_version_keeps_the_first_sentence_and_what_to_do_next():
    last = say("handoff_after_hours", "zh", hours=hours_text("zh", "08:00-20:00"),
               opens="2026年11月23日 08:00")
    short = simpler(last, "zh")
    assert short.startswith("简单说：人工客服的服务时间是每天 08:00至20:00（北京时间）。")
    assert "急事请拨打客服电话" in short and "您已经排上队了" not in short
    assert len(short) < len(last)
    listed = simpler(say("capabilities", "en"), "en")
    assert listed.startswith("In short: I can help you: report a claim, or check its progress")
    assert listed.endswith("Just tell me what you need.")
    assert simpler(None, "zh") == say("simpler_nothing", "zh")


@pytest.mark.parametrize("text, full", [
    ("全文", True), ("看全文", True), ("條款全文", True), ("full text", True),
    ("show me the full clause", True), ("全文是什么意思啊我看不懂", False), ("查进度", False),
])
def test_asking_for_the_full_text(text, full):
    assert asks_full_text(text) is full


# --- questions about the service ------------------------------------------------------------------

@pytest.mark.parametrize("text, kind", [
    ("你是真人还是机器人啊", IS_BOT), ("請問你是機器人嗎", IS_BOT), ("are you a bot?", IS_BOT),
    ("Am I talking to a real person?", IS_BOT),
    ("你们人工客服几点上班", AGENT_HOURS), ("人工客服什么时候有人", AGENT_HOURS),
    ("when do your agents start?", AGENT_HOURS), ("what are your opening hours", AGENT_HOURS),
    ("哦哦好的好的👍👍", ACKNOWLEDGED), ("ok thanks", ACKNOWLEDGED), ("收到", ACKNOWLEDGED),
    # A request for a person is one, even beside a question about the service.
    ("你是机器人吗？我要找真人", None), ("转人工", None), ("I want a person", None),
    ("我要人工客服", None), ("没人受伤", None), ("", None), (None, None),
])
def test_questions_about_the_service(text, kind):
    assert service_question(text) == kind
