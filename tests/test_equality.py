"""Tests for equality monitoring (ete_metrics.metrics.equality)."""

from __future__ import annotations

import pandas as pd
import pytest

from ete_metrics.counting.scope import Scope
from ete_metrics.data.frames import (
    conform_milestones,
    conform_participants,
    empty_milestones,
    empty_participants,
)
from ete_metrics.errors import InputError
from ete_metrics.metrics.equality import equality
from ete_metrics.steps import REFERRED, SUSTAINED

AS_OF = "2023-06-30"


def people() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Ten people entered 2023-01-01 (E11 enters 2023-07-01, after as_of, and is ignored).

    gender: F = E1-E4, M = E5-E9, missing = E10.
    job_start (counted): E1, E2 (F), E5 (M), E10 (missing) -> 4 of 10 = overall 0.4.
    E6 has a job_start dated 2022-12-01, before entry: not counted.
    F: 2/4 = 0.5, gap +0.1; M: 1/5 = 0.2, gap -0.2; Not recorded: 1/1 = 1.0, gap +0.6.
    Wilson 95% (z = 1.959964, z^2 = 3.841459):
      F 2/4: denominator 1 + 3.841459/4 = 1.960365, centre (0.5 + 0.480182)/1.960365 = 0.5,
             half 1.959964 * sqrt(0.0625 + 0.060023) / 1.960365 = 0.349961 -> (0.150039, 0.849961)
      M 1/5: denominator 1.768292, centre (0.2 + 0.384146)/1.768292 = 0.330345,
             half 1.959964 * sqrt(0.032 + 0.038415) / 1.768292 = 0.294121 -> (0.036224, 0.624465)
    job_sustained: E1 only -> overall 0.1, F 1/4 = 0.25.
    """
    ids = [f"E{i}" for i in range(1, 12)]
    participants = conform_participants(
        pd.DataFrame(
            {
                "participant_id": ids,
                "region": ["Wales"] * 11,
                "referral_date": pd.to_datetime(["2022-12-01"] * 11),
                "entry_date": pd.to_datetime(["2023-01-01"] * 10 + ["2023-07-01"]),
                "gender": ["F"] * 4 + ["M"] * 5 + [None, "F"],
                "disability": ["Yes", "No"] * 5 + ["Yes"],
            }
        )
    )
    milestones = conform_milestones(
        pd.DataFrame(
            {
                "participant_id": ["E1", "E2", "E5", "E10", "E6", "E11", "E1"],
                "milestone": ["job_start"] * 6 + ["job_sustained"],
                "date": pd.to_datetime(
                    ["2023-02-01", "2023-03-01", "2023-04-01", "2023-05-01", "2022-12-01", "2023-07-02",
                     "2023-05-01"]
                ),
            }
        )
    )
    return participants, milestones


def test_gap_arithmetic_by_hand() -> None:
    participants, milestones = people()
    out = equality(Scope(participants, milestones, as_of=AS_OF), characteristics=["gender"])
    assert list(out.columns) == [
        "characteristic", "group", "entered", "participants", "rate", "ci_low", "ci_high",
        "overall_rate", "gap",
    ]
    assert out["characteristic"].tolist() == ["gender"] * 3
    assert out["group"].tolist() == ["F", "M", "Not recorded"]
    assert out["entered"].tolist() == [4, 5, 1]
    assert out["participants"].tolist() == [2, 1, 1]
    assert out["rate"].to_numpy() == pytest.approx([0.5, 0.2, 1.0])
    assert out["overall_rate"].to_numpy() == pytest.approx([0.4, 0.4, 0.4])
    assert out["gap"].to_numpy() == pytest.approx([0.1, -0.2, 0.6])
    assert out["ci_low"].iloc[0] == pytest.approx(0.150039, abs=1e-5)
    assert out["ci_high"].iloc[0] == pytest.approx(0.849961, abs=1e-5)
    assert out["ci_low"].iloc[1] == pytest.approx(0.036224, abs=1e-5)
    assert out["ci_high"].iloc[1] == pytest.approx(0.624465, abs=1e-5)


def test_several_characteristics_in_given_order() -> None:
    # disability: Yes = E1, E3, E5, E7, E9 (work: E1, E5 -> 2/5); No = E2, E4, E6, E8, E10 (E2, E10 -> 2/5).
    participants, milestones = people()
    out = equality(
        Scope(participants, milestones, as_of=AS_OF),
        characteristics=("disability", "gender"),
    )
    assert out["characteristic"].tolist() == ["disability"] * 2 + ["gender"] * 3
    disability = out.loc[out["characteristic"] == "disability"]
    assert disability["group"].tolist() == ["No", "Yes"]
    assert disability["participants"].tolist() == [2, 2]
    assert disability["gap"].to_numpy() == pytest.approx([0.0, 0.0])


def test_sustained_step() -> None:
    participants, milestones = people()
    out = equality(
        Scope(participants, milestones, as_of=AS_OF),
        characteristics=["gender"],
        step=SUSTAINED.name,
    )
    assert out["participants"].tolist() == [1, 0, 0]
    assert out["overall_rate"].iloc[0] == pytest.approx(0.1)
    assert out["gap"].iloc[0] == pytest.approx(0.15)


def test_window_days() -> None:
    # 60-day window: everyone entered 2023-01-01 is mature (03-02 <= as_of); only jobs on or before
    # 2023-03-02 count: E1 (02-01), E2 (03-01) -> overall 2/10 = 0.2; F 2/4 = 0.5, gap 0.3.
    participants, milestones = people()
    out = equality(
        Scope(participants, milestones, as_of=AS_OF, window_days=60),
        characteristics=["gender"],
    )
    assert out["participants"].tolist() == [2, 0, 0]
    assert out["overall_rate"].iloc[0] == pytest.approx(0.2)
    assert out["gap"].iloc[0] == pytest.approx(0.3)


def test_errors_and_empty() -> None:
    participants, milestones = people()
    with pytest.raises(InputError):
        equality(Scope(participants, milestones, as_of=AS_OF), step=REFERRED.name)
    with pytest.raises(InputError):
        equality(Scope(participants, milestones, as_of=AS_OF), characteristics=["religion"])
    with pytest.raises(InputError):
        equality(Scope(participants, milestones, as_of=AS_OF), characteristics=["entry_month"])
    out = equality(Scope(empty_participants(), empty_milestones(), as_of=AS_OF))
    assert out.empty and len(out.columns) == 9
    # Nobody entered in the range, milestones present: still an empty frame, no exception.
    out = equality(Scope(participants, milestones, as_of=AS_OF, date_from="2023-02-01"))
    assert out.empty and list(out.columns)[:2] == ["characteristic", "group"]
