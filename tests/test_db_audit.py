"""The audit trail in ete_metrics.data.db (record_audit, load_audit) on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

import pandas as pd
import pytest
import sqlalchemy as sa

from ete_metrics.data import db
from ete_metrics.data.schema import create_schema
from ete_metrics.errors import InputError

SHA = "a" * 64


def test_create_schema_adds_the_audit_table_idempotently(engine: sa.Engine) -> None:
    create_schema(engine)
    assert "audit_events" in sa.inspect(engine).get_table_names()
    db.record_audit(engine, occurred_at=datetime(2024, 6, 1, 9), actor="local", action="import")
    create_schema(engine)  # again: the event is kept
    assert len(db.load_audit(engine)) == 1


def test_load_audit_before_anything_is_recorded(engine: sa.Engine) -> None:
    empty = db.load_audit(engine)  # no tables at all yet
    assert list(empty.columns) == list(db.AUDIT_COLUMNS) and empty.empty
    create_schema(engine)
    assert db.load_audit(engine).empty


def test_record_and_load_round_trip(engine: sa.Engine) -> None:
    # an older database without the audit table: record_audit creates it
    new_id = db.record_audit(
        engine,
        occurred_at=datetime(2024, 6, 1, 10, 30, tzinfo=timezone(timedelta(hours=1))),  # 09:30 UTC
        actor="lead.wales@example.org",
        role="regional_lead",
        action="export",
        detail="funnel.csv (120 bytes, dashboard)",
        filters={"as_of": date(2024, 5, 31), "regions": ("Wales",), "audience": "internal"},
        file_sha256=SHA,
    )
    events = db.load_audit(engine)
    assert events["id"].tolist() == [new_id]
    row = events.iloc[0]
    assert row["occurred_at"] == pd.Timestamp("2024-06-01 09:30")  # stored in UTC
    assert events["occurred_at"].dtype == "datetime64[ns]"
    assert (row["actor"], row["role"], row["action"]) == (
        "lead.wales@example.org", "regional_lead", "export")
    assert row["detail"] == "funnel.csv (120 bytes, dashboard)"
    assert json.loads(row["filters"]) == {
        "as_of": "2024-05-31", "regions": ["Wales"], "audience": "internal"}
    assert row["file_sha256"] == SHA


def test_newest_first_and_selections(engine: sa.Engine) -> None:
    start = datetime(2024, 6, 1, 9, 0)
    for minutes, actor, action in (
        (0, "a@example.org", "sign_in"),
        (5, "local", "import"),
        (10, "a@example.org", "export"),
        (15, "b@example.org", "sign_in_denied"),
    ):
        db.record_audit(engine, occurred_at=start + timedelta(minutes=minutes), actor=actor,
                        action=action)
    events = db.load_audit(engine)
    assert events["action"].tolist() == ["sign_in_denied", "export", "import", "sign_in"]
    assert db.load_audit(engine, limit=2)["action"].tolist() == ["sign_in_denied", "export"]
    assert db.load_audit(engine, actor="a@example.org")["action"].tolist() == ["export", "sign_in"]
    assert db.load_audit(engine, actions=["import", "sign_in"])["actor"].tolist() == [
        "local", "a@example.org"]
    # no time zone, no filters, no hash: stored as given, nulls for the rest
    first = events.iloc[-1]
    assert first["occurred_at"] == pd.Timestamp("2024-06-01 09:00")
    assert first["filters"] is None and first["file_sha256"] is None and first["role"] is None


def test_values_are_bound_not_spliced(engine: sa.Engine) -> None:
    sneaky = "x'); DROP TABLE audit_events; --@example.org"
    db.record_audit(engine, occurred_at=datetime(2024, 6, 1), actor=sneaky, action="sign_in",
                    detail="'; DELETE FROM audit_events; --")
    events = db.load_audit(engine, actor=sneaky)
    assert events["actor"].tolist() == [sneaky]
    assert events["detail"].tolist() == ["'; DELETE FROM audit_events; --"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"action": "delete"}, "Unknown audit action 'delete'"),
        ({"actor": "  "}, "needs an actor"),
        ({"file_sha256": "ABC"}, "is not a SHA-256"),
        ({"file_sha256": "A" * 64}, "is not a SHA-256"),  # lower-case hex only
    ],
)
def test_bad_events_are_refused(engine: sa.Engine, kwargs: dict[str, str], message: str) -> None:
    values = {"occurred_at": datetime(2024, 6, 1), "actor": "local", "action": "export", **kwargs}
    with pytest.raises(InputError, match=message):
        db.record_audit(engine, **values)  # type: ignore[arg-type]
    assert db.load_audit(engine).empty
