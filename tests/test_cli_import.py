"""Tests for the command line: ``python -m ete_metrics import / demo / init-db``.

Exit codes: 0 success, 2 bad input (message on stderr), 1 unexpected failure
(one-line apology). Never a traceback.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from outage_support import Relay, lock_out, reader_role, snapshot, terminate, with_application_name
from sqlalchemy.engine import make_url

from ete_metrics import cli
from ete_metrics.data import db, frames

ROOT = Path(__file__).resolve().parent.parent

PARTICIPANTS = """participant_id,region,referral_date,entry_date
P1,London,2022-01-01,2022-01-05
P2,Wales,2022-02-01,
"""
MILESTONES = """participant_id,milestone,date
P1,job_sustained,2022-06-01
P1,training_start,2021-12-01
"""


def write_extract(folder: Path) -> tuple[Path, Path]:
    p = folder / "participants.csv"
    m = folder / "milestones.csv"
    p.write_text(PARTICIPANTS, encoding="utf-8")
    m.write_text(MILESTONES, encoding="utf-8")
    return p, m


def _cli_import(participants: str, milestones: str, url: str, *extra: str) -> int:
    """``python -m ete_metrics import`` in this process, into the database at ``url``."""
    return cli.main(["import", "--participants", participants, "--milestones", milestones, "--db", url, *extra])


def test_import_success_prints_a_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    p, m = write_extract(tmp_path)
    url = f"sqlite:///{tmp_path / 'ete.db'}"
    code = _cli_import(str(p), str(m), url, "--extract-date", "2023-08-16")
    out, err = capsys.readouterr()
    assert code == 0, err
    assert err == ""
    assert "Imported 2 participants, 2 milestones and 0 targets" in out
    assert "extract date 16 Aug 2023" in out
    # P1: job_sustained without job_start (line 2); training_start 2021-12-01 before entry 2022-01-05 (line 3)
    assert "2 warnings stored" in out
    assert "  sustained_without_start: 1" in out
    assert "  milestone_before_entry: 1" in out
    engine = db.make_engine(url)
    try:
        assert db.load_participants(engine)["participant_id"].tolist() == ["P1", "P2"]
    finally:
        engine.dispose()


def test_import_rejected_exits_2_with_every_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    p, m = write_extract(tmp_path)
    p.write_text(PARTICIPANTS + "P3,Mars,2022-01-01,\nP4,Wales,,\n", encoding="utf-8")
    code = _cli_import(str(p), str(m), f"sqlite:///{tmp_path / 'ete.db'}")
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    assert "The import was rejected: 2 problems found; nothing was changed." in err
    assert "participants.csv line 4, column region: unknown region 'Mars'" in err
    assert (
        "participants.csv line 5, column entry_date: a participant needs an entry_date or a referral_date"
        in err
    )
    assert "Traceback" not in err


def test_missing_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = _cli_import(str(tmp_path / "none.csv"), str(tmp_path / "none2.csv"), f"sqlite:///{tmp_path / 'ete.db'}")
    _, err = capsys.readouterr()
    assert code == 2
    assert "none.csv: the participants file" in err and "does not exist" in err


def test_bad_database_url_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p, m = write_extract(tmp_path)
    code = _cli_import(str(p), str(m), "nosuchdb://x/y")
    _, err = capsys.readouterr()
    assert code == 2
    assert err.startswith("Error: The database URL")


def test_bad_extract_date_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    p, m = write_extract(tmp_path)
    code = cli.main(
        ["import", "--participants", str(p), "--milestones", str(m), "--extract-date", "16/08/2023"]
    )
    _, err = capsys.readouterr()
    assert code == 2
    assert "is not a date; use YYYY-MM-DD" in err


def test_unexpected_failure_exits_1_with_an_apology(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import ete_metrics.data.importer

    def explode(*args: object, **kwargs: object) -> None:
        raise KeyError("something internal")

    monkeypatch.setattr(ete_metrics.data.importer, "import_extract", explode)
    p, m = write_extract(tmp_path)
    code = _cli_import(str(p), str(m), f"sqlite:///{tmp_path / 'ete.db'}")
    _, err = capsys.readouterr()
    assert code == 1
    assert err.startswith("Sorry, something unexpected went wrong (KeyError")
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_demo_command_calls_build_demo_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import ete_metrics.data.demo

    calls: list[tuple[str, int, int, bool]] = []

    def fake_build(  # type: ignore[no-untyped-def]
        engine, *, n_participants: int = 45_000, seed: int = 20210601, replace_imported_data: bool = False
    ) -> int:
        calls.append((engine.url.get_backend_name(), n_participants, seed, replace_imported_data))
        return 1

    monkeypatch.setattr(ete_metrics.data.demo, "build_demo_database", fake_build)
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    assert cli.main(["demo", "--participants", "1,000", "--seed", "7", "--db", url]) == 0
    assert cli.main(["demo", "--db", url]) == 0
    assert cli.main(["demo", "--db", url, "--replace-imported-data"]) == 0
    assert calls == [
        ("sqlite", 1000, 7, False), ("sqlite", 45_000, 20210601, False), ("sqlite", 45_000, 20210601, True),
    ]
    assert "1,000 synthetic referrals" in capsys.readouterr().out


def test_init_db_creates_the_schema(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x' / 'ete.db'}"
    assert cli.main(["init-db", "--db", url]) == 0
    engine = db.make_engine(url)
    try:
        assert db.load_participants(engine).empty
    finally:
        engine.dispose()


def test_no_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main([]) == 2
    assert "usage:" in capsys.readouterr().err


def _python_m_import(
    participants: Path, milestones: Path, env: dict[str, str], cwd: Path
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m ete_metrics import`` in a child process, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "ete_metrics", "import",
         "--participants", str(participants), "--milestones", str(milestones)],
        capture_output=True, text=True, env=env, cwd=cwd, timeout=120, check=False,
    )


def test_python_dash_m_runs_the_cli(tmp_path: Path) -> None:
    p, m = write_extract(tmp_path)
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "ETE_DATABASE_URL": f"sqlite:///{tmp_path / 'env.db'}",
    }
    done = _python_m_import(p, m, env, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Imported 2 participants" in done.stdout
    assert (tmp_path / "env.db").exists()

    bad = tmp_path / "random.csv"
    bad.write_bytes(bytes(range(256)) * 8)
    done = _python_m_import(bad, m, env, tmp_path)
    assert done.returncode == 2
    assert "random.csv: is a binary file" in done.stderr
    assert "Traceback" not in done.stderr


def test_db_option_wins_over_the_environment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    p, m = write_extract(tmp_path)
    monkeypatch.setenv("ETE_DATABASE_URL", f"sqlite:///{tmp_path / 'from_env.db'}")
    url = f"sqlite:///{tmp_path / 'from_option.db'}"
    code = _cli_import(str(p), str(m), url)
    assert code == 0, capsys.readouterr().err
    assert not (tmp_path / "from_env.db").exists()
    engine = db.make_engine(url)
    try:
        assert db.load_participants(engine)["participant_id"].tolist() == ["P1", "P2"]
    finally:
        engine.dispose()
    # without --db the environment variable is used
    code = cli.main(["import", "--participants", str(p), "--milestones", str(m)])
    assert code == 0, capsys.readouterr().err
    engine = db.make_engine()
    try:
        assert str(engine.url) == f"sqlite:///{tmp_path / 'from_env.db'}"
        assert db.load_participants(engine)["participant_id"].tolist() == ["P1", "P2"]
    finally:
        engine.dispose()


def test_command_line_import_is_not_held_to_the_upload_row_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # The extract has 2 participants. With the upload limit set to 1 row (as a
    # stand-in for 1,000,000), reading it as an upload is refused; the operator's
    # command line uses COMMAND_LINE_MAX_ROWS and imports both.
    from ete_metrics import config
    from ete_metrics.data.importer import read_extract
    from ete_metrics.errors import InputError

    monkeypatch.delenv("ETE_MAX_ROWS", raising=False)
    monkeypatch.setattr(config, "DEFAULT_MAX_ROWS", 1)
    p, m = write_extract(tmp_path)
    with pytest.raises(InputError, match="participants"):
        read_extract(p, m)
    url = f"sqlite:///{tmp_path / 'ete.db'}"
    code = _cli_import(str(p), str(m), url)
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "Imported 2 participants" in out
    # ETE_MAX_ROWS, when set, still wins on the command line.
    monkeypatch.setenv("ETE_MAX_ROWS", "1")
    code = _cli_import(str(p), str(m), url)
    _, err = capsys.readouterr()
    assert code == 2
    assert "participants" in err


def test_an_id_longer_than_the_database_column_is_an_error_naming_the_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Line 3 (the header is line 1) holds a 65-character id; the column holds 64.
    long_id = "X" * 65
    p = tmp_path / "participants.csv"
    m = tmp_path / "milestones.csv"
    p.write_text(
        "participant_id,region,referral_date,entry_date\n"
        f"P1,London,,2022-01-05\n{long_id},Wales,,2022-02-01\n",
        encoding="utf-8",
    )
    m.write_text("participant_id,milestone,date\n", encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'ete.db'}"
    code = _cli_import(str(p), str(m), url)
    _, err = capsys.readouterr()
    assert code == 2
    assert "participants.csv line 3, column participant_id: participant_id is 65 characters long" in err
    assert db.participant_count(db.make_engine(url)) == 0


def test_replace_all_with_a_header_only_participants_file_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The database holds the 2 participants of PARTICIPANTS; a header-only file with
    # --replace-all would delete both, so it is refused and the 2 stay.
    p, m = write_extract(tmp_path)
    url = f"sqlite:///{tmp_path / 'ete.db'}"
    assert _cli_import(str(p), str(m), url) == 0
    empty = tmp_path / "empty_participants.csv"
    empty.write_text("participant_id,region,referral_date,entry_date\n", encoding="utf-8")
    none = tmp_path / "no_milestones.csv"
    none.write_text("participant_id,milestone,date\n", encoding="utf-8")
    capsys.readouterr()
    code = cli.main(
        ["import", "--participants", str(empty), "--milestones", str(none), "--db", url,
         "--replace-all"]
    )
    _, err = capsys.readouterr()
    assert code == 2
    assert "empty_participants.csv: has a header but no data rows" in err
    assert db.participant_count(db.make_engine(url)) == 2


def test_a_year_outside_pandas_range_exits_2_naming_the_cell(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Before the fix this ended in "Sorry, something unexpected went wrong
    # (OutOfBoundsDatetime ...)" with exit 1.
    p = tmp_path / "participants.csv"
    m = tmp_path / "milestones.csv"
    p.write_text("participant_id,region,referral_date,entry_date\nP1,Wales,2999-01-01,\n")
    m.write_text("participant_id,milestone,date\n")
    url = f"sqlite:///{tmp_path / 'ete.db'}"
    code = _cli_import(str(p), str(m), url)
    assert code == 2
    assert "participants.csv line 2, column referral_date: '2999-01-01'" in capsys.readouterr().err


# ---------------------------------------------------------------------------
# Nothing replaces real data unasked; a database that does not answer says so
# ---------------------------------------------------------------------------


def _state(url: str) -> tuple[object, bytes]:
    """Every table's columns and rows; for SQLite the file's bytes too (nothing is left open
    between commands)."""
    path = make_url(url).database
    return snapshot(url), Path(path).read_bytes() if url.startswith("sqlite") and path else b""


def test_demo_over_imported_data_is_refused_and_changes_nothing(
    database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    p, m = write_extract(tmp_path)
    assert _cli_import(str(p), str(m), database_url, "--extract-date", "2023-08-16") == 0
    capsys.readouterr()
    before = _state(database_url)
    assert cli.main(["demo", "--participants", "300", "--db", database_url]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("Error: The database at ")
    assert "holds real data (2 participants, 2 milestones and 0 targets; 1 import recorded" in err
    assert "the demo was not built and nothing was changed" in err
    assert "choose another database with --db URL or ETE_DATABASE_URL" in err
    assert "`python -m ete_metrics demo --replace-imported-data`" in err
    assert _state(database_url) == before  # SQLite: byte for byte


def test_demo_replace_imported_data_replaces_it_and_the_audit_trail_says_so(
    database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    p, m = write_extract(tmp_path)
    assert _cli_import(str(p), str(m), database_url) == 0
    code = cli.main(["demo", "--participants", "300", "--seed", "7", "--replace-imported-data", "--db", database_url])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "Built a demo database of 300 synthetic referrals (seed 7)." in out
    engine = db.make_engine(database_url)
    try:
        ids = set(db.load_participants(engine)["participant_id"])
        events = db.load_audit(engine, actions=["import"])
    finally:
        engine.dispose()
    assert len(ids) == 300 and not ids & {"P1", "P2"}
    newest = events.iloc[0]
    assert (newest["actor"], newest["role"]) == ("local", "director")
    assert newest["detail"].startswith("import #2 (replacing all data, command line): the synthetic demo")
    assert newest["detail"].endswith(
        "it replaced real data on purpose (--replace-imported-data): 2 participants, 2 milestones "
        f"and 0 targets; 1 import recorded, the latest on {events.iloc[1]['occurred_at']:%-d %b %Y}"
    )


def test_demo_if_empty_builds_only_a_database_holding_no_data(
    database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Real data without a participant: the contract's targets, imported on their own.
    engine = db.make_engine(database_url)
    targets = pd.DataFrame({"region": ["Wales"], "period_start": [pd.Timestamp("2024-06-01")],
                            "measure": ["entered"], "target": [12]})
    db.save_extract(engine, frames.empty_participants(), frames.empty_milestones(), targets,
                    record={"targets_file": "targets.csv"})
    engine.dispose()
    before = _state(database_url)
    assert cli.main(["demo", "--if-empty", "--participants", "300", "--db", database_url]) == 0
    out = capsys.readouterr().out
    assert out.startswith("The database already holds real data (0 participants, 0 milestones and 1 target;")
    assert out.rstrip().endswith("it was left as it is and the demo was not built.")
    assert _state(database_url) == before
    # What `make run` does on a fresh machine: an empty database gets the demo, once.
    fresh = f"sqlite:///{tmp_path / 'fresh.db'}"
    assert cli.main(["demo", "--if-empty", "--participants", "300", "--db", fresh]) == 0
    assert "Built a demo database of 300 synthetic referrals" in capsys.readouterr().out
    built = _state(fresh)
    assert cli.main(["demo", "--if-empty", "--participants", "400", "--db", fresh]) == 0
    assert capsys.readouterr().out.startswith("The database already holds the demo (300 participants,")
    assert _state(fresh) == built


def test_every_demo_option_is_in_its_help_and_in_the_readme(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["demo", "--help"]) == 0
    shown = capsys.readouterr().out
    options = set(re.findall(r"^\s+(--[a-z][a-z-]*[a-z])", shown, flags=re.MULTILINE)) - {"--help"}
    assert {"--replace-imported-data", "--if-empty", "--db"} <= options
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("python -m ete_metrics demo")
    line = readme[start: readme.index("\npython -m ete_metrics", start)]  # with its continuations
    assert sorted(o for o in options if o not in line) == []
    # Build only into an empty database, or replace real data: not both at once.
    assert cli.main(["demo", "--if-empty", "--replace-imported-data"]) == 2
    assert "not allowed with argument" in capsys.readouterr().err


#: Commands that read or write the database, with what they need besides ``--db``.
COMMANDS = {
    "demo": ["demo", "--participants", "300"],
    "demo --if-empty": ["demo", "--if-empty", "--participants", "300"],
    "init-db": ["init-db"],
    "import": ["import", "--participants", "{p}", "--milestones", "{m}"],
    "funnel": ["funnel"],
}


def _lose_it(relay: Relay, role: str, url: str) -> None:
    if role:
        lock_out(url, role)  # connections terminated by the server, log-ins refused
    else:
        relay.cut()  # the server went away: connections broken, its port refuses


@pytest.mark.postgres
@pytest.mark.parametrize("outage", ["server goes away", "connections terminated, log-in refused"])
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_database_lost_after_connecting_is_said_to_be_unreachable_never_empty(
    command: str, outage: str, postgres_url: str, tmp_path: Path,
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    p, m = write_extract(tmp_path)
    assert _cli_import(str(p), str(m), postgres_url) == 0
    capsys.readouterr()
    before = snapshot(postgres_url)
    original = db.make_engine
    with Relay(postgres_url) as relay, reader_role(postgres_url) as (role_url, role):
        url = role_url if outage.startswith("connections") else relay.url

        def connects_then_loses_it(given: str | None = None) -> sa.Engine:
            engine = original(given)  # the database answers...
            _lose_it(relay, role if given == role_url else "", postgres_url)  # ...then not
            return engine

        monkeypatch.setattr(db, "make_engine", connects_then_loses_it)
        args = [a.format(p=p, m=m) for a in COMMANDS[command]]
        code = cli.main([*args, "--db", url])
    out, err = capsys.readouterr()
    assert (code, out) == (2, ""), err
    assert err.startswith(f"Error: Cannot connect to the database at postgresql+psycopg://{make_url(url).username}@")
    assert "Check that the database server is running and can be reached from here" in err
    assert "nothing was changed" in err
    for never in ("empty", "no ETE tables", "demo", "python -m", "make run"):
        assert never not in err  # never "empty", never a command that writes
    assert snapshot(postgres_url) == before


@pytest.mark.postgres
def test_connections_the_server_dropped_are_replaced_and_the_command_runs(
    postgres_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    p, m = write_extract(tmp_path)
    assert _cli_import(str(p), str(m), postgres_url, "--extract-date", "2023-08-16") == 0
    capsys.readouterr()
    url, name = with_application_name(postgres_url)
    original = db.make_engine
    dropped: list[int] = []

    def connects_then_dropped(given: str | None = None) -> sa.Engine:
        engine = original(given)  # its first connection waits in the pool...
        dropped.append(terminate(postgres_url, name))  # ...and the server ends it
        return engine

    monkeypatch.setattr(db, "make_engine", connects_then_dropped)
    code = cli.main(["funnel", "--as-of", "2023-08-16", "--format", "csv", "--db", url])
    out, err = capsys.readouterr()
    assert (code, err) == (0, "")
    assert dropped[0] == 1
    # P1 entered (5 Jan 2022), P2 did not: the funnel's first row is both referrals.
    assert out.splitlines()[0].startswith("step,")
