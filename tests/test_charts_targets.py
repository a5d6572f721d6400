"""Chart builders of contract targets."""

from __future__ import annotations

import pandas as pd
from chart_text_support import HOSTILE, assert_drawn_literally

from ete_metrics.config import PALETTE
from ete_metrics.present.charts.style import MORE_REGION_COLOURS, step_colour
from ete_metrics.present.charts.targets import target_progress_chart, targets_chart
from ete_metrics.steps import TRAINING, WORK, label


def test_rag_name() -> None:
    assert label("green") == "Green"
    assert label("amber") == "Amber"
    assert label(None) == ""
    assert label(float("nan")) == ""


def test_targets_chart_actual_solid_and_target_dotted_per_region() -> None:
    periods = pd.to_datetime(["2021-06-01", "2021-07-01"])
    # London work: targets 10 then 10 (cumulative 10, 20); actual 8 then 12 (cumulative 8, 20)
    frame = pd.DataFrame(
        {
            "region": ["London", "London", "Wales", "Wales", "London", "London"],
            "period_start": list(periods) * 3,
            "measure": [WORK.name] * 4 + [TRAINING.name] * 2,
            "target": [10, 10, 5, 5, 30, 30],
            "actual": [8, 12, 5, 4, 25, 31],
            "cumulative_target": [10, 20, 5, 10, 30, 60],
            "cumulative_actual": [8, 20, 5, 9, 25, 56],
            "percent_achieved": [0.8, 1.0, 1.0, 0.9, 25 / 30, 56 / 60],
            "rag": ["red", "green", "green", "amber", "red", "amber"],
        }
    )
    fig = targets_chart(frame, measure=WORK.name)
    assert [t.name for t in fig.data] == ["London actual", "London target", "Wales actual", "Wales target"]
    assert list(fig.data[0].y) == [8, 20]
    assert list(fig.data[1].y) == [10, 20]
    assert fig.data[0].line.color == fig.data[1].line.color == PALETTE[0]
    assert fig.data[2].line.color == PALETTE[3]  # Wales's own colour, whatever the trace order
    assert fig.data[1].line.dash == "dot"
    assert fig.layout.title.text == "Into work: cumulative actual against target, by region"
    assert fig.layout.xaxis.title.text == "Period"
    assert fig.layout.yaxis.title.text == "People (cumulative)"


def test_target_progress_chart() -> None:
    summary = pd.DataFrame(
        {
            "region": ["London", "All regions"],
            "measure": [WORK.name, WORK.name],
            "actual_to_date": [90, 180],
            "target_to_date": [100, 200],
            "percent_achieved": [0.9, 0.9],
            "rag": ["amber", "amber"],
        }
    )
    fig = target_progress_chart(summary)
    assert len(fig.data) == 1
    assert list(fig.data[0].x) == ["London", "All regions"]
    assert list(fig.data[0].y) == [0.9, 0.9]
    # into work in the work step's colour, not London's navy (issue 26 item 11)
    assert fig.data[0].marker.color == step_colour(WORK.name) and fig.data[0].marker.color not in PALETTE[:4]
    assert fig.layout.yaxis.tickformat == ".0%"
    assert fig.layout.title.text == "Percent of target achieved to date"


def test_targets_chart_draws_hostile_region_names_literally_with_matching_colours() -> None:
    names = list(HOSTILE)
    periods = pd.to_datetime(["2021-06-01", "2021-07-01"])
    frame = pd.DataFrame(
        {"region": [name for name in names for _ in periods], "period_start": list(periods) * len(names),
         "measure": [WORK.name] * 2 * len(names), "target": [10, 10] * len(names), "actual": [8, 12] * len(names),
         "cumulative_target": [10, 20] * len(names), "cumulative_actual": [8, 20] * len(names),
         "percent_achieved": [0.8, 1.0] * len(names), "rag": ["red", "green"] * len(names)}
    )
    before = frame.copy()
    fig = targets_chart(frame, measure=WORK.name)
    expected = [[f"{HOSTILE[name]} actual", f"{HOSTILE[name]} target"] for name in names]
    assert [t.name for t in fig.data] == [name for pair in expected for name in pair]
    # Actual and target of a region share its legend group and colour.
    for i, name in enumerate(names):
        actual, target = fig.data[2 * i], fig.data[2 * i + 1]
        assert actual.legendgroup == target.legendgroup == HOSTILE[name]
        assert actual.line.color == target.line.color == MORE_REGION_COLOURS[(4 + i) % len(MORE_REGION_COLOURS)]
        assert actual.line.color not in PALETTE[:4]  # names outside the vocabulary: never a region's colour
    assert all(t.hovertemplate.startswith("%{fullData.name}<br>") for t in fig.data)
    assert_drawn_literally(fig)
    pd.testing.assert_frame_equal(frame, before)


def test_target_progress_chart_draws_hostile_region_names_literally() -> None:
    names = list(HOSTILE)
    n = len(names)
    summary = pd.DataFrame(
        {"region": names, "measure": [WORK.name] * n, "actual_to_date": [90] * n, "target_to_date": [100] * n,
         "percent_achieved": [0.9] * n, "rag": ["amber"] * n}
    )
    fig = target_progress_chart(summary)
    assert list(fig.data[0].x) == [HOSTILE[name] for name in names]
    assert_drawn_literally(fig)
