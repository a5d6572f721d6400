"""AppTest of the Cohorts page: the numbers shown equal ete_metrics' output, formatted."""

from __future__ import annotations

import pandas as pd
from apptest_support import *  # noqa: F403
from apptest_support import DemoData, new_app, open_page, tables_shown

from ete_metrics import views
from ete_metrics.counting.scope import Scope
from ete_metrics.metrics.cohorts import cohort_curves, cumulative_incidence
from ete_metrics.metrics.time_to_outcome import time_to_outcome
from ete_metrics.present.charts.cohorts import cohort_heatmap_table, latest_cohorts
from ete_metrics.present.tables import display_table
from ete_metrics.steps import TRAINING, WORK

PAGE = "app_pages/4_cohorts.py"


def _expected_curves(demo: DemoData, outcome: str, cohort: str = "entry_quarter") -> pd.DataFrame:
    curves = cohort_curves(
        Scope(demo.participants, demo.milestones, as_of=demo.cutoff),
        cohort=cohort,
        outcome=outcome,
    )
    shown = latest_cohorts(curves, limit=8)
    return curves.loc[curves["cohort"].isin(shown)].reset_index(drop=True)


def _shown(at, i: int) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    """The i-th table on the page as plain objects (the Arrow round trip makes strings typed)."""
    return tables_shown(at)[i].value.reset_index(drop=True).astype(object)


def _same(shown: pd.DataFrame, expected: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(shown, expected.astype(object), check_dtype=False)


def _same_curves(shown: pd.DataFrame, curves: pd.DataFrame) -> None:
    """The table of cohort curves shows ``curves``: counts, months and percentages formatted."""
    _same(shown, display_table(curves, counts=("months_since_entry", "cohort_size", "participants"),
                               rates=("cumulative_rate",)))


def test_cohorts_page_shows_ete_metrics_figures(demo_data: DemoData) -> None:
    at = open_page(new_app(), PAGE)
    curves = _expected_curves(demo_data, "training")
    assert curves["cohort"].nunique() == 8  # quarter cohorts, latest eight by default
    _same_curves(_shown(at, 0), curves)
    full = cohort_curves(
        Scope(demo_data.participants, demo_data.milestones, as_of=demo_data.cutoff),
        cohort="entry_quarter",
        outcome=TRAINING.name,
    )
    heatmap = cohort_heatmap_table(full)
    _same(
        _shown(at, 1),
        display_table(
            heatmap,
            counts=("cohort_size",),
            rates=[c for c in heatmap.columns if c.startswith("month_")],
        ),
    )
    incidence = cumulative_incidence(
        Scope(demo_data.participants, demo_data.milestones, as_of=demo_data.cutoff),
        outcome=TRAINING.name,
    )
    _same(
        _shown(at, 2),
        display_table(
            incidence,
            counts=("days_since_entry", "at_risk", "events"),
            rates=("cumulative_incidence", "ci_low", "ci_high"),
        ),
    )
    quartiles = time_to_outcome(
        Scope(demo_data.participants, demo_data.milestones, as_of=demo_data.cutoff),
    )
    # the director's table: the Kaplan-Meier days and shares (the people followed 3, 6 and 12
    # months are the stakeholders' table)
    _same(
        _shown(at, 3),
        # a column blank in every row is left off the screen (a sentence says why)
        display_table(quartiles[["outcome", "entered", "reached", "median_days", "q1_days", "q3_days",
                                 "reached_3_months", "reached_6_months", "reached_12_months"]]
                      .dropna(axis=1, how="all"), views.TIME_TO_OUTCOME),
    )
    # where the median is blank the shares reached by 3, 6 and 12 months are shown
    assert "% reached by 12 months" in _shown(at, 3).columns
    assert _shown(at, 3)["% reached by 3 months"].str.fullmatch(r"\d{1,3}\.\d%").all()
    # Headline formats: percentages with one decimal, counts with separators.
    assert _shown(at, 0)["Cumulative %"].astype(str).str.fullmatch(r"\d{1,3}\.\d%").all()


def test_cohorts_page_outcome_and_cohort_widgets_change_the_figures(demo_data: DemoData) -> None:
    at = open_page(new_app(), PAGE)
    before = _shown(at, 0)
    at.radio(key="cohorts_outcome").set_value("Work").run()
    assert not at.exception
    work = _expected_curves(demo_data, "work")
    after = _shown(at, 0)
    assert not after.equals(before)
    _same_curves(after, work)
    at.radio(key="cohorts_cohort").set_value("Month of entry").run()
    assert not at.exception
    monthly = _expected_curves(demo_data, "work", cohort="entry_month")
    shown = _shown(at, 0)
    assert shown["Cohort"].astype(str).str.fullmatch(r"\d{4}-\d{2}").all()
    assert len(shown) == len(monthly)


def test_cohorts_page_empty_filters_show_a_friendly_message(demo_data: DemoData) -> None:
    # The demo's first entry is after 10 Jun 2021, so nobody entered in 1-10 Jun 2021.
    at = open_page(new_app({"from": "2021-06-01", "to": "2021-06-10"}), PAGE)
    expected = cohort_curves(
        Scope(
            demo_data.participants,
            demo_data.milestones,
            as_of=demo_data.cutoff,
            date_from="2021-06-01",
            date_to="2021-06-10",
        ),
        cohort="entry_quarter",
    )
    assert expected.empty
    assert any("No one entered" in i.value for i in at.info)
    assert len(tables_shown(at)) == 0


def test_cohorts_page_options_from_the_url(demo_data: DemoData) -> None:
    at = open_page(new_app({"cohort": "entry_month", "outcome": "work"}), PAGE)
    assert at.radio(key="cohorts_cohort").value == "Month of entry"
    assert at.radio(key="cohorts_outcome").value == "Work"
    shown = _shown(at, 0)
    monthly = _expected_curves(demo_data, "work", cohort="entry_month")
    assert shown["Cohort"].astype(str).str.fullmatch(r"\d{4}-\d{2}").all()
    _same_curves(shown, monthly)
    assert at.query_params["cohort"] == "entry_month" and at.query_params["outcome"] == WORK.name


def test_no_column_of_the_days_table_is_blank_in_every_row(demo_db_url: str, demo_data: DemoData) -> None:
    """Fewer than half of the demo's people have reached training or work: the median and the upper
    quartile are not defined for any row. The table shows what is defined and says why the rest is not."""
    at = open_page(new_app(), PAGE)
    table = next(t.value for t in tables_shown(at) if "Outcome" in t.value.columns and "Entered" in t.value.columns)
    blank = [c for c in table.columns if (table[c].astype(str).str.strip() == "").all()]
    assert blank == []
    assert "Lower quartile (days)" in table.columns or any("quartile" in c.lower() for c in table.columns)
    said = [c.value for c in at.caption if "is not defined for any row" in c.value]
    assert any("Median" in s and "not reached: fewer than half have got there" in s and "by day 365" in s
               for s in said), said
