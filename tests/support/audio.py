"""Synthetic speech for tests: English sentences spoken by espeak-ng, converted the way real
channels deliver audio (8 kHz mu-law phone recordings, ogg/opus voice notes, mp3, 16 kHz wav).

espeak-ng's Mandarin is too robotic for Whisper, so Chinese handling is tested on text and the
audio path with English speech. Needs the Debian packages espeak-ng and ffmpeg
(scripts/system_deps.sh installs them).
"""
from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

# ffmpeg arguments per format a channel hands us.
FORMATS = {
    "wav": ["-ar", "16000", "-ac", "1", "-c:a", "pcm_s16le", "-f", "wav"],
    "ulaw8k": ["-ar", "8000", "-ac", "1", "-c:a", "pcm_mulaw", "-f", "wav"],
    "ogg": ["-ar", "48000", "-ac", "1", "-c:a", "libopus", "-b:a", "24k", "-f", "ogg"],
    "mp3": ["-ar", "22050", "-ac", "1", "-c:a", "libmp3lame", "-b:a", "32k", "-f", "mp3"],
}


class AudioToolMissing(RuntimeError):
    pass


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise AudioToolMissing(f"{name} is not installed (Debian: apt install {name})")
    return path


def speak(text: str, fmt: str = "wav", *, voice: str = "en-us", words_per_minute: int = 150,
          pad_seconds: float = 0.3) -> bytes:
    """`text` spoken by espeak-ng, as the bytes of a file in `fmt` (see FORMATS)."""
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "speech.wav"
        subprocess.run([_tool("espeak-ng"), "-v", voice, "-s", str(words_per_minute),
                        "-w", str(raw), text], check=True, capture_output=True)
        return convert(raw.read_bytes(), fmt, pad_seconds=pad_seconds)


def convert(audio: bytes, fmt: str, *, pad_seconds: float = 0.0) -> bytes:
    """`audio` (any format ffmpeg reads) re-encoded as `fmt`, with optional silence either side."""
    filters = []
    if pad_seconds:
        ms = int(pad_seconds * 1000)
        filters = ["-af", f"adelay={ms}:all=1,apad=pad_dur={pad_seconds}"]
    result = subprocess.run(
        [_tool("ffmpeg"), "-v", "error", "-i", "pipe:0", *filters, *FORMATS[fmt], "pipe:1"],
        input=audio, check=True, capture_output=True,
    )
    return result.stdout


def silence(seconds: float, fmt: str = "wav") -> bytes:
    result = subprocess.run(
        [_tool("ffmpeg"), "-v", "error", "-f", "lavfi", "-i",
         f"anullsrc=r=16000:cl=mono:d={seconds}", *FORMATS[fmt], "pipe:1"],
        check=True, capture_output=True,
    )
    return result.stdout


def tone(seconds: float, fmt: str = "wav", frequency: int = 440) -> bytes:
    """A pure tone: not speech, what hold music or a beep looks like to the recogniser."""
    result = subprocess.run(
        [_tool("ffmpeg"), "-v", "error", "-f", "lavfi", "-i",
         f"sine=frequency={frequency}:sample_rate=16000:duration={seconds}", *FORMATS[fmt],
         "pipe:1"],
        check=True, capture_output=True,
    )
    return result.stdout


def amr(audio: bytes) -> bytes:
    """`audio` (any format FFmpeg reads) as AMR-NB at 8 kHz, what WeChat delivers for a voice
    message. Debian's ffmpeg has no AMR-NB encoder (a licensing choice), so this uses the FFmpeg
    libraries PyAV bundles (faster-whisper's decoder), which carry opencore-amrnb."""
    import io

    import av

    source = av.open(io.BytesIO(audio))
    target_buffer = io.BytesIO()
    target = av.open(target_buffer, mode="w", format="amr")
    stream = target.add_stream("libopencore_amrnb", rate=8000)
    stream.bit_rate = 12200
    stream.layout = "mono"
    resampler = av.AudioResampler(format="s16", layout="mono", rate=8000)
    for frame in source.decode(audio=0):
        for converted in resampler.resample(frame):
            for packet in stream.encode(converted):
                target.mux(packet)
    for converted in resampler.resample(None):
        for packet in stream.encode(converted):
            target.mux(packet)
    for packet in stream.encode(None):
        target.mux(packet)
    target.close()
    source.close()
    return target_buffer.getvalue()
