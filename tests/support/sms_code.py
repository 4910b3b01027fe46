"""The one-time code the identity check sends by SMS, read back from Twilio's stand-in
(tests/standins/twilio.py): shared by the end-to-end tests that go through the code step."""
from __future__ import annotations

import re

# The phones on file for the demo policies' holders (the seeded database).
ZHANG_WEI_PHONE = "+8613800000001"  # AUTO-2026-0001, MED-2026-0001
LI_XIUYING_PHONE = "+8613800000002"  # MED-2026-0002


def code_sent_to(twilio, phone: str, before: int) -> str:  # noqa: ANN001
    """The 6-digit code in the last SMS to `phone` among the stand-in's messages after `before`
    (the count of its messages taken before the step that sends the code)."""
    messages = [m for m in twilio.messages[before:] if m.get("To") == phone]
    assert messages, f"no SMS to {phone}"
    found = re.search(r"\b(\d{6})\b", messages[-1]["Body"])
    assert found, f"no 6-digit code in {messages[-1]['Body']!r}"
    return found.group(1)
