"""The packaged Whisper base model: joined from its two PyPI parts once, checked, reused; a
damaged or half-written join is never taken for a complete one."""
import hashlib
import os
from pathlib import Path

import pytest

from bot.settings import Settings
from bot.speech.model import (
    PACKAGED_SHA256,
    SpeechModelError,
    model_source,
    packaged_dir,
    prepare_packaged_model,
)


def _fake_parts(tmp_path: Path) -> tuple[tuple[Path, Path], Path, str]:
    small = tmp_path / "package"
    small.mkdir()
    for name in ("config.json", "tokenizer.json", "vocabulary.json"):
        (small / name).write_text("{}", encoding="utf-8")
    first, second = tmp_path / "model.bin.part1", tmp_path / "model.bin.part2"
    first.write_bytes(b"first half|")
    second.write_bytes(b"second half")
    return (first, second), small, hashlib.sha256(b"first half|second half").hexdigest()


def test_parts_are_joined_checked_and_reused(tmp_path):
    parts, small, digest = _fake_parts(tmp_path)
    target = tmp_path / "cache"
    assert prepare_packaged_model(target, expected_sha256=digest, parts=parts,
                                  small_files_dir=small) == target
    assert (target / "model.bin").read_bytes() == b"first half|second half"
    assert {p.name for p in target.iterdir()} == {"model.bin", "config.json", "tokenizer.json",
                                                  "vocabulary.json"}
    # Reused: the parts are not read again (gone now), the file is not rewritten.
    stamp = (target / "model.bin").stat().st_mtime_ns
    for part in parts:
        part.unlink()
    prepare_packaged_model(target, expected_sha256=digest, parts=parts, small_files_dir=small)
    assert (target / "model.bin").stat().st_mtime_ns == stamp


def test_a_checksum_mismatch_is_a_clear_error_and_leaves_no_model(tmp_path):
    parts, small, _ = _fake_parts(tmp_path)
    target = tmp_path / "cache"
    with pytest.raises(SpeechModelError, match="checksum"):
        prepare_packaged_model(target, expected_sha256="0" * 64, parts=parts,
                               small_files_dir=small)
    assert not (target / "model.bin").exists()
    assert not [p for p in target.iterdir() if p.name.endswith(".tmp")]


def test_a_half_written_join_is_done_again(tmp_path):
    parts, small, digest = _fake_parts(tmp_path)
    target = tmp_path / "cache"
    target.mkdir()
    # What a join killed half-way leaves: a temporary file, never a model.bin.
    (target / f".model.bin.{os.getpid()}.1.tmp").write_bytes(b"first ha")
    prepare_packaged_model(target, expected_sha256=digest, parts=parts, small_files_dir=small)
    assert (target / "model.bin").read_bytes() == b"first half|second half"


def test_a_missing_part_is_a_clear_error(tmp_path):
    parts, small, digest = _fake_parts(tmp_path)
    parts[1].unlink()
    with pytest.raises(SpeechModelError, match="part missing"):
        prepare_packaged_model(tmp_path / "cache", expected_sha256=digest, parts=parts,
                               small_files_dir=small)


def test_the_installed_packages_join_into_the_verified_model(tmp_path):
    target = prepare_packaged_model(tmp_path / "whisper-base")
    digest = hashlib.sha256((target / "model.bin").read_bytes()).hexdigest()
    assert digest == PACKAGED_SHA256
    assert (target / "tokenizer.json").stat().st_size > 1_000_000


def test_the_configured_model_wins_over_the_packaged_one(tmp_path):
    settings = Settings.from_env({"CLAIMS_VAR_DIR": str(tmp_path)})
    assert packaged_dir(settings) == tmp_path / "speech" / "whisper-base"
    named = Settings.from_env({"CLAIMS_VAR_DIR": str(tmp_path), "CLAIMS_ASR_MODEL": "small"})
    assert model_source(named) == "small"  # faster-whisper downloads it by name when online
    folder = tmp_path / "my-model"
    folder.mkdir()
    by_path = Settings.from_env({"CLAIMS_VAR_DIR": str(tmp_path),
                                 "CLAIMS_ASR_MODEL": str(folder)})
    assert model_source(by_path) == str(folder)
