"""``python -m ete_metrics deliver`` against a real SMTP server on the loopback (aiosmtpd),
with real packs built from the demo database: each recipient gets the pack ``report
--as-user`` gives them, once per period, and a failed email is recorded and tried again."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest
from cli_support import run
from smtp_support import SmtpServer, closed_port, smtp_server  # noqa: F401 - the fixture

from ete_metrics.cli import EXIT_NOT_SENT
from ete_metrics.data.audit import sha256_of
from ete_metrics.data.db import delivery_lock, load_audit, load_deliveries, make_engine
from ete_metrics.data.demo import build_demo_database
from ete_metrics.present.workbook import read_cover, read_tables

DIRECTOR = "director@example.org"
LEAD = "lead.wales@example.org"
NORTH = "lead.north@example.org"
PARTNER = "partner@example.org"
UNKNOWN = "nobody@example.org"
ACCESS = f"""
[users."{DIRECTOR}"]
role = "director"

[users."{LEAD}"]
role = "regional_lead"
regions = ["Wales"]

[users."{NORTH}"]
role = "regional_lead"
regions = ["North West", "West Midlands"]

[users."{PARTNER}"]
role = "stakeholder"
"""
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF = "application/pdf"
#: The day of the runs: April 2023's pack is due on its fifth working day, 9 May 2023.
RUN_DAY = "2023-05-09"


def _entry(to: str, fmt: str, every: str = "month", **more: object) -> str:
    lines = [f'to = "{to}"', f"format = {json.dumps(fmt)}", f'every = "{every}"']
    lines += [f"{key} = {json.dumps(value)}" for key, value in more.items()]
    return "[[subscription]]\n" + "\n".join(lines) + "\n"


@pytest.fixture
def setup(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    smtp_server: SmtpServer,  # noqa: F811
) -> tuple[str, Path, SmtpServer]:
    """A demo database, the access file (the subscriptions file beside it), the SMTP settings."""
    url = f"sqlite:///{tmp_path / 'ete.db'}"
    engine = make_engine(url)
    build_demo_database(engine, n_participants=3000)
    engine.dispose()
    config = tmp_path / "config"
    config.mkdir()
    (config / "access.toml").write_text(ACCESS, encoding="utf-8")
    monkeypatch.setenv("ETE_ACCESS_FILE", str(config / "access.toml"))
    monkeypatch.delenv("ETE_SUBSCRIPTIONS_FILE", raising=False)  # default: beside the access file
    for name in ("ETE_SMTP_USER", "ETE_SMTP_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    for name, value in smtp_server.environ().items():
        monkeypatch.setenv(name, value)
    return url, config / "subscriptions.toml", smtp_server


def _deliver(capsys: pytest.CaptureFixture[str], url: str, *options: str) -> tuple[int, str, str]:
    return run(capsys, "deliver", *options, "--as-of", RUN_DAY, "--db", url)


def _report(
    capsys: pytest.CaptureFixture[str], url: str, tmp_path: Path, user: str, fmt: str
) -> bytes:
    """What ``report --as-user`` writes for ``user``: figures as at April's last day."""
    out = tmp_path / f"report-{user}.{fmt}"
    code, _, err = run(
        capsys,
        "report",
        "--format",
        fmt,
        "--out",
        str(out),
        "--as-of",
        "2023-04-30",
        "--db",
        url,
        "--as-user",
        user,
    )
    assert code == 0, err
    return out.read_bytes()


def _same_workbook(sent: bytes, written: bytes) -> None:
    sent_tables, written_tables = read_tables(sent), read_tables(written)
    assert list(sent_tables) == list(written_tables)
    for key, table in sent_tables.items():
        pd.testing.assert_frame_equal(table, written_tables[key], obj=key)
    assert read_cover(sent) == read_cover(written)


def _pdf_text(data: bytes) -> list[str]:
    from pypdf import PdfReader

    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def _attachments(message: object) -> dict[str, tuple[str, bytes]]:
    return {
        part.get_filename(): (part.get_content_type(), part.get_content())  # type: ignore[attr-defined]
        for part in message.iter_attachments()
    }  # type: ignore[attr-defined]


def _deliveries(url: str) -> pd.DataFrame:
    engine = make_engine(url)
    try:
        return load_deliveries(engine)
    finally:
        engine.dispose()


def _delivery_audit(url: str) -> pd.DataFrame:
    engine = make_engine(url)
    try:
        return load_audit(engine, actions=["delivery"]).iloc[::-1].reset_index(drop=True)
    finally:
        engine.dispose()


def test_three_recipients_get_their_own_packs_once_and_an_unknown_address_nothing(
    setup: tuple[str, Path, SmtpServer], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url, subscriptions, server = setup
    subscriptions.write_text(
        _entry(DIRECTOR, ["pdf", "xlsx"], working_day=5)
        + _entry(LEAD, "xlsx")
        + _entry(PARTNER, "xlsx")
        + _entry(UNKNOWN, "xlsx"),
        encoding="utf-8",
    )
    code, out, err = _deliver(capsys, url, "--now")
    assert code == 0, (out, err)
    assert "3 sent, 0 not sent, 1 refused, 0 up to date." in out
    assert f"{subscriptions}: subscription 4: to is not in the access file" in out
    assert UNKNOWN not in out + err  # the entry is named, not the address
    messages = server.handler.messages()
    assert [m["To"] for m in messages] == [DIRECTOR, LEAD, PARTNER]
    director, lead, partner = (_attachments(m) for m in messages)
    assert {name: kind for name, (kind, _) in director.items()} == {
        "ete-outcomes-2023-04-30-all-regions.pdf": PDF,
        "ete-outcomes-2023-04-30-all-regions.xlsx": XLSX,
    }
    assert {name: kind for name, (kind, _) in lead.items()} == {
        "ete-outcomes-2023-04-30-wales.xlsx": XLSX
    }
    assert {name: kind for name, (kind, _) in partner.items()} == {
        "ete-outcomes-2023-04-30-all-regions-stakeholder.xlsx": XLSX
    }

    # each pack is the one `report --as-user` writes for that user
    _same_workbook(
        director["ete-outcomes-2023-04-30-all-regions.xlsx"][1],
        _report(capsys, url, tmp_path, DIRECTOR, "xlsx"),
    )
    assert _pdf_text(director["ete-outcomes-2023-04-30-all-regions.pdf"][1]) == _pdf_text(
        _report(capsys, url, tmp_path, DIRECTOR, "pdf")
    )
    lead_book = lead["ete-outcomes-2023-04-30-wales.xlsx"][1]
    _same_workbook(lead_book, _report(capsys, url, tmp_path, LEAD, "xlsx"))
    partner_book = partner["ete-outcomes-2023-04-30-all-regions-stakeholder.xlsx"][1]
    _same_workbook(partner_book, _report(capsys, url, tmp_path, PARTNER, "xlsx"))
    # a lead only their region; a stakeholder the stakeholder pack
    assert read_cover(lead_book)["Regions"] == "Wales"
    cells = {str(v) for t in read_tables(lead_book).values() for v in t.to_numpy().ravel()}
    assert not {"London", "North West", "West Midlands"} & cells
    assert read_cover(partner_book)["Audience"] == "Stakeholder (protected)"
    assert (
        read_cover(director["ete-outcomes-2023-04-30-all-regions.xlsx"][1])["Audience"]
        == "Internal (all figures)"
    )

    # the email says the scope, the as-at date, the filters and what changed (the Overview's words)
    body = messages[1].get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert "Scope: Wales (regional lead · Wales)" in body
    assert "Figures as at: 30 Apr 2023" in body
    assert "Filters: Regions: Wales" in body
    assert "What changed since 30 Mar 2023:" in body
    assert messages[1]["Subject"] == "ETE Outcomes: April 2023 pack, Wales, as at 30 Apr 2023"

    # one audit row per email: who, what, scope, each file's SHA-256
    audit = _delivery_audit(url)
    assert audit["actor"].tolist() == [DIRECTOR, LEAD, PARTNER]
    assert audit["role"].tolist() == ["director", "regional_lead", "stakeholder"]
    for row, files in zip(audit.itertuples(), (director, lead, partner), strict=True):
        assert row.file_sha256 == sha256_of(next(iter(files.values()))[1])
        for name, (_, content) in files.items():
            assert f"{name} ({len(content):,} bytes, sha256 {sha256_of(content)})" in row.detail
        assert "April 2023 pack" in row.detail
    assert json.loads(audit["filters"][1])["scope"] == ["Wales"]
    assert json.loads(audit["filters"][0])["scope"] == "all regions"
    assert json.loads(audit["filters"][2])["audience"] == "stakeholder"

    # --due, twice: the period's packs were sent, nothing more
    for _ in range(2):
        code, out, err = _deliver(capsys, url, "--due")
        assert code == 0, (out, err)
        assert (
            "Nothing to send." in out
            and "Up to date: subscription 1: the April 2023 pack was sent." in out
        )
    assert len(server.handler.envelopes) == 3
    assert len(_delivery_audit(url)) == 3
    assert _deliveries(url)["status"].tolist() == ["sent"] * 3


def test_a_refusing_server_and_a_server_that_is_down_are_recorded_and_retried(
    setup: tuple[str, Path, SmtpServer],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url, subscriptions, server = setup
    subscriptions.write_text(_entry(LEAD, "xlsx", working_day=5), encoding="utf-8")
    server.handler.refuse_rcpt = "550 5.1.1 mailbox unavailable"
    code, out, err = _deliver(capsys, url, "--due")
    assert code == EXIT_NOT_SENT, (out, err)
    assert (
        "Not sent: subscription 1 (regional lead · Wales): April 2023, xlsx: the mail server" in out
    )
    assert "refused the recipient (550 5.1.1 mailbox unavailable)" in out
    assert "It will be tried again at the next run." in out
    assert "1 pack could not be sent" in err and "Traceback" not in err

    server.handler.refuse_rcpt, server.handler.refuse_data = None, "554 5.6.0 message rejected"
    code, out, _ = _deliver(capsys, url, "--due")  # tried again, refused again
    assert code == EXIT_NOT_SENT and "refused the message (554 5.6.0 message rejected)" in out

    monkeypatch.setenv("ETE_SMTP_PORT", str(closed_port()))  # the server is down
    code, out, _ = _deliver(capsys, url, "--due")
    assert code == EXIT_NOT_SENT and "could not be reached" in out
    assert server.handler.envelopes == [] and _delivery_audit(url).empty
    assert _deliveries(url)["status"].tolist() == ["failed"] * 3

    monkeypatch.setenv("ETE_SMTP_PORT", str(server.port))  # back, and accepting
    server.handler.refuse_data = None
    code, out, err = _deliver(capsys, url, "--due")
    assert code == 0, (out, err)
    assert "Sent subscription 1 (regional lead · Wales): April 2023, xlsx." in out
    assert [m["To"] for m in server.handler.messages()] == [LEAD]
    assert len(_delivery_audit(url)) == 1
    assert _deliveries(url)["status"].tolist() == ["failed"] * 3 + ["sent"]
    code, out, _ = _deliver(capsys, url, "--due")
    assert code == 0 and "Nothing to send." in out and len(server.handler.envelopes) == 1


def test_regions_narrower_than_access_are_sent_wider_refused(
    setup: tuple[str, Path, SmtpServer], capsys: pytest.CaptureFixture[str]
) -> None:
    url, subscriptions, server = setup
    subscriptions.write_text(
        _entry(LEAD, "xlsx", regions=["London"]) + _entry(NORTH, "xlsx", regions=["north west"]),
        encoding="utf-8",
    )
    code, out, err = _deliver(capsys, url, "--due")
    assert code == 0, (out, err)
    assert (
        f"Refused: {subscriptions}: subscription 1: regions names London, outside what the "
        "recipient may see (Wales)"
    ) in out
    assert "1 sent, 0 not sent, 1 refused" in out
    (message,) = server.handler.messages()
    assert message["To"] == NORTH
    ((name, (_, book)),) = _attachments(message).items()
    assert name == "ete-outcomes-2023-04-30-north-west.xlsx"
    assert read_cover(book)["Regions"] == "North West"
    cells = {str(v) for t in read_tables(book).values() for v in t.to_numpy().ravel()}
    assert "West Midlands" not in cells and "North West" in cells


def test_a_dry_run_lists_what_is_due_and_sends_and_writes_nothing(
    setup: tuple[str, Path, SmtpServer],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url, subscriptions, server = setup
    subscriptions.write_text(
        _entry(DIRECTOR, "xlsx", working_day=5) + _entry(UNKNOWN, "pdf"), encoding="utf-8"
    )
    monkeypatch.delenv("ETE_SMTP_HOST")  # a dry run needs no mail server
    code, out, err = run(capsys, "deliver", "--dry-run", "--as-of", "2023-05-05", "--db", url)
    assert code == 0, (out, err)
    # Friday 5 May 2023: April's pack is not due (1 May a bank holiday: 4 working days so far)
    assert "Would send subscription 1 (director · all regions): March 2023, xlsx" in out
    assert "April 2023" not in out
    assert "Refused:" in out and "subscription 2: to is not in the access file" in out
    code, out, _ = _deliver(capsys, url, "--dry-run")  # 9 May: the fifth working day
    assert (
        code == 0 and "Would send subscription 1 (director · all regions): April 2023, xlsx" in out
    )
    assert "Dry run: nothing was sent or recorded (1 to send)." in out
    assert server.handler.envelopes == []
    assert _deliveries(url).empty and _delivery_audit(url).empty


def test_without_a_mail_server_setting_nothing_is_built(
    setup: tuple[str, Path, SmtpServer],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url, subscriptions, _ = setup
    subscriptions.write_text(_entry(DIRECTOR, "xlsx"), encoding="utf-8")
    monkeypatch.delenv("ETE_SMTP_HOST")
    code, out, err = _deliver(capsys, url, "--now")
    assert code == 2 and out == ""
    assert err.startswith("Error: ETE_SMTP_HOST is not set")
    assert _deliveries(url).empty


def test_a_bad_subscriptions_file_is_refused_whole(
    setup: tuple[str, Path, SmtpServer], capsys: pytest.CaptureFixture[str]
) -> None:
    url, subscriptions, server = setup
    subscriptions.write_text(
        _entry(DIRECTOR, "xlsx") + _entry(LEAD, "xlsx", every="daily"), encoding="utf-8"
    )
    code, out, err = _deliver(capsys, url, "--now")
    assert code == 2 and out == ""
    assert err.startswith(f"Error: {subscriptions}: subscription 2: every is 'daily'")
    assert server.handler.envelopes == []


def test_a_second_run_while_one_is_under_way_does_nothing(
    setup: tuple[str, Path, SmtpServer], capsys: pytest.CaptureFixture[str]
) -> None:
    url, subscriptions, server = setup
    subscriptions.write_text(_entry(DIRECTOR, "xlsx"), encoding="utf-8")
    engine = make_engine(url)
    try:
        with delivery_lock(engine) as taken:  # the timer's run, say, still sending
            assert taken
            code, out, err = _deliver(capsys, url, "--now")
    finally:
        engine.dispose()
    assert code == 0, err
    assert out.startswith("Another deliver run is under way on this database: this one did nothing")
    assert server.handler.envelopes == [] and _deliveries(url).empty
