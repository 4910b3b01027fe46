"""When a caller's turn ends, from the audio alone: an energy voice-activity detector with an
adaptive noise floor and a hangover, run on each 20 ms frame of the call.

Tuning (for elderly callers, who pause mid-sentence to think or breathe):
- a frame is speech when it is louder than the line's noise floor by `margin_db` (12 dB) and
  above `floor_dbfs` (-48 dBFS); the noise floor follows the quietest frames of the call;
- speech starts after `onset_ms` (60 ms) of speech frames in a row (a click is not a turn);
- the turn ends after `end_silence_ms` of silence following at least `min_speech_ms` of
  speech: 800 ms by default, 1200 ms for a caller known to be elderly; a pause shorter than that
  keeps the turn open;
- a turn longer than `max_turn_ms` (30 s) ends there (music on hold never pauses);
- no speech within `no_input_ms` (8 s) of listening: the caller is silent.
- barge-in: while we speak, `barge_in_ms` (300 ms) of speech in a row interrupts the reply (a
  cough or the line's echo of our own voice is shorter);
- a short answer over a reply ("对", "没有": under 300 ms of speech in a row) is still the
  caller's turn when it has `short_answer_ms` (200 ms) of speech in a row and is followed by
  `end_silence_ms` of silence: END, and the stream stops the reply and takes it. Anything
  shorter (a cough, a click, a blip of echo) is forgotten and the reply goes on.

    turn = Endpointer(Tuning.for_caller(elderly=False))
    for frame in frames:                 # 16-bit PCM, 20 ms each
        event = turn.feed(frame)         # None, SPEECH, BARGE_IN, END or NO_INPUT
    turn.utterance()                     # the turn's audio, with 200 ms before its first word
"""
from __future__ import annotations

import audioop  # noqa: F401
import math
from collections import deque
from dataclasses import dataclass
from typing import Deque, List

from bot.phone.codec import FRAME_MS

SPEECH = "speech"  # the caller started speaking
BARGE_IN = "barge_in"  # the caller has spoken long enough over our reply to interrupt it
END = "end"  # the caller's turn is over
NO_INPUT = "no_input"  # nothing said for no_input_ms


@dataclass(frozen=True)
class Tuning:
    floor_dbfs: float = -48.0
    margin_db: float = 12.0
    onset_ms: int = 60
    min_speech_ms: int = 200
    end_silence_ms: int = 800
    max_turn_ms: int = 30_000
    no_input_ms: int = 8_000
    barge_in_ms: int = 300
    short_answer_ms: int = 200
    preroll_ms: int = 200

    @classmethod
    def for_caller(cls, elderly: bool = False) -> Tuning:
        return cls(end_silence_ms=1200) if elderly else cls()


def frame_dbfs(pcm: bytes) -> float:
    """The loudness of a frame of 16-bit PCM in dB below full scale (-96 for silence)."""
    if len(pcm) < 2:
        return -96.0
    rms = audioop.rms(pcm[: len(pcm) // 2 * 2], 2)
    return 20 * math.log10(rms / 32768) if rms > 0 else -96.0


class Endpointer:
    """One caller turn at a time; `reset()` starts listening for the next."""

    def __init__(self, tuning: Tuning | None = None) -> None:
        self.tuning = tuning or Tuning()
        self.noise_dbfs = -70.0
        self.reset()

    def reset(self) -> None:
        """Listen for a new turn (what was heard so far is dropped)."""
        self.speaking = False  # the caller's turn has started
        self.playing = False  # we are speaking: speech now counts toward a barge-in
        self._frames: List[bytes] = []
        self._preroll: Deque[bytes] = deque(maxlen=max(1, self.tuning.preroll_ms // FRAME_MS))
        self._run = 0  # speech frames in a row
        self._longest = 0  # the longest run of speech frames in this turn
        self._speech_ms = 0
        self._silence_ms = 0
        self._waited_ms = 0
        self._barged = False

    def is_speech(self, pcm: bytes) -> bool:
        level = frame_dbfs(pcm)
        speech = level > max(self.tuning.floor_dbfs, self.noise_dbfs + self.tuning.margin_db)
        # The noise floor drops at once to a quieter frame and rises slowly through non-speech.
        if level < self.noise_dbfs:
            self.noise_dbfs = level
        elif not speech:
            self.noise_dbfs += 0.05 * (level - self.noise_dbfs)
        return speech

    def feed(self, pcm: bytes) -> str | None:
        t = self.tuning
        speech = self.is_speech(pcm)
        self._run = self._run + 1 if speech else 0
        if not self.speaking:
            self._preroll.append(pcm)
            if self._run * FRAME_MS >= t.onset_ms:
                self.speaking = True
                self._frames = list(self._preroll)
                self._speech_ms = self._run * FRAME_MS
                self._longest = self._run
                self._silence_ms = 0
                return SPEECH
            self._waited_ms += FRAME_MS
            if not self.playing and self._waited_ms >= t.no_input_ms:
                self._waited_ms = 0
                return NO_INPUT
            return None
        self._frames.append(pcm)
        self._longest = max(self._longest, self._run)
        if speech:
            self._speech_ms += FRAME_MS
            self._silence_ms = 0
        else:
            self._silence_ms += FRAME_MS
        if self.playing and not self._barged and self._run * FRAME_MS >= t.barge_in_ms:
            self._barged = True
            self.playing = False
            return BARGE_IN
        if self.playing and self._silence_ms >= t.end_silence_ms:
            if self._longest * FRAME_MS >= t.short_answer_ms:
                # A short answer over our reply: the caller's turn (the stream stops the reply).
                self.playing = False
                return END
            # A cough, a click or a blip of echo over our reply: forgotten.
            self.reset()
            self.playing = True
            return None
        if not self.playing and self._speech_ms >= t.min_speech_ms and (
                self._silence_ms >= t.end_silence_ms
                or len(self._frames) * FRAME_MS >= t.max_turn_ms):
            return END
        if not self.playing and self._silence_ms >= t.end_silence_ms:
            self.reset()  # too little speech to be a turn (a click, a breath)
        return None

    def trailing_silence_ms(self) -> int:
        """How long the caller has been silent since their last speech frame."""
        return self._silence_ms

    def utterance(self) -> bytes:
        """The turn's audio, from 200 ms before its first word, without its trailing silence
        beyond 300 ms."""
        keep = len(self._frames) - max(0, self._silence_ms - 300) // FRAME_MS
        return b"".join(self._frames[:keep])

    def start_playing(self) -> None:
        """We speak: speech now counts toward a barge-in, and silence is not the caller's."""
        self.playing = True

    def done_playing(self) -> None:
        """Our reply has been heard: the wait for the caller's first word starts now."""
        self.playing = False
        self._waited_ms = 0
