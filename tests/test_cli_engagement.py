"""``python -m ete_metrics engagement`` and ``exits`` on a small hand-built database.

Every expected figure is worked out by hand in the comments (working days skip weekends and
the bank holidays of England and Wales: Good Friday 7 Apr and Easter Monday 10 Apr 2023, the
coronation 8 May and the spring bank holiday 29 May 2023). As at Wed 31 May 2023:

- r1 London, referred Tue 2 May, attended Wed 10 May: 3, 4, 5, 9, 10 May = 5 working days;
  plan 15 May, sessions 4 of 6; outcomes 1.5 of 2 (report 25 May); completed 25 May.
- r2 London, referred Tue 2 May, attended Mon 22 May: 3-5, 9-12, 15-19, 22 May = 13; its plan
  is approved 5 Jun, after the as-at date, so its sessions (2 of 8) do not count; open.
- r3 London, referred Thu 25 May: 26, 30, 31 May = 3 working days before the as-at date,
  so not eligible for 10; never attended; cancelled 30 May, not engaged.
- r4 Wales, referred Mon 3 Apr, attended Mon 17 Apr: 4, 5, 6, 11, 12, 13, 14, 17 Apr = 8;
  plan 20 Apr, sessions 7 of 10; outcomes 0.5 of 3 (report 22 May); a job start on 2 May;
  ended 20 May (requested 18 May) for work or caring: a positive exit after a job start.
- r5 Wales, referred Tue 30 May: 1 working day, not eligible; open.
- r6 Wales, referred 5 Jun, after the as-at date: not counted.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from cli_support import run, save_frames

from ete_metrics.data import db
from ete_metrics.metrics.engagement import SUMMARY_COLUMNS
from ete_metrics.steps import EXIT_REASONS, JOB_STEP, find_step

AS_OF = "2023-05-31"
STAKEHOLDER = "partner@example.org"


def _engagement() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "referral_id": ["r1", "r2", "r3", "r4", "r5", "r6"],
            "participant_id": ["p1", "p2", "p3", "p4", "p5", "p6"],
            "region": ["London", "London", "London", "Wales", "Wales", "Wales"],
            "referral_date": [
                "2023-05-02",
                "2023-05-02",
                "2023-05-25",
                "2023-04-03",
                "2023-05-30",
                "2023-06-05",
            ],
            "first_appointment_attended_on": [
                "2023-05-10",
                "2023-05-22",
                None,
                "2023-04-17",
                None,
                None,
            ],
            "action_plan_approved_on": ["2023-05-15", "2023-06-05", None, "2023-04-20", None, None],
            "sessions_expected": [6, 8, None, 10, None, None],
            "sessions_attended": [4, 2, None, 7, None, None],
            "outcomes_to_achieve": [2, None, None, 3, None, None],
            "achievement_score": [1.5, None, None, 0.5, None, None],
            "end_of_service_report_submitted_on": [
                "2023-05-25",
                None,
                None,
                "2023-05-22",
                None,
                None,
            ],
            "end_requested_on": [None, None, "2023-05-29", "2023-05-18", None, None],
            "end_reason": [None, None, "not_engaged", "work_or_caring", None, None],
            "concluded_on": ["2023-05-25", None, "2023-05-30", "2023-05-20", None, None],
            "end_state": ["completed", None, "cancelled", "ended", None, None],
        }
    )


@pytest.fixture
def url(tmp_path: Path) -> str:
    people = pd.DataFrame(
        {
            "participant_id": ["p1", "p2", "p3", "p4", "p5", "p6"],
            "region": ["London", "London", "London", "Wales", "Wales", "Wales"],
            "referral_date": pd.to_datetime(
                ["2023-05-02", "2023-05-02", "2023-05-25", "2023-04-03", "2023-05-30", "2023-06-05"]
            ),
            "entry_date": pd.Series(
                [None, None, None, "2023-04-20", None, None], dtype="datetime64[ns]"
            ),
        }
    )
    job = find_step(JOB_STEP).milestone
    milestones = pd.DataFrame(
        {"participant_id": ["p4"], "milestone": [job], "date": pd.to_datetime(["2023-05-02"])}
    )
    targets = pd.DataFrame(columns=["region", "period_start", "measure", "target"])
    address = save_frames(f"sqlite:///{tmp_path / 'ete.db'}", people, milestones, targets)
    engine = db.make_engine(address)
    try:
        db.save_engagement(engine, _engagement())
    finally:
        engine.dispose()
    return address


def _json(capsys: pytest.CaptureFixture[str], *argv: str) -> list[dict[str, object]]:
    code, out, err = run(capsys, *argv)
    assert code == 0, err
    return json.loads(out)  # type: ignore[no-any-return]


def test_engagement_json_rows_carry_exactly_the_issues_columns(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    [row] = _json(capsys, "engagement", "--db", url, "--as-of", AS_OF, "--format", "json")
    assert list(row) == list(SUMMARY_COLUMNS)
    assert row == {
        "referrals": 5,  # r6 comes after the as-at date
        "first_appointment_attended": 3,  # r1, r2, r4
        "median_working_days_to_first_appointment": 8.0,  # of 5, 13, 8
        "threshold_working_days": 10,
        "eligible_for_threshold": 3,  # r1, r2, r4 (r3: 3 days, r5: 1)
        "attended_within_threshold": 2,  # r1 (5), r4 (8); r2 took 13
        "share_within_threshold": pytest.approx(2 / 3),
        "sessions_expected": 16,  # r1 6 + r4 10 (r2's plan is after the as-at date)
        "sessions_attended": 11,  # 4 + 7
        "attendance_rate": pytest.approx(11 / 16),
        "outcomes_to_achieve": 5,  # 2 + 3
        "outcomes_achieved": pytest.approx(2.0),  # 1.5 + 0.5
        "achievement_rate": pytest.approx(0.4),
        "open": 2,  # r2, r5
        "completed": 1,  # r1
        "ended": 1,  # r4
        "cancelled": 1,  # r3
    }


def test_engagement_by_region_with_another_threshold(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = _json(
        capsys,
        "engagement",
        "--db",
        url,
        "--as-of",
        AS_OF,
        "--format",
        "json",
        "--by",
        "region",
        "--threshold-days",
        "5",
    )
    assert [list(r)[:2] for r in rows] == [["region", "referrals"]] * 2
    london, wales = rows
    assert london["region"] == "London" and wales["region"] == "Wales"
    assert (london["referrals"], wales["referrals"]) == (3, 2)
    # London: 5 and 13 working days, median 9; Wales: 8
    assert london["median_working_days_to_first_appointment"] == 9.0
    assert wales["median_working_days_to_first_appointment"] == 8.0
    # eligible for 5: r1, r2 (London; r3 had 3 days), r4 (Wales; r5 had 1); within 5: r1 only
    assert (london["eligible_for_threshold"], london["attended_within_threshold"]) == (2, 1)
    assert (wales["eligible_for_threshold"], wales["attended_within_threshold"]) == (1, 0)
    assert london["threshold_working_days"] == wales["threshold_working_days"] == 5
    assert london["attendance_rate"] == pytest.approx(4 / 6)
    assert wales["attendance_rate"] == pytest.approx(7 / 10)
    assert london["achievement_rate"] == pytest.approx(1.5 / 2)
    assert wales["achievement_rate"] == pytest.approx(0.5 / 3)
    assert [london[s] for s in ("open", "completed", "ended", "cancelled")] == [1, 1, 0, 1]
    assert [wales[s] for s in ("open", "completed", "ended", "cancelled")] == [1, 0, 1, 0]


def test_exits_by_stage_and_reason_with_positive_exits_flagged(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = _json(capsys, "exits", "--db", url, "--as-of", AS_OF, "--format", "json")
    positive = {reason.code: reason.positive for reason in EXIT_REASONS}
    assert positive["work_or_caring"] and not positive["not_engaged"]
    assert rows == [
        {
            "stage": "before_first_appointment",
            "reason_group": "user",
            "reason": "not_engaged",
            "positive": False,
            "referrals": 1,
        },
        {
            "stage": "after_job_start",
            "reason_group": "user",
            "reason": "work_or_caring",
            "positive": True,
            "referrals": 1,
        },
    ]
    # As at 19 May neither had concluded (r4 on 20 May, r3 on 30 May): no exits.
    assert _json(capsys, "exits", "--db", url, "--as-of", "2023-05-19", "--format", "json") == []


def test_the_table_reads_in_words(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "exits", "--db", url, "--as-of", AS_OF, "--by", "region")
    assert code == 0
    assert "Exits by stage reached and reason as at 31 May 2023" in out
    for words in (
        "Before the first appointment",
        "After a job start",
        "Not engaged",
        "Work, caring commitments or sickness",
        "The person's circumstances",
        "Yes",
    ):
        assert words in out
    assert "not_engaged" not in out and "work_or_caring" not in out
    code, out, _ = run(capsys, "engagement", "--db", url, "--as-of", AS_OF)
    assert code == 0 and "% attended within the threshold" in out and "66.7%" in out


def test_a_stakeholder_gets_the_protected_view_through_the_same_formatter(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    access = tmp_path / "access.toml"
    access.write_text(f'[users."{STAKEHOLDER}"]\nrole = "stakeholder"\n', encoding="utf-8")
    monkeypatch.setenv("ETE_ACCESS_FILE", str(access))
    code, out, err = run(
        capsys,
        "engagement",
        "--db",
        url,
        "--as-of",
        AS_OF,
        "--format",
        "json",
        "--as-user",
        STAKEHOLDER,
    )
    assert code == 0, err
    [row] = json.loads(out)
    # withheld: not derivable from the published counts
    for column in (
        "median_working_days_to_first_appointment",
        "outcomes_achieved",
        "achievement_rate",
    ):
        assert column not in row
    assert row["referrals"] == 5  # 5 rounds to 5
    assert row["first_appointment_attended"] == "[c]"  # 3: below 5, suppressed
    assert row["open"] == "[c]" and row["cancelled"] == "[c]"
    assert row["share_within_threshold"] == "[c]"  # its counts are suppressed
    assert "rounded to the nearest 5" in err
    code, out, _ = run(
        capsys, "exits", "--db", url, "--as-of", AS_OF, "--format", "json", "--as-user", STAKEHOLDER
    )
    assert code == 0
    assert [r["referrals"] for r in json.loads(out)] == ["[c]", "[c]"]
    # the export was recorded before it was printed
    engine = db.make_engine(url)
    try:
        with engine.connect() as connection:
            actors = connection.execute(sa.text("SELECT actor FROM audit_events")).scalars().all()
    finally:
        engine.dispose()
    assert actors.count(STAKEHOLDER) == 2


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["engagement", "--threshold-days", "0"], "1 working day or more"),
        (["engagement", "--by", "gender"], "invalid choice"),
    ],
)
def test_wrong_options_are_refused_with_what_to_fix(
    url: str, capsys: pytest.CaptureFixture[str], argv: list[str], words: str
) -> None:
    code, out, err = run(capsys, *argv, "--db", url, "--as-of", AS_OF)
    assert code == 2 and out == "" and words in err


def test_a_repeated_grouping_key_is_refused(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "exits", "--by", "region", "region", "--db", url, "--as-of", AS_OF)
    assert code != 0 and out == "" and "repeat" in err and "Traceback" not in err
