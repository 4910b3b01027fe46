"""Speech recognition on our own machine (faster-whisper): audio in, what the customer said out.

    from bot.speech import recognise, Transcript, heard_line
    t = recognise(audio_bytes_or_path, language=None | "zh" | "en")
    t.understood, t.reason, t.text (goes to the NLU), t.raw_text, t.language, t.duration_s,
    t.confidence
    heard_line(t, lang)  # "我听到的是：“…”" / "I heard: “…”"
    audit_fields(t)      # {"asr_raw": ..., "asr_corrections": [...]} for the message's metadata

The model is loaded once per process, on first use (`shared_model()`), or ahead of time with
`python -m bot speech prepare`.
"""
from __future__ import annotations

from bot.speech.model import (
    SpeechModelError,
    load_model,
    model_label,
    model_source,
    prepare_packaged_model,
    shared_model,
)
from bot.speech.numbers import spoken_to_digits
from bot.speech.recogniser import REASONS, Transcript, recognise

__all__ = [
    "REASONS",
    "SpeechModelError",
    "audit_fields",
    "Transcript",
    "heard_line",
    "load_model",
    "model_label",
    "model_source",
    "not_understood_line",
    "prepare_packaged_model",
    "quotable",
    "recognise",
    "shared_model",
    "spoken_to_digits",
]


# What ends a sentence: dropped from words quoted back inside a reply that has its own ("I
# heard: “…”." would end twice).
_FINAL_PUNCTUATION = "。.!！?？ "


def quotable(text: str) -> str:
    """Recognised words fit to quote inside a reply: the final punctuation dropped."""
    return text.rstrip(_FINAL_PUNCTUATION)


def heard_line(transcript: Transcript, lang: str | None) -> str:
    """What the customer is shown of their own words, so a misheard number can be corrected;
    for audio that was not understood, the ask-again reply."""
    from bot.replies import say

    if not transcript.understood:
        return not_understood_line(transcript, lang)
    return say("speech_heard", lang, text=quotable(transcript.text))


def not_understood_line(transcript: Transcript, lang: str | None) -> str:
    """The ask-again reply, naming the limit when the clip was too long or too large."""
    from bot.replies import say
    from bot.settings import get_settings

    if transcript.reason == "too_long":
        return say("speech_too_long", lang, seconds=get_settings().max_voice_seconds)
    if transcript.reason == "too_large":
        return say("speech_too_large", lang)
    return say("speech_not_understood", lang)


def audit_fields(transcript: Transcript | None) -> dict:
    """What the recogniser heard before the domain corrections (bot.speech.lexicon), for the
    message's metadata, so the tracker keeps it beside the corrected words; empty when nothing
    was corrected."""
    if not getattr(transcript, "corrections", None):
        return {}
    return {"asr_raw": transcript.raw_text,
            "asr_corrections": [list(pair) for pair in transcript.corrections]}
