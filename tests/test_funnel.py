"""The funnel's counting rules, each on a hand-built case with the answer worked out by hand."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ete_metrics.counting.scope import Scope
from ete_metrics.data.frames import conform_milestones, conform_participants
from ete_metrics.errors import InputError
from ete_metrics.metrics.funnel import FUNNEL_COLUMNS, funnel, referral_funnel
from ete_metrics.steps import (
    ENTERED,
    REFERRED,
    SUSTAINED,
    TRAINING,
    WORK,
    funnel_steps,
    outcome_steps,
    sustained_steps,
)

AS_OF = "2023-08-16"


def people(*rows: tuple) -> pd.DataFrame:
    """(participant_id, region, referral_date, entry_date) tuples."""
    frame = pd.DataFrame(rows, columns=["participant_id", "region", "referral_date", "entry_date"])
    return conform_participants(frame)


def events(*rows: tuple) -> pd.DataFrame:
    """(participant_id, milestone, date) tuples."""
    frame = pd.DataFrame(list(rows), columns=["participant_id", "milestone", "date"])
    return conform_milestones(frame)


def counts(frame: pd.DataFrame, *keys: str) -> dict:
    """{(group..., step): participants} for easy comparison."""
    return {tuple(row[k] for k in keys) + (row["step"],): int(row["participants"])
            for _, row in frame.iterrows()}


def steps(frame: pd.DataFrame) -> list[int]:
    return frame["participants"].tolist()


ONE = people(("A", "London", "2023-01-01", "2023-01-10"))


@pytest.mark.parametrize(
    "milestone_date, counted",
    [
        ("2023-01-09", False),  # the day before entry: not counted
        ("2023-01-10", True),  # on the entry day: counted (entry_date <= date)
        ("2023-08-16", True),  # on as_of: counted (date <= as_of)
        ("2023-08-17", False),  # the day after as_of: not counted
    ],
)
def test_milestone_date_boundaries(milestone_date: str, counted: bool) -> None:
    out = funnel(
        Scope(
            ONE,
            events(("A", "job_start", milestone_date), ("A", "training_start", milestone_date)),
            as_of=AS_OF,
        ),
    )
    # entered 1; training and work 1 each when counted, else 0
    assert steps(out) == [1, int(counted), int(counted)]


def test_columns_types_and_rates() -> None:
    participants = people(
        ("A", "London", "2023-01-01", "2023-01-10"),
        ("B", "London", "2023-01-01", "2023-02-10"),
        ("C", "London", "2023-01-01", "2023-03-10"),
        ("D", "London", "2023-01-01", "2023-04-10"),
    )
    milestones = events(("A", "training_start", "2023-02-01"), ("A", "job_start", "2023-03-01"),
                        ("B", "training_start", "2023-03-01"))
    out = funnel(Scope(participants, milestones, as_of=AS_OF))
    assert list(out.columns) == list(FUNNEL_COLUMNS)
    assert out["participants"].dtype == np.int64
    assert out["step"].tolist() == [ENTERED.name, TRAINING.name, WORK.name]
    # entered 4, training 2 (A, B), work 1 (A)
    assert steps(out) == [4, 2, 1]
    # rate_from_entry 4/4, 2/4, 1/4; rate_from_previous NaN, 2/4, 1/2
    assert out["rate_from_entry"].tolist() == [1.0, 0.5, 0.25]
    assert np.isnan(out["rate_from_previous"].iloc[0])
    assert out["rate_from_previous"].iloc[1:].tolist() == [0.5, 0.5]
    # Wilson 2/4: p = .5, 1 + z^2/4 = 1.9603648, centre = (.5 + .4801824)/1.9603648 = .5,
    # half = 1.959964*sqrt(.0625 + .0600183)/1.9603648 = 1.959964*.350026/1.9603648 = .349955
    assert out["ci_low"].iloc[1] == pytest.approx(0.150045, abs=1e-5)
    assert out["ci_high"].iloc[1] == pytest.approx(0.849955, abs=1e-5)


def test_duplicate_events_count_a_person_once() -> None:
    milestones = events(("A", "job_start", "2023-02-01"), ("A", "job_start", "2023-02-01"),
                        ("A", "job_start", "2023-03-01"), ("A", "training_start", "2023-01-20"),
                        ("A", "training_start", "2023-01-20"))
    assert steps(funnel(Scope(ONE, milestones, as_of=AS_OF))) == [1, 1, 1]


def test_other_milestones_and_unknown_ids_ignored() -> None:
    milestones = events(("A", "training_completed", "2023-02-01"), ("A", "job_sustained", "2023-06-01"),
                        ("Z", "job_start", "2023-02-01"))
    assert steps(funnel(Scope(ONE, milestones, as_of=AS_OF))) == [1, 0, 0]
    # sustained counts job_sustained on its own (no job_start needed): 1; rate_from_previous vs work 0 -> NaN
    out = funnel(Scope(ONE, milestones, as_of=AS_OF), include_sustained=True)
    assert out["step"].tolist() == list(funnel_steps(sustained=True))
    # any later step of sustained work has its own milestone, not recorded here: 0
    reached = dict(zip(out["step"], steps(out), strict=True))
    assert reached == {ENTERED.name: 1, TRAINING.name: 0, WORK.name: 0,
                       **dict.fromkeys(sustained_steps(), 0), SUSTAINED.name: 1}
    assert np.isnan(out.set_index("step").at[SUSTAINED.name, "rate_from_previous"])


@pytest.mark.parametrize(
    "milestones, any_order, ordered_work",
    [
        # job before training: work in any order, not in the ordered funnel
        ([("A", "job_start", "2023-02-01"), ("A", "training_start", "2023-03-01")], 1, 0),
        # the same day counts as "on or after"
        ([("A", "job_start", "2023-03-01"), ("A", "training_start", "2023-03-01")], 1, 1),
        # one job before and one after the first training: ordered counts it
        ([("A", "job_start", "2023-02-01"), ("A", "training_start", "2023-03-01"),
          ("A", "job_start", "2023-04-01")], 1, 1),
        # a job after a LATER training but before... first training is the reference:
        ([("A", "training_start", "2023-05-01"), ("A", "training_start", "2023-02-01"),
          ("A", "job_start", "2023-03-01")], 1, 1),
        # job with no training at all: ordered work needs training
        ([("A", "job_start", "2023-03-01")], 1, 0),
        # training before entry does not count, so the job has no counted training before it
        ([("A", "training_start", "2023-01-05"), ("A", "job_start", "2023-03-01")], 1, 0),
    ],
)
def test_ordered_and_any_order(milestones: list, any_order: int, ordered_work: int) -> None:
    frame = events(*milestones)
    assert steps(funnel(Scope(ONE, frame, as_of=AS_OF)))[2] == any_order
    assert steps(funnel(Scope(ONE, frame, as_of=AS_OF), ordered=True))[2] == ordered_work


def test_ordered_funnel_nests_sustained() -> None:
    # job and sustained before training: any order counts work 1 and sustained 1;
    # ordered counts neither (sustained needs the ordered work)
    frame = events(("A", "job_start", "2023-02-01"), ("A", "job_sustained", "2023-05-01"),
                   ("A", "training_start", "2023-03-01"))
    # (a later step of sustained work has its own milestone, not recorded here: 0 either way)
    later = [0] * (len(sustained_steps()) - 1)
    assert steps(funnel(Scope(ONE, frame, as_of=AS_OF), include_sustained=True)) == [1, 1, 1, 1, *later]
    assert steps(funnel(Scope(ONE, frame, as_of=AS_OF), include_sustained=True, ordered=True)) == [
        1, 1, 0, 0, *later,
    ]


def test_window_maturity_boundary() -> None:
    # as_of 2023-08-16, window 30: mature when entry + 30 <= as_of, i.e. entry <= 2023-07-17
    participants = people(("IN", "London", "2023-07-01", "2023-07-17"),
                          ("OUT", "London", "2023-07-01", "2023-07-18"))
    out = funnel(Scope(participants, events(), as_of=AS_OF, window_days=30))
    assert steps(out) == [1, 0, 0]


def test_window_milestone_boundary() -> None:
    # entry 2023-01-10, window 30: milestones count up to 2023-02-09 (exactly 30 days), not 2023-02-10
    milestones = events(("A", "training_start", "2023-02-09"), ("A", "job_start", "2023-02-10"))
    assert steps(funnel(Scope(ONE, milestones, as_of=AS_OF, window_days=30))) == [1, 1, 0]
    # without the window both count
    assert steps(funnel(Scope(ONE, milestones, as_of=AS_OF))) == [1, 1, 1]


def test_referrals_never_entered_are_not_in_the_funnel() -> None:
    participants = people(("A", "London", "2023-01-01", "2023-01-10"),
                          ("B", "London", "2023-01-01", None),
                          ("C", "London", "2023-01-01", "2023-09-01"))  # enters after as_of
    milestones = events(("B", "job_start", "2023-02-01"), ("C", "job_start", "2023-09-02"))
    assert steps(funnel(Scope(participants, milestones, as_of=AS_OF))) == [1, 0, 0]


def test_empty_population_has_the_columns() -> None:
    out = funnel(Scope(ONE, events(), as_of="2022-01-01"), by=["region"])
    assert out.empty
    assert list(out.columns) == ["region", *FUNNEL_COLUMNS]
    empty = funnel(Scope(ONE.iloc[:0], events(), as_of=AS_OF))
    assert empty.empty and list(empty.columns) == list(FUNNEL_COLUMNS)


def test_grouping_by_region_missing_and_absent_groups() -> None:
    participants = people(
        ("A", "London", "2023-01-01", "2023-01-10"),
        ("B", "Wales", "2023-01-01", "2023-02-10"),
        ("C", None, "2023-01-01", "2023-02-10"),
        ("D", "North West", "2023-01-01", None),  # never entered: North West left out
    )
    milestones = events(("B", "job_start", "2023-03-01"), ("C", "training_start", "2023-03-01"))
    out = funnel(Scope(participants, milestones, as_of=AS_OF), by="region")
    assert out["region"].tolist() == ["London"] * 3 + ["Not recorded"] * 3 + ["Wales"] * 3
    assert counts(out, "region") == {
        ("London", ENTERED.name): 1, ("London", TRAINING.name): 0, ("London", WORK.name): 0,
        ("Not recorded", ENTERED.name): 1, ("Not recorded", TRAINING.name): 1, ("Not recorded", WORK.name): 0,
        ("Wales", ENTERED.name): 1, ("Wales", TRAINING.name): 0, ("Wales", WORK.name): 1,
    }


def test_grouping_by_quarter_and_financial_year() -> None:
    participants = people(
        ("A", "London", "2023-01-01", "2023-03-31"),  # 2023-Q1, FY 2022-23
        ("B", "London", "2023-01-01", "2023-04-01"),  # 2023-Q2, FY 2023-24
        ("C", "Wales", "2023-01-01", "2023-06-30"),  # 2023-Q2, FY 2023-24
        ("D", "Wales", "2023-01-01", "2022-12-31"),  # 2022-Q4, FY 2022-23
    )
    milestones = events(("B", "job_start", "2023-05-01"), ("D", "job_start", "2023-01-05"))
    quarters = funnel(Scope(participants, milestones, as_of=AS_OF), by="entry_quarter")
    assert counts(quarters, "entry_quarter") == {
        ("2022-Q4", ENTERED.name): 1, ("2022-Q4", TRAINING.name): 0, ("2022-Q4", WORK.name): 1,
        ("2023-Q1", ENTERED.name): 1, ("2023-Q1", TRAINING.name): 0, ("2023-Q1", WORK.name): 0,
        ("2023-Q2", ENTERED.name): 2, ("2023-Q2", TRAINING.name): 0, ("2023-Q2", WORK.name): 1,
    }
    years = funnel(Scope(participants, milestones, as_of=AS_OF), by=["entry_fy", "region"])
    assert counts(years, "entry_fy", "region") == {
        ("2022-23", "London", ENTERED.name): 1, ("2022-23", "London", TRAINING.name): 0,
        ("2022-23", "London", WORK.name): 0,
        ("2022-23", "Wales", ENTERED.name): 1, ("2022-23", "Wales", TRAINING.name): 0,
        ("2022-23", "Wales", WORK.name): 1,
        ("2023-24", "London", ENTERED.name): 1, ("2023-24", "London", TRAINING.name): 0,
        ("2023-24", "London", WORK.name): 1,
        ("2023-24", "Wales", ENTERED.name): 1, ("2023-24", "Wales", TRAINING.name): 0,
        ("2023-24", "Wales", WORK.name): 0,
    }
    months = funnel(Scope(participants, milestones, as_of=AS_OF), by="entry_month")
    assert months["entry_month"].unique().tolist() == ["2022-12", "2023-03", "2023-04", "2023-06"]


def test_date_range_inclusive_on_entry_date() -> None:
    participants = people(("A", "London", "2023-01-01", "2023-01-31"),
                          ("B", "London", "2023-01-01", "2023-02-01"),
                          ("C", "London", "2023-01-01", "2023-02-28"),
                          ("D", "London", "2023-01-01", "2023-03-01"))
    out = funnel(
        Scope(
            participants,
            events(),
            as_of=AS_OF,
            date_from="2023-02-01",
            date_to=date(2023, 2, 28),
        ),
    )
    assert steps(out)[0] == 2  # B and C
    with pytest.raises(InputError):
        funnel(
            Scope(
                participants,
                events(),
                as_of=AS_OF,
                date_from="2023-03-01",
                date_to="2023-02-01",
            ),
        )


def test_bad_arguments() -> None:
    with pytest.raises(InputError):
        funnel(Scope(ONE, events(), as_of=AS_OF), by="favourite_colour")
    with pytest.raises(InputError):
        funnel(Scope(ONE, events(), as_of=AS_OF, window_days=-1))
    with pytest.raises(InputError):
        funnel(Scope(ONE, events(), as_of="not a date"))


def test_inputs_not_mutated() -> None:
    participants = people(("A", None, "2023-01-01", "2023-01-10"))
    milestones = events(("A", "job_start", "2023-02-01"))
    before_p, before_m = participants.copy(), milestones.copy()
    funnel(
        Scope(participants, milestones, as_of=AS_OF),
        by=["region", "entry_quarter"],
        ordered=True,
    )
    referral_funnel(Scope(participants, milestones, as_of=AS_OF), by=["region"])
    pd.testing.assert_frame_equal(participants, before_p)
    pd.testing.assert_frame_equal(milestones, before_m)


def test_string_dtype_ids_match_object_ids() -> None:
    participants = people(("P0000001", "London", "2023-01-01", "2023-01-10"),
                          ("P0000002", "London", "2023-01-01", "2023-01-10"))
    milestones = events(("P0000002", "job_start", "2023-02-01"))
    as_string = participants.assign(participant_id=participants["participant_id"].astype("string"))
    for frame in (participants, as_string):
        assert steps(funnel(Scope(frame, milestones, as_of=AS_OF))) == [2, 0, 1]


# --- referral funnel ---------------------------------------------------------


def test_referral_funnel_rules() -> None:
    participants = people(
        ("A", "London", "2023-01-01", "2023-01-10"),  # referred, entered, job 2023-02-01
        ("B", "London", "2023-01-01", None),  # referred, never entered; job ignored
        ("C", "London", "2023-08-01", "2023-08-17"),  # enters after as_of: referred only
        ("D", "London", "2023-08-17", None),  # referred after as_of: not in population
        ("E", "London", "2023-03-01", "2023-02-01"),  # entry before referral: not "entered"
    )
    milestones = events(("A", "job_start", "2023-02-01"), ("B", "job_start", "2023-02-01"),
                        ("E", "training_start", "2023-03-05"))
    out = referral_funnel(Scope(participants, milestones, as_of=AS_OF))
    assert out["step"].tolist() == [REFERRED.name, ENTERED.name, TRAINING.name, WORK.name]
    # referred A, B, C, E = 4; entered A = 1; training 0; work A = 1
    assert steps(out) == [4, 1, 0, 1]
    # rate_from_entry is relative to the referrals: 4/4, 1/4, 0/4, 1/4
    assert out["rate_from_entry"].tolist() == [1.0, 0.25, 0.0, 0.25]


def test_referral_funnel_window() -> None:
    # as_of 2023-08-16, window 30 on referral: referral <= 2023-07-17 is mature
    participants = people(
        ("A", "London", "2023-07-17", "2023-08-16"),  # entry exactly referral + 30: entered
        ("B", "London", "2023-07-18", "2023-07-20"),  # not mature: out
        ("C", "London", "2023-06-01", "2023-07-02"),  # entry referral + 31: not entered in window
    )
    milestones = events(("A", "job_start", "2023-08-16"), ("C", "job_start", "2023-07-03"))
    out = referral_funnel(Scope(participants, milestones, as_of=AS_OF, window_days=30))
    # referred A, C = 2; entered A = 1; work A (2023-08-16 = referral + 30, inclusive) = 1
    assert steps(out) == [2, 1, 0, 1]


def test_referral_funnel_date_range_on_referral_date() -> None:
    participants = people(("A", "London", "2023-01-31", "2023-02-10"),
                          ("B", "Wales", "2023-02-01", "2023-02-10"))
    out = referral_funnel(
        Scope(participants, events(), as_of=AS_OF, date_from="2023-02-01"),
        by="region",
    )
    assert out["region"].unique().tolist() == ["Wales"]
    assert steps(out) == [1, 1, 0, 0]


# --- properties --------------------------------------------------------------

START = date(2023, 1, 1)


@st.composite
def datasets(draw: st.DrawFn) -> tuple[pd.DataFrame, pd.DataFrame, int | None]:
    n = draw(st.integers(min_value=0, max_value=12))
    rows = []
    for i in range(n):
        referral = START + timedelta(days=draw(st.integers(0, 200)))
        entry = draw(st.one_of(st.none(), st.integers(-5, 60)))
        rows.append((f"P{i:03d}", draw(st.sampled_from(["London", "Wales", None])), referral,
                     None if entry is None else referral + timedelta(days=entry)))
    milestone_rows = []
    if n:
        for _ in range(draw(st.integers(0, 30))):
            milestone_rows.append((
                f"P{draw(st.integers(0, n - 1)):03d}",
                draw(st.sampled_from(["training_start", "job_start", "job_sustained", "training_completed"])),
                START + timedelta(days=draw(st.integers(-10, 300))),
            ))
    window = draw(st.one_of(st.none(), st.integers(0, 90)))
    return people(*rows), events(*milestone_rows), window


@settings(max_examples=150, deadline=None)
@given(datasets())
def test_properties(data: tuple[pd.DataFrame, pd.DataFrame, int | None]) -> None:
    participants, milestones, window = data
    as_of = "2023-06-30"
    out = funnel(
        Scope(participants, milestones, as_of=as_of, window_days=window),
        by="region",
        include_sustained=True,
    )
    ordered = funnel(
        Scope(participants, milestones, as_of=as_of, window_days=window),
        by="region",
        ordered=True,
        include_sustained=True,
    )
    if out.empty:
        assert ordered.empty
        return
    for frame in (out, ordered):
        wide = frame.pivot(index="region", columns="step", values="participants")
        # steps never exceed entered, and every group shown has someone entered
        for step in outcome_steps():
            assert (wide[step] <= wide[ENTERED.name]).all()
        assert (wide[ENTERED.name] > 0).all()
        # rates lie within their Wilson intervals
        assert ((frame["ci_low"] <= frame["rate_from_entry"] + 1e-12)
                & (frame["rate_from_entry"] <= frame["ci_high"] + 1e-12)).all()
    # ordered work <= any-order work, other steps equal; the ordered funnel nests
    a = out.set_index(["region", "step"])["participants"]
    b = ordered.set_index(["region", "step"])["participants"]
    assert (b.xs(WORK.name, level="step") <= a.xs(WORK.name, level="step")).all()
    assert (b.xs(WORK.name, level="step") <= b.xs(TRAINING.name, level="step")).all()
    assert (b.xs(SUSTAINED.name, level="step") <= b.xs(WORK.name, level="step")).all()
    assert (b.xs(TRAINING.name, level="step") == a.xs(TRAINING.name, level="step")).all()
    # the totals by region add up to the ungrouped funnel
    total = funnel(
        Scope(participants, milestones, as_of=as_of, window_days=window),
        include_sustained=True,
    )
    if not total.empty:
        assert total.set_index("step")["participants"].to_dict() == \
            out.groupby("step")["participants"].sum().to_dict()
    # referral funnel: entered <= referred, training/work <= entered
    ref = referral_funnel(Scope(participants, milestones, as_of=as_of, window_days=window))
    if not ref.empty:
        r = ref.set_index("step")["participants"]
        assert r[ENTERED.name] <= r[REFERRED.name] and r[TRAINING.name] <= r[ENTERED.name] and r[WORK.name] <= r[ENTERED.name]


@settings(max_examples=100, deadline=None)
@given(datasets())
def test_matches_a_plain_python_count(data: tuple[pd.DataFrame, pd.DataFrame, int | None]) -> None:
    """The vectorised funnel agrees with the definition written as a loop."""
    participants, milestones, window = data
    as_of = pd.Timestamp("2023-06-30")
    expected = {ENTERED.name: 0, TRAINING.name: 0, WORK.name: 0}
    for _, person in participants.iterrows():
        entry = person["entry_date"]
        if pd.isna(entry) or entry > as_of:
            continue
        if window is not None and entry + pd.Timedelta(days=window) > as_of:
            continue
        expected[ENTERED.name] += 1
        mine = milestones[milestones["participant_id"] == person["participant_id"]]
        ok = (mine["date"] >= entry) & (mine["date"] <= as_of)
        if window is not None:
            ok &= mine["date"] <= entry + pd.Timedelta(days=window)
        kinds = set(mine.loc[ok, "milestone"])
        expected[TRAINING.name] += "training_start" in kinds
        expected[WORK.name] += "job_start" in kinds
    out = funnel(Scope(participants, milestones, as_of=as_of, window_days=window))
    got = dict(zip(out["step"], out["participants"], strict=True)) if not out.empty else {}
    if expected[ENTERED.name] == 0:
        assert out.empty
    else:
        assert got == expected


@pytest.mark.parametrize(
    "as_of",
    [
        date(2023, 8, 16),
        datetime(2023, 8, 16, 23, 59),  # a time of day is dropped: still 16 Aug
        pd.Timestamp("2023-08-16 09:30"),
        "2023-08-16",
    ],
)
def test_as_of_accepts_date_datetime_and_timestamp(as_of: object) -> None:
    # Entry 10 Jan; training on as_of (counts: date <= as_of), job the day after (does not):
    # entered 1, training 1, work 0 whichever type as_of is given as.
    milestones = events(("A", "training_start", "2023-08-16"), ("A", "job_start", "2023-08-17"))
    assert steps(funnel(Scope(ONE, milestones, as_of=as_of))) == [1, 1, 0]
    assert steps(referral_funnel(Scope(ONE, milestones, as_of=as_of))) == [1, 1, 1, 0]
