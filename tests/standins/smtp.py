"""A local SMTP server (aiosmtpd) that keeps every message it is handed, for the alert e-mails."""
from __future__ import annotations

import socket
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any, List

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _Keep:
    def __init__(self) -> None:
        self.messages: List[EmailMessage] = []
        self.recipients: List[List[str]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"


class SmtpStandIn:
    """`with SmtpStandIn() as smtp:` listens on 127.0.0.1:`smtp.port`; `smtp.messages` holds what
    was sent (parsed), `smtp.recipients` the envelope recipients of each."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self._keep = _Keep()
        self._controller = Controller(self._keep, hostname="127.0.0.1", port=self.port)

    @property
    def messages(self) -> List[EmailMessage]:
        return self._keep.messages

    @property
    def recipients(self) -> List[List[str]]:
        return self._keep.recipients

    def __enter__(self) -> SmtpStandIn:
        self._controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._controller.stop()
