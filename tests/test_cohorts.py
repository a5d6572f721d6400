"""Tests for cohort curves and cumulative incidence (ete_metrics.metrics.cohorts)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ete_metrics.counting.scope import Scope
from ete_metrics.data.frames import (
    conform_milestones,
    conform_participants,
    empty_milestones,
    empty_participants,
)
from ete_metrics.errors import InputError
from ete_metrics.metrics.cohorts import (
    add_months,
    cohort_curves,
    cumulative_incidence,
    months_followed,
    months_to_reach,
)
from ete_metrics.steps import SUSTAINED, TRAINING, WORK

CURVE_AS_OF = "2023-04-15"


def cohort_people() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Seven people in three entry months, as of 2023-04-15.

    Cohort 2023-01 (size 5):
      P1 entry 01-05, training 02-05 -> 02-05 <= 01-05 + 1 month (02-05): month 1 (boundary counts)
      P2 entry 01-31, training 02-28 -> 01-31 + 1 month = 02-28 (end of month): month 1
      P3 entry 01-10, training 01-10 -> month 0 (same day)
      P4 entry 01-20, training 03-21 -> 01-20 + 2 months = 03-20 < 03-21: month 3
      P5 entry 01-15, no training
      Follow-up: the youngest, P2 (01-31): +2 months = 03-31 <= 04-15, +3 months = 04-30 > as_of,
      so the curve stops at month 2 (P1 alone would allow month 3: 04-05).
      m0: P3 -> 1/5 = 0.2;  m1: P3, P1, P2 -> 3/5 = 0.6;  m2: still 3 -> 0.6 (P4 at month 3 not shown).
    Cohort 2023-02 (size 1): P7 entry 02-28, training 03-28 = 02-28 + 1 month -> month 1.
      Follow-up: +1 = 03-28 <= 04-15, +2 = 04-28 > as_of -> months 0, 1: 0/1, 1/1.
    Cohort 2023-03 (size 1): P6 entry 03-20, training 03-25 -> month 1, but +1 = 04-20 > as_of:
      only month 0, 0/1.
    P8 entered 2023-04-16, after as_of: not in any cohort.
    """
    participants = conform_participants(
        pd.DataFrame(
            {
                "participant_id": ["P1", "P2", "P3", "P4", "P5", "P6", "P7", "P8"],
                "region": ["London"] * 8,
                "referral_date": pd.to_datetime(["2022-12-01"] * 8),
                "entry_date": pd.to_datetime(
                    [
                        "2023-01-05", "2023-01-31", "2023-01-10", "2023-01-20",
                        "2023-01-15", "2023-03-20", "2023-02-28", "2023-04-16",
                    ]
                ),
            }
        )
    )
    milestones = conform_milestones(
        pd.DataFrame(
            {
                "participant_id": ["P1", "P2", "P3", "P4", "P6", "P7", "P8"],
                "milestone": ["training_start"] * 7,
                "date": pd.to_datetime(
                    [
                        "2023-02-05", "2023-02-28", "2023-01-10", "2023-03-21",
                        "2023-03-25", "2023-03-28", "2023-04-16",
                    ]
                ),
            }
        )
    )
    return participants, milestones


def test_monthly_cohort_curves_by_hand() -> None:
    participants, milestones = cohort_people()
    out = cohort_curves(
        Scope(participants, milestones, as_of=CURVE_AS_OF),
        cohort="entry_month",
        outcome=TRAINING.name,
    )
    assert list(out.columns) == ["cohort", "months_since_entry", "cohort_size", "participants", "cumulative_rate"]
    assert out["cohort"].tolist() == ["2023-01"] * 3 + ["2023-02"] * 2 + ["2023-03"]
    assert out["months_since_entry"].tolist() == [0, 1, 2, 0, 1, 0]
    assert out["cohort_size"].tolist() == [5, 5, 5, 1, 1, 1]
    assert out["participants"].tolist() == [1, 3, 3, 0, 1, 0]
    assert out["cumulative_rate"].to_numpy() == pytest.approx([0.2, 0.6, 0.6, 0.0, 1.0, 0.0])
    assert out["months_since_entry"].dtype == np.int64


def test_youngest_member_stops_the_curve() -> None:
    # Without P2 (entry 01-31), the youngest in 2023-01 is P4 (01-20): +2 = 03-20, +3 = 04-20 > as_of.
    # Still month 2. Without P2 and P4, youngest is P5 (01-15): +3 = 04-15 <= as_of -> month 3 appears.
    participants, milestones = cohort_people()
    keep = ~participants["participant_id"].isin(["P2", "P4"])
    out = cohort_curves(Scope(participants.loc[keep], milestones, as_of=CURVE_AS_OF))
    january = out.loc[out["cohort"] == "2023-01"]
    # Members P1, P3, P5: m0 P3 (1/3); m1 P3, P1 (2/3); m2, m3 unchanged.
    assert january["months_since_entry"].tolist() == [0, 1, 2, 3]
    assert january["participants"].tolist() == [1, 2, 2, 2]


def test_quarter_cohort_limited_by_latest_entry() -> None:
    # 2023-Q1 = P1..P7 (7 people); youngest P6 (03-20) has 0 whole months -> only month 0.
    # Month 0 (same-day training): P3 only -> 1/7.
    participants, milestones = cohort_people()
    out = cohort_curves(Scope(participants, milestones, as_of=CURVE_AS_OF), cohort="entry_quarter")
    assert out["cohort"].tolist() == ["2023-Q1"]
    assert out["months_since_entry"].tolist() == [0]
    assert out["cohort_size"].tolist() == [7]
    assert out["participants"].tolist() == [1]


def test_work_outcome_and_date_range() -> None:
    # Only P1 and P3 (entries 01-05..01-10); P3 starts a job on 02-10: 01-10 + 1 month = 02-10 -> month 1.
    # P1 (01-05): +3 = 04-05 <= as_of; P3 (01-10): +3 = 04-10 <= as_of; +4 > as_of -> months 0..3.
    participants, _ = cohort_people()
    milestones = conform_milestones(
        pd.DataFrame(
            {"participant_id": ["P3"], "milestone": ["job_start"], "date": pd.to_datetime(["2023-02-10"])}
        )
    )
    out = cohort_curves(
        Scope(
            participants,
            milestones,
            as_of=CURVE_AS_OF,
            date_from="2023-01-05",
            date_to="2023-01-10",
        ),
        outcome=WORK.name,
    )
    assert out["months_since_entry"].tolist() == [0, 1, 2, 3]
    assert out["cohort_size"].tolist() == [2, 2, 2, 2]
    assert out["participants"].tolist() == [0, 1, 1, 1]


def test_cohort_curves_errors_and_empty() -> None:
    participants, milestones = cohort_people()
    with pytest.raises(InputError):
        cohort_curves(Scope(participants, milestones, as_of=CURVE_AS_OF), cohort="entry_fy")
    with pytest.raises(InputError):
        cohort_curves(Scope(participants, milestones, as_of=CURVE_AS_OF), outcome=SUSTAINED.name)
    out = cohort_curves(Scope(empty_participants(), empty_milestones(), as_of=CURVE_AS_OF))
    assert out.empty
    assert list(out.columns) == ["cohort", "months_since_entry", "cohort_size", "participants", "cumulative_rate"]


dates = st.dates(min_value=pd.Timestamp("2019-01-01").date(), max_value=pd.Timestamp("2026-12-31").date())


@settings(max_examples=300, deadline=None)
@given(dates, st.integers(0, 40))
def test_add_months_matches_dateoffset(day, months: int) -> None:  # type: ignore[no-untyped-def]
    expected = pd.Timestamp(day) + pd.DateOffset(months=months)
    got = add_months(np.array([np.datetime64(day, "D")]), months)[0]
    assert pd.Timestamp(got) == expected


@settings(max_examples=300, deadline=None)
@given(dates, st.integers(0, 900))
def test_months_to_reach_and_followed_brute_force(day, gap: int) -> None:  # type: ignore[no-untyped-def]
    entry = pd.Timestamp(day)
    later = entry + pd.Timedelta(days=gap)
    # Brute force with DateOffset: smallest m with later <= entry + m months; largest m with
    # entry + m months <= later.
    m = 0
    while later > entry + pd.DateOffset(months=m):
        m += 1
    k = 0
    while entry + pd.DateOffset(months=k + 1) <= later:
        k += 1
    entry_arr = np.array([entry.to_datetime64()], dtype="datetime64[ns]")
    later_arr = np.array([later.to_datetime64()], dtype="datetime64[ns]")
    assert months_to_reach(entry_arr, later_arr)[0] == m
    assert months_followed(entry_arr, later)[0] == k


# --- cumulative incidence -------------------------------------------------------------------

INCIDENCE_AS_OF = "2023-03-01"


def incidence_people() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Work as in test_time_to_outcome: days 0e (D), 3c (C), 8c (E), 10e (A), 31e (B, after exit).

      t   n  d  S                   F = 1 - S
      0   5  1  0.8                 0.2
      3   4  0  0.8                 0.2
      8   3  0  0.8                 0.2
      10  2  1  0.8 * 1/2 = 0.4     0.6
      31  1  1  0                   1.0
    CI at t=0: S interval (0.203809, 0.969179) (see test_survival) -> F interval
    (1 - 0.969179, 1 - 0.203809) = (0.030821, 0.796191).
    """
    participants = conform_participants(
        pd.DataFrame(
            {
                "participant_id": ["A", "B", "C", "D", "E"],
                "region": ["London", "London", "Wales", "Wales", None],
                "referral_date": pd.to_datetime(["2022-12-01"] * 5),
                "entry_date": pd.to_datetime(
                    ["2023-01-01", "2023-01-01", "2023-02-26", "2023-01-10", "2023-02-21"]
                ),
                "exit_date": pd.to_datetime([None, "2023-01-05", None, None, None]),
            }
        )
    )
    milestones = conform_milestones(
        pd.DataFrame(
            {
                "participant_id": ["A", "B", "D", "A"],
                "milestone": ["job_start", "job_start", "job_start", "training_start"],
                "date": pd.to_datetime(["2023-01-11", "2023-02-01", "2023-01-10", "2023-01-02"]),
            }
        )
    )
    return participants, milestones


def test_cumulative_incidence_by_hand() -> None:
    participants, milestones = incidence_people()
    out = cumulative_incidence(
        Scope(participants, milestones, as_of=INCIDENCE_AS_OF),
        outcome=WORK.name,
    )
    assert list(out.columns) == [
        "days_since_entry", "at_risk", "events", "cumulative_incidence", "ci_low", "ci_high"
    ]
    assert out["days_since_entry"].tolist() == [0, 3, 8, 10, 31]
    assert out["at_risk"].tolist() == [5, 4, 3, 2, 1]
    assert out["events"].tolist() == [1, 0, 0, 1, 1]
    assert out["cumulative_incidence"].to_numpy() == pytest.approx([0.2, 0.2, 0.2, 0.6, 1.0])
    assert out["ci_low"].iloc[0] == pytest.approx(0.030821, abs=1e-5)
    assert out["ci_high"].iloc[0] == pytest.approx(0.796191, abs=1e-5)


def test_cumulative_incidence_by_region() -> None:
    # London: A 10e, B 31e -> F 0.5 at 10, 1.0 at 31. Not recorded: E 8c -> F 0.
    # Wales: D 0e, C 3c -> F 0.5 at 0 (n=2), 0.5 at 3.
    participants, milestones = incidence_people()
    out = cumulative_incidence(
        Scope(participants, milestones, as_of=INCIDENCE_AS_OF),
        outcome=WORK.name,
        by=["region"],
    )
    assert out["region"].tolist() == ["London", "London", "Not recorded", "Wales", "Wales"]
    assert out["days_since_entry"].tolist() == [10, 31, 8, 0, 3]
    assert out["cumulative_incidence"].to_numpy() == pytest.approx([0.5, 1.0, 0.0, 0.5, 0.5])


def test_cumulative_incidence_empty_and_errors() -> None:
    out = cumulative_incidence(
        Scope(empty_participants(), empty_milestones(), as_of=INCIDENCE_AS_OF),
        by="region",
    )
    assert out.empty
    assert list(out.columns) == [
        "region", "days_since_entry", "at_risk", "events", "cumulative_incidence", "ci_low", "ci_high"
    ]
    participants, milestones = incidence_people()
    with pytest.raises(InputError):
        cumulative_incidence(
            Scope(participants, milestones, as_of=INCIDENCE_AS_OF),
            by="favourite_colour",
        )
    with pytest.raises(InputError):
        cumulative_incidence(
            Scope(participants, milestones, as_of=INCIDENCE_AS_OF),
            outcome="housing",
        )


people_strategy = st.lists(
    st.tuples(st.integers(0, 60), st.one_of(st.none(), st.integers(0, 90))), min_size=1, max_size=40
)


@settings(max_examples=60, deadline=None)
@given(people_strategy)
def test_incidence_properties(rows: list[tuple[int, int | None]]) -> None:
    """Entries at day e after 2023-01-01, outcomes at e + k (None = no outcome), as of day 60.

    Brute force: days = k when the outcome is on or before as_of, else censored at 60 - e. Then
    F(t) = 1 - prod over event times t_i <= t of (1 - d_i / n_i) computed by looping.
    """
    base = pd.Timestamp("2023-01-01")
    as_of = base + pd.Timedelta(days=60)
    ids = [f"P{i}" for i in range(len(rows))]
    entry = [base + pd.Timedelta(days=e) for e, _ in rows]
    participants = conform_participants(
        pd.DataFrame({"participant_id": ids, "region": "London", "referral_date": base, "entry_date": entry})
    )
    events = [(ids[i], entry[i] + pd.Timedelta(days=k)) for i, (_, k) in enumerate(rows) if k is not None]
    milestones = conform_milestones(
        pd.DataFrame(
            {
                "participant_id": [e[0] for e in events],
                "milestone": "training_start",
                "date": pd.to_datetime([e[1] for e in events]),
            }
        )
    )
    out = cumulative_incidence(Scope(participants, milestones, as_of=as_of), outcome=TRAINING.name)

    durations, observed = [], []
    for e, k in rows:
        if k is not None and e + k <= 60:
            durations.append(k)
            observed.append(True)
        else:
            durations.append(60 - e)
            observed.append(False)
    d_arr, o_arr = np.array(durations), np.array(observed)
    expected = []
    survival = 1.0
    for t in sorted(set(durations)):
        n = (d_arr >= t).sum()
        d = ((d_arr == t) & o_arr).sum()
        survival *= 1 - d / n
        expected.append(1 - survival)
    assert out["days_since_entry"].tolist() == sorted(set(durations))
    assert out["cumulative_incidence"].to_numpy() == pytest.approx(expected, abs=1e-12)

    incidence = out["cumulative_incidence"].to_numpy()
    assert (np.diff(incidence) >= -1e-12).all()
    assert ((incidence >= 0) & (incidence <= 1)).all()
    assert (out["ci_low"] <= incidence + 1e-12).all() and (incidence <= out["ci_high"] + 1e-12).all()
    if o_arr.all():
        # No censoring: 1 - KM is the empirical CDF, share with duration <= t.
        ecdf = [(d_arr <= t).mean() for t in out["days_since_entry"]]
        assert incidence == pytest.approx(ecdf, abs=1e-12)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 60), min_size=1, max_size=40))
def test_no_censoring_equals_empirical_cdf(days: list[int]) -> None:
    """Everyone enters 2023-01-01 and reaches training within the 60 days to as_of: no censoring,
    so 1 - KM at t must be the share of people with days <= t (the empirical CDF)."""
    base = pd.Timestamp("2023-01-01")
    ids = [f"P{i}" for i in range(len(days))]
    participants = conform_participants(
        pd.DataFrame({"participant_id": ids, "region": "Wales", "referral_date": base, "entry_date": base})
    )
    milestones = conform_milestones(
        pd.DataFrame(
            {
                "participant_id": ids,
                "milestone": "training_start",
                "date": [base + pd.Timedelta(days=d) for d in days],
            }
        )
    )
    out = cumulative_incidence(Scope(participants, milestones, as_of=base + pd.Timedelta(days=60)))
    values = np.array(days)
    assert out["days_since_entry"].tolist() == sorted(set(days))
    ecdf = [(values <= t).mean() for t in sorted(set(days))]
    assert out["cumulative_incidence"].to_numpy() == pytest.approx(ecdf, abs=1e-12)
    assert out["cumulative_incidence"].iloc[-1] == pytest.approx(1.0)


def test_nobody_in_range_but_milestones_present() -> None:
    # date_from after every entry: empty population, milestones still given -> empty frames.
    participants, milestones = cohort_people()
    assert cohort_curves(
        Scope(participants, milestones, as_of=CURVE_AS_OF, date_from="2023-04-01"),
    ).empty
    out = cumulative_incidence(
        Scope(participants, milestones, as_of=CURVE_AS_OF, date_from="2023-04-01"),
    )
    assert out.empty and "cumulative_incidence" in out.columns
