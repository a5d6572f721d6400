"""Shared by the alert tests: the loopback SMTP server's settings in the environment.

Import with ``from alerts_support import *  # noqa: F403`` beside ``smtp_support``'s fixtures.
"""

from __future__ import annotations

import pytest
from smtp_support import SmtpServer

__all__ = ["SENDER", "received", "smtp_env"]

SENDER = "ete-alerts@example.org"


@pytest.fixture
def smtp_env(smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The ``ETE_SMTP_*`` settings of the loopback server, set in the environment."""
    settings = smtp_server.environ(SENDER)
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    for name in ("ETE_SMTP_USER", "ETE_SMTP_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    return settings


def received(server: SmtpServer) -> list[tuple[str, ...]]:
    """The envelope recipients of each message the server accepted, in order."""
    return [tuple(envelope.rcpt_tos) for envelope in server.handler.envelopes]
