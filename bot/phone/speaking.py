"""Replies spoken on a streamed call: the chat text made fit to be read aloud (no buttons, emoji
or markup), cut into short parts, each rendered here by espeak-ng (Mandarin voice
`cmn-latn-pinyin`, English `en-us`) as 8 kHz 16-bit PCM, ready for channels/twilio_voice_stream.py
to send as mu-law frames.

The first part is rendered alone so the caller hears it while the rest is rendered; a barge-in
drops the parts not yet sent.
"""
from __future__ import annotations

import re
import shutil
import subprocess
from typing import List

from bot.language import EN
from bot.phone.codec import resample, wav_pcm

MAX_PART_CHARS = 40  # about three seconds of speech: a part a caller can take in, or cut short
VOICES = {EN: "en-us"}
# Debian's plain `cmn` reads its own dictionary's pinyin as English letters ("要" as "yao"
# spelt out); `cmn-latn-pinyin` says it as Mandarin.
ZH_VOICE = "cmn-latn-pinyin"
_SENTENCE_END = re.compile(r"(?<=[。！？；!?;])|(?<=[.](?=\s))")
# After a comma or a colon, but never inside a number ("3,000", "10:30"): a part ending "3," is
# heard as "three" and the next as "zero zero zero dollars".
_CLAUSE = re.compile(r"(?<=[，、）)])|(?<=[,:：])(?:(?<!\d[,:：])|(?!\d))"
                     r"|(?<=[\u3000-\u9fff] )(?=[\u3000-\u9fff])")
# Pictographs, dingbats, variation selectors and the like: a voice would read their names.
_SYMBOLS = re.compile("[\u2190-\u21ff\u2300-\u27bf\u2b00-\u2bff\ufe0f\u200d\U0001f000-\U0001faff]")


class SpeakerMissing(RuntimeError):
    pass


def parts(text: str, max_chars: int = MAX_PART_CHARS) -> List[str]:
    """`text` cut at sentence ends, and long sentences at commas, into parts of about
    `max_chars` (never inside a word or a number)."""
    text = _SYMBOLS.sub("", text)
    out: List[str] = []
    for sentence in _SENTENCE_END.split(text):
        sentence = sentence.strip()
        if not sentence:
            continue
        if len(sentence) <= max_chars:
            out.append(sentence)
            continue
        current = ""
        for clause in _CLAUSE.split(sentence):
            if current and len(current) + len(clause) > max_chars:
                out.append(current.strip())
                current = ""
            current += clause
        if current.strip():
            out.append(current.strip())
    return [part for part in out if re.search(r"\w", part)]


def render(text: str, lang: str, words_per_minute: int = 160) -> bytes:
    """`text` spoken in `lang`, as 8 kHz 16-bit mono PCM."""
    espeak = shutil.which("espeak-ng")
    if espeak is None:
        raise SpeakerMissing("espeak-ng is not installed (Debian: apt install espeak-ng)")
    voice = VOICES.get(lang, ZH_VOICE)
    result = subprocess.run([espeak, "-v", voice, "-s", str(words_per_minute), "--stdout", text],
                            check=True, capture_output=True, timeout=20)
    pcm, rate = wav_pcm(result.stdout)
    return resample(pcm, rate)
