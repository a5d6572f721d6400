"""Exits by the stage reached and the reason (metrics/exits.py), worked out by hand."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ete_metrics import steps
from ete_metrics.data.frames import conform_milestones
from ete_metrics.errors import InputError
from ete_metrics.metrics.engagement import end_states
from ete_metrics.metrics.exits import EXIT_COLUMNS, exits

JOB = steps.find_step(steps.JOB_STEP).milestone
OTHER_MILESTONE = next(kind for kind in steps.MILESTONE_TYPES if kind != JOB)
AS_OF = "2023-06-30"

EXITS = pd.DataFrame(
    [
        # p0: cancelled before any appointment, a mistaken referral.
        {
            "end_state": "cancelled",
            "end_requested_on": "2023-04-28",
            "concluded_on": "2023-05-01",
            "end_reason": "mistaken",
        },
        # p1: attended 10 Apr; end requested 10 May, before the plan's approval on 15 May.
        {
            "end_state": "ended",
            "first_appointment_attended_on": "2023-04-10",
            "action_plan_approved_on": "2023-05-15",
            "end_requested_on": "2023-05-10",
            "concluded_on": "2023-05-20",
            "end_reason": "not_engaged",
        },
        # p2: plan approved 20 Apr, no end request recorded: concluded 1 Jun, in delivery.
        {
            "end_state": "ended",
            "first_appointment_attended_on": "2023-04-10",
            "action_plan_approved_on": "2023-04-20",
            "concluded_on": "2023-06-01",
            "end_reason": "completed_early",
        },
        # p3: job start 5 May (milestones), end requested 20 May: after a job start.
        {
            "end_state": "ended",
            "first_appointment_attended_on": "2023-04-10",
            "action_plan_approved_on": "2023-04-20",
            "end_requested_on": "2023-05-20",
            "concluded_on": "2023-05-25",
            "end_reason": "work_or_caring",
        },
        # p4: a job start on 1 Mar, before the referral (3 Apr): not counted; no reason.
        {
            "end_state": "ended",
            "first_appointment_attended_on": "2023-04-10",
            "action_plan_approved_on": "2023-04-20",
            "concluded_on": "2023-06-01",
        },
        # p5: concluded 5 Jul, after the as-at date: still open, not an exit.
        {"end_state": "ended", "concluded_on": "2023-07-05", "end_reason": "moved"},
        # p6: completed: not an exit, whatever reason it carries.
        {"end_state": "completed", "concluded_on": "2023-06-10", "end_reason": "completed_early"},
        # p7: attended, job start 20 Jun after the end request of 15 Jun: before the plan.
        {
            "end_state": "ended",
            "first_appointment_attended_on": "2023-04-12",
            "end_requested_on": "2023-06-15",
            "concluded_on": "2023-06-16",
            "end_reason": "moved",
        },
        # p8: open, nothing recorded.
        {},
    ]
)
EXITS.insert(0, "referral_id", [f"r{i}" for i in range(len(EXITS))])
EXITS.insert(1, "participant_id", [f"p{i}" for i in range(len(EXITS))])
EXITS["referral_date"] = "2023-04-03"
EXITS["region"] = [
    "London",
    "Wales",
    "London",
    "Wales",
    "London",
    "London",
    "London",
    "London",
    "Wales",
]

MILESTONES = conform_milestones(
    pd.DataFrame(
        {
            "participant_id": ["p3", "p4", "p7", "p1", "p8"],
            "milestone": [JOB, JOB, JOB, OTHER_MILESTONE, JOB],
            "date": pd.to_datetime(
                ["2023-05-05", "2023-03-01", "2023-06-20", "2023-05-01", "2023-05-01"]
            ),
        }
    )
)


def test_exits_by_stage_group_and_reason() -> None:
    table = exits(EXITS, AS_OF, milestones=MILESTONES)
    assert list(table.columns) == list(EXIT_COLUMNS)
    before_first, before_plan, delivery, after_job = steps.EXIT_STAGES
    expected = [
        (before_first, "problem", "mistaken", False, 1),  # p0
        (before_plan, "user", "not_engaged", False, 1),  # p1
        (before_plan, "user", "moved", False, 1),  # p7
        (delivery, "early", "completed_early", True, 1),  # p2
        (delivery, "other", steps.EXIT_REASON_NOT_RECORDED, False, 1),  # p4
        (after_job, "user", "work_or_caring", True, 1),  # p3
    ]
    assert list(table.itertuples(index=False, name=None)) == expected
    # The exits are exactly the referrals ended or cancelled at the as-at date.
    states = end_states(EXITS, AS_OF).iloc[0]
    assert table["referrals"].sum() == states["ended"] + states["cancelled"] == 6


def test_without_milestones_no_exit_is_after_a_job_start() -> None:
    table = exits(EXITS, AS_OF)
    # p3 falls back to in delivery (plan approved 20 Apr, end requested 20 May).
    assert steps.EXIT_STAGES[3] not in set(table["stage"])
    assert table.loc[table["reason"] == "work_or_caring", "stage"].tolist() == [
        steps.EXIT_STAGES[2]
    ]


def test_exits_by_region() -> None:
    table = exits(EXITS, AS_OF, milestones=MILESTONES, by="region")
    # London: p0, p2, p4, p7 (p5 still open, p6 completed). Wales: p1, p3.
    assert table.groupby("region")["referrals"].sum().to_dict() == {"London": 4, "Wales": 2}
    assert table.loc[table["region"] == "Wales", "reason"].tolist() == [
        "not_engaged",
        "work_or_caring",
    ]


def test_an_unknown_reason_is_refused() -> None:
    with pytest.raises(InputError, match="Unknown exit reason 'WOR'"):
        exits(EXITS.assign(end_reason="WOR"), AS_OF)


def test_the_source_codes_map_onto_the_vocabulary() -> None:
    # Refer and Monitor: the report carries the description; the codes are accepted too.
    mapped = steps.REFER_AND_MONITOR_EXIT_REASONS
    assert mapped["Work, caring commitments, or sickness"] == "work_or_caring"
    assert mapped["Intervention has been completed"] == "completed_early"
    assert mapped["Service user has been recalled"] == "returned_to_custody"
    assert steps.find_exit_reason(mapped["SEE"]).group == "sentence"
    assert steps.find_exit_reason(steps.CATS_EXIT_REASONS["Deceased"]).code == mapped["USE"]
    codes = {reason.code for reason in steps.EXIT_REASONS}
    assert set(mapped.values()) <= codes and set(steps.CATS_EXIT_REASONS.values()) <= codes
    assert {reason.group for reason in steps.EXIT_REASONS} == set(steps.EXIT_REASON_GROUPS)
    # Positive: work or caring, completed early; nothing else.
    assert {r.code for r in steps.EXIT_REASONS if r.positive} == {
        "work_or_caring",
        "completed_early",
    }
    assert steps.label("after_job_start") == "After a job start"
    with pytest.raises(InputError, match="Unknown exit reason"):
        steps.find_exit_reason("WOR")


@settings(max_examples=40)
@given(
    st.lists(
        st.tuples(
            st.sampled_from([None, *steps.END_STATES]),
            st.one_of(st.none(), st.integers(0, 120)),
            st.one_of(st.none(), st.sampled_from([r.code for r in steps.EXIT_REASONS])),
            st.one_of(st.none(), st.integers(0, 120)),
        ),
        max_size=10,
    ),
    st.integers(0, 150),
)
def test_exits_add_up_to_the_ended_and_cancelled(
    rows: list[tuple[str | None, int | None, str | None, int | None]], day: int
) -> None:
    start = pd.Timestamp("2023-01-02")
    frame = pd.DataFrame(
        {
            "referral_id": [f"r{i}" for i in range(len(rows))],
            "participant_id": [f"p{i}" for i in range(len(rows))],
            "referral_date": [start] * len(rows),
            "end_state": [row[0] for row in rows],
            "concluded_on": [
                None if row[1] is None else start + pd.Timedelta(days=row[1]) for row in rows
            ],
            "end_reason": [row[2] for row in rows],
            "first_appointment_attended_on": [
                None if row[3] is None else start + pd.Timedelta(days=row[3]) for row in rows
            ],
        }
    )
    before = frame.copy(deep=True)
    as_of = start + pd.Timedelta(days=day)
    table = exits(frame, as_of, milestones=MILESTONES)
    pd.testing.assert_frame_equal(frame, before)
    states = end_states(frame, as_of).iloc[0] if len(frame) else None
    total = 0 if states is None else states["ended"] + states["cancelled"]
    assert table["referrals"].sum() == total
    assert set(table["stage"]) <= set(steps.EXIT_STAGES)
