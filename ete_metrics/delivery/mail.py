"""Sending email by SMTP: the settings, a message with its files, and the sending.

The settings come from the environment (:meth:`SmtpSettings.from_env`): ``ETE_SMTP_HOST``,
``ETE_SMTP_PORT`` (default 25), ``ETE_SMTP_FROM``, and ``ETE_SMTP_USER`` with
``ETE_SMTP_PASSWORD`` for a server that wants a login. :func:`send_messages` sends over
one connection, upgraded with STARTTLS whenever the server offers it (a password is never
sent over a connection that is not encrypted), and logs in only when a user is set. Each
message's outcome is returned (:class:`SendResult`), a failure as one line saying what the
server answered and what to check: nothing here raises for a message that could not be
sent, and no traceback reaches a person.
"""

from __future__ import annotations

import re
import smtplib
import socket
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from ete_metrics.errors import DeliveryError

__all__ = [
    "DEFAULT_PORT",
    "SMTP_SETTINGS",
    "Attachment",
    "SendResult",
    "SmtpSettings",
    "compose",
    "send_messages",
]

#: The port when ``ETE_SMTP_PORT`` is not set (SMTP's own; submission servers use 587).
DEFAULT_PORT = 25
#: Seconds to wait for the server at each step.
TIMEOUT_SECONDS = 30.0
#: The settings read, and what each is.
SMTP_SETTINGS: Mapping[str, str] = {
    "ETE_SMTP_HOST": "the mail server's name or address (required)",
    "ETE_SMTP_PORT": f"its port (default {DEFAULT_PORT}; 587 for a submission server)",
    "ETE_SMTP_FROM": "the sender's address (required)",
    "ETE_SMTP_USER": "the login, for a server that wants one (optional)",
    "ETE_SMTP_PASSWORD": "the login's password (with ETE_SMTP_USER)",
}

_ADDRESS = re.compile(r"<?[^\s<>@]+@[^\s<>]+>?")


@dataclass(frozen=True)
class SmtpSettings:
    """Where and as whom email is sent.

    Attributes
    ----------
    host : str
    port : int
    sender : str
        The ``From`` address.
    user, password : str or None
        The login; None for a server that takes mail without one.
    timeout : float
        Seconds to wait for the server at each step.
    """

    host: str
    port: int
    sender: str
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = TIMEOUT_SECONDS

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> SmtpSettings:
        """Read the settings (``ETE_SMTP_*``) from ``environ``.

        Parameters
        ----------
        environ : mapping of str to str
            Usually ``os.environ``.

        Returns
        -------
        SmtpSettings

        Raises
        ------
        DeliveryError
            The host or the sender is missing, the port is not a number from 1 to 65535, the
            sender is not an address, or a password is set without a user (or a user without
            a password). The message names the setting.
        """

        def setting(name: str) -> str:
            return str(environ.get(name, "") or "").strip()

        host = setting("ETE_SMTP_HOST")
        if not host:
            raise DeliveryError(
                "ETE_SMTP_HOST is not set: set it to the mail server's name (e.g. mail.example.org) "
                "so packs can be emailed."
            )
        raw_port = setting("ETE_SMTP_PORT")
        port = DEFAULT_PORT
        if raw_port:
            port = int(raw_port) if raw_port.isdigit() else 0
            if not 1 <= port <= 65_535:
                raise DeliveryError(
                    f"ETE_SMTP_PORT is {raw_port!r}; set it to the mail server's port, a number "
                    f"from 1 to 65535 (587 for a submission server), or unset it for {DEFAULT_PORT}."
                )
        sender = setting("ETE_SMTP_FROM")
        if not sender:
            raise DeliveryError(
                "ETE_SMTP_FROM is not set: set it to the address packs are sent from "
                "(e.g. ete-reports@example.org)."
            )
        if sender.count("@") != 1 or any(c.isspace() for c in sender):
            raise DeliveryError(
                "ETE_SMTP_FROM is not an email address: set it to the address packs are sent "
                "from (e.g. ete-reports@example.org)."
            )
        user = setting("ETE_SMTP_USER") or None
        password = str(environ.get("ETE_SMTP_PASSWORD", "") or "") or None
        if password and not user:
            raise DeliveryError(
                "ETE_SMTP_PASSWORD is set without ETE_SMTP_USER: set the login too, or unset both."
            )
        if user and not password:
            raise DeliveryError(
                "ETE_SMTP_USER is set without ETE_SMTP_PASSWORD: set its password too, or unset both."
            )
        return cls(host=host, port=port, sender=sender, user=user, password=password)

    def describe(self) -> str:
        """``"mail.example.org:587"``: the server, for messages (never the login)."""
        return f"{self.host}:{self.port}"


@dataclass(frozen=True)
class Attachment:
    """A file attached to a message.

    Attributes
    ----------
    filename : str
    content : bytes
    media_type : str
        ``maintype/subtype``, e.g. ``application/pdf``.
    """

    filename: str
    content: bytes
    media_type: str


def compose(
    settings: SmtpSettings,
    *,
    to: str,
    subject: str,
    body: str,
    attachments: Sequence[Attachment] = (),
    when: datetime | None = None,
) -> EmailMessage:
    """A plain-text message from the settings' sender to ``to``, with files attached.

    Parameters
    ----------
    settings : SmtpSettings
        Its sender (``From``) and domain (the ``Message-ID``).
    to : str
        One address.
    subject, body : str
    attachments : sequence of Attachment
    when : datetime.datetime, optional
        Its ``Date`` (a time with a time zone; naive is taken as UTC). Without it the
        header is left for the mail server to add.

    Returns
    -------
    email.message.EmailMessage
    """
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = to
    message["Subject"] = subject
    if when is not None:
        stamp = when if when.tzinfo is not None else when.replace(tzinfo=UTC)
        message["Date"] = format_datetime(stamp.astimezone(UTC), usegmt=True)
    message["Message-ID"] = make_msgid(domain=settings.sender.rpartition("@")[2] or None)
    message.set_content(body)
    for attachment in attachments:
        maintype, _, subtype = attachment.media_type.partition("/")
        message.add_attachment(
            attachment.content,
            maintype=maintype,
            subtype=subtype or "octet-stream",
            filename=attachment.filename,
        )
    return message


@dataclass(frozen=True)
class SendResult:
    """What became of one message.

    Attributes
    ----------
    message : email.message.EmailMessage
        The message, as given.
    sent : bool
        True when the server accepted it.
    problem : str
        Why it was not sent, in one line (the server's answer and what to check); empty when sent.
    """

    message: EmailMessage
    sent: bool
    problem: str = ""


def _answer(code: int, text: bytes | str) -> str:
    """The server's answer in one line, addresses left out: ``"550 mailbox unavailable"``."""
    words = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    words = _ADDRESS.sub("(the address)", " ".join(words.split()))[:200]
    return f"{code} {words}".strip()


def _problem(exc: BaseException, settings: SmtpSettings) -> str:
    """One line for a failure: what happened and what to check."""
    server = settings.describe()
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        answers = "; ".join(_answer(code, text) for code, text in exc.recipients.values())
        return f"the mail server {server} refused the recipient ({answers}); check the address and the server's rules"
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return (
            f"the mail server {server} refused the sender ({_answer(exc.smtp_code, exc.smtp_error)}); "
            "check ETE_SMTP_FROM and the login"
        )
    if isinstance(exc, smtplib.SMTPDataError):
        return f"the mail server {server} refused the message ({_answer(exc.smtp_code, exc.smtp_error)})"
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return (
            f"the mail server {server} refused the login ({_answer(exc.smtp_code, exc.smtp_error)}); "
            "check ETE_SMTP_USER and ETE_SMTP_PASSWORD"
        )
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return f"the mail server {server} does not offer a login; unset ETE_SMTP_USER and ETE_SMTP_PASSWORD"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"the mail server {server} answered {_answer(exc.smtp_code, exc.smtp_error)}"
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return f"the mail server {server} closed the connection; try again later"
    if isinstance(exc, socket.timeout | TimeoutError):
        return f"the mail server {server} did not answer within {settings.timeout:g} seconds; check ETE_SMTP_HOST and ETE_SMTP_PORT"
    if isinstance(exc, ssl.SSLError):
        return f"the encrypted connection to the mail server {server} failed ({exc.reason or exc}); check the server's certificate"
    if isinstance(exc, socket.gaierror):
        return f"the mail server's name {settings.host} is not known; check ETE_SMTP_HOST"
    if isinstance(exc, OSError):
        reason = exc.strerror or str(exc) or type(exc).__name__
        return f"the mail server {server} could not be reached ({reason}); check ETE_SMTP_HOST and ETE_SMTP_PORT, and that it is running"
    return f"sending by {server} failed ({type(exc).__name__})"


class _NoTlsError(Exception):
    """The server offers no STARTTLS but a login is set: the password would go in clear."""


def _connect(settings: SmtpSettings) -> smtplib.SMTP:
    connection = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
    try:
        connection.ehlo()
        if connection.has_extn("starttls"):
            connection.starttls(context=ssl.create_default_context())
            connection.ehlo()
        elif settings.user:
            raise _NoTlsError
        if settings.user:
            connection.login(settings.user, settings.password or "")
    except BaseException:
        _close(connection)
        raise
    return connection


def _close(connection: smtplib.SMTP) -> None:
    try:
        connection.quit()
    except (smtplib.SMTPException, OSError):
        connection.close()


def send_messages(settings: SmtpSettings, messages: Sequence[EmailMessage]) -> list[SendResult]:
    """Send each message; return what became of each, in order.

    One connection serves them all (STARTTLS when the server offers it; a login when
    :attr:`SmtpSettings.user` is set). A message the server refuses is reported and the
    next one is sent; when the server cannot be reached, or the connection or the login
    fails, every message left is reported with that reason (none is half-sent).

    Parameters
    ----------
    settings : SmtpSettings
    messages : sequence of email.message.EmailMessage
        Each with its ``From`` and ``To`` (:func:`compose`).

    Returns
    -------
    list of SendResult
        One per message, in the order given. Never raises for a message not sent.
    """
    results: list[SendResult] = []
    if not messages:
        return results
    try:
        connection = _connect(settings)
    except _NoTlsError:
        problem = (
            f"the mail server {settings.describe()} does not offer STARTTLS, so the login "
            "was not sent in clear; use a server or port with STARTTLS, or unset ETE_SMTP_USER"
        )
        return [SendResult(message, False, problem) for message in messages]
    except (smtplib.SMTPException, OSError) as exc:
        problem = _problem(exc, settings)
        return [SendResult(message, False, problem) for message in messages]
    try:
        for number, message in enumerate(messages):
            try:
                refused = connection.send_message(message)
            except smtplib.SMTPServerDisconnected as exc:  # the rest cannot go this time
                problem = _problem(exc, settings)
                results += [SendResult(m, False, problem) for m in messages[number:]]
                break
            except smtplib.SMTPException as exc:  # this message refused: the next is sent
                results.append(SendResult(message, False, _problem(exc, settings)))
                continue
            except OSError as exc:  # the connection failed (an SMTPException is an OSError too)
                problem = _problem(exc, settings)
                results += [SendResult(m, False, problem) for m in messages[number:]]
                break
            if refused:  # some of several recipients refused: not delivered to each
                answers = "; ".join(_answer(code, text) for code, text in refused.values())
                results.append(
                    SendResult(
                        message,
                        False,
                        f"the mail server {settings.describe()} refused a recipient ({answers})",
                    )
                )
            else:
                results.append(SendResult(message, True))
    finally:
        _close(connection)
    return results
