"""Phone calls end to end: the local Twilio stand-in plays Twilio's part (signed webhooks,
recordings served with basic auth, deletions), the caller's turns are real speech (espeak-ng,
8 kHz mu-law as on a phone line) recognised by the real model, and the real Rasa and action
servers answer. Asserts the TwiML the caller hears and what ends up in the store."""
from __future__ import annotations

import re
import struct
import uuid
import xml.etree.ElementTree as ET
from typing import Dict, List, Tuple

import pytest

from bot.claims.lifecycle import claim_view
from bot.handoff import next_opening
from bot.replies import say
from bot.store.db import unit_of_work
from bot.store.models import AuditEntry, Handoff
from channels.twilio_voice import keypad_code
from channels.twilio_voice_twiml import speakable
from tests.e2e.test_report_conversations import forget_reported_claims  # noqa: F401 (autouse)
from tests.standins.twilio import TwilioStandIn
from tests.support.audio import speak, tone
from tests.support.e2e import E2E_AGENTS_PHONE

pytestmark = pytest.mark.e2e

CLAIM_NUMBER = re.compile(r"C L M, (\d \d \d \d), (\d \d \d \d \d \d)")


def seconds_of(wav: bytes) -> float:
    """A WAV file's length from its header (the wave module reads PCM only, not mu-law)."""
    byte_rate, position = 0, 12
    while position + 8 <= len(wav):
        name, size = wav[position:position + 4], struct.unpack_from("<I", wav, position + 4)[0]
        if name == b"fmt ":
            byte_rate = struct.unpack_from("<I", wav, position + 16)[0]
        elif name == b"data":
            return min(size, len(wav) - position - 8) / byte_rate if byte_rate else 0.0
        position += 8 + size + (size & 1)
    return 0.0


class Call:
    """One phone call, as Twilio would make it: every request signed, every turn recorded."""

    def __init__(self, servers, twilio: TwilioStandIn, caller: str = "+8613800000001") -> None:
        self.base = servers.rasa_url.rstrip("/")
        self.twilio = twilio
        self.caller = caller
        self.sid = "CA" + uuid.uuid4().hex
        self.recordings: List[str] = []
        self.transcript: List[Tuple[str, List[str]]] = []
        self.last: ET.Element | None = None

    @property
    def conversation(self) -> str:
        return f"call-{self.sid}"

    def shown(self) -> str:
        return "\n".join(f"> {caller}\n  " + "\n  ".join(said) for caller, said in
                         self.transcript)

    def post(self, url: str, caller: str, **params: str) -> ET.Element:
        url = url if url.startswith("http") else self.base + url
        form = {"CallSid": self.sid, "AccountSid": self.twilio.account_sid, "From": self.caller,
                "To": "+862195500", "CallStatus": "in-progress", "Direction": "inbound",
                "CallerZip": "", **params}
        answer = self.twilio.signed_post(url, form, timeout=60)
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"].startswith("text/xml")
        self.last = ET.fromstring(answer.content)
        self.transcript.append((caller, said(self.last)))
        return self.last

    def start(self, language_key: str | None, consent_key: str | None) -> ET.Element:
        menu = self.post("/webhooks/twilio_voice/webhook", "(rings)", CallStatus="ringing")
        keys = {"Digits": language_key} if language_key else {}
        consent = self.post(menu.find("Gather").get("action"), f"(presses {language_key})",
                            **keys)
        keys = {"Digits": consent_key} if consent_key else {}
        return self.post(consent.find("Gather").get("action"), f"(presses {consent_key})",
                         **keys)

    def record(self, audio: bytes, caller: str, **params: str) -> ET.Element:
        sid = "RE" + uuid.uuid4().hex
        self.recordings.append(sid)
        url = self.twilio.add_recording(sid, audio)
        return self.post(self.last.find("Record").get("action"), caller, RecordingUrl=url,
                         RecordingSid=sid, RecordingDuration=str(round(seconds_of(audio))),
                         **params)

    def says(self, text: str) -> ET.Element:
        return self.record(speak(text, "ulaw8k"), text)

    def presses(self, key: str) -> ET.Element:
        # A key ends the recording; Twilio posts what little was recorded, and the key.
        return self.record(speak("um", "ulaw8k"), f"(presses {key})", Digits=key)

    def types(self, digits: str) -> ET.Element:
        return self.post(self.last.find("Gather").get("action"), f"(types {digits}#)",
                         Digits=digits)


def said(twiml: ET.Element) -> List[str]:
    return [el.text or "" for el in twiml.iter("Say")]


def ends_with(twiml: ET.Element, key: str, lang: str = "en") -> bool:
    texts = said(twiml)
    return bool(texts) and texts[-1].endswith(speakable(say(key, lang)))


def audit_of(db_url: str, conversation: str) -> List[Tuple[str, Dict]]:
    with unit_of_work(db_url) as uow:
        entries: List[AuditEntry] = uow.audit.for_subject("conversation", conversation)
        return [(e.action, dict(e.detail or {})) for e in entries]


def wait_for_sms(twilio: TwilioStandIn, to: str, claim_number: str,
                 timeout_s: float = 60.0) -> List[str]:
    """The SMS texts to `to` since the claim was reported that name it (a receipt's parts are
    numbered; the first names the claim), once the first has arrived."""
    import time

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        bodies = [m.get("Body", "") for m in twilio.messages
                  if m.get("To") == to and "_failed" not in m]
        first = next((i for i, body in enumerate(bodies) if claim_number in body), None)
        if first is not None:
            time.sleep(2)  # the other parts of the same round
            bodies = [m.get("Body", "") for m in twilio.messages
                      if m.get("To") == to and "_failed" not in m]
            return bodies[first:]
        time.sleep(0.5)
    raise AssertionError(f"no SMS naming {claim_number} reached {to}")


def test_a_motor_claim_reported_by_phone_in_english(claims_servers, claims_db_url,
                                                    twilio_standin):
    call = Call(claims_servers, twilio_standin)
    ready = call.start(language_key="2", consent_key="1")
    assert said(ready) == [say("call_consent_yes", "en"), say("call_ready", "en")]
    assert ready.find("Say").get("voice") == "Polly.Joanna"

    # Everything about the accident in one breath, the amount spoken as words.
    reply = call.says("I want to report a claim. My car was rear-ended on Zhongshan Road "
                      "yesterday at 3pm, the rear bumper is damaged, no one was injured, "
                      "the repair will cost three thousand yuan")
    assert ends_with(reply, "report_ask.policy_number") or \
        ends_with(reply, "ask_policy_number"), call.shown()
    assert reply.find("Record") is not None

    # The policy number on the keypad: * then the prefix's letters as digits, then #.
    keypad = call.presses("*")
    assert said(keypad) == [say("call_keypad_prompt", "en")], call.shown()
    reply = call.types(keypad_code("AUTO") + "20260001")
    assert ends_with(reply, "ask_verification"), call.shown()

    # The date of birth spoken: a spoken number turned into digits, and read back.
    reply = call.says("I was born on the twelfth of April nineteen eighty five")
    texts = said(reply)
    assert texts[0].startswith("I heard the number") and "1985" in texts[0], call.shown()
    assert any("张伟" in text for text in texts), call.shown()
    # Whatever the recogniser missed of the first breath is asked for, one question at a time.
    answers = {"place": "It happened on Main Street, near the bank",
               "incident_time": "Yesterday at three in the afternoon",
               "incident_hour": "At three in the afternoon",
               "injuries": "No, no one was injured in the accident",
               "estimated_amount": "The repair will cost three thousand yuan"}
    while not any("Please check your claim details" in text for text in said(reply)):
        asked = [name for name in answers if ends_with(reply, f"report_ask.{name}")]
        assert asked and len(call.transcript) < 14, call.shown()
        reply = call.says(answers[asked[0]])

    receipt = call.says("yes")
    match = CLAIM_NUMBER.search(" ".join(said(receipt)))
    assert match, call.shown()
    number = "CLM-" + match.group(1).replace(" ", "") + "-" + match.group(2).replace(" ", "")
    assert all(el.get("language") == "en-US" for el in receipt.iter("Say"))

    claim = claim_view(number, url=claims_db_url)
    assert claim.policy_number == "AUTO-2026-0001"
    assert claim.incident_type == "collision" and claim.stage == "reported"
    assert claim.estimated_amount == 3000
    assert claim.conversation_id == call.conversation and claim.language == "en"

    # Consent given: every recording stays at Twilio and is referenced in the audit log.
    audit = audit_of(claims_db_url, call.conversation)
    assert ("call.recording_consent", {"call_sid": call.sid, "granted": True}) in audit
    kept = {detail["recording_sid"] for action, detail in audit
            if action == "call.recording_kept"}
    assert kept == set(call.recordings)
    assert not set(call.recordings) & set(twilio_standin.deleted_recordings)

    # The receipt in writing too: by SMS to the phone on file, with the number, the documents
    # and the deadline (the server's delivery loop sends it; bot/outbox/receipts.py).
    texts = wait_for_sms(twilio_standin, "+8613800000001", number)
    receipt_text = "\n".join(texts)
    assert "Claim receipt" in receipt_text and "Time limit" in receipt_text, texts
    print("\n" + call.shown())


def test_without_consent_recordings_are_deleted_and_bad_audio_reaches_a_person(
        claims_servers, claims_db_url, twilio_standin):
    call = Call(claims_servers, twilio_standin, caller="+8613800000002")
    ready = call.start(language_key=None, consent_key="2")  # no key: Chinese
    assert said(ready) == [say("call_consent_no", "zh"), say("call_ready", "zh")]
    assert ready.find("Say").get("voice") == "Polly.Zhiyu"

    # A 20-minute recording is refused unheard; then hold music (a tone) is not speech.
    long_sid = "RE" + uuid.uuid4().hex
    call.recordings.append(long_sid)
    again = call.post(call.last.find("Record").get("action"), "(20 minutes)",
                      RecordingUrl=call.twilio.add_recording(long_sid, b"RIFF" + bytes(4096)),
                      RecordingSid=long_sid, RecordingDuration="1200")
    assert said(again) == [say("call_too_long", "zh", seconds=30)], call.shown()
    assert f"recording:{long_sid}" not in twilio_standin.downloads

    person = call.record(tone(4, "ulaw8k"), "(music)")
    texts = said(person)
    assert texts[0] == say("call_not_understood_person", "zh"), call.shown()
    if next_opening() is None:  # people answer now: the call is put through
        assert person.find("Dial/Number").text == E2E_AGENTS_PHONE, call.shown()
    else:
        assert person.find("Dial") is None and texts[-1] == say("call_person_later", "zh")

    # The conversation is in the agents' queue, with its summary, from the phone channel.
    with unit_of_work(claims_db_url) as uow:
        queued = uow.session.query(Handoff).filter_by(conversation_id=call.conversation).all()
        assert [(h.channel, h.status, h.reason) for h in queued] == [
            ("twilio_voice", "queued", "request")]
        assert queued[0].summary["customer"]["verified"] is False

    # No consent: nothing of the audio is kept at Twilio.
    assert set(call.recordings) <= set(twilio_standin.deleted_recordings)
    audit = audit_of(claims_db_url, call.conversation)
    assert ("call.recording_consent", {"call_sid": call.sid, "granted": False}) in audit
    assert not [a for a, _ in audit if a == "call.recording_kept"]
    print("\n" + call.shown())
