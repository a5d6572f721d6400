"""Tests for ete_metrics.data.schema: tables, keys, indexes and an idempotent create_schema."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from ete_metrics.data.schema import (
    create_schema,
    migrate_schema,
    milestones_table,
    participants_table,
    targets_table,
)

TABLES = {"participants", "milestones", "targets", "imports", "import_warnings"}


def test_create_schema_creates_the_five_tables(engine: sa.Engine) -> None:
    create_schema(engine)
    assert set(sa.inspect(engine).get_table_names()) >= TABLES


def test_create_schema_is_idempotent_and_keeps_rows(engine: sa.Engine) -> None:
    create_schema(engine)
    with engine.begin() as connection:
        connection.execute(
            participants_table.insert().values(
                participant_id="P1", region="Wales", entry_date=date(2022, 1, 3)
            )
        )
    create_schema(engine)  # second run: nothing dropped or recreated
    with engine.connect() as connection:
        rows = connection.execute(sa.select(participants_table.c.participant_id)).all()
    assert [r[0] for r in rows] == ["P1"]


def test_indexes_for_region_entry_date_and_milestone_participant(engine: sa.Engine) -> None:
    create_schema(engine)
    inspector = sa.inspect(engine)
    participant_indexed = {
        tuple(ix["column_names"]) for ix in inspector.get_indexes("participants")
    }
    assert ("region",) in participant_indexed
    assert ("entry_date",) in participant_indexed
    milestone_indexed = {tuple(ix["column_names"]) for ix in inspector.get_indexes("milestones")}
    assert ("participant_id",) in milestone_indexed


def test_participant_id_is_unique(engine: sa.Engine) -> None:
    create_schema(engine)
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(
            participants_table.insert(),
            [
                {"participant_id": "P1", "region": "Wales"},
                {"participant_id": "P1", "region": "London"},
            ],
        )


def test_milestone_needs_a_known_participant(engine: sa.Engine) -> None:
    create_schema(engine)
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(
            milestones_table.insert().values(
                participant_id="NOBODY", milestone="job_start", date=date(2022, 1, 1)
            )
        )


def test_target_key_is_unique(engine: sa.Engine) -> None:
    create_schema(engine)
    row = {"region": "Wales", "period_start": date(2022, 4, 1), "measure": "entered", "target": 10}
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(targets_table.insert(), [row, {**row, "target": 12}])


def _made_before_the_caseworker_column(engine: sa.Engine) -> None:
    """A database as the release before ``participants.caseworker`` made it, with one row."""
    create_schema(engine)
    with engine.begin() as connection:
        connection.exec_driver_sql("ALTER TABLE participants DROP COLUMN caseworker")
        connection.exec_driver_sql(
            "INSERT INTO participants (participant_id, region, entry_date) "
            "VALUES ('P1', 'Wales', '2022-01-03')"
        )


def _participant_columns(engine: sa.Engine) -> set[str]:
    return {c["name"] for c in sa.inspect(engine).get_columns("participants")}


def test_create_schema_adds_the_caseworker_column_to_an_older_database(engine: sa.Engine) -> None:
    _made_before_the_caseworker_column(engine)
    assert "caseworker" not in _participant_columns(engine)
    create_schema(engine)
    assert "caseworker" in _participant_columns(engine)
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(participants_table.c.participant_id, participants_table.c.caseworker)
        ).all()
    assert [tuple(r) for r in rows] == [("P1", None)]  # the row is kept, its caseworker empty
    with engine.begin() as connection:  # and the column takes values
        connection.execute(
            participants_table.update().values(caseworker="cw-pseudonym")
        )
    create_schema(engine)  # again: nothing to add, nothing lost
    with engine.connect() as connection:
        stored = connection.execute(sa.select(participants_table.c.caseworker)).scalar_one()
    assert stored == "cw-pseudonym"


def test_migrate_schema_is_idempotent_and_says_what_it_added(engine: sa.Engine) -> None:
    _made_before_the_caseworker_column(engine)
    assert migrate_schema(engine) == ["participants.caseworker"]
    assert migrate_schema(engine) == []
    create_schema(engine)
    assert migrate_schema(engine) == []


def test_a_fresh_schema_has_the_caseworker_column_and_needs_no_migration(engine: sa.Engine) -> None:
    create_schema(engine)
    assert "caseworker" in _participant_columns(engine)
    assert migrate_schema(engine) == []
