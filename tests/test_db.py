"""Tests for ete_metrics.data.db: engine, save_extract semantics, loads and the data cut-off.

Every database test runs on SQLite and PostgreSQL (the ``engine`` fixture).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa
from outage_support import Relay, terminate, with_application_name

from ete_metrics.data import db, frames
from ete_metrics.errors import DatabaseError, InputError, Problem

# ---------------------------------------------------------------------------
# Hand-built extract
# ---------------------------------------------------------------------------


def participants_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    return frames.conform_participants(pd.DataFrame(rows))


def milestones_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    if not rows:
        return frames.empty_milestones()
    return frames.conform_milestones(pd.DataFrame(rows))


def targets_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    return frames.conform_targets(pd.DataFrame(rows))


PARTICIPANTS: list[dict[str, Any]] = [
    {
        "participant_id": "A",
        "region": "London",
        "referral_date": "2022-01-01",
        "entry_date": "2022-01-05",
        "pathway": "community",
        "exit_date": "2022-06-30",
        "exit_reason": "completed",
        "caseworker": "cw-7f3a",  # a caseworker's pseudonym
    },
    {"participant_id": "B", "region": "Wales", "referral_date": "2022-02-01", "entry_date": None},
    {
        "participant_id": "C",
        "region": "North West",
        "referral_date": "2022-03-01",
        "entry_date": "2022-03-04",
        "pathway": "custody",
        "prison": "HMP Example",
    },
]
MILESTONES: list[dict[str, Any]] = [
    {"participant_id": "A", "milestone": "training_start", "date": "2022-02-01", "partner": "Acme"},
    {"participant_id": "A", "milestone": "job_start", "date": "2022-05-01", "partner": None},
    {"participant_id": "C", "milestone": "training_start", "date": "2022-04-01", "partner": None},
]
TARGETS: list[dict[str, Any]] = [
    {"region": "London", "period_start": "2022-01-01", "measure": "entered", "target": 5},
    {"region": "Wales", "period_start": "2022-01-01", "measure": "entered", "target": 3},
]
WHEN = datetime(2023, 8, 16, 9, 30)


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as plain dicts: dates as ISO strings, missing values as None."""
    out: list[dict[str, Any]] = []
    for row in frame.to_dict("records"):
        clean: dict[str, Any] = {}
        for key, value in row.items():
            if value is None or (not isinstance(value, str) and pd.isna(value)):
                clean[str(key)] = None
            elif isinstance(value, pd.Timestamp):
                clean[str(key)] = value.strftime("%Y-%m-%d")
            else:
                clean[str(key)] = value
        out.append(clean)
    return out


def full(row: dict[str, Any], columns: tuple[str, ...]) -> dict[str, Any]:
    return {column: row.get(column) for column in columns}


def save_base(engine: sa.Engine) -> int:
    return db.save_extract(
        engine,
        participants_frame(PARTICIPANTS),
        milestones_frame(MILESTONES),
        targets_frame(TARGETS),
        record={
            "imported_at": WHEN,
            "participants_file": "p.csv",
            "participants_sha256": "ab" * 32,
        },
        warnings=[
            Problem("m.csv", 3, "date", "job_start before entry", "milestone_before_entry", "A")
        ],
    )


def ids(frame: pd.DataFrame) -> list[str]:
    return frame["participant_id"].tolist()


# ---------------------------------------------------------------------------
# make_engine
# ---------------------------------------------------------------------------


def test_make_engine_sqlite_creates_folder_and_sets_pragmas(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "new" / "folder" / "ete.db"
    engine = db.make_engine(f"sqlite:///{path}")
    try:
        assert path.parent.is_dir()
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
    finally:
        engine.dispose()


def test_make_engine_uses_environment_when_no_url(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "env.db"
    monkeypatch.setenv("ETE_DATABASE_URL", f"sqlite:///{path}")
    engine = db.make_engine()
    try:
        db.create_schema(engine)
        assert path.exists()
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("nosuchdialect://user@host/db", "driver that is not available"),
        ("postgresql+nosuchdriver://user@host/db", "driver that is not available"),
        ("not a url at all", "not valid"),
    ],
)
def test_make_engine_unknown_driver_says_what_to_fix(url: str, expected: str) -> None:
    with pytest.raises(DatabaseError, match=expected):
        db.make_engine(url)


def test_make_engine_unreachable_server_says_what_to_fix() -> None:
    # Port 1 on localhost: nothing listens there, the connection is refused at once.
    with pytest.raises(DatabaseError, match="Cannot connect to the database") as caught:
        db.make_engine("postgresql+psycopg://someone:secret@127.0.0.1:1/none")
    assert "secret" not in str(caught.value)  # the password is never shown


#: Everything a database is asked, by the dashboard and the commands.
READS: dict[str, Any] = {
    "data_version": db.data_version,
    "load_participants": db.load_participants,
    "load_milestones": db.load_milestones,
    "load_targets": db.load_targets,
    "load_imports": db.load_imports,
    "load_import_warnings": db.load_import_warnings,
    "load_audit": db.load_audit,
    "data_cutoff": db.data_cutoff,
    "participant_ids": db.participant_ids,
    "participant_entry_dates": db.participant_entry_dates,
    "participant_count": db.participant_count,
    "database_holdings": db.database_holdings,
    "create_schema": db.create_schema,
    "save_extract": lambda engine: db.save_extract(
        engine, participants_frame(PARTICIPANTS), milestones_frame(MILESTONES)
    ),
    "record_audit": lambda engine: db.record_audit(
        engine, occurred_at=WHEN, actor="local", action="export"
    ),
}


def _unreachable(message: str, where: str) -> None:
    """The message says the database cannot be reached and what to check; never that it is
    empty or has no tables, and no command that writes."""
    assert message.startswith(f"Cannot connect to the database at {where}: "), message
    assert "Check that the database server is running and can be reached from here" in message
    for never in ("empty", "no ETE tables", "demo", "python -m", "make run", "import an extract"):
        assert never not in message, message


@pytest.mark.postgres
def test_a_server_that_goes_away_is_said_to_be_unreachable_by_every_read(postgres_url: str) -> None:
    setup = db.make_engine(postgres_url)
    save_base(setup)
    setup.dispose()
    with Relay(postgres_url) as relay:
        engine = db.make_engine(relay.url)
        assert db.data_version(engine)[2] == 3  # answering, its connection in the pool
        relay.cut()
        for read in READS.values():
            with pytest.raises(DatabaseError) as caught:
                read(engine)
            _unreachable(str(caught.value), relay.url)  # (no password in the URL to hide)
        engine.dispose()


@pytest.mark.postgres
def test_connections_the_server_dropped_are_replaced_never_taken_for_missing_tables(
    postgres_url: str,
) -> None:
    url, name = with_application_name(postgres_url)
    engine = db.make_engine(url)
    try:
        save_base(engine)
        version = db.data_version(engine)
        assert terminate(postgres_url, name) >= 1  # the pool's connections, ended by the server
        assert db.data_version(engine) == version
        assert ids(db.load_participants(engine)) == ["A", "B", "C"]
    finally:
        engine.dispose()


def test_a_file_that_is_not_a_database_says_what_to_check(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "ete.db"
    path.write_bytes(b"participant_id,region\nA,Wales\n" * 200)  # a CSV saved under the name
    with pytest.raises(DatabaseError) as caught:
        db.make_engine(f"sqlite:///{path}")
    message = str(caught.value)
    assert message.startswith(f"Cannot connect to the database at sqlite:///{path}: file is not a database. ")
    assert "Check that the file exists, that this user may read and write it and its folder, that it is an SQLite database" in message
    assert "server" not in message and "demo" not in message
    folder = tmp_path / "a_folder.db"  # a wrong URL naming a folder
    folder.mkdir()
    with pytest.raises(DatabaseError, match="unable to open database file. Check that the file exists"):
        db.make_engine(f"sqlite:///{folder}")


def test_another_applications_database_is_told_to_check_the_url_not_offered_the_demo(
    engine: sa.Engine,
) -> None:
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE orders (id INTEGER PRIMARY KEY)")
    for read in (db.data_version, db.load_participants, db.data_cutoff):
        with pytest.raises(DatabaseError) as caught:
            read(engine)
        message = str(caught.value)
        assert "has no ETE tables, but it holds 1 other table: check that the URL (--db or ETE_DATABASE_URL) names the ETE database" in message
        assert "demo" not in message and "make run" not in message


def test_missing_tables_in_a_database_of_ete_data_are_added_by_init_db_not_the_demo(
    engine: sa.Engine,
) -> None:
    save_base(engine)
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE targets")
    with pytest.raises(DatabaseError) as caught:
        db.load_targets(engine)
    message = str(caught.value)
    assert message.startswith("Could not load targets: the database at ")
    assert "lacks the ETE table targets" in message
    assert "`python -m ete_metrics init-db`, which keeps every row already stored" in message
    assert "demo" not in message


# ---------------------------------------------------------------------------
# Round trip and loads
# ---------------------------------------------------------------------------


def test_round_trip(engine: sa.Engine) -> None:
    save_base(engine)
    participants = db.load_participants(engine)
    assert list(participants.columns) == list(frames.PARTICIPANT_COLUMNS)
    for column in frames.PARTICIPANT_DATE_COLUMNS:
        assert participants[column].dtype == "datetime64[ns]"
    assert records(participants) == [full(r, frames.PARTICIPANT_COLUMNS) for r in PARTICIPANTS]

    milestones = db.load_milestones(engine)
    assert milestones["date"].dtype == "datetime64[ns]"
    # ordered by participant, then date
    assert records(milestones) == [full(r, frames.MILESTONE_COLUMNS) for r in MILESTONES]

    targets = db.load_targets(engine)
    assert targets["target"].dtype == "int64"
    assert records(targets) == TARGETS


def test_regions_filter(engine: sa.Engine) -> None:
    save_base(engine)
    assert ids(db.load_participants(engine, ["Wales", "London"])) == ["A", "B"]
    assert records(db.load_milestones(engine, ["North West"])) == [
        full(MILESTONES[2], frames.MILESTONE_COLUMNS)
    ]
    assert records(db.load_targets(engine, ["Wales"])) == [TARGETS[1]]
    # A value with a quote is a bound parameter, not SQL: simply no rows.
    assert db.load_participants(engine, ["O'Brien'; DROP TABLE participants; --"]).empty
    assert len(db.load_participants(engine)) == 3


def test_load_participants_reads_only_the_columns_asked_for(engine: sa.Engine) -> None:
    save_base(engine)
    # asked in another order and without the id: the id is added, the table's order kept
    frame = db.load_participants(engine, ["Wales", "London"], columns=["entry_date", "region"])
    assert list(frame.columns) == ["participant_id", "region", "entry_date"]
    assert frame["entry_date"].dtype == "datetime64[ns]"
    assert records(frame) == [
        {"participant_id": "A", "region": "London", "entry_date": "2022-01-05"},
        {"participant_id": "B", "region": "Wales", "entry_date": None},
    ]
    assert db.load_participants(engine, [], columns=["region"]).empty
    with pytest.raises(InputError, match="'shoe_size'"):
        db.load_participants(engine, columns=["region", "shoe_size"])


def test_imports_and_warnings_are_recorded(engine: sa.Engine) -> None:
    import_id = save_base(engine)
    imports = db.load_imports(engine)
    assert imports["id"].tolist() == [import_id]
    row = imports.iloc[0]
    assert row["imported_at"] == pd.Timestamp(WHEN)
    assert row["participants_file"] == "p.csv"
    assert row["participants_sha256"] == "ab" * 32
    # counts default from the frames: 3 participants, 3 milestones, 2 targets, 1 warning
    assert (
        row["participants_rows"],
        row["milestones_rows"],
        row["targets_rows"],
        row["warnings_count"],
    ) == (3, 3, 2, 1)

    warnings = db.load_import_warnings(engine)
    assert records(warnings) == [
        {
            "import_id": import_id,
            "file": "m.csv",
            "line": 3,
            "column": "date",
            "check": "milestone_before_entry",
            "message": "job_start before entry",
            "participant_id": "A",
        }
    ]


def test_data_cutoff(engine: sa.Engine) -> None:
    db.create_schema(engine)
    assert db.data_cutoff(engine) is None
    save_base(engine)
    # referral max 2022-03-01, entry max 2022-03-04, exit 2022-06-30, milestone max 2022-05-01
    assert db.data_cutoff(engine) == date(2022, 6, 30)


def test_data_cutoff_counts_milestone_dates(engine: sa.Engine) -> None:
    save_base(engine)
    db.save_extract(
        engine,
        participants_frame([PARTICIPANTS[2]]),
        milestones_frame([{"participant_id": "C", "milestone": "job_start", "date": "2022-09-09"}]),
    )
    # C's job_start on 2022-09-09 is now later than A's exit on 2022-06-30
    assert db.data_cutoff(engine) == date(2022, 9, 9)


def test_participant_ids(engine: sa.Engine) -> None:
    assert db.participant_ids(engine) == frozenset()  # no schema yet
    save_base(engine)
    assert db.participant_ids(engine) == frozenset({"A", "B", "C"})


def test_participant_entry_dates(engine: sa.Engine) -> None:
    empty = db.participant_entry_dates(engine)  # no schema yet
    assert empty.empty and str(empty.dtype) == "datetime64[ns]"
    save_base(engine)
    stored = db.participant_entry_dates(engine).sort_index()
    # From PARTICIPANTS above: A entered 5 Jan 2022, B never started, C entered 4 Mar 2022.
    assert stored.index.tolist() == ["A", "B", "C"]
    assert stored["A"] == pd.Timestamp("2022-01-05")
    assert pd.isna(stored["B"])
    assert stored["C"] == pd.Timestamp("2022-03-04")


# ---------------------------------------------------------------------------
# Update semantics
# ---------------------------------------------------------------------------


def test_partial_update_upserts_and_replaces_milestones_of_named_participants(
    engine: sa.Engine,
) -> None:
    save_base(engine)
    changed_a = {**PARTICIPANTS[0], "area": "Camden"}
    db.save_extract(
        engine,
        participants_frame([changed_a]),
        milestones_frame(
            [
                {"participant_id": "A", "milestone": "job_sustained", "date": "2022-08-01"},
                # C is not in this participants frame but is named by a milestone:
                {"participant_id": "C", "milestone": "training_completed", "date": "2022-05-01"},
            ]
        ),
    )
    participants = db.load_participants(engine)
    assert ids(participants) == ["A", "B", "C"]  # B and C kept
    assert participants.set_index("participant_id").loc["A", "area"] == "Camden"
    assert participants.set_index("participant_id").loc["C", "prison"] == "HMP Example"
    # A's two milestones replaced by job_sustained; C's training_start replaced by training_completed
    assert records(db.load_milestones(engine)) == [
        {
            "participant_id": "A",
            "milestone": "job_sustained",
            "date": "2022-08-01",
            "partner": None,
        },
        {
            "participant_id": "C",
            "milestone": "training_completed",
            "date": "2022-05-01",
            "partner": None,
        },
    ]
    assert len(db.load_targets(engine)) == 2  # targets untouched when none given


def test_same_extract_twice_changes_nothing(engine: sa.Engine) -> None:
    save_base(engine)
    before = (db.load_participants(engine), db.load_milestones(engine), db.load_targets(engine))
    save_base(engine)
    after = (db.load_participants(engine), db.load_milestones(engine), db.load_targets(engine))
    for old, new in zip(before, after, strict=True):
        assert records(old) == records(new)
    assert len(db.load_imports(engine)) == 2  # but each import is recorded


def test_replace_all_makes_the_extract_the_whole_database(engine: sa.Engine) -> None:
    save_base(engine)
    db.save_extract(
        engine, participants_frame([PARTICIPANTS[1]]), milestones_frame([]), replace_all=True
    )
    assert ids(db.load_participants(engine)) == ["B"]
    assert db.load_milestones(engine).empty
    assert len(db.load_targets(engine)) == 2  # no targets given: targets kept


def test_targets_replace_only_the_keys_given(engine: sa.Engine) -> None:
    save_base(engine)
    db.save_extract(
        engine,
        frames.empty_participants(),
        frames.empty_milestones(),
        targets_frame(
            [
                {
                    "region": "London",
                    "period_start": "2022-01-01",
                    "measure": "entered",
                    "target": 7,
                },
                {
                    "region": "London",
                    "period_start": "2022-02-01",
                    "measure": "entered",
                    "target": 4,
                },
            ]
        ),
    )
    assert records(db.load_targets(engine)) == [
        {"region": "London", "period_start": "2022-01-01", "measure": "entered", "target": 7},
        {"region": "London", "period_start": "2022-02-01", "measure": "entered", "target": 4},
        {"region": "Wales", "period_start": "2022-01-01", "measure": "entered", "target": 3},
    ]


def test_failed_write_changes_nothing(engine: sa.Engine) -> None:
    save_base(engine)
    before = records(db.load_participants(engine)), records(db.load_milestones(engine))
    changed_a = {**PARTICIPANTS[0], "area": "Camden"}
    with pytest.raises(DatabaseError, match="nothing was changed"):
        db.save_extract(
            engine,
            participants_frame([changed_a]),
            # ZZZ is in no participants table: the foreign key fails after A was rewritten
            milestones_frame(
                [{"participant_id": "ZZZ", "milestone": "job_start", "date": "2022-01-01"}]
            ),
        )
    assert (records(db.load_participants(engine)), records(db.load_milestones(engine))) == before
    assert len(db.load_imports(engine)) == 1


def test_loads_before_schema_say_what_to_do(engine: sa.Engine) -> None:
    with pytest.raises(DatabaseError, match="has no ETE tables yet: it is empty"):
        db.load_participants(engine)


def test_a_database_made_before_the_caseworker_column_loads_and_then_takes_one(
    engine: sa.Engine,
) -> None:
    save_base(engine)
    with engine.begin() as connection:  # as the release before the column made it
        connection.exec_driver_sql("ALTER TABLE participants DROP COLUMN caseworker")
    # Read before any import migrated it: the caseworker reads as not recorded.
    participants = db.load_participants(engine)
    assert list(participants.columns) == list(frames.PARTICIPANT_COLUMNS)
    assert participants["caseworker"].isna().all()
    assert ids(participants) == ["A", "B", "C"]
    # The next import adds the column and stores the caseworker.
    db.save_extract(
        engine,
        participants_frame([{**PARTICIPANTS[1], "caseworker": "cw-91bc"}]),
        milestones_frame([]),
        record={"imported_at": WHEN},
    )
    stored = db.load_participants(engine).set_index("participant_id")["caseworker"]
    assert stored.isna().tolist() == [True, False, True]
    assert stored["B"] == "cw-91bc"


def test_text_columns_load_as_categoricals_except_the_ids(engine: sa.Engine) -> None:
    save_base(engine)
    participants = db.load_participants(engine)
    assert participants["participant_id"].tolist() == ["A", "B", "C"]
    assert not isinstance(participants["participant_id"].dtype, pd.CategoricalDtype)
    region = participants["region"]
    assert isinstance(region.dtype, pd.CategoricalDtype)
    # the categories are the values present, sorted; the values read back unchanged
    assert list(region.cat.categories) == ["London", "North West", "Wales"]
    assert region.tolist() == ["London", "Wales", "North West"]
    assert list(participants["pathway"].cat.categories) == ["community", "custody"]
    assert participants["pathway"].isna().tolist() == [False, True, False]
    assert participants["gender"].isna().all()  # never recorded: an empty categorical
    milestones = db.load_milestones(engine)
    assert list(milestones["milestone"].cat.categories) == ["job_start", "training_start"]
    assert milestones["partner"].tolist()[0] == "Acme" and milestones["partner"].isna().tolist() == [
        False, True, True,
    ]
