"""Engagement and timeliness (metrics/engagement.py), each figure worked out by hand on a calendar.

Calendar used (England and Wales): Mon 26 and Tue 27 Dec 2022 and Mon 2 Jan 2023 are bank
holidays (Christmas, New Year); Good Friday 7 Apr and Easter Monday 10 Apr 2023; Mon 1 May,
Mon 8 May (the coronation) and Mon 29 May 2023. Working days after a referral are counted from
the day after it up to and including the appointment's day (the same day is 0).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ete_metrics import steps
from ete_metrics.data.frames import ENGAGEMENT_COLUMNS, conform_engagement, empty_engagement
from ete_metrics.errors import InputError
from ete_metrics.metrics.engagement import (
    RATES_COLUMNS,
    SUMMARY_COLUMNS,
    TIMELINESS_COLUMNS,
    end_states,
    engagement_rates,
    engagement_summary,
    service_level_rating,
    timeliness,
)


def referrals(rows: list[dict[str, object]]) -> pd.DataFrame:
    """Referrals with generated ids (r0, r1, ...) and participants (p0, p1, ...)."""
    frame = pd.DataFrame(rows)
    frame.insert(0, "referral_id", [f"r{i}" for i in range(len(frame))])
    frame.insert(1, "participant_id", [f"p{i}" for i in range(len(frame))])
    return frame


# --- Timeliness -----------------------------------------------------------------------------

HOLIDAYS = referrals(
    [
        # Fri 23 Dec 2022 -> Wed 4 Jan 2023: Wed 28, Thu 29, Fri 30 Dec, Tue 3, Wed 4 Jan = 5.
        {"referral_date": "2022-12-23", "first_appointment_attended_on": "2023-01-04"},
        # Thu 6 Apr -> Mon 24 Apr 2023: Tue 11..Fri 14 (4), Mon 17..Fri 21 (9), Mon 24 = 10.
        {"referral_date": "2023-04-06", "first_appointment_attended_on": "2023-04-24"},
        # Fri 28 Apr -> Mon 15 May 2023: Tue 2..Fri 5 (4), Tue 9..Fri 12 (8), Mon 15 = 9.
        {"referral_date": "2023-04-28", "first_appointment_attended_on": "2023-05-15"},
        # Fri 5 May -> Tue 23 May 2023: Tue 9..Fri 12 (4), Mon 15..Fri 19 (9), 22, 23 = 11.
        {"referral_date": "2023-05-05", "first_appointment_attended_on": "2023-05-23"},
        # Mon 3 Jul 2023, never attended.
        {"referral_date": "2023-07-03"},
        # Mon 17 Jul 2023, attended Tue 1 Aug: after the as-at date, so not yet attended.
        {"referral_date": "2023-07-17", "first_appointment_attended_on": "2023-08-01"},
        # Mon 24 Jul -> Wed 26 Jul = 2; only 5 working days before the as-at date (25..28, 31).
        {"referral_date": "2023-07-24", "first_appointment_attended_on": "2023-07-26"},
        # Tue 1 Aug 2023: received after the as-at date, not counted at all.
        {"referral_date": "2023-08-01", "first_appointment_attended_on": "2023-08-02"},
    ]
)
HOLIDAYS_AS_OF = "2023-07-31"  # a Monday


def test_working_days_across_christmas_easter_and_may_2023() -> None:
    row = engagement_summary(HOLIDAYS, HOLIDAYS_AS_OF).iloc[0]
    # Received by Mon 31 Jul: the first seven.
    assert row["referrals"] == 7
    # Attended by then: 5, 10, 9, 11 and 2 working days -> sorted 2, 5, 9, 10, 11: median 9.
    assert row["first_appointment_attended"] == 5
    assert row["median_working_days_to_first_appointment"] == 9
    assert row["threshold_working_days"] == 10
    # Eligible (received at least 10 working days before Mon 31 Jul): the first six; the
    # 17 Jul one has exactly 10 (18..21, 24..28, 31); the 24 Jul one only 5.
    assert row["eligible_for_threshold"] == 6
    # Within 10: 5, 10 and 9 (11 is over; never attended and attended after 31 Jul are not).
    assert row["attended_within_threshold"] == 3
    assert row["share_within_threshold"] == pytest.approx(3 / 6)


def test_the_threshold_is_configurable() -> None:
    row = engagement_summary(HOLIDAYS, HOLIDAYS_AS_OF, threshold_days=9).iloc[0]
    # Eligible at 9: the same six (the 24 Jul referral has 5). Within 9: 5 and 9 only.
    assert row["threshold_working_days"] == 9
    assert row["eligible_for_threshold"] == 6
    assert row["attended_within_threshold"] == 2
    assert row["share_within_threshold"] == pytest.approx(2 / 6)


def test_an_evening_in_utc_is_the_next_day_in_london() -> None:
    frame = referrals(
        [
            # 23:30 UTC on Sun 2 Jul 2023 is 00:30 on Mon 3 Jul in London (BST): from Fri
            # 30 Jun that is 1 working day (it would be 0 on the UTC date, a Sunday).
            {
                "referral_date": "2023-06-30",
                "first_appointment_attended_on": "2023-07-02T23:30:00Z",
            },
        ]
    )
    assert (
        engagement_summary(frame, "2023-07-31").iloc[0]["median_working_days_to_first_appointment"]
        == 1
    )
    # A referral received at 23:15 UTC on Thu 1 Jun is received on Fri 2 Jun in London:
    # to Mon 5 Jun that is 1 working day (2 from the UTC date).
    aware = pd.DataFrame(
        {
            "referral_id": ["r0"],
            "participant_id": ["p0"],
            "referral_date": pd.to_datetime(["2023-06-01T23:15:00Z"]),
            "first_appointment_attended_on": pd.to_datetime(["2023-06-05T10:00:00+01:00"]),
        }
    )
    assert (
        engagement_summary(aware, "2023-07-31").iloc[0]["median_working_days_to_first_appointment"]
        == 1
    )
    # As at Thu 1 Jun the referral has not been received yet (it is 2 Jun in London).
    assert engagement_summary(aware, "2023-06-01").iloc[0]["referrals"] == 0


ARRANGED = referrals(
    [
        # Fri 23 Dec 2022 -> Fri 30 Dec: Wed 28, Thu 29, Fri 30 = 3.
        {"referral_date": "2022-12-23", "first_appointment_arranged_on": "2022-12-30"},
        # Thu 6 Apr 2023 -> Fri 14 Apr: Tue 11..Fri 14 = 4 (Good Friday, Easter Monday out).
        {"referral_date": "2023-04-06", "first_appointment_arranged_on": "2023-04-14"},
        # Fri 5 May -> Mon 15 May: Tue 9..Fri 12 (4; Mon 8 the coronation), Mon 15 = 5.
        {"referral_date": "2023-05-05", "first_appointment_arranged_on": "2023-05-15"},
        # Fri 28 Apr -> Wed 10 May: Tue 2..Fri 5 (4; Mon 1 May out), Tue 9, Wed 10 = 6.
        {"referral_date": "2023-04-28", "first_appointment_arranged_on": "2023-05-10"},
    ]
)


def test_first_appointment_arranged_within_five_working_days_and_rag() -> None:
    table = timeliness(ARRANGED, "2023-06-30", service_level=0.75)
    assert list(table.columns) == list(TIMELINESS_COLUMNS)
    assert table["measure"].tolist() == list(steps.TIMELINESS_LABELS)
    attended, arranged = table.iloc[0], table.iloc[1]
    # Arranged: 3, 4, 5, 6 -> median 4.5; all four eligible; 3, 4, 5 within 5 -> 3/4.
    assert arranged["threshold_working_days"] == 5
    assert arranged["reached"] == 4
    assert arranged["median_working_days"] == 4.5
    assert (arranged["eligible_for_threshold"], arranged["within_threshold"]) == (4, 3)
    assert arranged["share_within_threshold"] == 0.75
    # 0.75 against a service level of 0.75 is at the target: green.
    assert arranged["rag"] == "green"
    # None attended: no median, all four eligible at 10, none within: 0 of 4 is red.
    assert attended["reached"] == 0 and math.isnan(attended["median_working_days"])
    assert (attended["eligible_for_threshold"], attended["within_threshold"]) == (4, 0)
    assert attended["share_within_threshold"] == 0.0
    assert attended["rag"] == "red"


def test_service_level_rag_amber_and_red() -> None:
    # 3 of 4 = 0.75. Against 0.8: 0.75 / 0.8 = 0.9375 >= 0.86 -> amber. Against 0.9:
    # 0.75 / 0.9 = 0.833 < 0.86 -> red. Against 0.5: green. Nobody eligible: no rating.
    assert service_level_rating([3, 3, 3, 0], [4, 4, 4, 0], 0.8).tolist()[:3] == ["amber"] * 3
    assert service_level_rating([3], [4], 0.9).tolist() == ["red"]
    assert service_level_rating([3], [4], 0.5).tolist() == ["green"]
    assert service_level_rating([0], [0], 0.9).tolist() == [None]
    # 86 of 100 against 1.0 is exactly amber's edge; 859 of 1,000 is red.
    assert service_level_rating([86, 859], [100, 1000], 1.0).tolist() == ["amber", "red"]
    assert service_level_rating([3], [4], None).tolist() == [None]
    with pytest.raises(InputError, match="service level"):
        service_level_rating([3], [4], 90)


def test_timeliness_groups_and_thresholds() -> None:
    frame = ARRANGED.assign(region=["London", "London", "Wales", "Wales"])
    table = timeliness(frame, "2023-06-30", by="region", arranged_threshold_days=4)
    arranged = table.loc[table["measure"] == "first_appointment_arranged"].set_index("region")
    # London: 3 and 4, both within 4. Wales: 5 and 6, neither.
    assert arranged.loc["London", "within_threshold"] == 2
    assert arranged.loc["Wales", "within_threshold"] == 0
    assert table["region"].tolist() == ["London", "London", "Wales", "Wales"]
    assert table["rag"].isna().all()
    with pytest.raises(InputError, match="whole number"):
        timeliness(frame, "2023-06-30", attended_threshold_days=0)


# --- Engagement -----------------------------------------------------------------------------

ENGAGED = referrals(
    [
        # On time, plan approved by 30 Jun, 3 of 6 sessions.
        {
            "first_appointment_attended_on": "2023-05-02",
            "first_appointment_on_time": True,
            "action_plan_approved_on": "2023-05-10",
            "sessions_expected": 6,
            "sessions_attended": 3,
        },
        # Late; plan approved 5 Jul, after the as-at date: not in the pool.
        {
            "first_appointment_attended_on": "2023-05-03",
            "first_appointment_on_time": False,
            "action_plan_approved_on": "2023-07-05",
            "sessions_expected": 4,
            "sessions_attended": 4,
        },
        # Attended on time, but on 3 Jul: after the as-at date.
        {"first_appointment_attended_on": "2023-07-03", "first_appointment_on_time": True},
        # Never attended.
        {},
        # Attended, on time not recorded; plan approved, 2 of 5 sessions.
        {
            "first_appointment_attended_on": "2023-05-04",
            "action_plan_approved_on": "2023-06-01",
            "sessions_expected": 5,
            "sessions_attended": 2,
        },
        # Plan approved but the sessions not recorded: not in the pool.
        {"action_plan_approved_on": "2023-06-01"},
    ]
)
ENGAGED["referral_date"] = "2023-04-03"


def test_on_time_action_plans_and_attendance() -> None:
    table = engagement_rates(ENGAGED, "2023-06-30")
    assert list(table.columns) == list(RATES_COLUMNS)
    row = table.iloc[0]
    assert row["referrals"] == 6
    # Attended by 30 Jun: rows 1, 2 and 5; on time: row 1 only -> 1/3.
    assert row["first_appointment_attended"] == 3
    assert row["attended_on_time"] == 1
    assert row["on_time_rate"] == pytest.approx(1 / 3)
    # Approved by 30 Jun: rows 1, 5, 6 -> 3 of 6.
    assert row["action_plan_approved"] == 3
    assert row["action_plan_rate"] == 0.5
    # Pooled over rows 1 and 5: (3 + 2) / (6 + 5) = 5/11.
    assert (row["sessions_expected"], row["sessions_attended"]) == (11, 5)
    assert row["attendance_rate"] == pytest.approx(5 / 11)
    summary = engagement_summary(ENGAGED, "2023-06-30").iloc[0]
    assert (summary["sessions_expected"], summary["sessions_attended"]) == (11, 5)
    assert summary["attendance_rate"] == pytest.approx(5 / 11)


def test_an_action_plan_approved_after_the_as_at_date_counts_once_approved() -> None:
    # As at 5 Jul the second plan is approved: rows 1, 2, 5 pool (6+4+5, 3+4+2) = 9/15.
    row = engagement_rates(ENGAGED, "2023-07-05").iloc[0]
    assert row["action_plan_approved"] == 4
    assert (row["sessions_expected"], row["sessions_attended"]) == (15, 9)
    assert row["attendance_rate"] == pytest.approx(9 / 15)


# --- Outcomes -------------------------------------------------------------------------------

OUTCOMES = referrals(
    [
        # Achieved, achieved, partly: 1 + 1 + 0.5 = 2.5 of 3.
        {
            "end_of_service_report_submitted_on": "2023-06-01",
            "outcomes_to_achieve": 3,
            "achievement_score": 2.5,
        },
        # Partly, not: 0.5 + 0 = 0.5 of 2.
        {
            "end_of_service_report_submitted_on": "2023-06-15",
            "outcomes_to_achieve": 2,
            "achievement_score": 0.5,
        },
        # Report submitted 10 Jul, after the as-at date.
        {
            "end_of_service_report_submitted_on": "2023-07-10",
            "outcomes_to_achieve": 4,
            "achievement_score": 4,
        },
        # No report yet.
        {"outcomes_to_achieve": 2},
    ]
)
OUTCOMES["referral_date"] = "2023-01-09"


def test_partly_achieved_outcomes() -> None:
    row = engagement_summary(OUTCOMES, "2023-06-30").iloc[0]
    # (2.5 + 0.5) / (3 + 2) = 3 / 5.
    assert row["outcomes_to_achieve"] == 5
    assert row["outcomes_achieved"] == 3.0
    assert row["achievement_rate"] == pytest.approx(0.6)


# --- End states -----------------------------------------------------------------------------

STATES = referrals(
    [
        {},  # open: nothing recorded
        {"end_state": "completed", "concluded_on": "2023-06-01"},
        {"end_state": "ended", "concluded_on": "2023-05-01"},
        {"end_state": "cancelled", "concluded_on": "2023-04-20"},
        {"end_state": "completed", "concluded_on": "2023-07-01"},  # concluded after: open
        {"end_state": "open"},
        {"end_state": "ended"},  # no conclusion date: open (nothing says when it ended)
    ]
)
STATES["referral_date"] = "2023-04-03"


def test_every_end_state_and_concluded_after_the_as_at_date_is_open() -> None:
    table = end_states(STATES, "2023-06-30")
    assert table.iloc[0].to_dict() == {
        "referrals": 7,
        "open": 4,
        "completed": 1,
        "ended": 1,
        "cancelled": 1,
    }
    # As at 1 Jul the fifth is completed.
    assert end_states(STATES, "2023-07-01").iloc[0]["completed"] == 2
    summary = engagement_summary(STATES, "2023-06-30").iloc[0]
    assert [summary[state] for state in steps.END_STATES] == [4, 1, 1, 1]


def test_an_unknown_end_state_is_refused() -> None:
    with pytest.raises(InputError, match="Unknown end state 'withdrawn'"):
        end_states(STATES.assign(end_state="withdrawn"), "2023-06-30")


# --- The summary's shape ----------------------------------------------------------------------


def test_summary_columns_groups_and_nothing_received() -> None:
    frame = HOLIDAYS.assign(
        region=["London", "Wales", "London", "Wales", "London", None, "Wales", "Wales"]
    )
    table = engagement_summary(frame, HOLIDAYS_AS_OF, by=["region"])
    assert list(table.columns) == ["region", *SUMMARY_COLUMNS]
    # London: rows 1, 3, 5 (5 and 9 working days; row 5 never attended). Wales: rows 2, 4, 7
    # (10, 11, 2). No region: row 6. Row 8 was received after the as-at date.
    assert table["region"].tolist()[:2] == ["London", "Wales"] and pd.isna(table["region"].iloc[2])
    assert table["referrals"].tolist() == [3, 3, 1]
    assert table["median_working_days_to_first_appointment"].tolist()[:2] == [7.0, 10.0]
    assert table["attended_within_threshold"].tolist() == [2, 1, 0]
    assert table["eligible_for_threshold"].tolist() == [3, 2, 1]
    nothing = engagement_summary(HOLIDAYS, "2022-01-01")
    assert len(nothing) == 1 and nothing.iloc[0]["referrals"] == 0
    assert math.isnan(nothing.iloc[0]["share_within_threshold"])
    assert engagement_summary(empty_engagement(), "2023-01-01").iloc[0]["referrals"] == 0
    assert engagement_summary(HOLIDAYS, "2022-01-01", by="region").empty


def test_bad_arguments_say_what_to_fix() -> None:
    with pytest.raises(InputError, match="choose from region, delivery_partner, pathway"):
        engagement_summary(HOLIDAYS, HOLIDAYS_AS_OF, by="gender")
    with pytest.raises(InputError, match="whole number"):
        engagement_summary(HOLIDAYS, HOLIDAYS_AS_OF, threshold_days=2.5)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="as_of"):
        engagement_summary(HOLIDAYS, "not a date")


def test_the_frame_contract() -> None:
    frame = conform_engagement(HOLIDAYS)
    assert tuple(frame.columns) == ENGAGEMENT_COLUMNS
    assert str(frame["sessions_expected"].dtype) == "Int64"
    assert str(frame["achievement_score"].dtype) == "Float64"
    assert str(frame["first_appointment_on_time"].dtype) == "boolean"
    assert frame["first_appointment_attended_on"].dtype == np.dtype("datetime64[ns]")


# --- Properties -----------------------------------------------------------------------------

DAY0 = pd.Timestamp("2022-12-01")


@st.composite
def engagement_frames(draw: st.DrawFn) -> pd.DataFrame:
    size = draw(st.integers(0, 12))
    offsets = st.one_of(st.none(), st.integers(0, 300))
    rows = []
    for _ in range(size):
        start = draw(st.integers(0, 200))

        def after(base: int) -> pd.Timestamp | None:
            gap = draw(offsets)
            return None if gap is None else DAY0 + pd.Timedelta(days=base + gap)

        expected = draw(st.one_of(st.none(), st.integers(0, 12)))
        wanted = draw(st.one_of(st.none(), st.integers(0, 5)))
        rows.append(
            {
                "region": draw(st.sampled_from(["London", "Wales", None])),
                "referral_date": DAY0 + pd.Timedelta(days=start),
                "first_appointment_arranged_on": after(start),
                "first_appointment_attended_on": after(start),
                "first_appointment_on_time": draw(st.one_of(st.none(), st.booleans())),
                "action_plan_approved_on": after(start),
                "sessions_expected": expected,
                "sessions_attended": None if expected is None else draw(st.integers(0, expected)),
                "outcomes_to_achieve": wanted,
                "achievement_score": None
                if wanted is None
                else draw(st.integers(0, 2 * wanted)) / 2,
                "end_of_service_report_submitted_on": after(start),
                "concluded_on": after(start),
                "end_state": draw(st.sampled_from([None, *steps.END_STATES])),
            }
        )
    frame = referrals(rows) if rows else empty_engagement()
    return frame


@settings(max_examples=40)
@given(engagement_frames(), st.integers(0, 400), st.integers(1, 15))
def test_shares_are_shares_counts_add_up_and_inputs_are_kept(
    frame: pd.DataFrame, day: int, threshold: int
) -> None:
    as_of = DAY0 + pd.Timedelta(days=day)
    before = frame.copy(deep=True)
    total = engagement_summary(frame, as_of, threshold_days=threshold)
    grouped = engagement_summary(frame, as_of, by="region", threshold_days=threshold)
    pd.testing.assert_frame_equal(frame, before)
    row = total.iloc[0]
    assert sum(row[state] for state in steps.END_STATES) == row["referrals"]
    assert row["attended_within_threshold"] <= row["eligible_for_threshold"] <= row["referrals"]
    assert row["first_appointment_attended"] <= row["referrals"]
    assert row["sessions_attended"] <= row["sessions_expected"]
    assert row["outcomes_achieved"] <= row["outcomes_to_achieve"]
    for share in ("share_within_threshold", "attendance_rate", "achievement_rate"):
        values = pd.concat([total[share], grouped[share]]).dropna()
        assert ((values >= 0) & (values <= 1)).all()
    counts = [
        c
        for c in SUMMARY_COLUMNS
        if c
        not in {
            "median_working_days_to_first_appointment",
            "threshold_working_days",
            "share_within_threshold",
            "attendance_rate",
            "achievement_rate",
        }
    ]
    assert grouped[counts].sum().tolist() == pytest.approx(total[counts].iloc[0].tolist())
