"""The director's review: RAG table, this month against last, the quarter so far, and the words."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pandas as pd
import pytest

from ete_metrics.counting.scope import Scope
from ete_metrics.data.frames import empty_milestones
from ete_metrics.metrics.review import (
    MONTH_COMPARISON_COLUMNS,
    RAG_TABLE_COLUMNS,
    comparison_changes,
    latest_full_month,
    month_comparison,
    rag_table,
    scope_label,
)
from ete_metrics.metrics.targets import target_summary
from ete_metrics.present.narrative import narrative
from ete_metrics.protect.audience import present_view
from ete_metrics.steps import ENTERED, TARGET_MEASURES, WORK

MONTHS = pd.date_range("2023-01-01", "2024-06-01", freq="MS")


def _monthly(work: dict[tuple[str, str], int]) -> pd.DataFrame:
    """A monthly targets_vs_actual frame for London and Wales: ``work[(region, month)]`` job starts."""
    rows = []
    for region in ("London", "Wales"):
        for month in MONTHS:
            for measure in TARGET_MEASURES:
                actual = work.get((region, month.strftime("%Y-%m")), 0) if measure == WORK.name else 0
                rows.append({"region": region, "period_start": month, "measure": measure,
                             "target": 0, "actual": actual})
    return pd.DataFrame(rows)


def _targets() -> pd.DataFrame:
    rows = []
    for region, per_month in (("London", 10), ("Wales", 5), ("North West", 100)):
        for month in ("2024-04-01", "2024-05-01", "2024-06-01", "2024-07-01"):
            rows.append({"region": region, "period_start": pd.Timestamp(month), "measure": "work",
                         "target": per_month})
    return pd.DataFrame(rows)


def test_latest_full_month_counts_the_as_of_day() -> None:
    assert latest_full_month("2024-05-31") == pd.Timestamp("2024-05-01")
    assert latest_full_month("2024-05-30") == pd.Timestamp("2024-04-01")
    assert latest_full_month("2024-02-29") == pd.Timestamp("2024-02-01")  # leap day ends February
    assert latest_full_month("2024-06-01") == pd.Timestamp("2024-05-01")


def test_month_comparison_sums_regions_and_reads_the_quarter() -> None:
    monthly = _monthly({
        ("London", "2024-04"): 12, ("Wales", "2024-04"): 8,   # April 2024: 20
        ("London", "2024-03"): 10, ("Wales", "2024-03"): 6,   # March 2024: 16
        ("London", "2023-04"): 20, ("Wales", "2023-04"): 5,   # April 2023: 25
        ("London", "2024-05"): 7, ("Wales", "2024-05"): 2,    # May so far: 9
    })
    # as at 20 May 2024: April is the latest full month; the quarter is April-June 2024
    out = month_comparison(monthly, _targets(), as_of=date(2024, 5, 20), regions=["London", "Wales"])
    assert list(out.columns) == list(MONTH_COMPARISON_COLUMNS)
    assert list(out["measure"]) == list(TARGET_MEASURES)
    work = out.set_index("measure").loc["work"]
    assert work["month"] == pd.Timestamp("2024-04-01")
    assert (work["participants"], work["previous_month"], work["year_earlier"]) == (20, 16, 25)
    assert work["quarter_start"] == pd.Timestamp("2024-04-01")
    assert work["quarter_to_date"] == 20 + 9
    # the whole quarter's target of the two regions: (10 + 5) x 3 months (North West and July out)
    assert work["quarter_target"] == 45
    entered = out.set_index("measure").loc["entered"]
    assert (entered["participants"], entered["quarter_to_date"], entered["quarter_target"]) == (0, 0, 0)


def test_month_comparison_year_before_the_contract_is_not_counted() -> None:
    monthly = _monthly({("London", "2023-06"): 4}).query("period_start >= '2023-03-01'")
    out = month_comparison(monthly, _targets(), as_of=date(2023, 6, 30)).set_index("measure")
    assert out.loc["work", "participants"] == 4
    assert math.isnan(out.loc["work", "year_earlier"])  # June 2022: before the first month held


def test_changes_come_from_the_figures_shown() -> None:
    shown = pd.DataFrame({
        "measure": ["entered", "work", "training"],
        "month": pd.Timestamp("2024-04-01"),
        "participants": pd.Series([220, "[c]", 30], dtype=object),
        "previous_month": pd.Series([200, 40, 0], dtype=object),
        "year_earlier": pd.Series([275, 40, np.nan], dtype=object),
        "quarter_start": pd.Timestamp("2024-04-01"),
        "quarter_to_date": pd.Series([300, 20, 30], dtype=object),
        "quarter_target": pd.Series([400, "[c]", 0], dtype=object),
    })
    out = comparison_changes(shown)
    assert out.loc[0, "change_on_month"] == pytest.approx(0.10)     # 220 / 200 - 1
    assert out.loc[0, "change_on_year"] == pytest.approx(-0.20)     # 220 / 275 - 1
    assert out.loc[0, "quarter_percent"] == pytest.approx(0.75)     # 300 / 400
    assert out.loc[1, "change_on_month"] == "[c]" and out.loc[1, "quarter_percent"] == "[c]"
    assert math.isnan(out.loc[2, "change_on_month"])  # no base: April had none
    assert math.isnan(out.loc[2, "change_on_year"]) and math.isnan(out.loc[2, "quarter_percent"])
    assert "change_on_month" not in shown.columns  # input untouched


def test_scope_label_names_what_a_total_covers() -> None:
    every = ("London", "North West", "West Midlands", "Wales")
    assert scope_label(every, every=every) == "All regions"
    assert scope_label([], every=every) == "All regions"
    assert scope_label(["Wales"], every=every) == "Wales"
    assert scope_label(["London", "Wales"], every=every) == "London and Wales"
    assert scope_label(["London", "North West", "Wales"], every=every) == "London, North West and Wales"


def _summary(participants: pd.DataFrame, milestones: pd.DataFrame, targets: pd.DataFrame) -> pd.DataFrame:
    return target_summary(
        Scope(participants, milestones, as_of=date(2021, 7, 31)),
        targets,
        regions=["London", "North West", "Wales"],
    )


def _people(regions: list[str]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    participants = pd.DataFrame({
        "participant_id": [f"P{i}" for i in range(len(regions))],
        "region": regions,
        "referral_date": pd.Timestamp("2021-06-10"),
        "entry_date": pd.Timestamp("2021-06-20"),
    })
    milestones = empty_milestones()
    targets = pd.DataFrame({
        "region": [r for r in dict.fromkeys(regions) for _ in range(2)],
        "period_start": [pd.Timestamp("2021-06-01"), pd.Timestamp("2021-07-01")] * len(dict.fromkeys(regions)),
        "measure": "entered",
        "target": 2,
    })
    return participants, milestones, targets


def test_rag_table_of_one_region_has_no_all_regions_row() -> None:
    # A Wales lead's data: only Wales is loaded, London and North West are empty.
    summary = _summary(*_people(["Wales", "Wales", "Wales"]))
    out = rag_table(summary)
    assert list(out.columns) == list(RAG_TABLE_COLUMNS)
    assert set(out["region"]) == {"Wales"}
    entered = out.set_index("measure").loc["entered"]
    # 3 entered against 2 + 2 to date: 75%, red (below 86%)
    assert (entered["actual_to_date"], entered["target_to_date"]) == (3, 4)
    assert entered["percent_achieved"] == pytest.approx(0.75) and entered["rag"] == "red"


def test_rag_table_total_is_labelled_by_the_regions_it_sums() -> None:
    summary = _summary(*_people(["London", "Wales", "Wales", "Wales", "Wales"]))
    out = rag_table(summary)
    assert list(dict.fromkeys(out["region"])) == ["London", "Wales", "London and Wales"]
    total = out.loc[(out["region"] == "London and Wales") & (out["measure"] == ENTERED.name)].iloc[0]
    # 5 entered against 4 + 4: 62.5%
    assert (total["actual_to_date"], total["target_to_date"], total["rag"]) == (5, 8, "red")


def _review_frames() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    changes = pd.DataFrame({
        "step": [ENTERED.name, WORK.name],
        "participants": pd.Series([1000, 212], dtype=object),
        "change": pd.Series([40, 12], dtype=object),
        "rate_from_entry": pd.Series([1.0, 0.212], dtype=object),
    })
    comparison = comparison_changes(pd.DataFrame({
        "measure": ["entered", "work"],
        "month": pd.Timestamp("2024-05-01"),
        "participants": pd.Series([90, 212], dtype=object),
        "previous_month": pd.Series([100, 200], dtype=object),
        "year_earlier": pd.Series([90, np.nan], dtype=object),
        "quarter_start": pd.Timestamp("2024-04-01"),
        "quarter_to_date": pd.Series([150, 300], dtype=object),
        "quarter_target": pd.Series([200, 400], dtype=object),
    }))
    rag = pd.DataFrame({
        "region": ["West Midlands", "Wales", "London", "All regions"],
        "measure": ["work", "work", "entered", "work"],
        "actual_to_date": [650, 300, 10, 2000],
        "target_to_date": [1000, 500, 10, 2200],
        "percent_achieved": [0.65, 0.60, 1.0, 2000 / 2200],
        "rag": ["red", "red", "green", "amber"],
        "projected_at_end": [800.0, 400.0, 12.0, 2730.0],
        "contract_target": [1200, 600, 12, 3000],
        "projected_percent": [0.8 / 1.2, 0.4 / 0.6, 1.0, 0.91],
    })
    return changes, comparison, rag


def test_narrative_is_figures_with_their_comparisons() -> None:
    changes, comparison, rag = _review_frames()
    text = narrative(changes, comparison, rag, as_of=date(2024, 5, 31), previous=date(2024, 4, 30),
                     scope="All regions", audience="internal")
    assert text == (
        "Into work: 212 (21.2% of people entered), +12 since 30 Apr 2024.",
        # 90 / 100 - 1 = -10%; the same as May 2023
        "Programme entries in May 2024: 90, down 10.0% on April 2024 (100) and the same as May 2023 (90).",
        # 212 / 200 - 1 = +6%; no year-earlier figure: that comparison is left out
        "Job starts in May 2024: 212, up 6.0% on April 2024 (200).",
        "Programme entries in the quarter from 1 Apr 2024 to 31 May 2024: 150, 75.0% of the quarter's "
        "target of 200.",
        "Job starts in the quarter from 1 Apr 2024 to 31 May 2024: 300, 75.0% of the quarter's target of 400.",
        # the worst Red first
        "Wales is Red for job starts at 60.0% of target to date (300 of 500).",
        "West Midlands is Red for job starts at 65.0% of target to date (650 of 1,000).",
        "All regions: projected 91.0% of the contract's work target at the current rate (2,730 of 3,000).",
    )


def test_stakeholder_narrative_never_states_a_count_of_one_to_four() -> None:
    changes, comparison, rag = _review_frames()
    changes.loc[1, "change"] = 3          # a change of three people
    comparison.loc[1, "previous_month"] = 4  # a month with four job starts
    comparison.loc[0, "participants"] = "[c]"
    text = narrative(changes, comparison, rag, as_of=date(2024, 5, 31), previous=date(2024, 4, 30),
                     scope="All regions", audience="stakeholder")
    assert not any(s.startswith("Into work") for s in text)
    assert not any(s.startswith("Programme entries in May") for s in text)
    assert not any(s.startswith("Job starts in May") for s in text)  # no other comparison to make
    internal = narrative(changes, comparison, rag, as_of=date(2024, 5, 31), previous=date(2024, 4, 30),
                         scope="All regions", audience="internal")
    assert "Into work: 212 (21.2% of people entered), +3 since 30 Apr 2024." in internal


def test_demo_narrative_reads_the_protected_figures() -> None:
    from ete_metrics.data.demo import generate_demo
    from ete_metrics.metrics.targets import summarise_targets, targets_vs_actual

    demo = generate_demo(3_000)
    as_of = date(2024, 5, 31)
    monthly = targets_vs_actual(
        Scope(demo.participants, demo.milestones, as_of=as_of),
        demo.targets,
    )
    rag = present_view(rag_table(summarise_targets(monthly, demo.targets, as_of=as_of)), "rag_table",
                       "stakeholder")
    shown = present_view(month_comparison(monthly, demo.targets, as_of=as_of), "month_comparison",
                         "stakeholder")
    comparison = comparison_changes(shown)
    empty = pd.DataFrame(columns=["step", "participants", "change", "rate_from_entry"])
    text = narrative(empty, comparison, rag, as_of=as_of, previous=date(2024, 4, 30), scope="All regions",
                     audience="stakeholder")
    work = shown.set_index("measure").loc["work"]
    said = [s for s in text if s.startswith("Job starts in May 2024")]
    if isinstance(work["participants"], str):
        assert not said
    else:
        assert int(work["participants"]) % 5 == 0  # rounded to 5
        assert said and said[0].startswith(f"Job starts in May 2024: {int(work['participants']):,},")
