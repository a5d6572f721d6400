"""Filtering participants by region, pathway and partner, and their milestones."""

from __future__ import annotations

import pandas as pd

from ete_metrics.counting.filters import filter_participants, milestones_for
from ete_metrics.data.frames import conform_milestones, conform_participants

PARTICIPANTS = conform_participants(pd.DataFrame([
    ("A", "London", "community", "P1"),
    ("B", "London", "custody", "P2"),
    ("C", "Wales", "community", "P1"),
    ("D", None, None, None),
], columns=["participant_id", "region", "pathway", "delivery_partner"]))

MILESTONES = conform_milestones(pd.DataFrame([
    ("C", "job_start", "2023-01-01"),
    ("A", "job_start", "2023-01-02"),
    ("Z", "job_start", "2023-01-03"),
    ("A", "training_start", "2023-01-04"),
], columns=["participant_id", "milestone", "date"]))


def test_no_restriction_keeps_everyone() -> None:
    out = filter_participants(PARTICIPANTS)
    pd.testing.assert_frame_equal(out, PARTICIPANTS)
    assert out is not PARTICIPANTS


def test_restrictions_combine() -> None:
    assert filter_participants(PARTICIPANTS, regions=["London"])["participant_id"].tolist() == ["A", "B"]
    out = filter_participants(PARTICIPANTS, regions=["London", "Wales"], pathways=["community"])
    assert out["participant_id"].tolist() == ["A", "C"]
    out = filter_participants(PARTICIPANTS, delivery_partners=["P1"], pathways=["community"])
    assert out["participant_id"].tolist() == ["A", "C"]
    assert filter_participants(PARTICIPANTS, regions=[]).empty
    # a missing region is excluded once regions are restricted
    assert "D" not in filter_participants(PARTICIPANTS, regions=["London", "Wales"])["participant_id"].tolist()


def test_milestones_for_keeps_order_and_drops_others() -> None:
    chosen = filter_participants(PARTICIPANTS, regions=["London"])
    out = milestones_for(chosen, MILESTONES)
    assert out["participant_id"].tolist() == ["A", "A"]
    assert out["date"].dt.strftime("%Y-%m-%d").tolist() == ["2023-01-02", "2023-01-04"]
    assert milestones_for(PARTICIPANTS.iloc[:0], MILESTONES).empty
    before = MILESTONES.copy()
    milestones_for(PARTICIPANTS, MILESTONES)
    pd.testing.assert_frame_equal(MILESTONES, before)


def test_participant_mask_marks_the_rows_filter_participants_keeps() -> None:
    from ete_metrics.counting.filters import participant_mask

    mask = participant_mask(PARTICIPANTS, regions=["London", "Wales"], pathways=["community"])
    assert mask.tolist() == [True, False, True, False]  # A and C, as above
    assert participant_mask(PARTICIPANTS).tolist() == [True] * 4


def test_filters_work_on_categorical_columns_as_on_text() -> None:
    # the database loads region, pathway and partner as categoricals
    categorical = PARTICIPANTS.astype(
        {"region": "category", "pathway": "category", "delivery_partner": "category"}
    )
    out = filter_participants(categorical, regions=["London", "Wales"], pathways=["community"])
    assert out["participant_id"].tolist() == ["A", "C"]
    assert milestones_for(out, MILESTONES)["participant_id"].tolist() == ["C", "A", "A"]
