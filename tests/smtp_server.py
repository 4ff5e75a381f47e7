"""A real SMTP server for the tests (aiosmtpd on 127.0.0.1), started once per test session.

``smtp_server`` (session) runs it on a free port and keeps every message it receives;
``smtp`` (per test) points the app at it (no STARTTLS, no login), empties the inbox and makes sure
the server is up again if a test stopped it to play an SMTP outage.
"""

from __future__ import annotations

import email
import socket
import threading
from collections.abc import Iterator
from email.message import EmailMessage
from email.policy import default as default_policy
from typing import Any

import pytest
from aiosmtpd.controller import Controller


class Inbox:
    """The aiosmtpd handler: keeps each delivered message, parsed, with its envelope recipients."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's name)
        msg = email.message_from_bytes(envelope.original_content or envelope.content, policy=default_policy)
        with self.lock:
            self.messages.append(msg)  # type: ignore[arg-type]
        return "250 Message accepted for delivery"


class SmtpServer:
    def __init__(self) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.host = "127.0.0.1"
        self.inbox = Inbox()
        self.controller: Controller | None = None

    @property
    def messages(self) -> list[EmailMessage]:
        with self.inbox.lock:
            return list(self.inbox.messages)

    def start(self) -> None:
        if self.controller is None:
            self.controller = Controller(self.inbox, hostname=self.host, port=self.port)
            self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def smtp(app: Any, smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[SmtpServer]:
    smtp_server.start()
    with smtp_server.inbox.lock:
        smtp_server.inbox.messages.clear()
    for key, value in {"SMTP_HOST": smtp_server.host, "SMTP_PORT": smtp_server.port, "SMTP_STARTTLS": False,
                       "SMTP_USER": "", "MAIL_FROM": "hoc-truc-tuyen@lms.test"}.items():  # fmt: skip
        monkeypatch.setitem(app.config, key, value)
    yield smtp_server
    smtp_server.start()
