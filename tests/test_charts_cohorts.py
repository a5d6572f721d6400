"""Tests of ete_metrics.present.charts.cohorts: titles, axes, palette, trace values = input frame."""

from __future__ import annotations

import math

import pandas as pd
from chart_text_support import HOSTILE, assert_drawn_literally

from ete_metrics.config import PALETTE
from ete_metrics.present.charts.cohorts import (
    cohort_curves_chart,
    cohort_heatmap_table,
    cumulative_incidence_chart,
    latest_cohorts,
)
from ete_metrics.steps import TRAINING, WORK


def _curves() -> pd.DataFrame:
    # Two cohorts: 2023-Q1 (4 people, followed to month 2) and 2023-Q2 (2 people, month 0 only).
    # Q1: 1 of 4 by month 0 (0.25), 2 of 4 by month 1 (0.5), 3 of 4 by month 2 (0.75).
    # Q2: 0 of 2 by month 0 (0.0).
    return pd.DataFrame(
        {
            "cohort": ["2023-Q1", "2023-Q1", "2023-Q1", "2023-Q2"],
            "months_since_entry": [0, 1, 2, 0],
            "cohort_size": [4, 4, 4, 2],
            "participants": [1, 2, 3, 0],
            "cumulative_rate": [0.25, 0.5, 0.75, 0.0],
        }
    )


def test_cohort_curves_chart_has_one_line_per_cohort_with_the_input_values() -> None:
    fig = cohort_curves_chart(_curves(), outcome=WORK.name)
    assert [t.name for t in fig.data] == ["2023-Q1", "2023-Q2"]
    q1, q2 = fig.data
    assert list(q1.x) == [0, 1, 2]
    assert list(q1.y) == [0.25, 0.5, 0.75]
    assert list(q2.x) == [0] and list(q2.y) == [0.0]
    assert q1.line.color == PALETTE[0] and q2.line.color == PALETTE[1]
    assert "work" in fig.layout.title.text
    assert fig.layout.xaxis.title.text == "Months since entry"
    assert fig.layout.yaxis.title.text == "Percent in work"
    assert fig.layout.yaxis.tickformat == ".0%"
    assert "%{y:.1%}" in q1.hovertemplate


def test_cohort_curves_chart_draws_only_the_chosen_cohorts() -> None:
    fig = cohort_curves_chart(_curves(), cohorts=["2023-Q2"])
    assert [t.name for t in fig.data] == ["2023-Q2"]


def test_cohort_curves_chart_seventh_line_is_dashed_not_a_repeat() -> None:
    # Seven cohorts of one point each: colours 0..5 then colour 0 again, dashed.
    curves = pd.DataFrame(
        {"cohort": [f"2023-{m:02d}" for m in range(1, 8)], "months_since_entry": [0] * 7,
         "cohort_size": [1] * 7, "participants": [0] * 7, "cumulative_rate": [0.0] * 7}
    )
    fig = cohort_curves_chart(curves)
    assert [t.line.color for t in fig.data] == [*PALETTE, PALETTE[0]]
    assert [t.line.dash for t in fig.data] == ["solid"] * 6 + ["dash"]


def test_latest_cohorts_keeps_the_most_recent_in_time_order() -> None:
    frame = pd.DataFrame({"cohort": ["2022-Q4", "2023-Q2", "2023-Q1", "2023-Q1"]})
    # Sorted: 2022-Q4, 2023-Q1, 2023-Q2 -> the last two.
    assert latest_cohorts(frame, limit=2) == ["2023-Q1", "2023-Q2"]
    assert latest_cohorts(frame, limit=0) == ["2022-Q4", "2023-Q1", "2023-Q2"]


def test_cohort_heatmap_table_pivots_rates_by_month() -> None:
    table = cohort_heatmap_table(_curves())
    assert list(table.columns) == ["cohort", "cohort_size", "month_0", "month_1", "month_2"]
    assert table["cohort"].to_list() == ["2023-Q1", "2023-Q2"]
    assert table["cohort_size"].to_list() == [4, 2]
    assert table.loc[0, ["month_0", "month_1", "month_2"]].to_list() == [0.25, 0.5, 0.75]
    # Q2 was only followed to month 0: later months are missing, not zero.
    assert table.loc[1, "month_0"] == 0.0
    assert math.isnan(table.loc[1, "month_1"]) and math.isnan(table.loc[1, "month_2"])


def test_cohort_heatmap_table_of_an_empty_frame_is_empty() -> None:
    assert cohort_heatmap_table(_curves().iloc[0:0]).empty


def _incidence() -> pd.DataFrame:
    # Hand-made 1 - KM: 4 at risk; 1 event on day 10 (1 - 3/4 = 0.25); 1 on day 20
    # (1 - 3/4 * 2/3 = 0.5); the other two censored at day 30.
    return pd.DataFrame(
        {
            "days_since_entry": [10, 20, 30],
            "at_risk": [4, 3, 2],
            "events": [1, 1, 0],
            "cumulative_incidence": [0.25, 0.5, 0.5],
            "ci_low": [0.04, 0.15, 0.15],
            "ci_high": [0.8, 0.9, 0.9],
        }
    )


def test_cumulative_incidence_chart_band_line_and_median() -> None:
    medians = pd.DataFrame(
        {"outcome": ["training", "work"], "entered": [4, 4], "reached": [2, 1],
         "median_days": [20.0, float("nan")], "q1_days": [10.0, 30.0], "q3_days": [float("nan")] * 2}
    )
    fig = cumulative_incidence_chart(_incidence(), outcome=TRAINING.name, medians=medians)
    band, line = fig.data
    assert list(line.x) == [10, 20, 30]
    assert list(line.y) == [0.25, 0.5, 0.5]
    assert line.line.shape == "hv" and line.line.color == PALETTE[0]
    # The band goes along ci_high then back along ci_low.
    assert list(band.x) == [10, 20, 30, 30, 20, 10]
    assert list(band.y) == [0.8, 0.9, 0.9, 0.15, 0.15, 0.04]
    assert band.fill == "toself"
    shapes = [s for s in fig.layout.shapes if s.type == "line"]
    assert len(shapes) == 1 and shapes[0].x0 == 20.0
    assert any("Median 20 days" in a.text for a in fig.layout.annotations)
    assert fig.layout.xaxis.title.text == "Days since entry"
    assert fig.layout.yaxis.title.text == "Percent reached training"
    assert "Kaplan" in fig.layout.title.text


def test_cumulative_incidence_chart_without_a_median_draws_no_line() -> None:
    medians = pd.DataFrame(
        {"outcome": ["work"], "entered": [4], "reached": [1], "median_days": [float("nan")],
         "q1_days": [30.0], "q3_days": [float("nan")]}
    )
    fig = cumulative_incidence_chart(_incidence(), outcome=WORK.name, medians=medians)
    assert not [s for s in fig.layout.shapes if s.type == "line"]
    assert fig.layout.yaxis.title.text == "Percent reached work"


# --------------------------------------------------------------------------- names from the data


def test_cohort_curves_chart_draws_hostile_cohort_labels_literally() -> None:
    names = list(HOSTILE)
    curves = pd.DataFrame(
        {"cohort": names, "months_since_entry": [0] * len(names), "cohort_size": [2] * len(names),
         "participants": [1] * len(names), "cumulative_rate": [0.5] * len(names)}
    )
    before = curves.copy()
    fig = cohort_curves_chart(curves, cohorts=names)
    # One line per cohort, in the order asked for, named with the escaped label.
    assert [t.name for t in fig.data] == [HOSTILE[n] for n in names]
    assert [t.line.color for t in fig.data][:6] == list(PALETTE)
    assert all(t.hovertemplate.startswith("Cohort %{fullData.name}<br>") for t in fig.data)
    assert_drawn_literally(fig)
    pd.testing.assert_frame_equal(curves, before)  # the frame (table, downloads) keeps raw labels


def test_cohort_heatmap_table_keeps_raw_labels() -> None:
    names = list(HOSTILE)
    curves = pd.DataFrame(
        {"cohort": names, "months_since_entry": [0] * len(names), "cohort_size": [2] * len(names),
         "participants": [1] * len(names), "cumulative_rate": [0.5] * len(names)}
    )
    assert cohort_heatmap_table(curves)["cohort"].to_list() == sorted(names)


def test_cumulative_incidence_chart_by_group_draws_hostile_names_literally() -> None:
    names = list(HOSTILE)
    frame = pd.concat([_incidence().assign(delivery_partner=n) for n in names], ignore_index=True)
    before = frame.copy()
    fig = cumulative_incidence_chart(frame, outcome=WORK.name, by="delivery_partner")
    # Groups in sorted order of the raw names; per group the band then the line.
    expected = [[f"{HOSTILE[n]}: 95% interval", HOSTILE[n]] for n in sorted(names)]
    assert [t.name for t in fig.data] == [name for pair in expected for name in pair]
    assert_drawn_literally(fig)
    pd.testing.assert_frame_equal(frame, before)


def test_eight_cohort_curves_are_each_told_apart_without_colour_alone() -> None:
    """Issue 26 item 11: of eight curves, 2022-Q3 and 2024-Q1 were both navy. Each curve now has a
    marker shape of its own, and two of one colour differ in line style too."""
    names = ["2022-Q3", "2022-Q4", "2023-Q1", "2023-Q2", "2023-Q3", "2023-Q4", "2024-Q1", "2024-Q2"]
    curves = pd.DataFrame(
        {"cohort": names, "months_since_entry": [0] * 8, "cohort_size": [1] * 8,
         "participants": [0] * 8, "cumulative_rate": [0.0] * 8}
    )
    fig = cohort_curves_chart(curves, cohorts=names)
    symbols = [t.marker.symbol for t in fig.data]
    assert None not in symbols and len(set(symbols)) == 8
    assert {t.line.color for t in fig.data} <= set(PALETTE)
    styles = [(t.line.color, t.line.dash) for t in fig.data]
    assert len(set(styles)) == 8  # 2022-Q3 solid navy, 2024-Q1 dashed navy
