"""The demo's phone: outside production, with no SMS provider configured, text messages (the
one-time identity codes) go to a private file that `make run` prints, so every journey of the demo
can be tried without a Twilio account. A production start never uses it."""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import List, Tuple

from bot.clock import to_local, utc_now
from bot.privacy import mask_phone
from bot.settings import Settings, get_settings

OUTBOX_FILE = "demo-sms.jsonl"


def outbox_path(settings: Settings | None = None) -> Path:
    return Path((settings or get_settings()).var_dir) / OUTBOX_FILE


def available(settings: Settings | None = None) -> bool:
    """The demo phone stands in only where no real SMS could be sent and this is no production."""
    settings = settings or get_settings()
    return settings.environment != "production"


def send(phone: str, body: str, *, settings: Settings | None = None) -> None:
    """Appends one message (the number masked) to the outbox, readable by this user alone."""
    path = outbox_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    line = json.dumps({"at": to_local(utc_now()).strftime("%H:%M:%S"), "to": mask_phone(phone),
                       "body": body}, ensure_ascii=False)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as out:
        out.write(line + "\n")


def read_new(path: Path, offset: int) -> Tuple[List[str], int]:
    """The messages written after `offset` as printable lines, and the offset to read from next.
    A file that was removed or cut short starts again from its beginning."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return [], 0
    if size < offset:
        offset = 0
    if size == offset:
        return [], offset
    with path.open("rb") as source:
        source.seek(offset)
        data = source.read()
    complete, _, _ = data.rpartition(b"\n")
    if not complete:
        return [], offset
    lines = []
    for raw in complete.decode("utf-8", "replace").splitlines():
        try:
            message = json.loads(raw)
            lines.append(f"演示短信 / Demo SMS {message['at']} → {message['to']}: "
                         f"{message['body']}")
        except (ValueError, KeyError, TypeError):
            continue
    return lines, offset + len(complete) + 1
