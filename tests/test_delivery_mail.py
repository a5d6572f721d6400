"""Sending email (ete_metrics.delivery.mail) to a real SMTP server on the loopback (aiosmtpd):
the settings, a message with its files, a server that refuses and one that is down."""

from __future__ import annotations

import ssl
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from smtp_support import SmtpServer, closed_port, smtp_server, start_tls_server  # noqa: F401 - the fixture

from ete_metrics.delivery import mail
from ete_metrics.delivery.mail import Attachment, SmtpSettings, compose, send_messages
from ete_metrics.errors import DeliveryError

PDF = "application/pdf"


def _settings(server: SmtpServer, **more: str) -> SmtpSettings:
    return SmtpSettings.from_env({**server.environ(), **more})


def test_settings_are_read_from_the_environment() -> None:
    settings = SmtpSettings.from_env(
        {
            "ETE_SMTP_HOST": " mail.example.org ",
            "ETE_SMTP_PORT": "587",
            "ETE_SMTP_FROM": "ete@example.org",
            "ETE_SMTP_USER": "ete",
            "ETE_SMTP_PASSWORD": "secret",
        }
    )
    assert (settings.host, settings.port, settings.sender, settings.user) == (
        "mail.example.org",
        587,
        "ete@example.org",
        "ete",
    )
    assert "secret" not in repr(settings) and settings.describe() == "mail.example.org:587"
    plain = SmtpSettings.from_env({"ETE_SMTP_HOST": "mail", "ETE_SMTP_FROM": "ete@example.org"})
    assert (plain.port, plain.user, plain.password) == (25, None, None)


@pytest.mark.parametrize(
    ("environ", "says"),
    [
        ({"ETE_SMTP_FROM": "ete@example.org"}, r"^ETE_SMTP_HOST is not set"),
        ({"ETE_SMTP_HOST": "mail"}, r"^ETE_SMTP_FROM is not set"),
        (
            {"ETE_SMTP_HOST": "mail", "ETE_SMTP_FROM": "nobody"},
            r"^ETE_SMTP_FROM is not an email address",
        ),
        (
            {"ETE_SMTP_HOST": "mail", "ETE_SMTP_FROM": "a@b.c", "ETE_SMTP_PORT": "smtp"},
            r"^ETE_SMTP_PORT is 'smtp'; set it to",
        ),
        (
            {"ETE_SMTP_HOST": "mail", "ETE_SMTP_FROM": "a@b.c", "ETE_SMTP_PORT": "70000"},
            r"^ETE_SMTP_PORT is '70000'",
        ),
        (
            {"ETE_SMTP_HOST": "mail", "ETE_SMTP_FROM": "a@b.c", "ETE_SMTP_PASSWORD": "x"},
            r"^ETE_SMTP_PASSWORD is set without ETE_SMTP_USER",
        ),
        (
            {"ETE_SMTP_HOST": "mail", "ETE_SMTP_FROM": "a@b.c", "ETE_SMTP_USER": "x"},
            r"^ETE_SMTP_USER is set without ETE_SMTP_PASSWORD",
        ),
    ],
)
def test_a_bad_setting_is_named(environ: dict[str, str], says: str) -> None:
    with pytest.raises(DeliveryError, match=says):
        SmtpSettings.from_env(environ)


def test_messages_reach_the_server_with_their_files(smtp_server: SmtpServer) -> None:  # noqa: F811
    settings = _settings(smtp_server)
    files = [
        Attachment("pack.pdf", b"%PDF-1.4 not really", PDF),
        Attachment(
            "book.xlsx",
            bytes(range(256)),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
    ]
    messages = [
        compose(
            settings,
            to="a@example.org",
            subject="Pack · April",
            body="Hello\n",
            attachments=files,
            when=datetime(2023, 5, 9, 7, 30, tzinfo=ZoneInfo("Europe/London")),
        ),
        compose(settings, to="b@example.org", subject="Second", body="Hi\n"),
    ]
    results = send_messages(settings, messages)
    assert [(r.sent, r.problem) for r in results] == [(True, ""), (True, "")]
    envelopes = smtp_server.handler.envelopes
    assert [e.rcpt_tos for e in envelopes] == [["a@example.org"], ["b@example.org"]]
    assert envelopes[0].mail_from == "ete-reports@example.org"
    received = smtp_server.handler.messages()[0]
    assert received["Subject"] == "Pack · April"
    # 7:30 in London in summer is 6:30 UTC
    assert received["Date"].datetime == datetime(2023, 5, 9, 6, 30, tzinfo=UTC)
    attached = [
        (p.get_filename(), p.get_content_type(), p.get_content())
        for p in received.iter_attachments()
    ]
    assert attached == [
        ("pack.pdf", PDF, b"%PDF-1.4 not really"),
        ("book.xlsx", files[1].media_type, bytes(range(256))),
    ]


def test_a_refused_recipient_is_reported_and_the_next_message_still_sent(
    smtp_server: SmtpServer,  # noqa: F811
) -> None:
    settings = _settings(smtp_server)
    smtp_server.handler.refuse_rcpt = "550 5.1.1 <a@example.org>: mailbox unavailable"
    results = send_messages(
        settings, [compose(settings, to="a@example.org", subject="s", body="b")]
    )
    assert not results[0].sent
    assert results[0].problem.startswith(
        f"the mail server 127.0.0.1:{smtp_server.port} refused the recipient (550 5.1.1"
    )
    assert "a@example.org" not in results[0].problem  # the server's words, its addresses left out
    smtp_server.handler.refuse_rcpt = None
    smtp_server.handler.refuse_data = "554 5.6.0 message rejected"
    (refused,) = send_messages(
        settings, [compose(settings, to="a@example.org", subject="s", body="b")]
    )
    assert (
        not refused.sent and "refused the message (554 5.6.0 message rejected)" in refused.problem
    )
    assert smtp_server.handler.envelopes == []


def test_a_server_that_is_down_fails_every_message_with_one_line() -> None:
    settings = SmtpSettings.from_env(
        {
            "ETE_SMTP_HOST": "127.0.0.1",
            "ETE_SMTP_PORT": str(closed_port()),
            "ETE_SMTP_FROM": "ete@example.org",
        }
    )
    messages = [compose(settings, to=f"{n}@example.org", subject="s", body="b") for n in "ab"]
    results = send_messages(settings, messages)
    assert [r.sent for r in results] == [False, False]
    assert (
        "could not be reached" in results[0].problem
        and "check ETE_SMTP_HOST and ETE_SMTP_PORT" in results[0].problem
    )
    assert "Traceback" not in results[0].problem and "\n" not in results[0].problem


def test_a_login_is_never_sent_without_starttls(smtp_server: SmtpServer) -> None:  # noqa: F811
    settings = _settings(smtp_server, ETE_SMTP_USER="ete", ETE_SMTP_PASSWORD="secret")
    (result,) = send_messages(
        settings, [compose(settings, to="a@example.org", subject="s", body="b")]
    )
    assert (
        not result.sent
        and "does not offer STARTTLS, so the login was not sent in clear" in result.problem
    )
    assert smtp_server.handler.envelopes == []


def test_nothing_to_send_opens_no_connection() -> None:
    settings = SmtpSettings.from_env(
        {
            "ETE_SMTP_HOST": "127.0.0.1",
            "ETE_SMTP_PORT": str(closed_port()),
            "ETE_SMTP_FROM": "ete@example.org",
        }
    )
    assert send_messages(settings, []) == []


def test_starttls_when_offered_then_the_login(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    controller, server, certificate = start_tls_server(tmp_path, b"ete", b"secret")
    trusting = ssl.create_default_context
    # the client trusts the test's own certificate, as it would a server's real one
    monkeypatch.setattr(
        mail.ssl, "create_default_context", lambda *a, **k: trusting(cafile=str(certificate))
    )
    try:
        settings = _settings(server, ETE_SMTP_USER="ete", ETE_SMTP_PASSWORD="secret")
        (sent,) = send_messages(
            settings, [compose(settings, to="a@example.org", subject="s", body="b")]
        )
        assert (sent.sent, sent.problem) == (True, "")
        assert server.handler.sessions == [(True, b"ete")]  # over TLS, logged in
        wrong = _settings(server, ETE_SMTP_USER="ete", ETE_SMTP_PASSWORD="guess")
        (refused,) = send_messages(
            wrong, [compose(wrong, to="a@example.org", subject="s", body="b")]
        )
        assert not refused.sent and "refused the login (535" in refused.problem
        assert "check ETE_SMTP_USER and ETE_SMTP_PASSWORD" in refused.problem
        assert len(server.handler.envelopes) == 1
    finally:
        controller.stop()
