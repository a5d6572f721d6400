"""Tests for the data-quality checks (ete_metrics.data.quality)."""

from __future__ import annotations

import pandas as pd

from ete_metrics.data.frames import (
    conform_milestones,
    conform_participants,
    empty_milestones,
    empty_participants,
)
from ete_metrics.data.quality import CHECKS, data_quality

AS_OF = "2023-06-30"


def frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    """One or more faults per person, as of 2023-06-30.

      Q01 clean: referral 01-01, entry 01-10, training 02-01, completed 03-01, job 04-01, sustained 05-01
      Q02 referral 02-01 after entry 01-10                        -> referral_after_entry
      Q03 exit 01-05 before entry 01-10                           -> exit_before_entry
      Q04 training_start 01-05 before entry 01-10                 -> milestone_before_entry
      Q05 training_start 01-01 and job_start 01-02 before entry   -> milestone_before_entry (once)
      Q06 entry 2023-07-05 after as_of                            -> date_after_as_of
      Q07 job_start 2023-08-01 after as_of (entry fine)           -> date_after_as_of
      Q08 job_sustained 03-01 with no job_start                   -> sustained_without_job_start
      Q09 job_start 04-01 AFTER its job_sustained 03-01           -> sustained_without_job_start
      Q10 training_completed 02-01, training_start 03-01 (later)  -> completed_without_training_start
      Q11 no referral date, entry 01-10                           -> entered_without_referral
      Q12 referral 01-01, never entered, training_start 02-01     -> milestone_without_entry
      X99 milestone for an id not in participants                 -> milestone_unknown_participant
    Counts: milestone_before_entry 2 (Q04, Q05), referral_after_entry 1, exit_before_entry 1,
    date_after_as_of 2 (Q06, Q07), sustained_without_job_start 2 (Q08, Q09),
    completed_without_training_start 1, entered_without_referral 1, milestone_unknown_participant 1,
    milestone_without_entry 1 (Q12 only: Q11 has an entry date; X99 is unknown, not un-entered).
    """
    ids = [f"Q{i:02d}" for i in range(1, 13)]
    referral = ["2023-01-01"] * 12
    referral[1] = "2023-02-01"
    referral[10] = None
    entry = ["2023-01-10"] * 12
    entry[5] = "2023-07-05"
    entry[11] = None
    exit_ = [None] * 12
    exit_[2] = "2023-01-05"
    participants = conform_participants(
        pd.DataFrame(
            {
                "participant_id": ids,
                "region": "London",
                "referral_date": pd.to_datetime(referral),
                "entry_date": pd.to_datetime(entry),
                "exit_date": pd.to_datetime(exit_),
            }
        )
    )
    rows = [
        ("Q01", "training_start", "2023-02-01"),
        ("Q01", "training_completed", "2023-03-01"),
        ("Q01", "job_start", "2023-04-01"),
        ("Q01", "job_sustained", "2023-05-01"),
        ("Q04", "training_start", "2023-01-05"),
        ("Q05", "training_start", "2023-01-01"),
        ("Q05", "job_start", "2023-01-02"),
        ("Q07", "job_start", "2023-08-01"),
        ("Q08", "job_sustained", "2023-03-01"),
        ("Q09", "job_sustained", "2023-03-01"),
        ("Q09", "job_start", "2023-04-01"),
        ("Q10", "training_completed", "2023-02-01"),
        ("Q10", "training_start", "2023-03-01"),
        ("X99", "training_start", "2023-02-01"),
        ("Q12", "training_start", "2023-02-01"),
    ]
    milestones = conform_milestones(
        pd.DataFrame(rows, columns=["participant_id", "milestone", "date"]).assign(
            date=lambda f: pd.to_datetime(f["date"])
        )
    )
    return participants, milestones


def test_each_check_counts_and_examples() -> None:
    participants, milestones = frames()
    out = data_quality(participants, milestones, as_of=AS_OF).set_index("check")
    expected = {
        "milestone_before_entry": (2, "Q04, Q05"),
        "referral_after_entry": (1, "Q02"),
        "exit_before_entry": (1, "Q03"),
        "date_after_as_of": (2, "Q06, Q07"),
        "sustained_without_job_start": (2, "Q08, Q09"),
        "completed_without_training_start": (1, "Q10"),
        "entered_without_referral": (1, "Q11"),
        "milestone_unknown_participant": (1, "X99"),
        "milestone_without_entry": (1, "Q12"),
    }
    for check, (count, examples) in expected.items():
        assert out.loc[check, "count"] == count, check
        assert out.loc[check, "example_ids"] == examples, check
    assert list(out.index) == list(CHECKS)


def test_examples_capped_at_five_sorted() -> None:
    # Seven people with referral after entry: count 7, examples the first five ids in sorted order.
    ids = ["R7", "R3", "R1", "R5", "R2", "R6", "R4"]
    participants = conform_participants(
        pd.DataFrame(
            {
                "participant_id": ids,
                "region": "Wales",
                "referral_date": pd.to_datetime(["2023-02-01"] * 7),
                "entry_date": pd.to_datetime(["2023-01-01"] * 7),
            }
        )
    )
    out = data_quality(participants, empty_milestones(), as_of=AS_OF).set_index("check")
    assert out.loc["referral_after_entry", "count"] == 7
    assert out.loc["referral_after_entry", "example_ids"] == "R1, R2, R3, R4, R5"


def test_clean_data_reports_zero() -> None:
    participants, milestones = frames()
    clean_p = participants.loc[participants["participant_id"] == "Q01"]
    clean_m = milestones.loc[milestones["participant_id"] == "Q01"]
    out = data_quality(clean_p, clean_m, as_of=AS_OF)
    assert out["count"].tolist() == [0] * len(CHECKS)
    assert out["example_ids"].tolist() == [""] * len(CHECKS)


def test_empty_inputs_report_every_check() -> None:
    out = data_quality(empty_participants(), empty_milestones(), as_of=AS_OF)
    assert list(out.columns) == ["check", "description", "count", "example_ids"]
    assert out["check"].tolist() == list(CHECKS)
    assert out["count"].tolist() == [0] * len(CHECKS)
    assert out["count"].dtype == "int64"


def test_same_day_boundaries_are_not_defects() -> None:
    # Every comparison is strict: referral, entry and exit on one day, milestones on the entry
    # day and on as_of, and a start on the same day as its sustained/completed milestone are
    # all fine, so every check finds 0.
    participants = conform_participants(
        pd.DataFrame(
            {
                "participant_id": ["S1"],
                "region": "Wales",
                "referral_date": pd.to_datetime(["2023-06-30"]),
                "entry_date": pd.to_datetime(["2023-06-30"]),
                "exit_date": pd.to_datetime(["2023-06-30"]),
            }
        )
    )
    milestones = conform_milestones(
        pd.DataFrame(
            {
                "participant_id": ["S1"] * 4,
                "milestone": ["training_start", "training_completed", "job_start", "job_sustained"],
                "date": pd.to_datetime(["2023-06-30"] * 4),
            }
        )
    )
    out = data_quality(participants, milestones, as_of=AS_OF)  # AS_OF is 2023-06-30 too
    assert out["count"].tolist() == [0] * len(CHECKS)
