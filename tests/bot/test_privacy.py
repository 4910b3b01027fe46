"""Redaction, sealing, keyed hashing and private file modes (bot/privacy.py)."""
from __future__ import annotations

import json
import logging
import os
import stat
from datetime import date
from pathlib import Path

import pytest

from bot import privacy
from bot.privacy import (
    EventRedactor,
    hash_id_number,
    id_hash_key,
    luhn_valid,
    redact_events,
    redact_log_text,
    redact_text,
    seal,
    unseal,
    unseal_events,
)

TODAY = date(2026, 11, 22)


def with_luhn(prefix: str) -> str:
    """`prefix` plus the check digit that makes it Luhn-valid."""
    for digit in "0123456789":
        if luhn_valid(prefix + digit):
            return prefix + digit
    raise AssertionError("unreachable")


CARD_16 = with_luhn("622202123456789")
CARD_19 = with_luhn("621700001234567890")


@pytest.mark.parametrize("text", [
    "1985-04-12", "1985/4/12", "1985.4.12", "1985年4月12日", "1985年04月12号", "85.4.12",
    "85年4月12日", "19850412", "12/04/1985", "12 April 1985", "April 12, 1985",
    "一九八五年四月十二日", "我的生日是1985-04-12。", "born on 12th of April 1985",
    "１９８５－０４－１２",
])
def test_dates_of_birth_become_a_label(text: str) -> None:
    for masked in (False, True):
        out = redact_text(text, masked=masked, today=TODAY)
        assert "1985" not in out and "19850412" not in out and "85.4" not in out, out
        assert "出生日期" in out or "date of birth" in out


def test_recent_dates_and_reference_numbers_stay() -> None:
    text = "AUTO-2026-0001 的理赔 CLM-2026-000123,事故在2026-11-20,金额3200.00元,共3.5万"
    assert redact_text(text, today=TODAY) == text


@pytest.mark.parametrize("id_number", ["110105198504121234", "11010519850412123x",
                                       "11010519850412123X", "110105 19850412 1234",
                                       "110105850412123"])
def test_id_numbers(id_number: str) -> None:
    labelled = redact_text(f"身份证号{id_number}", today=TODAY)
    assert labelled == "身份证号[身份证号已隐去]"
    masked = redact_text(f"my ID is {id_number}", masked=True, today=TODAY)
    assert masked.startswith("my ID is 1101*") and "19850412" not in masked
    assert "850412" not in masked


@pytest.mark.parametrize("card", [CARD_16, CARD_19, " ".join([CARD_16[i:i + 4]
                                                              for i in range(0, 16, 4)]),
                                  "-".join([CARD_16[i:i + 4] for i in range(0, 16, 4)])])
def test_card_numbers(card: str) -> None:
    assert redact_text(f"卡号 {card} 谢谢", today=TODAY) == "卡号 [银行卡号已隐去] 谢谢"
    masked = redact_text(f"card {card}", masked=True, today=TODAY)
    assert masked.endswith(card.replace(" ", "").replace("-", "")[-4:])
    assert card not in masked and "*" in masked


def test_a_long_number_that_is_not_a_card_stays() -> None:
    not_luhn = CARD_16[:-1] + str((int(CARD_16[-1]) + 1) % 10)
    assert redact_text(f"订单 {not_luhn}", today=TODAY) == f"订单 {not_luhn}"


@pytest.mark.parametrize("text", ["银行卡6222020200112233445",
                                  "我的卡号是 6222 0202 0011 2233 445",
                                  "card number 6222020200112233445",
                                  "收款账户：6222020200112233445"])
def test_a_mistyped_card_number_after_the_word_card_is_still_a_card(text: str) -> None:
    # Found by the independent attack: a 19-digit card number failing the Luhn check was stored
    # in clear, though the customer said it was their card.
    assert "6222020200112233445" not in redact_text(text, today=TODAY).replace(" ", "")
    assert "2233445" not in redact_text(text, masked=True, today=TODAY).replace(" ", "")


@pytest.mark.parametrize("phone,masked", [
    ("13800000001", "138****0001"), ("138 0000 0001", "138****0001"),
    ("138-0000-0001", "138****0001"), ("+86 138 0000 0001", "+86138****0001"),
    ("+8613800000003", "+86138****0003"),
])
def test_phone_numbers(phone: str, masked: str) -> None:
    assert redact_text(f"请打{phone}找我", today=TODAY) == "请打[手机号已隐去]找我"
    assert redact_text(f"call {phone} please", masked=True, today=TODAY) == \
        f"call {masked} please"
    assert redact_text(f"call {phone}", language="en", today=TODAY) == \
        "call [phone number removed]"


@pytest.mark.parametrize("text", ["验证码 482913", "验证码是:4829", "my code is 482913",
                                  "OTP 48291300"])
def test_one_time_codes(text: str) -> None:
    out = redact_text(text, masked=True, today=TODAY)
    assert "4829" not in out and ("验证码已隐去" in out or "code removed" in out)


def test_labels_follow_the_language() -> None:
    assert redact_text("1985-04-12", "zh", today=TODAY) == "[出生日期已隐去]"
    assert redact_text("1985-04-12", "en", today=TODAY) == "[date of birth removed]"
    assert redact_text("生日1985-04-12", today=TODAY) == "生日[出生日期已隐去]"


def _verification_turn(answer: str) -> list[dict]:
    return [
        {"event": "slot", "name": "language", "value": "zh"},
        {"event": "user", "text": "查一下理赔进度", "parse_data": {"text": "查一下理赔进度",
                                                                  "entities": []}},
        {"event": "slot", "name": "requested_slot", "value": "verification_answer"},
        {"event": "bot", "text": "请提供出生日期或手机号后四位"},
        {"event": "user", "text": answer,
         "parse_data": {"text": answer, "entities": [{"entity": "number", "value": answer}]}},
        {"event": "slot", "name": "verification_answer", "value": answer},
        {"event": "slot", "name": "verification_answer", "value": "verified"},
        {"event": "slot", "name": "verified", "value": True},
        {"event": "slot", "name": "customer_id", "value": 7},
        {"event": "slot", "name": "requested_slot", "value": None},
    ]


@pytest.mark.parametrize("answer,label", [("1985-04-12", "[出生日期（已隐去）]"),
                                          ("0001", "[手机尾号（已隐去）]"),
                                          ("尾号是0001", "[手机尾号（已隐去）]"),
                                          ("不知道", "[验证答案已隐去]")])
def test_identity_answers_are_replaced_wholesale(answer: str, label: str) -> None:
    events = _verification_turn(answer)
    before = [dict(event) for event in events]
    stored = redact_events(events, today=TODAY)
    assert events == before  # the live tracker's events are not touched
    text = str(stored)
    assert answer not in text.replace("verification_answer", "")
    assert stored[4]["text"] == label and stored[4]["parse_data"]["text"] == label
    assert stored[4]["parse_data"]["entities"][0]["value"] == label
    assert stored[5]["value"] == label
    # What the conversation needs after a restart survives.
    assert stored[6]["value"] == "verified" and stored[7]["value"] is True
    assert stored[8]["value"] == 7


def test_an_answer_is_known_from_the_slot_event_alone() -> None:
    events = [{"event": "user", "text": "0001", "parse_data": {"text": "0001"}},
              {"event": "slot", "name": "verification_answer", "value": "0001"}]
    stored = redact_events(events, today=TODAY)
    label = "[手机尾号（已隐去）]"
    assert stored[0]["text"] == label and stored[1]["value"] == label


def test_the_client_address_is_not_kept() -> None:
    events = [{"event": "user", "text": "你好",
               "metadata": {"client_address": "203.0.113.7", "locale": "zh-CN"}}]
    stored = redact_events(events, today=TODAY)
    assert stored[0]["metadata"] == {"locale": "zh-CN"}
    assert events[0]["metadata"]["client_address"] == "203.0.113.7"  # the live turn keeps it
    # Rasa copies the first message's metadata into the session's start (found by the attack).
    started = redact_events([
        {"event": "session_started", "metadata": {"client_address": "203.0.113.7"}},
        {"event": "slot", "name": "session_started_metadata",
         "value": {"client_address": "203.0.113.7", "locale": "en"}}], today=TODAY)
    assert "203.0.113.7" not in str(started)
    assert started[1]["value"] == {"locale": "en"}


def test_a_callers_number_in_the_channel_metadata_is_kept_masked() -> None:
    # The phone channel gives each message the caller's number (found by the e2e attack on the
    # tracker store after a phone call); ids of the call and message are kept as they are.
    call = {"phone_call": {"call_sid": "CA13800000001ab", "from": "+8613800000001",
                           "to": "+862195500"}}
    events = [{"event": "user", "text": "AUTO-2026-0001", "metadata": call,
               "parse_data": {"text": "AUTO-2026-0001", "metadata": call,
                              "message_id": "m13800000001"}}]
    stored = redact_events(events, today=TODAY)
    assert "+8613800000001" not in json.dumps(stored)
    masked = {"phone_call": {"call_sid": "CA13800000001ab", "from": "+86138****0001",
                             "to": "+862195500"}}
    assert stored[0]["metadata"] == masked and stored[0]["parse_data"]["metadata"] == masked
    assert events[0]["metadata"]["phone_call"]["from"] == "+8613800000001"  # the live turn's


def test_the_question_asked_in_an_earlier_turn_counts() -> None:
    redactor = EventRedactor(today=TODAY)
    redactor.observe_slot("requested_slot", "verification_answer")
    redactor.observe_slot("language", "en")
    stored = redactor.redact([{"event": "user", "text": "12 April 1985"}])
    assert stored[0]["text"] == "[date of birth, hidden]"


def test_other_messages_and_slots_are_masked_not_removed() -> None:
    events = [
        {"event": "user", "text": "我的电话13800000001,卡号" + CARD_16,
         "parse_data": {"text": "我的电话13800000001", "entities": [
             {"entity": "phone", "value": "13800000001", "start": 4, "end": 15}]}},
        {"event": "slot", "name": "report_draft",
         "value": {"description": "撞车了,对方电话13900000002", "incident_at": "2026-11-20"}},
        {"event": "slot", "name": "policy_number", "value": "AUTO-2026-0001"},
    ]
    stored = redact_events(events, today=TODAY)
    assert stored[0]["text"] == "我的电话138****0001,卡号************" + CARD_16[-4:]
    assert stored[0]["parse_data"]["entities"][0]["value"] == "138****0001"
    assert stored[1]["value"] == {"description": "撞车了,对方电话139****0002",
                                  "incident_at": "2026-11-20"}
    assert stored[2]["value"] == "AUTO-2026-0001"


def test_a_complaint_phone_is_sealed_and_opens_again(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLAIMS_ID_HASH_KEY", "test-key-1")
    events = [{"event": "slot", "name": "complainant_phone", "value": "13800000001"}]
    stored = EventRedactor(today=TODAY).redact(events)
    assert "13800000001" not in str(stored)
    assert stored[0]["value"].startswith(privacy.SEAL_PREFIX)
    assert unseal_events(stored)[0]["value"] == "13800000001"
    monkeypatch.setenv("CLAIMS_ID_HASH_KEY", "another-key")
    assert unseal(stored[0]["value"]) is None  # a rotated key: the form asks again
    assert unseal("plain") == "plain" and unseal(None) is None
    assert seal(1) != seal(1)  # a fresh nonce each time


def test_hmac_of_id_numbers_depends_on_the_key() -> None:
    one = hash_id_number("11010519850412123x", key=b"key-one")
    assert one == hash_id_number("11010519850412123X", key=b"key-one")
    assert one != hash_id_number("11010519850412123X", key=b"key-two")
    import hashlib
    assert one != hashlib.sha256(b"11010519850412123X").hexdigest()  # no longer a bare hash
    assert len(one) == 64


def test_the_key_comes_from_the_environment_or_a_private_file(tmp_path: Path) -> None:
    assert id_hash_key({"CLAIMS_ID_HASH_KEY": " abc "}, tmp_path) == b"abc"
    first = id_hash_key({}, tmp_path / "var")
    assert first == id_hash_key({}, tmp_path / "var") and len(first) == 64
    key_file = tmp_path / "var" / privacy.ID_HASH_KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "var").stat().st_mode) == 0o700
    with pytest.raises(privacy.MissingSecret):
        id_hash_key({"CLAIMS_ENV": "production"}, tmp_path / "prod")
    assert not (tmp_path / "prod" / privacy.ID_HASH_KEY_FILE).exists()


def test_private_dir_and_files(tmp_path: Path) -> None:
    folder = privacy.private_dir(tmp_path / "a" / "b")
    assert stat.S_IMODE((tmp_path / "a").stat().st_mode) == 0o700
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    target = folder / "x.db"
    target.write_text("x")
    os.chmod(target, 0o644)
    privacy.private_file(target)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_logs_are_redacted(caplog: pytest.LogCaptureFixture) -> None:
    privacy.install_log_redaction()
    privacy.install_log_redaction()  # once only
    logger = logging.getLogger("tests.privacy")
    with caplog.at_level(logging.DEBUG, logger="tests.privacy"):
        logger.debug("Received user message '%s' from %s", "1985-04-12", "13800000001")
        logger.debug("slots: {'verification_answer': '0001', 'verified': True}")
        try:
            raise ValueError("tracker dump 110105198504121234")
        except ValueError:
            logger.exception("action failed")
    text = caplog.text
    assert "1985-04-12" not in text and "13800000001" not in text and "'0001'" not in text
    assert "110105198504121234" not in text
    assert "[date of birth removed]" in text and "[phone number removed]" in text
    assert redact_log_text("verification_answer=0001") == \
        "verification_answer=[verification answer removed]"


@pytest.mark.parametrize("answer", ["1990-01-01", "9999", "尾号是9999", "1 January 1990"])
def test_a_wrong_answer_is_never_labelled_verified(answer: str) -> None:
    """An attacker's failed answer, as agents read it later: the label hides the answer and
    claims nothing about the outcome (finding F6)."""
    events = [{"event": "user", "text": answer, "parse_data": {"text": answer}},
              {"event": "slot", "name": "verification_answer", "value": answer}]
    stored = redact_events(events, today=TODAY)
    shown = json.dumps(stored, ensure_ascii=False)
    assert answer not in shown
    for claim in ("核实", "verified"):
        assert claim not in shown
    assert "已隐去" in shown or "hidden" in shown


# --- R4: whatever the identity check can read, redaction recognises --------------------------

@pytest.mark.parametrize("text", [
    "AUTO-2026-0001 1985\ufe6304\ufe6312",  # small hyphen
    "AUTO-2026-0001.12.4.1985",
    "查进度 AUTO-2026-0001 ①⑨⑧⑤-④-①②",
])
def test_a_policy_number_with_a_birth_date_is_stored_as_the_neutral_label(text: str) -> None:
    from bot.parsing import parse_date_of_birth, without_reference_numbers

    # The identity check reads a date of birth here (so it verifies on it)...
    assert parse_date_of_birth(without_reference_numbers(text), today=TODAY)
    event = {"event": "user", "text": text, "parse_data": {"text": text, "entities": [
        {"entity": "policy_number", "value": "AUTO-2026-0001"}]}}
    [stored] = privacy.EventRedactor(today=TODAY, seal_slots=False).redact([event])
    # ...so the stored message is the label, whatever the conversation asked.
    assert stored["text"] in (privacy.label("dob_answer", "zh"), privacy.label("dob_answer", "en"))
    dumped = json.dumps(stored, ensure_ascii=False)
    for clear in ("1985", "①⑨⑧⑤", "\ufe63", "12.4"):
        assert clear not in dumped


@pytest.mark.parametrize("text, clear", [
    ("生日1985\ufe524\ufe5212", "1985"),
    ("生日 ¹⁹⁸⁵-⁴-¹²", "¹⁹⁸⁵"),
    ("born a.12/04/1985", "1985"),
    ("my phone is 138.0000.0001", "0000"),
    ("call (138) 0000 0001", "0000"),
    ("电话幺三八零零零零零零零一", "幺三八零零零零"),
    ("身份证 110105 1985 0412 1234", "1985 0412"),
    ("验证码是 123 456", "123 456"),
])
def test_what_the_parsers_read_as_an_identifier_is_redacted(text: str, clear: str) -> None:
    for masked in (True, False):
        assert clear not in privacy.redact_text(text, masked=masked, today=TODAY)


def test_text_without_identifiers_is_kept_as_written() -> None:
    text = "保险杠坏了，大概三千块（昨天）"
    assert privacy.redact_text(text, masked=True, today=TODAY) == text


@pytest.mark.parametrize("text", [
    "1 Jul 90", "Jul 1 90", "12 Apr 85", "09/30/1999", "30/9/99", "07/01/1990",
    "民国七十四年四月十二日", "民國74年4月12日",
])
def test_dates_of_birth_in_every_format_the_identity_check_reads_are_redacted(text: str) -> None:
    from bot.parsing import read_date_of_birth

    reading = read_date_of_birth(text, today=TODAY)
    assert reading.date or reading.ambiguous
    out = redact_text(f"我的生日 {text}", today=TODAY)
    assert "已隐去" in out and text not in out


def test_a_version_like_number_is_no_date_of_birth() -> None:
    assert redact_text("app v3.5.12", today=TODAY) == "app v3.5.12"
