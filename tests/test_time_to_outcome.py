"""Tests for time_to_outcome: Kaplan–Meier quartiles of days from entry to training and work."""

from __future__ import annotations

import math

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
from ete_metrics.metrics.time_to_outcome import time_to_outcome
from ete_metrics.steps import TRAINING, WORK

AS_OF = "2023-03-01"


def people() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Five entered people (A-E) and one entering after as_of (F).

    Training (first counted training_start, days from entry; as_of 2023-03-01):
      A entry 01-01, training 01-03                   -> day 2, event
      B entry 01-01, training 01-04                   -> day 3, event
      C entry 02-26, training 02-20 is before entry   -> censored at 02-26..03-01 = 3 days
      D entry 01-10, training 01-15 (and 01-20)       -> day 5, event (first one counts)
      E entry 02-21, training 03-05 is after as_of    -> censored at 02-21..03-01 = 8 days
    = the five-person table 2e, 3e, 3c, 5e, 8c:
      S = 0.8 (t2), 0.6 (t3), 0.3 (t5), 0.3 (t8)
      q1 (S <= 0.75) = 3, median (S <= 0.5) = 5, q3 (S <= 0.25) never -> NaN; reached 3.

    Work (first counted job_start):
      A job 01-11 -> day 10, event
      B exited 01-05 but job 02-01 recorded -> day 31, event (exits are not censoring)
      C none -> censored 3;  D job on entry day 01-10 -> day 0;  E none -> censored 8
      sorted: 0e (n5 -> S 0.8), 3c, 8c, 10e (n2 -> S 0.4), 31e (n1 -> S 0)
      q1 (S <= 0.75) = 10, median (S <= 0.5) = 10, q3 (S <= 0.25) = 31; reached 3.
    """
    participants = conform_participants(
        pd.DataFrame(
            {
                "participant_id": ["A", "B", "C", "D", "E", "F"],
                "region": ["London", "London", "Wales", "Wales", None, "Wales"],
                "referral_date": pd.to_datetime(["2022-12-01"] * 6),
                "entry_date": pd.to_datetime(
                    ["2023-01-01", "2023-01-01", "2023-02-26", "2023-01-10", "2023-02-21", "2023-03-02"]
                ),
                "exit_date": pd.to_datetime([None, "2023-01-05", None, None, None, None]),
            }
        )
    )
    milestones = conform_milestones(
        pd.DataFrame(
            {
                "participant_id": ["A", "B", "C", "D", "D", "E", "F", "A", "B", "D"],
                "milestone": ["training_start"] * 7 + ["job_start"] * 3,
                "date": pd.to_datetime(
                    [
                        "2023-01-03", "2023-01-04", "2023-02-20", "2023-01-20", "2023-01-15",
                        "2023-03-05", "2023-03-02", "2023-01-11", "2023-02-01", "2023-01-10",
                    ]
                ),
            }
        )
    )
    return participants, milestones


def test_overall_quartiles_by_hand() -> None:
    participants, milestones = people()
    out = time_to_outcome(Scope(participants, milestones, as_of=AS_OF))
    assert list(out.columns) == ["outcome", "entered", "reached", "median_days", "q1_days", "q3_days",
                                 "reached_3_months", "reached_6_months", "reached_12_months",
                                 *HORIZON_COLUMNS]
    training = out.loc[out["outcome"] == TRAINING.name].iloc[0]
    work = out.loc[out["outcome"] == WORK.name].iloc[0]
    assert out["outcome"].tolist() == ["training", "work"]
    assert (training["entered"], training["reached"]) == (5, 3)
    assert (training["q1_days"], training["median_days"]) == (3, 5)
    assert math.isnan(training["q3_days"])
    assert (work["entered"], work["reached"]) == (5, 3)
    assert (work["q1_days"], work["median_days"], work["q3_days"]) == (10, 10, 31)


HORIZON_COLUMNS = [f"{what}_{m}_months" for m in (3, 6, 12)
                   for what in ("followed", "within", "share_within")]


def test_people_followed_three_months_and_reaching_it_within() -> None:
    # As at 2 Apr 2023, A and B (entered 1 Jan) have been followed 31 + 28 + 31 + 1 = 91 days,
    # three months; D (10 Jan) 82, C and E fewer: 2 followed. Both reached training (days 2
    # and 3) and work (days 10 and 31) within 91 days: 2 of 2 for each, a share of 1.0. Nobody
    # has been followed 182 days: 0, and no share. A day earlier nobody has been followed 91.
    participants, milestones = people()
    out = time_to_outcome(Scope(participants, milestones, as_of="2023-04-02")).set_index("outcome")
    for outcome in ("training", "work"):
        row = out.loc[outcome]
        assert (row["followed_3_months"], row["within_3_months"], row["share_within_3_months"]) == (2, 2, 1.0)
        assert (row["followed_6_months"], row["within_6_months"]) == (0, 0)
        assert math.isnan(row["share_within_6_months"])
    earlier = time_to_outcome(Scope(participants, milestones, as_of="2023-04-01"))
    assert earlier["followed_3_months"].tolist() == [0, 0]


def test_reaching_it_after_three_months_is_not_within_them() -> None:
    # One person entered 1 Jan 2022, into work on day 100: followed a year as at 1 Jan 2023,
    # so counted in all three horizons, within 6 and 12 months but not within 3.
    participants = conform_participants(pd.DataFrame({
        "participant_id": ["A"], "region": ["London"], "referral_date": pd.to_datetime(["2021-12-01"]),
        "entry_date": pd.to_datetime(["2022-01-01"]), "exit_date": pd.to_datetime([None])}))
    milestones = conform_milestones(pd.DataFrame({
        "participant_id": ["A"], "milestone": ["job_start"], "date": pd.to_datetime(["2022-04-11"])}))
    work = time_to_outcome(
        Scope(participants, milestones, as_of="2023-01-01"),
    ).set_index("outcome").loc["work"]
    assert [work[f"followed_{m}_months"] for m in (3, 6, 12)] == [1, 1, 1]
    assert [work[f"within_{m}_months"] for m in (3, 6, 12)] == [0, 1, 1]


def test_inputs_not_mutated() -> None:
    participants, milestones = people()
    before_p, before_m = participants.copy(), milestones.copy()
    time_to_outcome(Scope(participants, milestones, as_of=AS_OF))
    pd.testing.assert_frame_equal(participants, before_p)
    pd.testing.assert_frame_equal(milestones, before_m)


def test_by_region_with_not_recorded() -> None:
    # London: A (training day 2), B (day 3): S 0.5 at 2, 0 at 3 -> median 2, q1 2, q3 3.
    # Not recorded: E censored at 8 -> all NaN, reached 0.
    # Wales: C censored 3, D day 5 -> at t5 n=1, d=1 -> S 0 -> median 5.
    participants, milestones = people()
    out = time_to_outcome(Scope(participants, milestones, as_of=AS_OF), by="region")
    training = out.loc[out["outcome"] == TRAINING.name].set_index("region")
    assert out["region"].tolist() == [
        "London", "London", "Not recorded", "Not recorded", "Wales", "Wales"
    ]
    assert training.loc["London", ["q1_days", "median_days", "q3_days"]].tolist() == [2, 2, 3]
    assert training.loc["Not recorded", "reached"] == 0
    assert math.isnan(training.loc["Not recorded", "median_days"])
    assert training.loc["Wales", "median_days"] == 5
    assert training["entered"].tolist() == [2, 1, 2]


def test_date_range_filters_entry() -> None:
    # Only A and B entered on 2023-01-01: training days 2 and 3 -> median 2 (S 0.5 at t2).
    participants, milestones = people()
    out = time_to_outcome(
        Scope(participants, milestones, as_of=AS_OF, date_from="2023-01-01", date_to="2023-01-01"),
    )
    training = out.loc[out["outcome"] == TRAINING.name].iloc[0]
    assert training["entered"] == 2
    assert training["median_days"] == 2


def test_empty_population_has_columns() -> None:
    out = time_to_outcome(
        Scope(empty_participants(), empty_milestones(), as_of=AS_OF),
        by=["region"],
    )
    assert list(out.columns) == [
        "region", "outcome", "entered", "reached", "median_days", "q1_days", "q3_days",
        "reached_3_months", "reached_6_months", "reached_12_months", *HORIZON_COLUMNS,
    ]
    assert out.empty


def test_unknown_grouping_key_raises() -> None:
    participants, milestones = people()
    with pytest.raises(InputError):
        time_to_outcome(Scope(participants, milestones, as_of=AS_OF), by="shoe_size")


def test_nobody_in_range_but_milestones_present() -> None:
    participants, milestones = people()
    out = time_to_outcome(Scope(participants, milestones, as_of=AS_OF, date_from="2023-02-28"))
    assert out.empty and "median_days" in out.columns


def _slow(as_of: str) -> pd.DataFrame:
    """Five people entered 1 Jan 2023; A in work on day 30, B on day 150, C-E never."""
    participants = conform_participants(pd.DataFrame({
        "participant_id": list("ABCDE"), "region": "Wales",
        "referral_date": pd.Timestamp("2022-12-01"), "entry_date": pd.Timestamp("2023-01-01"),
    }))
    milestones = conform_milestones(pd.DataFrame({
        "participant_id": ["A", "B"], "milestone": "job_start",
        "date": pd.to_datetime(["2023-01-31", "2023-05-31"]),  # days 30 and 150
    }))
    out = time_to_outcome(Scope(participants, milestones, as_of=as_of))
    return out.set_index("outcome")


def test_fewer_than_half_reached_shows_the_shares_reached_by_3_6_12_months() -> None:
    # as at 1 Mar 2024 (day 425): 30e (n5, S 0.8), 150e (n4, S 0.6), 425c x3.
    # Median (S <= 0.5) never: NaN. Lower quartile (S <= 0.75): day 150.
    work = _slow("2024-03-01").loc["work"]
    assert math.isnan(work["median_days"]) and work["q1_days"] == 150
    assert work["reached_3_months"] == pytest.approx(0.2)    # 1 - S(91) = 1 - 0.8
    assert work["reached_6_months"] == pytest.approx(0.4)    # 1 - S(182) = 1 - 0.6
    assert work["reached_12_months"] == pytest.approx(0.4)   # 1 - S(365)
    training = _slow("2024-03-01").loc["training"]
    assert training["reached_3_months"] == 0 and training["reached_12_months"] == 0


def test_share_is_blank_beyond_the_follow_up() -> None:
    # as at 20 Jul 2023: day 200 is everyone's longest follow-up, so 12 months is not estimated
    work = _slow("2023-07-20").loc["work"]
    assert work["reached_6_months"] == pytest.approx(0.4)
    assert math.isnan(work["reached_12_months"])
