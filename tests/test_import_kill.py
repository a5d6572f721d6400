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
