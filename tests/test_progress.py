"""Progress of long work (issue 13): the library's hooks and the command line's bar.

The library tells a ``progress(step, fraction)`` callable which step it is on; the
command line draws a bar on standard error only when it is a terminal and
``--quiet`` is not given.
"""

from __future__ import annotations

import io
import os
import pty
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from PIL import Image

from ete_metrics.cli_progress import progress_bar, wants_bar
from ete_metrics.data import db
from ete_metrics.data.importer import import_extract
from ete_metrics.progress import share

ROOT = Path(__file__).resolve().parent.parent

PARTICIPANTS = """participant_id,region,referral_date,entry_date
P1,London,2022-01-01,2022-01-05
P2,Wales,2022-02-01,
P3,Wales,2022-02-03,2022-02-10
"""
MILESTONES = """participant_id,milestone,date
P1,training_start,2022-02-01
P3,job_start,2022-03-01
"""
#: What the import prints with or without a terminal (the bar is on top, on stderr).
SUMMARY = (
    "Imported 3 participants, 2 milestones and 0 targets (replacing the whole database); "
    "import #1, extract date 16 Aug 2023.\nNo warnings.\n"
)


class Recorder:
    """A progress hook that keeps every call."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, float]] = []

    def __call__(self, step: str, fraction: float) -> None:
        self.calls.append((step, fraction))

    @property
    def steps(self) -> list[str]:
        return [step for step, _ in self.calls]

    @property
    def fractions(self) -> list[float]:
        return [fraction for _, fraction in self.calls]


def write_extract(folder: Path) -> tuple[Path, Path]:
    participants, milestones = folder / "participants.csv", folder / "milestones.csv"
    participants.write_text(PARTICIPANTS, encoding="utf-8")
    milestones.write_text(MILESTONES, encoding="utf-8")
    return participants, milestones


# ---------------------------------------------------------------------------
# The library's hooks
# ---------------------------------------------------------------------------


def test_share_maps_a_stage_onto_its_part_of_the_whole() -> None:
    whole = Recorder()
    stage = share(whole, 0.2, 0.6)
    assert stage is not None
    stage("Reading", 0.0)
    stage("Checking", 0.5)  # half of the 0.2-0.6 stage: 0.4 of the whole
    stage("Done", 1.5)  # clipped to the stage's end
    assert whole.calls == [("Reading", 0.2), ("Checking", pytest.approx(0.4)), ("Done", 0.6)]
    assert share(None, 0.0, 1.0) is None


def test_import_tells_each_step_in_order_from_0_to_1(tmp_path: Path) -> None:
    participants, milestones = write_extract(tmp_path)
    engine = db.make_engine(f"sqlite:///{tmp_path / 'ete.db'}")
    told = Recorder()
    try:
        import_extract(
            engine, participants, milestones, imported_at=datetime(2023, 8, 16, 9, 0),
            progress=told,
        )
    finally:
        engine.dispose()
    assert told.fractions[0] == 0.0 and told.fractions[-1] == 1.0
    assert told.fractions == sorted(told.fractions)  # never goes back
    for step in (
        "Reading what is already stored",
        "Reading the participants file",
        "Reading the milestones file",
        "Checking the participants",
        "Checking the milestones",
        "Looking for data-quality warnings",
        "Writing the participants",
        "Writing the milestones",
        "Saved",
    ):
        assert step in told.steps
    assert told.steps.index("Checking the milestones") < told.steps.index("Writing the participants")


def test_save_extract_tells_each_chunk_of_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ete_metrics.data.importer import read_extract

    extract = read_extract(*write_extract(tmp_path))
    monkeypatch.setattr(db, "_WRITE_ROWS", 2)  # 3 participants: two inserts; 2 milestones: one
    engine = db.make_engine(f"sqlite:///{tmp_path / 'ete.db'}")
    told = Recorder()
    try:
        db.save_extract(engine, extract.participants, extract.milestones, progress=told)
        assert len(db.load_participants(engine)) == 3
    finally:
        engine.dispose()
    writing = [(s, f) for s, f in told.calls if s.startswith("Writing the p") or s.startswith("Writing the m")]
    # before each insert: 0 of 5 rows written, then 2, then all 3 participants (0.2 + 0.7 * 3/5)
    assert writing == [
        ("Writing the participants", pytest.approx(0.2)),
        ("Writing the participants", pytest.approx(0.2 + 0.7 * 2 / 5)),
        ("Writing the milestones", pytest.approx(0.2 + 0.7 * 3 / 5)),
    ]


def test_several_formats_share_the_figures_and_the_charts(monkeypatch: pytest.MonkeyPatch) -> None:
    from ete_metrics.present import report
    from ete_metrics.present.report import images
    from tests.report_support import AS_OF, demo

    drawn: list[int] = []
    worked_out: list[int] = []
    real_content = report.report_content

    def fake_pngs(figures, **_kwargs):  # type: ignore[no-untyped-def]
        drawn.append(len(figures))
        png = io.BytesIO()
        Image.new("RGB", (20, 10), "white").save(png, format="PNG")
        return [png.getvalue()] * len(figures)

    def counted_content(*args, **kwargs):  # type: ignore[no-untyped-def]
        worked_out.append(1)
        return real_content(*args, **kwargs)

    monkeypatch.setattr(images, "render_pngs", fake_pngs)
    monkeypatch.setattr(report, "report_content", counted_content)
    participants, milestones, targets = demo()
    told = Recorder()
    files = report.build_reports(
        participants, milestones, targets, as_of=AS_OF, formats=("pptx", "pdf", "xlsx"),
        progress=told,
    )
    assert set(files) == {"pptx", "pdf", "xlsx"}
    assert files["pptx"][:2] == b"PK" and files["pdf"][:5] == b"%PDF-" and files["xlsx"][:2] == b"PK"
    assert len(worked_out) == 1 and len(drawn) == 1  # once for all three files
    assert told.fractions == sorted(told.fractions) and told.fractions[-1] == 1.0
    assert {"Laying out the deck", "Laying out the review pack", "Writing the workbook"} <= set(told.steps)
    with pytest.raises(Exception, match="each report format once"):
        report.build_reports(participants, milestones, targets, as_of=AS_OF, formats=("pdf", "pdf"))


# ---------------------------------------------------------------------------
# The command line's bar
# ---------------------------------------------------------------------------


def test_no_bar_when_quiet_or_not_a_terminal() -> None:
    assert not wants_bar(False, io.StringIO())
    with progress_bar(False, io.StringIO()) as progress:
        assert progress is None


def _import_command(tmp_path: Path, *extra: str) -> list[str]:
    participants, milestones = write_extract(tmp_path)
    return [
        sys.executable, "-m", "ete_metrics", "import", "--participants", str(participants),
        "--milestones", str(milestones), "--replace-all", "--extract-date", "2023-08-16",
        "--db", f"sqlite:///{tmp_path / 'ete.db'}", *extra,
    ]


def _run_in_terminal(command: list[str]) -> tuple[int, str]:
    """Run ``command`` with standard output and error on a pseudo-terminal: code, what it showed."""
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        command, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=follower, stderr=follower,
        env={**os.environ, "COLUMNS": "100"},
    )
    os.close(follower)
    shown = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the terminal closed: the process has finished
            break
        if not chunk:
            break
        shown += chunk
    os.close(leader)
    return process.wait(timeout=120), shown.decode("utf-8", "replace")


def test_import_on_a_terminal_shows_the_steps_with_a_bar(tmp_path: Path) -> None:
    code, shown = _run_in_terminal(_import_command(tmp_path))
    assert code == 0, shown
    assert "Checking the participants" in shown
    assert "%|" in shown  # tqdm's bar: the percentage and the bar's edge
    assert "Imported 3 participants" in shown


def test_import_with_quiet_on_a_terminal_shows_no_bar(tmp_path: Path) -> None:
    code, shown = _run_in_terminal(_import_command(tmp_path, "--quiet"))
    assert code == 0, shown
    assert "%|" not in shown and "Checking" not in shown
    assert shown.replace("\r\n", "\n") == SUMMARY


def test_import_without_a_terminal_prints_nothing_extra(tmp_path: Path) -> None:
    result = subprocess.run(
        _import_command(tmp_path), cwd=ROOT, capture_output=True, text=True, check=False,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout == SUMMARY
