"""A real SMTP server on the loopback for the delivery tests (aiosmtpd), and a closed port.

``smtp_server`` starts an :class:`aiosmtpd.controller.Controller` on 127.0.0.1 and a free
port, with a handler that keeps every message it accepts; it refuses recipients or
messages with a 5xx answer when told to (``refuse_rcpt``, ``refuse_data``), as a real
server does. ``closed_port()`` is a port nothing listens on (a server that is down).
"""

from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller


def free_port() -> int:
    """A port of 127.0.0.1 that nothing listens on at the moment of asking."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


closed_port = free_port  # a server that is down: nothing listens there


@dataclass
class Collector:
    """An aiosmtpd handler keeping the messages accepted; 5xx answers when told to."""

    envelopes: list[Any] = field(default_factory=list)
    refuse_rcpt: str | None = None
    refuse_data: str | None = None

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if self.refuse_rcpt:
            return self.refuse_rcpt
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if self.refuse_data:
            return self.refuse_data
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def messages(self) -> list[EmailMessage]:
        """Every message accepted, parsed (attachments reachable with ``iter_attachments``)."""
        return [
            email.message_from_bytes(envelope.content, policy=email.policy.default)  # type: ignore[misc]
            for envelope in self.envelopes
        ]


@dataclass
class SmtpServer:
    """The running server: its port and its handler."""

    host: str
    port: int
    handler: Collector

    def environ(self, sender: str = "ete-reports@example.org") -> dict[str, str]:
        """The ``ETE_SMTP_*`` settings that point at it."""
        return {
            "ETE_SMTP_HOST": self.host,
            "ETE_SMTP_PORT": str(self.port),
            "ETE_SMTP_FROM": sender,
        }


def start_server(port: int | None = None) -> tuple[Controller, SmtpServer]:
    """Start a collecting server on 127.0.0.1 (``port``, or a free one)."""
    handler = Collector()
    chosen = port or free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=chosen)
    controller.start()
    return controller, SmtpServer("127.0.0.1", chosen, handler)


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A real SMTP server on the loopback, stopped after the test."""
    controller, server = start_server()
    try:
        yield server
    finally:
        controller.stop()


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A key and a certificate for 127.0.0.1 (cryptography, which Authlib brings), as PEM files."""
    import datetime as dt
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_path, certificate_path = folder / "key.pem", folder / "certificate.pem"
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    certificate_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return key_path, certificate_path


@dataclass
class TlsCollector(Collector):
    """A collector that notes, for each message, whether it came over TLS and who logged in."""

    sessions: list[tuple[bool, Any]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.sessions.append((session.ssl is not None, session.auth_data))
        return await super().handle_DATA(server, session, envelope)


def start_tls_server(
    folder: Path, login: bytes, password: bytes
) -> tuple[Controller, SmtpServer, Path]:
    """A server offering STARTTLS (a self-signed certificate) and requiring ``login``; the
    certificate's path is returned for the client to trust."""
    import ssl

    from aiosmtpd.smtp import AuthResult, LoginPassword

    key_path, certificate_path = self_signed_certificate(folder)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate_path, key_path)

    def authenticator(
        server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (login, password)
        if not ok:  # not handled: the server answers 535 itself
            return AuthResult(success=False, handled=False)
        return AuthResult(success=True, auth_data=data.login)

    handler = TlsCollector()
    port = free_port()
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=port,
        tls_context=context,
        require_starttls=True,
        authenticator=authenticator,
        auth_required=True,
    )
    controller.start()
    return controller, SmtpServer("127.0.0.1", port, handler), certificate_path
