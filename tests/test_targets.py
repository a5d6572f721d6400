"""Targets against actuals: periods, cumulative sums, RAG boundaries, projection arithmetic."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ete_metrics.counting.scope import Scope
from ete_metrics.data.frames import conform_milestones, conform_participants, conform_targets
from ete_metrics.errors import InputError
from ete_metrics.metrics.targets import rag_rating, target_summary, targets_vs_actual
from ete_metrics.steps import ENTERED

AS_OF = "2021-08-16"  # contract starts 2021-06-01: months Jun, Jul, Aug 2021


def _data() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    participants = conform_participants(pd.DataFrame([
        # id, region, referral, entry
        ("A", "London", "2021-06-01", "2021-06-05"),
        ("B", "London", "2021-06-20", "2021-07-01"),
        ("C", "London", "2021-07-10", None),
        ("D", "London", "2021-08-16", "2021-08-16"),  # on as_of: counts
        ("E", "London", "2021-08-17", "2021-08-18"),  # after as_of: does not
        ("F", "Wales", "2021-06-02", "2021-06-03"),
    ], columns=["participant_id", "region", "referral_date", "entry_date"]))
    milestones = conform_milestones(pd.DataFrame([
        ("A", "training_start", "2021-06-10"),  # A's first training: June
        ("A", "training_start", "2021-07-10"),  # a second start: not counted again
        ("A", "job_start", "2021-06-01"),  # before entry: not counted
        ("A", "job_start", "2021-08-02"),  # A's first counted job: August
        ("B", "job_start", "2021-07-15"),  # July
        ("F", "job_start", "2021-08-20"),  # after as_of
    ], columns=["participant_id", "milestone", "date"]))
    targets = conform_targets(pd.DataFrame([
        ("London", "2021-06-01", "entered", 1),
        ("London", "2021-07-01", "entered", 1),
        ("London", "2021-08-01", "entered", 2),
        ("London", "2021-09-01", "entered", 10),  # future month: in the contract total only
        ("London", "2021-06-01", "work", 2),
        ("London", "2021-07-01", "work", 1),
        ("Wales", "2021-06-01", "entered", 1),
    ], columns=["region", "period_start", "measure", "target"]))
    return participants, milestones, targets


def test_monthly_actuals_and_cumulative_sums() -> None:
    participants, milestones, targets = _data()
    out = targets_vs_actual(
        Scope(participants, milestones, as_of=AS_OF),
        targets,
        regions=["London"],
    )
    assert list(out.columns) == ["region", "period_start", "measure", "target", "actual",
                                 "cumulative_target", "cumulative_actual", "percent_achieved", "rag"]
    # 3 months x 4 measures
    assert len(out) == 12
    assert out["period_start"].drop_duplicates().dt.strftime("%Y-%m-%d").tolist() == [
        "2021-06-01", "2021-07-01", "2021-08-01"]
    table = out.set_index(["measure", out["period_start"].dt.month])
    # referred: A, B in June; C in July; D in August (E after as_of) -> 2, 1, 1
    assert table.loc["referred", "actual"].tolist() == [2, 1, 1]
    # entered: A June, B July, D August -> 1, 1, 1; targets 1, 1, 2 -> cumulative 1, 2, 4
    assert table.loc["entered", "actual"].tolist() == [1, 1, 1]
    assert table.loc["entered", "cumulative_target"].tolist() == [1, 2, 4]
    assert table.loc["entered", "cumulative_actual"].tolist() == [1, 2, 3]
    # percent achieved 1/1, 2/2, 3/4 -> green, green, red
    assert table.loc["entered", "percent_achieved"].tolist() == [1.0, 1.0, 0.75]
    assert table.loc["entered", "rag"].tolist() == ["green", "green", "red"]
    # training: A first counted start 2021-06-10 -> June only
    assert table.loc["training", "actual"].tolist() == [1, 0, 0]
    # work: B July, A August (A's June job is before entry) -> 0, 1, 1; targets 2, 1, 0
    assert table.loc["work", "actual"].tolist() == [0, 1, 1]
    assert table.loc["work", "cumulative_target"].tolist() == [2, 3, 3]
    # 0/2 red, 1/3 red, 2/3 = 0.667 red
    assert table.loc["work", "rag"].tolist() == ["red", "red", "red"]
    # no target for referred: percent missing, no rating
    assert table.loc["referred", "percent_achieved"].isna().all()
    assert table.loc["referred", "rag"].isna().all()


def test_quarter_grouping() -> None:
    participants, milestones, targets = _data()
    out = targets_vs_actual(
        Scope(participants, milestones, as_of=AS_OF),
        targets,
        period="quarter",
        regions=["London"],
    )
    # calendar quarters: Apr-Jun 2021 (contract start in June) and Jul-Sep 2021 (as_of)
    assert out["period_start"].drop_duplicates().dt.strftime("%Y-%m-%d").tolist() == [
        "2021-04-01", "2021-07-01"]
    entered = out[out["measure"] == ENTERED.name]
    # Q2: June target 1, actual A; Q3: targets Jul 1 + Aug 2 + Sep 10 = 13, actual B, D = 2
    assert entered["target"].tolist() == [1, 13]
    assert entered["actual"].tolist() == [1, 2]
    assert entered["cumulative_target"].tolist() == [1, 14]
    assert entered["cumulative_actual"].tolist() == [1, 3]


def test_default_regions_and_bad_period() -> None:
    participants, milestones, targets = _data()
    out = targets_vs_actual(Scope(participants, milestones, as_of=AS_OF), targets)
    assert out["region"].drop_duplicates().tolist() == ["London", "North West", "West Midlands", "Wales"]
    wales = out[(out["region"] == "Wales") & (out["measure"] == ENTERED.name)]
    assert wales["actual"].tolist() == [1, 0, 0]
    with pytest.raises(InputError):
        targets_vs_actual(Scope(participants, milestones, as_of=AS_OF), targets, period="week")


@pytest.mark.parametrize(
    "actual, target, expected",
    [
        (100, 100, "green"),  # exactly 100%
        (101, 100, "green"),
        (99, 100, "amber"),
        (86, 100, "amber"),  # exactly 86%
        (859, 1000, "red"),  # 85.9%
        (43, 50, "amber"),  # 86.0% from other counts
        (0, 10, "red"),
        (5, 0, None),  # no target: no rating
    ],
)
def test_rag_boundaries(actual: int, target: int, expected: str | None) -> None:
    assert rag_rating(np.array([actual]), np.array([target]))[0] == expected


def test_summary_and_projection_arithmetic() -> None:
    participants, milestones, targets = _data()
    out = target_summary(
        Scope(participants, milestones, as_of=AS_OF),
        targets,
        regions=["London", "Wales"],
    )
    assert list(out.columns) == ["region", "measure", "actual_to_date", "target_to_date",
                                 "percent_achieved", "rag", "contract_target", "contract_elapsed",
                                 "projected_at_end", "projected_percent"]
    assert out["region"].tolist() == ["London"] * 4 + ["Wales"] * 4 + ["All regions"] * 4
    row = out[(out["region"] == "London") & (out["measure"] == ENTERED.name)].iloc[0]
    # London entered: actual 3 to date, target 1+1+2 = 4 -> 0.75 red; contract 1+1+2+10 = 14
    assert (row["actual_to_date"], row["target_to_date"], row["contract_target"]) == (3, 4, 14)
    assert row["rag"] == "red"
    # elapsed = (2021-08-16 - 2021-06-01) + 1 = 76 + 1 = 77 days; total = 2024-06-01 - 2021-06-01
    # = 365 + 365 + 366 = 1,096 days; projected = 3 / 77 * 1096 = 42.7013; / 14 = 3.05009
    assert row["contract_elapsed"] == pytest.approx(77 / 1096)
    assert row["projected_at_end"] == pytest.approx(3 / 77 * 1096)
    assert row["projected_at_end"] == pytest.approx(42.7013, abs=1e-4)
    assert row["projected_percent"] == pytest.approx(42.7013 / 14, abs=1e-4)
    total = out[(out["region"] == "All regions") & (out["measure"] == ENTERED.name)].iloc[0]
    # All regions entered: London 3 + Wales 1 = 4 of target 4 + 1 = 5 -> 0.8 red; contract 15
    assert (total["actual_to_date"], total["target_to_date"], total["contract_target"]) == (4, 5, 15)
    assert total["percent_achieved"] == pytest.approx(0.8)
    assert total["projected_at_end"] == pytest.approx(4 / 77 * 1096)


def test_summary_before_contract_rejected() -> None:
    participants, milestones, targets = _data()
    with pytest.raises(InputError):
        target_summary(Scope(participants, milestones, as_of="2021-05-31"), targets)


def test_summary_from_the_monthly_figures_equals_the_summary() -> None:
    from ete_metrics.metrics.targets import summarise_targets

    participants, milestones, targets = _data()
    for regions in (["London", "Wales"], None, ["Wales", "London", "Wales"]):
        monthly = targets_vs_actual(
            Scope(participants, milestones, as_of=AS_OF),
            targets,
            period="month",
            regions=regions,
        )
        pd.testing.assert_frame_equal(
            summarise_targets(monthly, targets, as_of=AS_OF, regions=regions),
            target_summary(Scope(participants, milestones, as_of=AS_OF), targets, regions=regions),
        )
    monthly = targets_vs_actual(
        Scope(participants, milestones, as_of="2021-05-31"),
        targets,
        period="month",
    )
    with pytest.raises(InputError):
        summarise_targets(monthly, targets, as_of="2021-05-31")
