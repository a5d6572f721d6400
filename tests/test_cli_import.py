"""Tests for the command line: ``python -m ete_metrics import / demo / init-db``.

Exit codes: 0 success, 2 bad input (message on stderr), 1 unexpected failure
(one-line apology). Never a traceback.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ete_metrics import cli
from ete_metrics.data import db

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

    calls: list[tuple[str, int, int]] = []

    def fake_build(engine, *, n_participants: int = 45_000, seed: int = 20210601) -> None:  # type: ignore[no-untyped-def]
        calls.append((engine.url.get_backend_name(), n_participants, seed))

    monkeypatch.setattr(ete_metrics.data.demo, "build_demo_database", fake_build)
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    assert cli.main(["demo", "--participants", "1,000", "--seed", "7", "--db", url]) == 0
    assert cli.main(["demo", "--db", url]) == 0
    assert calls == [("sqlite", 1000, 7), ("sqlite", 45_000, 20210601)]
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
