"""ete_metrics.data.audit and the command line: --as-user limits a call to a user's scope,
and imports and report files are recorded in the audit trail with their SHA-256."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
from cli_support import run as _run
from cli_support import save_frames

from ete_metrics.data import audit, db
from ete_metrics.data.frames import conform_milestones, conform_participants, conform_targets
from ete_metrics.present.workbook import read_cover, read_tables
from ete_metrics.protect.access import Access, local_access
from ete_metrics.protect.disclosure import STAKEHOLDER_NOTE
from ete_metrics.steps import ENTERED, TRAINING, WORK

ACCESS = """
[users."lead.wales@example.org"]
role = "regional_lead"
regions = ["Wales"]

[users."partner@example.org"]
role = "stakeholder"
"""
#: SHA-256 of b"abc" (FIPS 180-2, appendix B.1).
SHA_ABC = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


@pytest.fixture
def access_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "access.toml"
    path.write_text(ACCESS, encoding="utf-8")
    monkeypatch.setenv("ETE_ACCESS_FILE", str(path))
    return path


def _audit_events(url: str) -> pd.DataFrame:
    """The audit log of the database at ``url``."""
    engine = db.make_engine(url)
    try:
        return db.load_audit(engine)
    finally:
        engine.dispose()


def test_sha256_of_bytes_and_of_a_file(tmp_path: Path) -> None:
    assert audit.sha256_of(b"abc") == SHA_ABC
    path = tmp_path / "abc.txt"
    path.write_bytes(b"abc")
    assert audit.sha256_of(path) == SHA_ABC
    assert audit.sha256_of(str(path)) == SHA_ABC


def test_export_filters_describe_scope_and_view() -> None:
    lead = Access("l@example.org", "regional_lead", ("Wales",))
    described = audit.export_filters(
        lead, as_of=datetime(2024, 5, 31).date(), regions=("Wales",), pathways=(), audience="internal",
        date_from=None,
    )
    assert described == {"scope": ["Wales"], "as_of": "2024-05-31", "regions": ["Wales"],
                         "audience": "internal"}
    assert audit.export_filters(local_access()) == {"scope": "all regions"}


def test_helpers_record_sign_in_import_and_export(tmp_path: Path) -> None:
    engine = db.make_engine(f"sqlite:///{tmp_path / 'ete.db'}")
    try:
        when = datetime(2024, 6, 1, 9, 0, tzinfo=UTC)
        lead = Access("l@example.org", "regional_lead", ("Wales",))
        audit.record_sign_in(engine, occurred_at=when, email="l@example.org", access=lead)
        audit.record_sign_in(engine, occurred_at=when, email="x@example.org", access=None)
        (tmp_path / "p.csv").write_bytes(b"abc")
        (tmp_path / "m.csv").write_bytes(b"")
        audit.record_import(
            engine, occurred_at=when, actor="d@example.org", role="director", import_id=7,
            files={"participants": tmp_path / "p.csv", "milestones": tmp_path / "m.csv"},
            rows={"participants": 1_234, "milestones": 0}, source="dashboard upload",
        )
        audit.record_export(engine, occurred_at=when, access=lead, file_name="funnel.csv",
                            content=b"abc", filters={"regions": ["Wales"]}, source="dashboard")
        events = db.load_audit(engine).sort_values("id").reset_index(drop=True)
    finally:
        engine.dispose()
    assert events["action"].tolist() == ["sign_in", "sign_in_denied", "import", "export"]
    assert events["role"].tolist()[:2] == ["regional_lead", None]
    assert json.loads(events.loc[0, "filters"]) == {"scope": ["Wales"]}
    imported = events.loc[2]
    empty_sha = hashlib.sha256(b"").hexdigest()
    assert imported["file_sha256"] == SHA_ABC  # the participants file's
    assert imported["detail"] == (
        f"import #7 (updating, dashboard upload): participants p.csv (sha256 {SHA_ABC}, 1,234 rows); "
        f"milestones m.csv (sha256 {empty_sha}, 0 rows)"
    )
    exported = events.loc[3]
    assert (exported["actor"], exported["file_sha256"]) == ("l@example.org", SHA_ABC)
    assert exported["detail"] == "funnel.csv (3 bytes, dashboard)"


# --- The command line -----------------------------------------------------------


@pytest.fixture
def tiny_db(database_url: str) -> str:
    participants = conform_participants(pd.DataFrame([
        ("P001", "London", "2023-01-02", "2023-01-10"),
        ("P002", "London", "2023-01-05", "2023-04-03"),
        ("P003", "Wales", "2023-02-01", "2023-02-15"),
        ("P004", "Wales", "2023-03-01", None),
        ("P005", "North West", "2023-03-01", None),
    ], columns=["participant_id", "region", "referral_date", "entry_date"]))
    milestones = conform_milestones(pd.DataFrame([
        ("P001", "training_start", "2023-02-01"),
        ("P001", "job_start", "2023-03-01"),
        ("P002", "job_start", "2023-04-03"),
        ("P003", "job_start", "2023-05-20"),
    ], columns=["participant_id", "milestone", "date"]))
    targets = conform_targets(pd.DataFrame([
        ("London", "2023-01-01", "entered", 1),
        ("Wales", "2023-02-01", "entered", 2),
    ], columns=["region", "period_start", "measure", "target"]))
    return save_frames(database_url, participants, milestones, targets)


def test_as_user_limits_a_metric_to_their_regions(
    tiny_db: str, access_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(capsys, "funnel", "--db", tiny_db, "--by", "region", "--format", "csv",
                          "--as-user", "Lead.Wales@example.org")
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert {r["region"] for r in rows} == {"Wales"}
    # Wales: P003 entered on 15 Feb 2023 and started work on 20 May 2023; P004 never entered
    assert [(r["step"], r["participants"]) for r in rows] == [
        (ENTERED.name, "1"), (TRAINING.name, "0"), (WORK.name, "1")]
    # the same command as the local operator sees every region
    code, out, _ = _run(capsys, "funnel", "--db", tiny_db, "--by", "region", "--format", "csv")
    assert {r["region"] for r in csv.DictReader(io.StringIO(out))} == {"London", "Wales"}


def test_as_user_refuses_a_region_outside_their_scope(
    tiny_db: str, access_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(capsys, "targets", "--db", tiny_db, "--summary", "--region", "London",
                          "--as-user", "lead.wales@example.org")
    assert code == 2 and out == ""
    assert "lead.wales@example.org may see only Wales; London is outside their access" in err
    code, out, err = _run(capsys, "targets", "--db", tiny_db, "--summary", "--format", "csv",
                          "--as-user", "lead.wales@example.org")
    assert code == 0, err
    assert {r["region"] for r in csv.DictReader(io.StringIO(out))} <= {"Wales", "All regions"}


def test_as_user_stakeholder_always_gets_protected_figures(
    tiny_db: str, access_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(capsys, "funnel", "--db", tiny_db, "--format", "csv", "--audience",
                          "internal", "--as-user", "partner@example.org")
    assert code == 0, err
    assert STAKEHOLDER_NOTE in err
    rows = list(csv.DictReader(io.StringIO(out)))
    # entered 3 (P001-P003), training 1 (P001), work 3: all 1 to 4, so all suppressed
    assert [r["participants"] for r in rows] == ["[c]", "[c]", "[c]"]


def test_as_user_unknown_email_gets_nothing(
    tiny_db: str, access_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(capsys, "funnel", "--db", tiny_db, "--as-user", "nobody@example.org")
    assert code == 2 and out == ""
    assert "nobody@example.org is not in the access file" in err


def test_cli_import_is_audited_with_file_hashes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    participants = b"participant_id,region,referral_date,entry_date\nP1,London,2022-01-01,2022-01-05\n"
    milestones = b"participant_id,milestone,date\nP1,job_start,2022-03-01\n"
    (tmp_path / "participants.csv").write_bytes(participants)
    (tmp_path / "milestones.csv").write_bytes(milestones)
    url = f"sqlite:///{tmp_path / 'ete.db'}"
    code, _, err = _run(capsys, "import", "--participants", str(tmp_path / "participants.csv"),
                        "--milestones", str(tmp_path / "milestones.csv"), "--db", url,
                        "--extract-date", "2022-04-01")
    assert code == 0, err
    events = _audit_events(url)
    assert len(events) == 1
    event = events.iloc[0]
    assert (event["actor"], event["role"], event["action"]) == ("local", "director", "import")
    assert event["file_sha256"] == hashlib.sha256(participants).hexdigest()
    assert hashlib.sha256(milestones).hexdigest() in event["detail"]
    assert event["detail"].startswith("import #1 (updating, command line): participants participants.csv")


def test_report_as_user_is_limited_and_audited(
    tmp_path: Path, access_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from ete_metrics.data.demo import build_demo_database

    url = f"sqlite:///{tmp_path / 'ete.db'}"
    engine = db.make_engine(url)
    build_demo_database(engine, n_participants=3000)
    engine.dispose()
    out = tmp_path / "wales.xlsx"
    code, _, err = _run(capsys, "report", "--format", "xlsx", "--out", str(out), "--as-of",
                        "2023-08-16", "--db", url, "--as-user", "lead.wales@example.org")
    assert code == 0, err
    cover = read_cover(out.read_bytes())
    assert cover["Regions"] == "Wales"
    # Wales alone: set against the programme, not compared with itself (no regions table)
    tables = read_tables(out.read_bytes())
    assert "regions" not in tables and "benchmark" in tables
    # a region outside the user's scope is refused, and nothing more is written
    code, _, err = _run(capsys, "report", "--format", "xlsx", "--out", str(tmp_path / "x.xlsx"),
                        "--db", url, "--as-user", "lead.wales@example.org", "--region", "London")
    assert code == 2 and "London is outside their access" in err
    assert not (tmp_path / "x.xlsx").exists()
    events = _audit_events(url)
    assert events["action"].tolist() == ["export"]
    event = events.iloc[0]
    assert (event["actor"], event["role"]) == ("lead.wales@example.org", "regional_lead")
    assert event["file_sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    assert event["detail"] == f"wales.xlsx ({out.stat().st_size:,} bytes, command line)"
    assert json.loads(event["filters"]) == {  # no --region: the report covers the user's regions
        "scope": ["Wales"], "regions": ["Wales"], "as_of": "2023-08-16", "audience": "internal",
        "format": "xlsx"}


def test_metric_output_is_audited_before_it_is_printed(
    tiny_db: str, access_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(capsys, "funnel", "--db", tiny_db, "--by", "region", "--format", "csv",
                          "--as-of", "2023-05-20", "--as-user", "lead.wales@example.org")
    assert code == 0, err
    events = _audit_events(tiny_db)
    assert events["action"].tolist() == ["export"]
    event = events.iloc[0]
    assert (event["actor"], event["role"]) == ("lead.wales@example.org", "regional_lead")
    # the hash is of exactly what was printed
    assert event["file_sha256"] == hashlib.sha256(out.encode("utf-8")).hexdigest()
    assert event["detail"] == f"funnel csv on standard output ({len(out.encode()):,} bytes, command line)"
    filters = json.loads(event["filters"])
    assert filters["scope"] == ["Wales"]
    assert (filters["command"], filters["as_of"], filters["by"], filters["format"]) == (
        "funnel", "2023-05-20", ["region"], "csv")
    assert "db" not in filters  # a database URL can hold a password


@pytest.fixture
def audit_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """The audit trail cannot be written (a locked database)."""
    from ete_metrics.errors import DatabaseError

    def refuse(*args: object, **kwargs: object) -> int:
        raise DatabaseError("Could not record the audit event: database is locked.")

    monkeypatch.setattr(audit, "record_export", refuse)


@pytest.mark.usefixtures("audit_refused")
def test_metric_output_that_cannot_be_audited_is_not_printed(
    tiny_db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(capsys, "funnel", "--db", tiny_db, "--format", "csv")
    assert code == 2 and out == ""
    assert "Nothing was printed: the output could not be recorded in the audit trail" in err
    assert "database is locked" in err
    # nor the stakeholder note that goes with csv output
    code, out, err = _run(capsys, "funnel", "--db", tiny_db, "--format", "csv", "--audience",
                          "stakeholder")
    assert code == 2 and out == ""
    assert STAKEHOLDER_NOTE not in err


@pytest.mark.usefixtures("audit_refused")
def test_a_report_that_cannot_be_audited_is_not_written(
    tiny_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "pack.xlsx"
    code, stdout, err = _run(capsys, "report", "--format", "xlsx", "--out", str(out), "--db", tiny_db)
    assert code == 2 and stdout == ""
    assert "Nothing was written: the report could not be recorded in the audit trail" in err
    assert not out.exists() and not list(tmp_path.glob(".pack.xlsx*"))
