"""Twilio Media Streams audio: 8 kHz mono mu-law, 20 ms (160-byte) frames, base64 in JSON.

    pcm = decode_payload(message["media"]["payload"])   # 16-bit little-endian PCM, 8 kHz
    payloads = encode_frames(pcm)                        # base64 strings, one 20 ms frame each
    wav = pcm_wav(pcm)                                   # what bot.speech.recognise reads
"""
from __future__ import annotations

import audioop  # noqa: F401 (deprecated in 3.11, present on the 3.10 the project runs on)
import base64
import io
import wave
from typing import List

RATE = 8_000
FRAME_MS = 20
FRAME_SAMPLES = RATE * FRAME_MS // 1000  # 160
FRAME_BYTES = FRAME_SAMPLES  # one mu-law byte per sample
ULAW_SILENCE = b"\xff"


def decode_payload(payload: str) -> bytes:
    """A media message's base64 mu-law payload as 16-bit PCM (empty for a bad payload)."""
    try:
        ulaw = base64.b64decode(payload, validate=True)
    except (ValueError, TypeError):
        return b""
    return audioop.ulaw2lin(ulaw, 2)


def encode_frames(pcm: bytes) -> List[str]:
    """16-bit 8 kHz PCM as base64 mu-law payloads of exactly one 20 ms frame each (the last
    one padded with silence)."""
    ulaw = audioop.lin2ulaw(pcm[: len(pcm) // 2 * 2], 2)
    if len(ulaw) % FRAME_BYTES:
        ulaw += ULAW_SILENCE * (FRAME_BYTES - len(ulaw) % FRAME_BYTES)
    return [base64.b64encode(ulaw[i:i + FRAME_BYTES]).decode("ascii")
            for i in range(0, len(ulaw), FRAME_BYTES)]


def resample(pcm: bytes, rate: int, to_rate: int = RATE) -> bytes:
    """16-bit mono PCM from `rate` to `to_rate`."""
    if rate == to_rate:
        return pcm
    converted, _ = audioop.ratecv(pcm, 2, 1, rate, to_rate, None)
    return converted


def pcm_wav(pcm: bytes, rate: int = RATE) -> bytes:
    """16-bit mono PCM wrapped as a WAV file."""
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(pcm)
    return out.getvalue()


def wav_pcm(data: bytes) -> tuple[bytes, int]:
    """A PCM or mu-law WAV file's 16-bit mono samples and rate."""
    with wave.open(io.BytesIO(data), "rb") as wav:
        frames, width, channels = wav.readframes(wav.getnframes()), wav.getsampwidth(), \
            wav.getnchannels()
        rate = wav.getframerate()
    if width != 2:
        frames = audioop.lin2lin(frames, width, 2)
    if channels == 2:
        frames = audioop.tomono(frames, 2, 0.5, 0.5)
    return frames, rate
