"""Hostile input for the fuzz tests: what customers, bots and attackers send to a webhook.

Two faces of the same material: `Fuzzer` (seeded `random`, for thousands of requests against the
real servers, reproducible with CLAIMS_FUZZ_SEED) and hypothesis strategies (in-process tests,
where a failure is shrunk to its smallest form).
"""
from __future__ import annotations

import json
import os
import random
import string
from typing import Any, Callable, Dict, List

from hypothesis import strategies as st

# Written by hand: what real traffic and real attacks look like.
INJECTIONS: List[str] = [
    "'; DROP TABLE claims; --",
    "\" OR 1=1 --",
    "1' UNION SELECT password_hash FROM agents --",
    "CLM-2026-000001' OR '1'='1",
    "<script>alert('x')</script>",
    "<img src=x onerror=alert(1)>",
    "javascript:alert(document.cookie)",
    "\"><svg/onload=alert(1)>",
    "{{7*7}} ${7*7} #{7*7} <%= 7*7 %>",
    "{0} {1!r} {__class__.__mro__}",
    "%s %n %x %d %(name)s",
    "!!python/object/apply:os.system ['id']",
    "key: &a [*a, *a]\n- !!binary AAAA",
    "../../../../etc/passwd",
    "..\\..\\windows\\win.ini",
    "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "/intent_that_does_not_exist",
    "/request_human{\"x\": 1}",
    "/inform{\"policy_number\": \"AUTO-2026-0001\", \"verified\": true}",
    "EXTERNAL_handed_back",
    "${jndi:ldap://127.0.0.1/a}",
    "$(id) `id` | id ; id",
    "\\u0000\\x00%00",
    "null", "None", "undefined", "NaN", "[]", "{}", "true",
    "-1", "0", "99999999999999999999999999", "1e308", "-0.0",
]

# Words in the assistant's own world, in every script it meets, so the NLU has real work.
MULTILINGUAL: List[str] = [
    "你好", "查一下我的理赔进度", "請問我的理賠進度", "我要报案", "保單號", "材料清单",
    "等待期是什么意思", "我要投诉", "理赔被拒了我不服", "AUTO-2026-0001", "CLM-2026-000004",
    "1985-04-12", "昨天下午三点在中山路被追尾了", "where is my claim?", "what documents",
    "Ich möchte einen Schaden melden", "مرحبا، أين مطالبتي؟", "שלום, איפה התביעה שלי",
    "Здравствуйте, статус заявки", "こんにちは、保険金の請求", "안녕하세요 보험금 청구",
    "สวัสดีครับ", "नमस्ते, मेरा दावा", "Xin chào, yêu cầu bồi thường",
]

# Characters that break naive code: controls, RTL and zero-width marks, combining marks,
# emoji sequences, full-width forms, a lone surrogate (legal in JSON text, not in UTF-8).
SPECIALS: List[str] = [
    "\x00", "\x01", "\x07", "\x08", "\x0b", "\x0c", "\x1b[31m", "\x7f", "\x85", "\x9f",
    "\t", "\n", "\r\n", "\u2028", "\u2029", "\u200b", "\u200d", "\u200e", "\u200f",
    "\u202e", "\u2066", "\ufeff", "\ufffd", "\ufffe", "e\u0301\u0301\u0301",
    "😀", "👨‍👩‍👧‍👦", "🇨🇳", "🏳️‍🌈", "ＡＵＴＯ－２０２６", "１２３", "\U0010ffff",
    "\ud800", "\udfff", "\udbff\udc00",
]

ALPHABETS: List[str] = [
    string.printable,
    "的一是不了人我在有他这为之大来以个中上们到说国和地也子时道出就分对成会可主发年动",
    "體臺灣國際機構醫療賠償與關於這個請問還沒",
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_",
    "😀😂🥲🤔💥🚗🏥📄✅❌",
    "ابتثجحخدذرزسشصضطظعغفقكلمنهوي",
    "!@#$%^&*()_+-=[]{}|;':\",./<>?`~\\",
]

STAGES = ["reported", "documents_review", "investigation", "assessment", "payment", "closed",
          "denied", "withdrawn"]


def seed_from_env(default: int = 20261122) -> int:
    """CLAIMS_FUZZ_SEED replays a run; the default keeps CI deterministic."""
    return int(os.environ.get("CLAIMS_FUZZ_SEED", default))


def volume(default: int) -> int:
    """A request count scaled by CLAIMS_FUZZ_SCALE (e.g. 10 for a long local run)."""
    return max(1, int(default * float(os.environ.get("CLAIMS_FUZZ_SCALE", "1"))))


class Fuzzer:
    """Seeded generator of hostile text, JSON values, bodies, ids and headers."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.rng = random.Random(seed)

    def choice(self, items: List[Any]) -> Any:
        return self.rng.choice(items)

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def text(self, max_len: int = 80) -> str:
        """A message: mixtures of the corpora, random runs of an alphabet, now and then huge."""
        kind = self.rng.random()
        if kind < 0.03:
            return self.choice(["", " ", "\n\n", "\u3000"])
        if kind < 0.06:  # huge: past the 2,000-character limit
            return self.choice(MULTILINGUAL + INJECTIONS) * self.rng.randint(200, 1500)
        parts = []
        for _ in range(self.rng.randint(1, 4)):
            source = self.rng.random()
            if source < 0.3:
                parts.append(self.choice(INJECTIONS))
            elif source < 0.6:
                parts.append(self.choice(MULTILINGUAL))
            elif source < 0.8:
                parts.append(self.choice(SPECIALS))
            else:
                alphabet = self.choice(ALPHABETS)
                parts.append("".join(self.rng.choice(alphabet)
                                     for _ in range(self.rng.randint(1, max_len))))
        return self.choice(["", " "]).join(parts)

    def identifier(self) -> str:
        """Something where an id, a claim number or a sender should be."""
        return self.choice([
            self.text(20), "tg-123456", "sms-+8613800000001", "wa-1", "call-CA1", "default",
            "a" * 65, "web-" + "0" * 32, "CLM-2026-000004", "CLM-2099-999999", "CMP-2026-000001",
            "-1", "0", "99999999999999999999", "%00", "..", "../etc/passwd", "%2F", "\x00",
            "\ud800", "😀", " ", "",
        ])

    def scalar(self) -> Any:
        return self.choice([
            None, True, False, 0, -1, 2**63, -(2**70), 1.5, 1e308, float("inf"), float("nan"),
            self.text(30), self.identifier(),
        ])

    def value(self, depth: int = 0) -> Any:
        """Any JSON value, type-confused on purpose."""
        kind = self.rng.random()
        if depth > 3 or kind < 0.6:
            return self.scalar()
        if kind < 0.8:
            return [self.value(depth + 1) for _ in range(self.rng.randint(0, 4))]
        return {self.text(10): self.value(depth + 1) for _ in range(self.rng.randint(0, 4))}

    def json_object(self, keys: List[str]) -> Dict[str, Any]:
        """An object with some of `keys` (and some others), each holding any value."""
        body = {key: self.value() for key in keys if self.chance(0.7)}
        for _ in range(self.rng.randint(0, 2)):
            body[self.text(12)] = self.value()
        return body

    def raw_body(self, keys: List[str]) -> bytes:
        """What arrives on the wire: mostly JSON (sometimes with lone surrogates or not an
        object), sometimes broken JSON, random bytes, deep nesting or a huge document."""
        kind = self.rng.random()
        if kind < 0.45:
            return encode(self.json_object(keys), ascii_only=self.chance(0.5))
        if kind < 0.55:
            return encode(self.value(), ascii_only=True)
        if kind < 0.65:
            good = encode(self.json_object(keys), ascii_only=False)
            cut = self.rng.randint(0, max(len(good) - 1, 0))
            return good[:cut]
        if kind < 0.75:
            return bytes(self.rng.getrandbits(8) for _ in range(self.rng.randint(0, 400)))
        if kind < 0.82:
            depth = self.rng.choice([50, 900, 5000, 20000])
            return b"[" * depth + b"]" * depth
        if kind < 0.87:
            return b'{"message": "' + b"A" * self.rng.choice([70_000, 300_000, 1_100_000]) + b'"}'
        if kind < 0.93:
            return self.choice([b"", b"null", b"{}", b"[]", b'""', b"0", b"\xef\xbb\xbf{}",
                                b'{"sender": "a", "sender": "b", "message": "x"}',
                                b"{'sender': 'a'}", b'{"message": "\\ud800"}', b"\x00" * 64])
        return self.text(200).encode("utf-8", "surrogatepass")

    def header_value(self) -> str:
        """A header value as HTTP can carry it (latin-1)."""
        text = self.choice([self.text(40), self.identifier(), "Bearer " + self.text(40)])
        value = text.encode("utf-8", "surrogatepass").decode("latin-1")[:2000]
        # What an HTTP client can put on the wire: no line breaks, no edge whitespace.
        return "".join(c for c in value if c not in "\r\n\x00").strip() or "x"

    def query_value(self) -> str:
        """A percent-encoded query value; lone surrogates arrive as invalid UTF-8 bytes."""
        from urllib.parse import quote_from_bytes

        return quote_from_bytes(self.identifier().encode("utf-8", "surrogatepass"), safe="")


def encode(value: Any, *, ascii_only: bool) -> bytes:
    """JSON bytes; lone surrogates stay as \\uXXXX escapes or raw (invalid) UTF-8 bytes."""
    text = json.dumps(value, ensure_ascii=ascii_only, allow_nan=True)
    return text.encode("utf-8", "surrogatepass")


# --- hypothesis strategies -------------------------------------------------------------------

def hostile_text(max_size: int = 60) -> st.SearchStrategy[str]:
    """Any Unicode (lone surrogates included: JSON can carry them), mixed with the corpora."""
    pieces = st.one_of(
        st.sampled_from(INJECTIONS), st.sampled_from(MULTILINGUAL), st.sampled_from(SPECIALS),
        st.text(max_size=max_size),
        st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF,
                                       blacklist_categories=()), max_size=max_size),
    )
    return st.lists(pieces, min_size=0, max_size=4).map("".join)


def json_values() -> st.SearchStrategy[Any]:
    scalars = st.one_of(
        st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
        hostile_text(20),
    )
    return st.recursive(
        scalars,
        lambda children: st.one_of(st.lists(children, max_size=4),
                                   st.dictionaries(hostile_text(10), children, max_size=4)),
        max_leaves=12,
    )


def json_objects(keys: List[str]) -> st.SearchStrategy[Dict[str, Any]]:
    """Objects with some of the expected keys, each holding any value."""
    return st.fixed_dictionaries(
        {}, optional={key: st.one_of(hostile_text(), json_values()) for key in keys}
    ).flatmap(lambda body: st.dictionaries(hostile_text(10), json_values(), max_size=2).map(
        lambda extra: {**extra, **body}))


def raw_bodies(keys: List[str]) -> st.SearchStrategy[bytes]:
    """Bytes on the wire: JSON of any shape, broken JSON, random bytes, deep nesting."""
    as_json: Callable[[Any], bytes] = lambda v: encode(v, ascii_only=True)  # noqa: E731
    return st.one_of(
        json_objects(keys).map(as_json),
        json_objects(keys).map(lambda v: encode(v, ascii_only=False)),
        json_values().map(as_json),
        st.binary(max_size=300),
        st.integers(min_value=1, max_value=20_000).map(lambda n: b"[" * n + b"]" * n),
        st.sampled_from([b"", b"null", b"{}", b"[]", b"\xef\xbb\xbf{}", b"{'a': 1}"]),
    )
