"""An import while others read: readers see the data before it or after it, never half.

SQLite runs in WAL mode (readers keep their snapshot while a write is under way)
and every import is one transaction (:func:`ete_metrics.data.db.save_extract`); on
PostgreSQL the transaction alone does it. A reader thread counts the tables over
and over while a second extract is imported, on both backends (the ``engine``
fixture), and every count it sees must be the old totals or the new ones.

The dashboard reads five tables one after the other
(:func:`dashboard.data._load`), so it also checks the data version before and
after and reads again when an import landed in between: its frames are always of
one state of the database.
"""

from __future__ import annotations

import threading
import time
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from ete_metrics.data import db
from ete_metrics.data.importer import import_extract

#: Big enough that the second import takes a good fraction of a second.
FIRST = 3_000
SECOND = 5_000
READ_TIMEOUT = 120.0  # seconds; every wait is bounded


def _write_extract(folder: Path, start: int, count: int, milestones_each: int) -> tuple[Path, Path]:
    """``count`` participants P<start>.. with ``milestones_each`` milestones each."""
    folder.mkdir(parents=True, exist_ok=True)
    regions = ("London", "North West", "West Midlands", "Wales")
    people = ["participant_id,region,referral_date,entry_date"]
    events = ["participant_id,milestone,date"]
    kinds = ("training_start", "training_completed", "job_start")
    for n in range(start, start + count):
        people.append(f"P{n},{regions[n % 4]},2022-01-0{1 + n % 9},2022-02-0{1 + n % 9}")
        for k in range(milestones_each):
            events.append(f"P{n},{kinds[k % 3]},2022-0{3 + k}-01")
    participants = folder / "participants.csv"
    milestones = folder / "milestones.csv"
    participants.write_text("\n".join(people) + "\n", encoding="utf-8")
    milestones.write_text("\n".join(events) + "\n", encoding="utf-8")
    return participants, milestones


def _counts(engine: sa.Engine) -> tuple[int, int, int]:
    """(participants, milestones, imports) in one statement: one snapshot on both backends."""
    version = db.data_version(engine)
    return int(version[2]), int(version[3]), int(version[1])


class _Reader(threading.Thread):
    """Calls ``read`` in a loop until told to stop; keeps what it saw and when."""

    def __init__(self, read: Any) -> None:
        super().__init__(daemon=True)
        self.read = read
        self.stop = threading.Event()
        self.seen: list[tuple[float, float, Any]] = []
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                began = time.monotonic()
                value = self.read()
                self.seen.append((began, time.monotonic(), value))
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            self.error = exc


def _import_while_reading(
    engine: sa.Engine, tmp_path: Path, read: Any, *, replace_all: bool
) -> tuple[_Reader, float, float]:
    first = _write_extract(tmp_path / "first", 0, FIRST, 2)
    import_extract(engine, *first, imported_at=datetime(2023, 8, 1, 9, 0), extract_date=date(2023, 8, 1))
    # The second extract updates half of the first's people (3 milestones each now) and adds more.
    second = _write_extract(tmp_path / "second", FIRST // 2, SECOND, 3)
    reader = _Reader(read)
    reader.start()
    deadline = time.monotonic() + READ_TIMEOUT
    while not reader.seen and reader.error is None and time.monotonic() < deadline:
        time.sleep(0.01)
    started = time.monotonic()
    import_extract(
        engine, *second, replace_all=replace_all,
        imported_at=datetime(2023, 8, 2, 9, 0), extract_date=date(2023, 8, 2),
    )
    finished = time.monotonic()
    time.sleep(0.2)  # a few reads after the commit
    reader.stop.set()
    reader.join(timeout=READ_TIMEOUT)
    assert not reader.is_alive(), "the reader did not stop"
    assert reader.error is None, repr(reader.error)
    return reader, started, finished


def _expected(replace_all: bool) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    """The totals before and after the second import, worked out from the two extracts."""
    before = (FIRST, 2 * FIRST, 1)
    if replace_all:
        return before, (SECOND, 3 * SECOND, 2)
    kept = FIRST // 2  # P0..P5999 are not in the second extract: kept with their 2 milestones
    return before, (kept + SECOND, 2 * kept + 3 * SECOND, 2)


@pytest.mark.parametrize("replace_all", [False, True], ids=["update", "replace_all"])
def test_counts_read_during_an_import_are_old_or_new(
    engine: sa.Engine, tmp_path: Path, replace_all: bool
) -> None:
    reader, started, finished = _import_while_reading(
        engine, tmp_path, lambda: _counts(engine), replace_all=replace_all
    )
    before, after = _expected(replace_all)
    seen = {value for _, _, value in reader.seen}
    assert seen <= {before, after}, f"a reader saw a half-written import: {seen - {before, after}}"
    during = [value for began, ended, value in reader.seen if began >= started and ended <= finished]
    assert len(during) >= 3, "the reader did not read while the import ran"
    assert reader.seen[-1][2] == after


def test_sqlite_files_use_wal_and_a_busy_timeout(tmp_path: Path) -> None:
    engine = db.make_engine(f"sqlite:///{tmp_path / 'ete.db'}")
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar_one() >= 5_000
    finally:
        engine.dispose()


def test_the_dashboard_never_loads_half_an_import(engine: sa.Engine, tmp_path: Path) -> None:
    """The dashboard's loader (five tables read one by one) sees one state of the database."""
    from dashboard import data as dashboard_data

    url = engine.url.render_as_string(hide_password=False)
    load = dashboard_data._load.__wrapped__  # the loader itself, without Streamlit's cache

    def read() -> tuple[tuple[int, int, int], tuple[Any, ...]]:
        loaded = load(url, tuple(db.data_version(engine)))
        frames = (len(loaded.participants), len(loaded.milestones), len(loaded.imports))
        return frames, tuple(loaded.version[-4:])

    reader, started, finished = _import_while_reading(engine, tmp_path, read, replace_all=True)
    before, after = _expected(True)
    for _, _, (frames, version) in reader.seen:
        assert frames in (before, after), f"the dashboard loaded a half-written import: {frames}"
        # The version it is cached under describes the frames it holds.
        assert (int(version[2]), int(version[3]), int(version[1])) == frames
    overlapping = [v for began, ended, v in reader.seen if began < finished and ended > started]
    assert overlapping, "the dashboard did not load while the import ran"


def test_a_second_import_waits_for_the_first_and_then_lands(
    engine: sa.Engine, tmp_path: Path
) -> None:
    """Two imports at once: the second waits for the first to commit, then lands (issue 12).

    A first writer holds the write lock for a second; the import starts while it does.
    Before the fix, on SQLite the import read (to count the stored participants) and then
    tried to write: in WAL mode that fails at once with "database is locked" once the
    first writer has committed, instead of waiting.
    """
    import_extract(
        engine, *_write_extract(tmp_path / "first", 0, 50, 1), imported_at=datetime(2023, 8, 1)
    )
    locked = threading.Event()
    failures: list[BaseException] = []

    def first_writer() -> None:
        try:
            with (
                engine.connect().execution_options(ete_write=True) as connection,
                connection.begin(),
            ):
                if connection.dialect.name == "postgresql":
                    connection.exec_driver_sql("SELECT pg_advisory_xact_lock(7431012)")
                connection.exec_driver_sql(
                    "INSERT INTO participants (participant_id, region, referral_date) "
                    "VALUES ('W1', 'Wales', '2022-01-01')"
                )
                locked.set()
                time.sleep(1.0)
        except BaseException as exc:  # noqa: BLE001 - reported by the test below
            failures.append(exc)
            locked.set()

    writer = threading.Thread(target=first_writer)
    writer.start()
    assert locked.wait(READ_TIMEOUT)
    started = time.monotonic()
    result = import_extract(
        engine, *_write_extract(tmp_path / "second", 100, 20, 1), imported_at=datetime(2023, 8, 2)
    )
    waited = time.monotonic() - started
    writer.join(READ_TIMEOUT)
    assert failures == []
    # 50 stored, W1 from the first writer, 20 from the second import: 71 people.
    assert db.participant_count(engine) == 71
    assert result.participants == 20
    assert waited >= 0.5  # it waited for the first writer's second
