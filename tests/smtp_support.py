"""A real SMTP server on the loopback for the delivery and alert tests (aiosmtpd).

``smtp_server`` starts an :class:`aiosmtpd.controller.Controller` on 127.0.0.1 (a free
port), keeps every message it accepts, and stops it after the test. ``smtp_env`` is the
``ETE_SMTP_*`` settings pointing at it, also set in the environment.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

__all__ = ["Received", "SmtpServer", "free_port", "smtp_env", "smtp_server"]

SENDER = "ete-alerts@example.org"


@dataclass(frozen=True)
class Received:
    """One message the server accepted: the envelope's recipients and the message."""

    rcpt_tos: tuple[str, ...]
    message: EmailMessage


@dataclass
class SmtpServer:
    """The loopback server: its port and what it received, in order."""

    port: int
    received: list[Received] = field(default_factory=list)

    def to(self, address: str) -> list[Received]:
        """The messages whose envelope names ``address``."""
        return [r for r in self.received if address in r.rcpt_tos]


class _Collect:
    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.server.received.append(Received(tuple(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


def free_port() -> int:
    """A port nothing listens on now (bound and released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A real SMTP server on 127.0.0.1, collecting what it receives; stopped afterwards."""
    server = SmtpServer(port=free_port())
    controller = Controller(_Collect(server), hostname="127.0.0.1", port=server.port)
    controller.start()
    try:
        yield server
    finally:
        controller.stop()


@pytest.fixture
def smtp_env(smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The ``ETE_SMTP_*`` settings of ``smtp_server``, set in the environment too."""
    settings = {
        "ETE_SMTP_HOST": "127.0.0.1",
        "ETE_SMTP_PORT": str(smtp_server.port),
        "ETE_SMTP_FROM": SENDER,
    }
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    for name in ("ETE_SMTP_USER", "ETE_SMTP_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    return settings
