"""The demo's phone: codes reach the terminal of `make run` without Twilio, never in production."""
from __future__ import annotations

import stat
from dataclasses import replace

from bot import demo_sms
from bot.settings import get_settings


def _settings(tmp_path, environment="development"):
    return replace(get_settings(), var_dir=tmp_path, environment=environment)


def test_a_message_is_kept_privately_with_the_number_masked(tmp_path):
    settings = _settings(tmp_path)
    demo_sms.send("13800000002", "【理赔助手】验证码 123456", settings=settings)
    path = demo_sms.outbox_path(settings)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "13800000002" not in path.read_text(encoding="utf-8")
    lines, offset = demo_sms.read_new(path, 0)
    assert len(lines) == 1 and "138****0002" in lines[0] and "123456" in lines[0]
    assert demo_sms.read_new(path, offset) == ([], offset)


def test_only_new_complete_lines_are_read(tmp_path):
    settings = _settings(tmp_path)
    path = demo_sms.outbox_path(settings)
    demo_sms.send("13800000001", "one", settings=settings)
    _, offset = demo_sms.read_new(path, 0)
    demo_sms.send("13800000001", "two", settings=settings)
    with path.open("a", encoding="utf-8") as half:
        half.write('{"at": "10:00:00", "to": "138')  # a writer caught mid-line
    lines, offset = demo_sms.read_new(path, offset)
    assert [line.rsplit(": ", 1)[1] for line in lines] == ["two"]
    assert demo_sms.read_new(path, offset) == ([], offset)


def test_a_removed_outbox_starts_again(tmp_path):
    settings = _settings(tmp_path)
    assert demo_sms.read_new(demo_sms.outbox_path(settings), 40) == ([], 0)


def test_production_never_uses_the_demo_phone(tmp_path):
    assert demo_sms.available(_settings(tmp_path))
    assert not demo_sms.available(_settings(tmp_path, "production"))
