"""Prison leavers' job starts within 42 and 182 days of release (metrics/prison_leavers.py)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from ete_metrics import config, steps
from ete_metrics.data.frames import NATIONAL_COLUMNS, read_national_figures
from ete_metrics.metrics.prison_leavers import PRISON_LEAVER_COLUMNS, prison_leavers

JOB = steps.find_step(steps.JOB_STEP).milestone
CUSTODY = steps.CUSTODY_PATHWAY
COMMUNITY = next(pathway for pathway in config.PATHWAYS if pathway != CUSTODY)
AS_OF = "2023-06-30"

# Days before Fri 30 Jun 2023: 20 May is 41 (11 days to 31 May, then 30 in June); 18 May is
# 43; 1 Dec 2022 is 211 (30 + 31 + 28 + 31 + 30 + 31 + 30); 5 Dec 2022 is 207.
LEAVERS = pd.DataFrame(
    [
        # p0: released 41 days before: in neither measure, though a job started on 25 May.
        {
            "participant_id": "p0",
            "pathway": CUSTODY,
            "release_date": "2023-05-20",
            "region": "London",
        },
        # p1: released 43 days before; job start 29 Jun, 42 days after release (13 + 29): within.
        {
            "participant_id": "p1",
            "pathway": CUSTODY,
            "release_date": "2023-05-18",
            "region": "London",
        },
        # p2: released 1 Dec 2022; job start 15 Feb, 76 days after (30 + 31 + 15): 182 only.
        {
            "participant_id": "p2",
            "pathway": CUSTODY,
            "release_date": "2022-12-01",
            "region": "Wales",
        },
        # p3: released 1 Dec 2022; a job start on 20 Nov, before release: neither.
        {
            "participant_id": "p3",
            "pathway": CUSTODY,
            "release_date": "2022-12-01",
            "region": "Wales",
        },
        # p4: released 5 Dec 2022; job start 6 Jun, 183 days after (26+31+28+31+30+31+6): neither.
        {
            "participant_id": "p4",
            "pathway": CUSTODY,
            "release_date": "2022-12-05",
            "region": "Wales",
        },
        # p5: community pathway with a release date: not a prison leaver here.
        {
            "participant_id": "p5",
            "pathway": COMMUNITY,
            "release_date": "2022-12-01",
            "region": "Wales",
        },
        # p1 again, a second referral for the same release: counted once.
        {
            "participant_id": "p1",
            "pathway": CUSTODY,
            "release_date": "2023-05-18",
            "region": "London",
        },
        # p6: custody, no release date recorded: not counted.
        {"participant_id": "p6", "pathway": CUSTODY, "region": "London"},
    ]
)
LEAVERS.insert(0, "referral_id", [f"r{i}" for i in range(len(LEAVERS))])
LEAVERS["referral_date"] = "2022-11-01"

MILESTONES = pd.DataFrame(
    {
        "participant_id": ["p0", "p1", "p2", "p3", "p4", "p5"],
        "milestone": [JOB] * 6,
        "date": pd.to_datetime(
            ["2023-05-25", "2023-06-29", "2023-02-15", "2022-11-20", "2023-06-06", "2022-12-02"]
        ),
    }
)


def test_released_41_and_43_days_before_and_six_months() -> None:
    table = prison_leavers(LEAVERS, AS_OF, milestones=MILESTONES)
    assert list(table.columns) == list(PRISON_LEAVER_COLUMNS)
    six_weeks, six_months = table.iloc[0], table.iloc[1]
    assert (six_weeks["measure"], six_weeks["window_days"]) == ("MI016", 42)
    # 42 days: released at least 42 days before: p1 (43), p2, p3 (211), p4 (207) = 4; the
    # 41-day release (p0) is not counted. With a job start within 42 days: p1 only.
    assert (six_weeks["released"], six_weeks["job_start_within"]) == (4, 1)
    assert six_weeks["share"] == 0.25
    # 182 days: p2, p3, p4 = 3; within 182 days: p2 (76) only (p4's is 183).
    assert (six_months["measure"], six_months["window_days"]) == ("MI017", 182)
    assert (six_months["released"], six_months["job_start_within"]) == (3, 1)
    assert six_months["share"] == pytest.approx(1 / 3)
    # No national figure given: the national columns are missing.
    assert table[["national_value", "national_period", "national_source"]].isna().all().all()


def test_a_day_later_the_41_day_release_counts() -> None:
    # As at 1 Jul p0 is 42 days out; its job start (25 May, 5 days after release) counts.
    six_weeks = prison_leavers(LEAVERS, "2023-07-01", milestones=MILESTONES).iloc[0]
    assert (six_weeks["released"], six_weeks["job_start_within"]) == (5, 2)


def test_by_region_and_the_latest_national_figure() -> None:
    national = pd.DataFrame(
        {
            "source": ["HMPPS Offender employment outcomes", "HMPPS Offender employment outcomes"],
            "measure": ["MI016", "MI016"],
            "period": ["earlier year", "later year"],
            "period_end": ["2022-03-31", "2023-03-31"],
            "value": [0.5, 0.25],  # invented for the test: the later row is chosen
        }
    )
    table = prison_leavers(LEAVERS, AS_OF, milestones=MILESTONES, by="region", national=national)
    assert table[["region", "measure"]].values.tolist() == [
        ["London", "MI016"],
        ["London", "MI017"],
        ["Wales", "MI016"],
        ["Wales", "MI017"],
    ]
    # London: p0 (41 days, out), p1 (43, job within). Wales: p2, p3, p4.
    assert table["released"].tolist() == [1, 0, 3, 3]
    assert table["job_start_within"].tolist() == [1, 0, 0, 1]
    assert math.isnan(table["share"].iloc[1])
    assert table["national_value"].tolist()[0] == 0.25
    assert table.loc[table["measure"] == "MI016", "national_period"].tolist() == ["later year"] * 2
    assert table.loc[table["measure"] == "MI017", "national_value"].isna().all()


def test_the_shipped_national_table_is_empty_until_a_published_figure_is_entered() -> None:
    figures = read_national_figures()
    assert tuple(figures.columns) == NATIONAL_COLUMNS
    table = prison_leavers(LEAVERS, AS_OF, milestones=MILESTONES, national=figures)
    assert table["national_value"].isna().all()


def test_inputs_are_not_modified_and_nothing_released_gives_zeros() -> None:
    before, milestones_before = LEAVERS.copy(deep=True), MILESTONES.copy(deep=True)
    prison_leavers(LEAVERS, AS_OF, milestones=MILESTONES, by="region")
    pd.testing.assert_frame_equal(LEAVERS, before)
    pd.testing.assert_frame_equal(MILESTONES, milestones_before)
    table = prison_leavers(LEAVERS, "2022-01-01", milestones=MILESTONES)
    assert table["released"].tolist() == [0, 0] and table["share"].isna().all()
