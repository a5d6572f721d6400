"""Tests for the partner tables (ete_metrics.metrics.partners)."""

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
from ete_metrics.metrics.partners import delivery_partners, employers, prisons, training_providers

AS_OF = "2023-06-30"


def _milestones(rows: list[tuple[str, str, str, str | None]]) -> pd.DataFrame:
    return conform_milestones(
        pd.DataFrame(rows, columns=["participant_id", "milestone", "date", "partner"]).assign(
            date=lambda f: pd.to_datetime(f["date"])
        )
    )


def people() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Seven people, P1-P6 entered 2023-01-01, P7 enters after as_of (2023-06-30).

    Training providers (first counted training_start = first touch):
      P1 Alpha 02-01, then Beta 03-01; completed 03-20; job 04-01
         -> Alpha; completed (03-20 >= 02-01); work after training, 59 days (Feb 28 + Mar 31)
      P2 job 01-15 BEFORE training; Beta 02-10; no later job
         -> Beta; no completion; NOT work after training; censored 02-10..06-30 = 140 days
      P3 Beta 02-01 and job the same day 02-01
         -> Beta; work after training (same day counts), 0 days
      P4 Alpha 2022-12-20, before entry: not counted -> no provider
      P5 Alpha and Beta both on 03-01 (tie -> Alpha, first alphabetically);
         completed 02-15 is before the start -> not a completion; censored 03-01..06-30 = 121 days
      P6 training 02-01 with no partner -> "Not recorded"; censored 149 days
      P7 entered 2023-07-01, after as_of: ignored (Gamma never appears)
    Alpha: starts P1, P5 = 2; completed 1 (0.5); work 1 (0.5);
           KM days to work: 59e (n2 -> S 0.5), 121c -> median 59
    Beta:  starts P2, P3 = 2; completed 0; work 1 (P3) -> 0.5; KM: 0e (n2 -> S 0.5) -> median 0
    Not recorded: starts 1; nothing else; median NaN.

    Employers (first counted job_start):
      P1 Acme 04-01, sustained 06-01           -> Acme, sustained
      P2 Bolt 01-15, Acme 02-01; sustained 01-10 is before the first job -> Bolt, not sustained
      P3 Acme 02-01, sustained 07-15 after as_of -> Acme, not sustained
    Acme: 2 starts, 1 sustained, 0.5. Bolt: 1 start, 0 sustained, 0.0.
    """
    participants = conform_participants(
        pd.DataFrame(
            {
                "participant_id": ["P1", "P2", "P3", "P4", "P5", "P6", "P7"],
                "region": ["London"] * 7,
                "referral_date": pd.to_datetime(["2022-12-01"] * 7),
                "entry_date": pd.to_datetime(["2023-01-01"] * 6 + ["2023-07-01"]),
            }
        )
    )
    milestones = _milestones(
        [
            ("P1", "training_start", "2023-02-01", "Alpha"),
            ("P1", "training_start", "2023-03-01", "Beta"),
            ("P1", "training_completed", "2023-03-20", "Beta"),
            ("P1", "job_start", "2023-04-01", "Acme"),
            ("P1", "job_sustained", "2023-06-01", "Acme"),
            ("P2", "job_start", "2023-01-15", "Bolt"),
            ("P2", "job_sustained", "2023-01-10", "Bolt"),
            ("P2", "training_start", "2023-02-10", "Beta"),
            ("P2", "job_start", "2023-02-01", "Acme"),
            ("P3", "training_start", "2023-02-01", "Beta"),
            ("P3", "job_start", "2023-02-01", "Acme"),
            ("P3", "job_sustained", "2023-07-15", "Acme"),
            ("P4", "training_start", "2022-12-20", "Alpha"),
            ("P5", "training_start", "2023-03-01", "Beta"),
            ("P5", "training_start", "2023-03-01", "Alpha"),
            ("P5", "training_completed", "2023-02-15", "Alpha"),
            ("P6", "training_start", "2023-02-01", None),
            ("P7", "training_start", "2023-07-02", "Gamma"),
        ]
    )
    return participants, milestones


def test_training_providers_first_touch_by_hand() -> None:
    participants, milestones = people()
    out = training_providers(Scope(participants, milestones, as_of=AS_OF))
    assert list(out.columns) == [
        "partner", "training_starts", "training_completed", "completion_rate",
        "work_after_training", "work_rate", "median_days_to_work",
    ]
    assert out["partner"].tolist() == ["Alpha", "Beta", "Not recorded"]
    assert out["training_starts"].tolist() == [2, 2, 1]
    assert out["training_completed"].tolist() == [1, 0, 0]
    assert out["completion_rate"].tolist() == [0.5, 0.0, 0.0]
    assert out["work_after_training"].tolist() == [1, 1, 0]
    assert out["work_rate"].tolist() == [0.5, 0.5, 0.0]
    assert out["median_days_to_work"].iloc[0] == 59
    assert out["median_days_to_work"].iloc[1] == 0
    assert math.isnan(out["median_days_to_work"].iloc[2])


def test_work_after_training_needs_job_on_or_after_first_training() -> None:
    # P2 alone: job 01-15 then training 02-10 -> work (any order) but not work after training.
    participants, milestones = people()
    only = participants.loc[participants["participant_id"] == "P2"]
    out = training_providers(Scope(only, milestones, as_of=AS_OF))
    assert out["partner"].tolist() == ["Beta"]
    assert out["work_after_training"].tolist() == [0]


def test_employers_first_touch_by_hand() -> None:
    participants, milestones = people()
    out = employers(Scope(participants, milestones, as_of=AS_OF))
    assert list(out.columns) == ["partner", "job_starts", "job_sustained", "sustained_rate"]
    assert out["partner"].tolist() == ["Acme", "Bolt"]
    assert out["job_starts"].tolist() == [2, 1]
    assert out["job_sustained"].tolist() == [1, 0]
    assert out["sustained_rate"].tolist() == [0.5, 0.0]


def test_date_range_restricts_population() -> None:
    participants, milestones = people()
    out = training_providers(Scope(participants, milestones, as_of=AS_OF, date_from="2023-02-01"))
    assert out.empty  # P1-P6 entered 2023-01-01, before date_from


def test_empty_inputs_have_columns() -> None:
    out = training_providers(Scope(empty_participants(), empty_milestones(), as_of=AS_OF))
    assert out.empty and list(out.columns)[0] == "partner" and len(out.columns) == 7
    out = employers(Scope(empty_participants(), empty_milestones(), as_of=AS_OF))
    assert out.empty and list(out.columns) == ["partner", "job_starts", "job_sustained", "sustained_rate"]


def funnel_people() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Four people entered 2023-01-01, as of 2023-06-30.

      Q1 custody,   HMP Alpha, partner North: training 02-01, job 03-01
      Q2 custody,   HMP Alpha, partner North: nothing
      Q3 custody,   no prison, partner South: training 02-01
      Q4 community, HMP Alpha (should not happen, must not count), partner South: job 02-01
    Prisons (custody only): HMP Alpha entered 2, training 1, work 1; Not recorded entered 1, training 1.
    Delivery partners: North entered 2, training 1 (0.5), work 1; South entered 2, training 1, work 1.
    """
    participants = conform_participants(
        pd.DataFrame(
            {
                "participant_id": ["Q1", "Q2", "Q3", "Q4"],
                "region": ["Wales"] * 4,
                "referral_date": pd.to_datetime(["2022-12-01"] * 4),
                "entry_date": pd.to_datetime(["2023-01-01"] * 4),
                "pathway": ["custody", "custody", "custody", "community"],
                "prison": ["HMP Alpha", "HMP Alpha", None, "HMP Alpha"],
                "delivery_partner": ["North", "North", "South", "South"],
            }
        )
    )
    milestones = _milestones(
        [
            ("Q1", "training_start", "2023-02-01", "Alpha"),
            ("Q1", "job_start", "2023-03-01", "Acme"),
            ("Q3", "training_start", "2023-02-01", "Alpha"),
            ("Q4", "job_start", "2023-02-01", "Acme"),
        ]
    )
    return participants, milestones


def test_prisons_custody_only() -> None:
    participants, milestones = funnel_people()
    out = prisons(Scope(participants, milestones, as_of=AS_OF))
    counts = out.set_index(["prison", "step"])["participants"]
    assert counts[("HMP Alpha", "entered")] == 2
    assert counts[("HMP Alpha", "training")] == 1
    assert counts[("HMP Alpha", "work")] == 1
    assert counts[("Not recorded", "entered")] == 1
    assert counts[("Not recorded", "training")] == 1
    assert counts[("Not recorded", "work")] == 0


def test_delivery_partners_funnel() -> None:
    participants, milestones = funnel_people()
    out = delivery_partners(Scope(participants, milestones, as_of=AS_OF))
    assert list(out.columns) == [
        "delivery_partner", "step", "participants", "rate_from_entry", "rate_from_previous",
        "ci_low", "ci_high",
    ]
    table = out.set_index(["delivery_partner", "step"])
    assert table.loc[("North", "entered"), "participants"] == 2
    assert table.loc[("North", "training"), "rate_from_entry"] == pytest.approx(0.5)
    assert table.loc[("South", "work"), "participants"] == 1
