"""The web chat's session tokens (bot/webchat_session.py): the key as the ID-hash key is kept
(a setting, else a demo key made once in the var dir, never in production), and tokens that
name one sender under one key."""
from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

import pytest

from bot.privacy import MissingSecret
from bot.webchat_session import (
    SESSION_KEY_ENV,
    SESSION_KEY_FILE,
    new_session,
    session_key,
    session_token,
    session_valid,
)


def test_the_setting_is_the_key() -> None:
    assert session_key({SESSION_KEY_ENV: " the-key "}, Path("/nonexistent")) == b"the-key"


def test_a_demo_key_is_made_once_privately_and_read_back(tmp_path: Path) -> None:
    key = session_key({}, tmp_path)
    path = tmp_path / SESSION_KEY_FILE
    assert len(key) == 64 and path.read_text().strip().encode() == key
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert session_key({}, tmp_path) == key
    assert [p.name for p in tmp_path.iterdir()] == [SESSION_KEY_FILE]  # no draft left behind
    assert session_key({}, tmp_path / "other") != key


def test_production_needs_the_setting(tmp_path: Path) -> None:
    with pytest.raises(MissingSecret, match=SESSION_KEY_ENV):
        session_key({"CLAIMS_ENV": "production"}, tmp_path)
    assert not (tmp_path / SESSION_KEY_FILE).exists()


def test_a_session_is_a_fresh_id_and_its_token() -> None:
    sender, token = new_session(b"k")
    assert sender.startswith("web-") and len(sender) == 36 and int(sender[4:], 16) >= 0
    assert session_valid(sender, token, b"k")
    assert len(base64.urlsafe_b64decode(token + "=")) == 32  # HMAC-SHA256, base64url
    assert new_session(b"k")[0] != sender


@pytest.mark.parametrize("token", ["", None, 42, "x", "é", "A" * 43])
def test_anything_but_the_token_is_refused(token: object) -> None:
    assert not session_valid("web-1", token, b"k")


def test_a_token_names_one_sender_under_one_key() -> None:
    token = session_token("web-1", b"k")
    assert session_valid("web-1", token, b"k")
    assert not session_valid("web-2", token, b"k")
    assert not session_valid("web-1", token, b"other key")
    assert not session_valid("web-1", token[:-1], b"k")
    assert not session_valid("web-1", token + "A", b"k")
