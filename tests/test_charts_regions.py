"""Chart builders of the regions view."""

from __future__ import annotations

import pandas as pd
import pytest
from chart_text_support import HOSTILE, assert_drawn_literally

from ete_metrics.present.charts.regions import rates_by_group_chart, regions_funnel_plot
from ete_metrics.present.charts.style import step_colour
from ete_metrics.steps import ENTERED, TRAINING, WORK


def _by_region() -> pd.DataFrame:
    # London: 100 entered, 40 training (40%), 10 work (10%); Wales: 50, 10 (20%), 5 (10%).
    return pd.DataFrame(
        {
            "region": ["London"] * 3 + ["Wales"] * 3,
            "step": [ENTERED.name, TRAINING.name, WORK.name] * 2,
            "participants": [100, 40, 10, 50, 10, 5],
            "rate_from_entry": [1.0, 0.4, 0.1, 1.0, 0.2, 0.1],
            "rate_from_previous": [float("nan"), 0.4, 0.25, float("nan"), 0.2, 0.5],
            "ci_low": [0.96, 0.31, 0.05, 0.93, 0.11, 0.04],
            "ci_high": [1.0, 0.5, 0.17, 1.0, 0.33, 0.21],
        }
    )


def test_rates_by_group_chart() -> None:
    fig = rates_by_group_chart(_by_region(), by="region")
    # the entered step (always 100%) is left out: one trace per later step
    assert [t.name for t in fig.data] == ["Into training", "Into work"]
    assert [t.marker.color for t in fig.data] == [step_colour(TRAINING.name), step_colour(WORK.name)]
    training = fig.data[0]
    assert list(training.x) == ["London", "Wales"]
    assert list(training.y) == [0.4, 0.2]
    # error bars reach the interval: 0.5 - 0.4 = 0.1 up, 0.4 - 0.31 = 0.09 down (London)
    assert training.error_y.array[0] == pytest.approx(0.1)
    assert training.error_y.arrayminus[0] == pytest.approx(0.09)
    assert fig.layout.title.text == "Percent of entrants reaching each step, by region"
    assert fig.layout.xaxis.title.text == "Region"
    assert fig.layout.yaxis.title.text == "Percent of entered"
    assert fig.layout.yaxis.tickformat == ".0%"


def test_regions_funnel_plot() -> None:
    # overall rate 15/150 = 10%; both regions at 10%, within the limits
    comparison = pd.DataFrame(
        {
            "region": ["London", "Wales"],
            "entered": [100, 50],
            "participants": [10, 5],
            "rate": [0.1, 0.1],
            "overall_rate": [0.1, 0.1],
            "lower_95": [0.05, 0.03],
            "upper_95": [0.16, 0.2],
            "lower_998": [0.03, 0.01],
            "upper_998": [0.2, 0.25],
            "position": ["within", "within"],
            "outside_998": [False, False],
        }
    )
    limits = pd.DataFrame(
        {
            "entered": [10, 100],
            "lower_95": [0.0, 0.05],
            "upper_95": [0.3, 0.16],
            "lower_998": [0.0, 0.03],
            "upper_998": [0.45, 0.2],
        }
    )
    fig = regions_funnel_plot(comparison, limits, step=WORK.name)
    points = [t for t in fig.data if t.mode == "markers"]
    assert len(points) == 1
    assert list(points[0].x) == [100, 50]
    assert list(points[0].y) == [0.1, 0.1]
    assert list(points[0].text) == ["London", "Wales"]
    assert sorted(a.text for a in fig.layout.annotations if a.xref == "x") == ["London", "Wales"]  # named
    lines = [t for t in fig.data if t.mode == "lines"]
    assert sorted({t.name for t in lines}) == ["95% limits", "99.8% limits"]
    assert fig.layout.xaxis.title.text == "People entered"
    assert "region" in fig.layout.title.text


def test_rates_by_area_draws_hostile_names_and_region_in_the_title_literally() -> None:
    names = list(HOSTILE)
    frame = pd.concat(
        [_by_region().iloc[0:3].drop(columns="region").assign(area=name) for name in names], ignore_index=True
    )
    before = frame.copy()
    region = "<b>Wales</b>"
    fig = rates_by_group_chart(frame, by="area", title=f"Percent of entrants reaching each step, by area of {region}")
    assert [list(t.x) for t in fig.data] == [[HOSTILE[name] for name in names]] * 2
    assert fig.layout.title.text == "Percent of entrants reaching each step, by area of &lt;b&gt;Wales&lt;/b&gt;"
    assert_drawn_literally(fig, {**HOSTILE, region: "&lt;b&gt;Wales&lt;/b&gt;"})
    pd.testing.assert_frame_equal(frame, before)


def test_regions_funnel_plot_draws_hostile_region_names_literally() -> None:
    names = list(HOSTILE)
    n = len(names)
    comparison = pd.DataFrame(
        {"region": names, "entered": [100] * n, "participants": [10] * n, "rate": [0.1] * n,
         "overall_rate": [0.1] * n, "lower_95": [0.05] * n, "upper_95": [0.16] * n,
         "lower_998": [0.03] * n, "upper_998": [0.2] * n, "position": ["within"] * n,
         "outside_998": [False] * n}
    )
    limits = pd.DataFrame(
        {"entered": [10, 100], "lower_95": [0.0, 0.05], "upper_95": [0.3, 0.16],
         "lower_998": [0.0, 0.03], "upper_998": [0.45, 0.2]}
    )
    fig = regions_funnel_plot(comparison, limits, step=WORK.name)
    points = next(t for t in fig.data if t.mode == "markers")
    assert list(points.text) == [HOSTILE[name] for name in names]
    assert [a.text for a in fig.layout.annotations if a.xref == "x"] == [HOSTILE[name] for name in names]
    assert_drawn_literally(fig)
