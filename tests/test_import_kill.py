"""kill -9 at the moment an import commits leaves exactly the old or the new state (issue 12).

A child process imports a second extract and prints a line from SQLAlchemy's
``commit`` event, the instant before ``COMMIT`` is sent; the test kills it with
SIGKILL as soon as it reads that line, so the kill races the commit itself. Whatever
the timing, the database must hold the first import alone or both imports whole, on
SQLite and PostgreSQL (the ``database_url`` fixture).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from ete_metrics.data import db
from ete_metrics.data.importer import import_extract

ROOT = Path(__file__).resolve().parent.parent

CHILD = """
import sys
from datetime import datetime
from sqlalchemy import event
from ete_metrics.data import db
from ete_metrics.data.importer import import_extract

engine = db.make_engine(sys.argv[1])


def on_commit(connection):
    # Only the import's own transaction (save_extract marks it as a write), not the
    # schema check or the reads before it.
    if connection.get_execution_options().get("ete_write"):
        print("COMMIT", flush=True)


event.listen(engine, "commit", on_commit)
import_extract(engine, sys.argv[2], sys.argv[3], imported_at=datetime(2023, 8, 2))
print("DONE", flush=True)
"""


def _extract(folder: Path, start: int, count: int) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    people = ["participant_id,region,referral_date,entry_date"]
    events = ["participant_id,milestone,date"]
    for n in range(start, start + count):
        people.append(f"P{n},Wales,2022-01-03,2022-02-01")
        events.append(f"P{n},training_start,2022-03-01")
    participants, milestones = folder / "participants.csv", folder / "milestones.csv"
    participants.write_text("\n".join(people) + "\n", encoding="utf-8")
    milestones.write_text("\n".join(events) + "\n", encoding="utf-8")
    return participants, milestones


def _state(url: str) -> tuple[int, int, int]:
    engine = db.make_engine(url)
    try:
        version = db.data_version(engine)
        return int(version[2]), int(version[3]), int(version[1])  # people, milestones, imports
    finally:
        engine.dispose()


@pytest.mark.parametrize("attempt", range(3))
def test_kill_9_at_commit_leaves_the_old_or_the_new_state(
    database_url: str, tmp_path: Path, attempt: int
) -> None:
    engine = db.make_engine(database_url)
    try:
        import_extract(engine, *_extract(tmp_path / "first", 0, 200), imported_at=datetime(2023, 8, 1))
    finally:
        engine.dispose()
    old = _state(database_url)
    # Worked out: the first extract has 200 people with a milestone each, in one import;
    # the second adds 300 more people (P200..P499) with a milestone each, in a second import.
    assert old == (200, 200, 1)
    new = (500, 500, 2)
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, database_url, *map(str, _extract(tmp_path / "second", 200, 300))],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        text=True,
    )
    try:
        assert child.stdout is not None
        line = child.stdout.readline()
        assert line.strip() == "COMMIT", child.stderr.read() if child.stderr else line
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait(60)
    assert child.returncode in (-signal.SIGKILL, 0)
    assert _state(database_url) in (old, new)


AUDITED_CHILD = """
import os
import signal
import sys

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import Pool

from ete_metrics import cli

committed = []


@event.listens_for(Engine, "commit")
def on_commit(connection):
    if connection.get_execution_options().get("ete_write"):  # the import's own transaction
        committed.append(True)


@event.listens_for(Pool, "checkin")
def on_checkin(dbapi_connection, record):
    # The import's transaction is committed and its connection handed back: die here,
    # before anything else the command would do.
    if committed:
        print("KILLED AFTER THE IMPORT'S COMMIT", flush=True)
        os.kill(os.getpid(), signal.SIGKILL)


cli.main(["import", "--participants", sys.argv[2], "--milestones", sys.argv[3], "--db", sys.argv[1], "--quiet"])
print("DONE", flush=True)
"""


def _imports_and_audit_rows(url: str) -> tuple[list[int], list[str]]:
    engine = db.make_engine(url)
    try:
        with engine.connect() as connection:
            imports = [row[0] for row in connection.exec_driver_sql("SELECT id FROM imports ORDER BY id")]
        audit = db.load_audit(engine, actions=["import"])["detail"].tolist()
        return imports, sorted(audit)
    finally:
        engine.dispose()


def test_a_kill_right_after_the_imports_commit_leaves_it_with_its_audit_row(
    database_url: str, tmp_path: Path
) -> None:
    from ete_metrics import cli

    first = _extract(tmp_path / "first", 0, 20)
    assert cli.main(["import", "--participants", str(first[0]), "--milestones", str(first[1]),
                     "--db", database_url, "--quiet"]) == 0
    child = subprocess.run(
        [sys.executable, "-c", AUDITED_CHILD, database_url, *map(str, _extract(tmp_path / "second", 20, 30))],
        cwd=ROOT,
        capture_output=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        text=True,
        timeout=120,
    )
    assert child.returncode == -signal.SIGKILL, child.stderr
    assert "KILLED AFTER THE IMPORT'S COMMIT" in child.stdout
    imports, audit = _imports_and_audit_rows(database_url)
    # Both imports were committed; each has its audit row, naming its own import.
    assert imports == [1, 2]
    assert [detail.split(" (")[0] for detail in audit] == ["import #1", "import #2"]
