"""``--audience stakeholder`` on the metric subcommands (SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import io
import json

import pandas as pd
import pytest
from cli_support import run, save_frames

from ete_metrics.data.frames import conform_milestones, conform_participants, conform_targets
from ete_metrics.protect.disclosure import STAKEHOLDER_NOTE
from ete_metrics.steps import ENTERED, TRAINING, WORK

#: Region: (entered, into training, into work) — the first people of each region get the
#: milestones, so work is a subset of training only where work <= training.
REGIONS = {"London": (23, 7, 2), "Wales": (12, 3, 6), "North West": (30, 11, 8)}


@pytest.fixture
def db(database_url: str) -> str:
    people, milestones = [], []
    for region, (entered, training, work) in REGIONS.items():
        for i in range(entered):
            pid = f"{region[:2].upper()}{i:03d}"
            partner = "=cmd()" if region == "Wales" else "Alpha"  # a formula-like name
            people.append((pid, region, "2023-01-02", "2023-01-10", partner, "community", None))
            if i < training:
                milestones.append((pid, "training_start", "2023-02-01", "College A"))
            if i < work:
                milestones.append((pid, "job_start", "2023-03-01", "Employer X"))
    participants = conform_participants(pd.DataFrame(people, columns=[
        "participant_id", "region", "referral_date", "entry_date", "delivery_partner", "pathway",
        "prison"]))
    frame = conform_milestones(pd.DataFrame(milestones, columns=[
        "participant_id", "milestone", "date", "partner"]))
    targets = conform_targets(pd.DataFrame([("London", "2023-01-01", ENTERED.name, 20)],
                                           columns=["region", "period_start", "measure", "target"]))
    return save_frames(database_url, participants, frame, targets)


def test_funnel_stakeholder_csv_suppressed_and_rounded(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "funnel", "--db", db, "--as-of", "2023-06-30", "--by", "region",
                         "--format", "csv", "--audience", "stakeholder")
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    got = {(r["region"], r["step"]): r["participants"] for r in rows}
    # Lines are per step across the three regions (the totals are published):
    # entered 23 | 12 | 30 -> none small; rounded 25, 10, 30.
    # training 7 | 3 | 11 -> 3 suppressed, then the smallest other (7) too; 11 -> 10.
    # work 2 | 6 | 8 -> 2 suppressed, then 6; 8 -> 10.
    assert got == {
        ("London", ENTERED.name): "25", ("London", TRAINING.name): "[c]", ("London", WORK.name): "[c]",
        ("North West", ENTERED.name): "30", ("North West", TRAINING.name): "10",
        ("North West", WORK.name): "10",
        ("Wales", ENTERED.name): "10", ("Wales", TRAINING.name): "[c]", ("Wales", WORK.name): "[c]",
    }
    for value in got.values():
        assert value == "[c]" or (int(value) % 5 == 0 and int(value) not in (1, 2, 3, 4))
    rates = {(r["region"], r["step"]): r["rate_from_entry"] for r in rows}
    # North West training: from the published counts (11 -> 10) over 30 = 0.333, at the
    # screen's precision (a percentage with one decimal); London's is blank.
    assert rates[("North West", TRAINING.name)] == "0.333"
    assert rates[("London", TRAINING.name)] == "[c]"
    assert out.splitlines()[0].startswith("region,step,participants")  # CSV only on stdout
    assert STAKEHOLDER_NOTE in err


def test_funnel_internal_unchanged(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "funnel", "--db", db, "--as-of", "2023-06-30", "--by", "region",
                         "--format", "csv")
    assert code == 0, err
    got = {(r["region"], r["step"]): r["participants"] for r in csv.DictReader(io.StringIO(out))}
    assert got[("Wales", TRAINING.name)] == "3" and got[("London", WORK.name)] == "2"
    assert STAKEHOLDER_NOTE not in err


def test_table_format_prints_note_and_markers(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "funnel", "--db", db, "--as-of", "2023-06-30", "--by", "region",
                         "--audience", "stakeholder")
    assert code == 0, err
    assert STAKEHOLDER_NOTE in out
    assert "[c]" in out


@pytest.mark.parametrize("argv", [
    ("compare", "--by", "region"),
    ("compare", "--by", "delivery_partner"),
    ("targets",),
    ("targets", "--summary"),
    ("cohorts",),
    ("time-to-outcome",),
    ("partners", "--kind", "delivery"),
    ("partners", "--kind", "training"),
    ("partners", "--kind", "employers"),
    ("partners", "--kind", "prisons"),
    ("funnel", "--referral"),
])
def test_every_subcommand_takes_audience(db: str, capsys: pytest.CaptureFixture[str],
                                         argv: tuple[str, ...]) -> None:
    code, out, err = run(capsys, *argv, "--db", db, "--as-of", "2023-06-30", "--format", "json",
                         "--audience", "stakeholder")
    assert code == 0, err
    records = json.loads(out)
    counts = {"participants", "entered", "reached", "cohort_size", "training_starts",
              "training_completed", "work_after_training", "job_starts", "job_sustained",
              "actual", "cumulative_actual", "actual_to_date", "target", "cumulative_target",
              "target_to_date", "contract_target"}
    for record in records:
        for name, value in record.items():
            if name in counts and value is not None:
                assert value == "[c]" or value % 5 == 0, (argv, name, value)


def test_csv_neutralises_formula_names(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "partners", "--db", db, "--as-of", "2023-06-30",
                         "--kind", "delivery", "--format", "csv")
    assert code == 0, err
    partners = {r["delivery_partner"] for r in csv.DictReader(io.StringIO(out))}
    assert partners == {"Alpha", "'=cmd()"}
