"""An oversized request is refused before it is read (issue 18: Sanic read up to 100 MB of any
request into memory): a 30 MB upload gets 413 and nothing is stored."""
from __future__ import annotations

import socket
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from bot.store.db import unit_of_work
from bot.store.models import AuditEntry, ClaimDocument

pytestmark = pytest.mark.e2e

THIRTY_MB = 30 * 1024 * 1024


def _files(var_dir: Path) -> int:
    uploads = var_dir / "uploads"
    return sum(1 for p in uploads.rglob("*") if p.is_file()) if uploads.exists() else 0


def _counts(url: str) -> tuple:
    with unit_of_work(url) as uow:
        return (uow.session.execute(select(func.count()).select_from(ClaimDocument)).scalar_one(),
                uow.session.execute(select(func.count()).select_from(AuditEntry)).scalar_one())


def _post_30_mb(base_url: str, path: str) -> bytes:
    """Headers for a 30 MB body, then as much of it as the server takes; returns its answer."""
    parts = urlsplit(base_url)
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
        sock.sendall((f"POST {path} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
                      f"Content-Type: application/pdf\r\nX-Filename: big.pdf\r\n"
                      f"Content-Length: {THIRTY_MB}\r\n\r\n").encode())
        chunk = b"%PDF-1.4\n" + b"0" * (1024 * 1024 - 9)
        try:
            for _ in range(30):
                sock.sendall(chunk)
        except OSError:  # the server stopped reading: its answer is already on the way
            pass
        answer = b""
        try:
            while b"\r\n\r\n" not in answer:
                data = sock.recv(65536)
                if not data:
                    break
                answer += data
        except OSError:
            pass
        return answer


@pytest.mark.parametrize("path", ["/webhooks/webchat/upload?sender={sender}",
                                  "/webhooks/webchat/voice?sender={sender}",
                                  "/webhooks/webchat/webhook"])
def test_a_30_mb_post_gets_413_and_nothing_is_stored(default_servers, claims_db_url: str,
                                                     path: str) -> None:
    var_dir = Path(default_servers.env["CLAIMS_VAR_DIR"])
    before, files = _counts(claims_db_url), _files(var_dir)
    answer = _post_30_mb(default_servers.rasa_url,
                         path.format(sender=f"big{uuid.uuid4().hex[:8]}"))
    assert answer.split(b"\r\n", 1)[0].split(b" ")[1] == b"413", answer[:300]
    assert _counts(claims_db_url)[0] == before[0] and _files(var_dir) == files
    default_servers.check()  # still running
