"""A read-only SQLite database in WAL mode (issue 26, item 19): its figures are read, a write
says the database can only be read, and a write-ahead log it cannot apply is named.

The folder is made read-only as a read-only file system makes it, even for root: the child
process runs in a mount namespace of its own (``unshare -m``) with the folder bind-mounted
read-only. Where this machine allows no such namespace the tests skip, saying so.
"""

from __future__ import annotations

import os
import shutil
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
from ete_metrics.data import db
from ete_metrics.data.importer import import_extract
from ete_metrics.errors import EteError

try:
    engine = db.make_engine(sys.argv[1])
    print("PEOPLE", len(db.load_participants(engine)), flush=True)
except EteError as exc:
    print("ERROR", exc, flush=True)
    raise SystemExit(0)
try:
    import_extract(engine, sys.argv[2], sys.argv[3], imported_at=datetime(2023, 8, 2))
    print("WRITTEN", flush=True)
except EteError as exc:
    print("WRITE ERROR", exc, flush=True)
"""


def _extract(folder: Path) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    participants, milestones = folder / "participants.csv", folder / "milestones.csv"
    participants.write_text(
        "participant_id,region,referral_date,entry_date\nP1,Wales,2022-01-03,2022-02-01\n"
        "P2,London,2022-01-04,\nP3,Wales,2022-01-05,2022-02-03\n",
        encoding="utf-8",
    )
    milestones.write_text("participant_id,milestone,date\nP1,training_start,2022-03-01\n", encoding="utf-8")
    return participants, milestones


def _read_only_child(folder: Path, url: str, extract: tuple[Path, Path]) -> str:
    """Run CHILD with ``folder`` read-only (a bind mount in a mount namespace of its own)."""
    if shutil.which("unshare") is None:
        pytest.skip("no unshare on this machine: a read-only folder cannot be made for root")
    script = (
        f'mount --bind "{folder}" "{folder}" && mount -o remount,bind,ro "{folder}" && '
        f'! touch "{folder}/probe" 2>/dev/null && exec "$0" -c "$1" "$2" "$3" "$4"'
    )
    done = subprocess.run(
        ["unshare", "-m", "sh", "-c", script, sys.executable, CHILD, url, *map(str, extract)],
        cwd=ROOT,
        capture_output=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        text=True,
        timeout=120,
    )
    if done.returncode != 0 and not done.stdout:
        pytest.skip(f"no read-only mount namespace here: {done.stderr.strip()[:200]}")
    return done.stdout


@pytest.fixture
def stored(tmp_path: Path) -> tuple[Path, str]:
    folder = tmp_path / "readonly"
    folder.mkdir()
    url = f"sqlite:///{folder / 'ete.db'}"
    engine = db.make_engine(url)
    import_extract(engine, *_extract(tmp_path / "first"), imported_at=datetime(2023, 8, 1))
    engine.dispose()  # the last connection closes: the log is merged into the file
    assert not (folder / "ete.db-wal").exists()
    return folder, url


def test_a_read_only_wal_database_is_read_and_a_write_says_why_not(
    stored: tuple[Path, str], tmp_path: Path
) -> None:
    folder, url = stored
    out = _read_only_child(folder, url, _extract(tmp_path / "second"))
    # the three participants of the first import, read from the read-only file
    assert "PEOPLE 3" in out, out
    assert "WRITE ERROR" in out and "can only be read here" in out, out
    assert "server" not in out


def test_a_write_ahead_log_that_cannot_be_applied_is_named(
    stored: tuple[Path, str], tmp_path: Path
) -> None:
    folder, url = stored
    (folder / "ete.db-wal").write_bytes(b"\0" * 4096)  # changes not yet in the file
    out = _read_only_child(folder, url, _extract(tmp_path / "second"))
    assert out.startswith("ERROR"), out
    assert f"its write-ahead log {folder / 'ete.db-wal'} holds changes not yet in the file" in out
    assert "Nothing was changed" in out
