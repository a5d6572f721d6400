"""The deliveries recorded (ete_metrics.data.db.record_delivery / load_deliveries), on SQLite
and PostgreSQL: an email sent is stored with its audit row, both or neither."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from ete_metrics.data.audit import delivery_entry, sha256_of
from ete_metrics.data.db import (
    delivery_lock,
    load_audit,
    load_deliveries,
    make_engine,
    record_delivery,
)
from ete_metrics.errors import DatabaseError, InputError
from ete_metrics.protect.access import Access

LEAD = Access("lead.wales@example.org", "regional_lead", ("Wales",))
WHEN = datetime(2023, 5, 9, 6, 30, tzinfo=UTC)
PERIOD = {
    "period_start": date(2023, 4, 1),
    "period_end": date(2023, 4, 30),
    "as_of": date(2023, 4, 30),
}


def test_nothing_recorded_reads_empty_and_creates_nothing(engine: sa.Engine) -> None:
    frame = load_deliveries(engine)
    assert frame.empty and "status" in frame.columns
    assert not sa.inspect(engine).has_table("deliveries")


def test_a_sent_pack_is_stored_with_its_audit_row(engine: sa.Engine) -> None:
    files = {"a.xlsx": b"workbook", "a.pdf": b"pack"}
    audit = delivery_entry(
        occurred_at=WHEN,
        access=LEAD,
        what="emailed the April 2023 pack (subscription 2)",
        files=files,
    )
    record_delivery(
        engine,
        attempted_at=WHEN,
        recipient=LEAD.email,
        subscription="month|xlsx,pdf|*",
        status="sent",
        files="a.xlsx; a.pdf",
        audit=audit,
        **PERIOD,
    )
    record_delivery(
        engine,
        attempted_at=WHEN,
        recipient=LEAD.email,
        subscription="week|pdf|*",
        status="failed",
        problem="the mail server refused",
        **PERIOD,
    )
    stored = load_deliveries(engine)
    assert stored["status"].tolist() == ["sent", "failed"]
    assert stored["period_start"].tolist() == [date(2023, 4, 1)] * 2
    assert stored["attempted_at"].iloc[0] == datetime(2023, 5, 9, 6, 30)  # UTC, naive
    assert load_deliveries(engine, recipient="someone@else.org").empty
    events = load_audit(engine, actions=["delivery"])
    assert len(events) == 1  # one row per email sent, none for a failure
    row = events.iloc[0]
    assert (row["actor"], row["role"]) == (LEAD.email, "regional_lead")
    assert row["file_sha256"] == sha256_of(b"workbook")
    for name, content in files.items():
        assert f"{name} ({len(content):,} bytes, sha256 {sha256_of(content)})" in row["detail"]
    assert '"scope": ["Wales"]' in row["filters"]


def test_a_delivery_whose_audit_row_fails_is_not_stored_either(engine: sa.Engine) -> None:
    audit = delivery_entry(occurred_at=WHEN, access=LEAD, what="emailed", files={"a.xlsx": b"x"})
    audit["actor"] = None  # the audit row cannot be written (actor is NOT NULL)
    with pytest.raises(DatabaseError):
        record_delivery(
            engine,
            attempted_at=WHEN,
            recipient=LEAD.email,
            subscription="k",
            status="sent",
            audit=audit,
            **PERIOD,
        )
    assert load_deliveries(engine).empty and load_audit(engine).empty


def test_an_unknown_status_is_refused(engine: sa.Engine) -> None:
    with pytest.raises(InputError, match="Unknown delivery status 'queued'"):
        record_delivery(
            engine,
            attempted_at=WHEN,
            recipient=LEAD.email,
            subscription="k",
            status="queued",
            **PERIOD,
        )


def test_one_deliver_run_at_a_time(database_url: str) -> None:
    first, second = make_engine(database_url), make_engine(database_url)
    try:
        with delivery_lock(first) as taken:
            assert taken
            with delivery_lock(second) as also:
                assert not also  # another run (another connection, or another file handle)
        with delivery_lock(second) as after:
            assert after  # released when the first run ended
    finally:
        first.dispose()
        second.dispose()
