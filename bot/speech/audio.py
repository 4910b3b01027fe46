"""Audio in any common container (ogg/opus, webm, mp3, wav, 8 kHz mu-law...) to 16 kHz mono
float samples, refusing what is empty, undecodable or too long before spending time on it."""
from __future__ import annotations

import io
import itertools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Union

import numpy as np

SAMPLE_RATE = 16_000
AudioInput = Union[bytes, bytearray, memoryview, str, os.PathLike]

EMPTY = "empty"
UNDECODABLE = "undecodable"
TOO_LONG = "too_long"
TOO_LARGE = "too_large"


class AudioRejected(ValueError):
    """The audio cannot be used; `reason` is one of EMPTY, UNDECODABLE, TOO_LONG, TOO_LARGE."""

    def __init__(self, reason: str, detail: str = "", duration_s: float = 0.0) -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.duration_s = duration_s


@dataclass(frozen=True)
class Audio:
    samples: np.ndarray  # float32, mono, SAMPLE_RATE
    duration_s: float


def read_bytes(source: AudioInput, max_bytes: int) -> bytes:
    """The bytes of `source`, refusing more than `max_bytes` without reading all of a big file."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        if len(data) > max_bytes:
            raise AudioRejected(TOO_LARGE, f"{len(data)} bytes")
        return data
    path = Path(source)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise AudioRejected(TOO_LARGE, f"{size} bytes")
        return path.read_bytes()
    except OSError as error:
        raise AudioRejected(UNDECODABLE, f"cannot read {path.name}: {error.strerror}") from error


def _declared_seconds(container) -> float | None:
    """The duration the file's header declares, if any (MediaRecorder's webm declares none)."""
    if container.duration:
        return container.duration / 1_000_000  # av.time_base
    stream = container.streams.audio[0]
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    return None


def decode(data: bytes, max_seconds: float) -> Audio:
    """16 kHz mono samples of `data`.

    A file whose header says it is longer than `max_seconds` is refused before decoding; one
    without a declared length is decoded until it passes `max_seconds`, then refused.
    """
    import av  # PyAV, faster-whisper's own decoder; bundles FFmpeg

    if not data or not data.strip(b"\x00"):
        raise AudioRejected(EMPTY)
    limit = int(max_seconds * SAMPLE_RATE)
    chunks: list[np.ndarray] = []
    total = 0
    try:
        with av.open(io.BytesIO(data), mode="r", metadata_errors="ignore") as container:
            if not container.streams.audio:
                raise AudioRejected(UNDECODABLE, "no audio stream")
            declared = _declared_seconds(container)
            if declared is not None and declared > max_seconds + 0.5:
                raise AudioRejected(TOO_LONG, f"{declared:.1f} s", duration_s=declared)
            resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
            frames = _valid_frames(container.decode(audio=0))
            for frame in itertools.chain(frames, [None]):
                for out in resampler.resample(frame):
                    array = out.to_ndarray().reshape(-1)
                    chunks.append(array)
                    total += array.shape[0]
                if total > limit + SAMPLE_RATE // 2:
                    raise AudioRejected(TOO_LONG, f"over {max_seconds:.0f} s",
                                        duration_s=total / SAMPLE_RATE)
    except AudioRejected:
        raise
    except (av.error.FFmpegError, ValueError, IndexError, EOFError) as error:
        raise AudioRejected(UNDECODABLE, type(error).__name__) from error
    if total == 0:
        raise AudioRejected(UNDECODABLE, "no audio frames")
    samples = np.concatenate(chunks).astype(np.float32) / 32768.0
    return Audio(samples=samples, duration_s=samples.shape[0] / SAMPLE_RATE)


def _valid_frames(frames):
    """Frames, skipping ones the decoder reports as damaged (a cut-off recording's last one)."""
    import av

    iterator = iter(frames)
    while True:
        try:
            yield next(iterator)
        except StopIteration:
            return
        except av.error.InvalidDataError:
            continue
