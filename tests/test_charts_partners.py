"""Tests of ete_metrics.present.charts.partners: titles, axes, palette, trace values = input frame."""

from __future__ import annotations

import pandas as pd
from chart_text_support import HOSTILE, assert_drawn_literally

from ete_metrics.config import PALETTE
from ete_metrics.present.charts.partners import (
    employers_chart,
    funnel_plot,
    step_bars,
    training_providers_chart,
)
from ete_metrics.present.charts.style import POSITION_COLOURS, step_colour
from ete_metrics.steps import ENTERED, TRAINING, WORK


def _comparison() -> pd.DataFrame:
    # Overall 30 in work of 100 entered = 0.3. A: 20/40 = 0.5 (above), B: 6/40 = 0.15 (below),
    # C: 4/20 = 0.2 (within). Limits are made up (the chart only draws them).
    return pd.DataFrame(
        {
            "delivery_partner": ["A", "B", "C"],
            "entered": [40, 40, 20],
            "participants": [20, 6, 4],
            "rate": [0.5, 0.15, 0.2],
            "overall_rate": [0.3, 0.3, 0.3],
            "lower_95": [0.16, 0.16, 0.1],
            "upper_95": [0.45, 0.45, 0.5],
            "lower_998": [0.1, 0.1, 0.05],
            "upper_998": [0.52, 0.52, 0.6],
            "position": ["above", "below", "within"],
            "outside_998": [False, False, False],
        }
    )


def _limits() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "entered": [10, 50, 100],
            "lower_95": [0.05, 0.18, 0.21],
            "upper_95": [0.6, 0.43, 0.39],
            "lower_998": [0.0, 0.12, 0.16],
            "upper_998": [0.75, 0.5, 0.45],
        }
    )


def test_funnel_plot_draws_limits_overall_line_and_groups() -> None:
    fig = funnel_plot(_comparison(), _limits(), step=WORK.name)
    lines = [t for t in fig.data if t.mode == "lines"]
    points = {t.name: t for t in fig.data if t.mode == "markers"}
    assert len(lines) == 4
    upper_95 = next(t for t in lines if t.name == "95% limits" and t.showlegend)
    assert list(upper_95.x) == [10, 50, 100] and list(upper_95.y) == [0.6, 0.43, 0.39]
    above = points["Above the 95% limits"]
    assert list(above.x) == [40] and list(above.y) == [0.5] and list(above.text) == ["A"]
    assert list(points["Below the 95% limits"].text) == ["B"]
    assert list(points["Within the 95% limits"].y) == [0.2]
    # position colours are never a region's (the palette's first four)
    colours = {name: t.marker.color for name, t in points.items()}
    assert colours == {"Above the 95% limits": POSITION_COLOURS["above"],
                       "Within the 95% limits": POSITION_COLOURS["within"],
                       "Below the 95% limits": POSITION_COLOURS["below"]}
    assert not set(colours.values()) & set(PALETTE[:4])
    assert above.marker.symbol == "triangle-up"
    # points are named on screen (annotations at the points, offset in px; y down), on the side
    # clear of the lines: A (0.5) is above its upper limit, so above it; B is below its lower
    # limit, so below it
    names = {a.text: a for a in fig.layout.annotations if a.xref == "x"}
    assert sorted(names) == ["A", "B", "C"]
    assert (names["A"].x, names["A"].y) == (40, 0.5) and names["A"].ay < 0
    assert names["B"].ay > 0
    # a point at the edge of the plot is drawn whole, not cut off at the axis
    assert all(t.cliponaxis is False for t in points.values())
    overall = [s for s in fig.layout.shapes if s.type == "line"]
    assert len(overall) == 1 and overall[0].y0 == 0.3
    assert fig.layout.xaxis.title.text == "People entered"
    assert fig.layout.yaxis.title.text == "Percent in work"
    assert "delivery partner" in fig.layout.title.text


def test_step_bars_one_trace_per_step_in_order() -> None:
    frame = pd.DataFrame(
        {
            "prison": ["HMP A", "HMP A", "HMP A", "HMP B", "HMP B", "HMP B"],
            "step": [ENTERED.name, TRAINING.name, WORK.name] * 2,
            "participants": [10, 4, 2, 5, 1, 0],
            "rate_from_entry": [1.0, 0.4, 0.2, 1.0, 0.2, 0.0],
        }
    )
    fig = step_bars(frame, by="prison", group_label="Prison", title="Custody pathway by prison")
    assert [t.name for t in fig.data] == ["Entered", "Into training", "Into work"]
    assert list(fig.data[1].y) == ["HMP A", "HMP B"] and list(fig.data[1].x) == [4, 1]
    assert fig.data[1].orientation == "h"
    # each step in its own colour, never a region's (issue 26 item 11)
    assert [t.marker.color for t in fig.data] == [step_colour(s.name) for s in (ENTERED, TRAINING, WORK)]
    assert fig.layout.title.text == "Custody pathway by prison"
    assert fig.layout.yaxis.title.text == "Prison" and fig.layout.xaxis.title.text == "People"


def test_training_providers_chart_values() -> None:
    # P: 10 starts, 6 completed (0.6), 3 into work (0.3).
    providers = pd.DataFrame(
        {"partner": ["P"], "training_starts": [10], "training_completed": [6],
         "completion_rate": [0.6], "work_after_training": [3], "work_rate": [0.3],
         "median_days_to_work": [float("nan")]}
    )
    fig = training_providers_chart(providers)
    assert [list(t.x) for t in fig.data] == [[10], [6], [3]]
    assert [list(t.y) for t in fig.data] == [["P"]] * 3
    # starts and completions in training's colour (completions hatched), into work in work's
    assert [t.marker.color for t in fig.data] == [step_colour(TRAINING.name)] * 2 + [step_colour(WORK.name)]
    assert [t.marker.pattern.shape for t in fig.data] == ["", "/", ""]
    assert fig.layout.yaxis.title.text == "Training provider"
    assert fig.layout.xaxis.title.text == "People"
    assert "Training providers" in fig.layout.title.text


def test_employers_chart_values() -> None:
    employers = pd.DataFrame(
        {"partner": ["E1", "E2"], "job_starts": [8, 2], "job_sustained": [4, 0],
         "sustained_rate": [0.5, 0.0]}
    )
    fig = employers_chart(employers)
    assert [t.name for t in fig.data] == ["Job starts", "Sustained jobs"]
    assert list(fig.data[0].y) == ["E1", "E2"] and list(fig.data[1].x) == [4, 0]
    assert fig.layout.yaxis.title.text == "Employer"


# --------------------------------------------------------------------------- names from the data


def test_funnel_plot_draws_hostile_partner_names_literally() -> None:
    names = list(HOSTILE)
    n = len(names)
    comparison = pd.DataFrame(
        {"delivery_partner": names, "entered": [40] * n, "participants": [12] * n, "rate": [0.3] * n,
         "overall_rate": [0.3] * n, "lower_95": [0.16] * n, "upper_95": [0.45] * n,
         "lower_998": [0.1] * n, "upper_998": [0.52] * n, "position": ["within"] * n,
         "outside_998": [False] * n}
    )
    before = comparison.copy()
    fig = funnel_plot(comparison, _limits(), step=WORK.name)
    within = next(t for t in fig.data if t.name == "Within the 95% limits")
    assert list(within.text) == [HOSTILE[name] for name in names]
    assert [a.text for a in fig.layout.annotations if a.xref == "x"] == [HOSTILE[name] for name in names]
    assert_drawn_literally(fig)
    pd.testing.assert_frame_equal(comparison, before)


def test_step_bars_draw_hostile_prison_names_literally_in_order() -> None:
    names = list(HOSTILE)
    frame = pd.DataFrame(
        {"prison": [name for name in names for _ in range(3)],
         "step": [ENTERED.name, TRAINING.name, WORK.name] * len(names),
         "participants": [10, 4, 2] * len(names), "rate_from_entry": [1.0, 0.4, 0.2] * len(names)}
    )
    before = frame.copy()
    fig = step_bars(frame, by="prison", group_label="Prison", title="By prison")
    # every prison entered 10: ranked by value, ties by name
    assert [list(t.y) for t in fig.data] == [[HOSTILE[name] for name in sorted(names)]] * 3
    assert_drawn_literally(fig)
    pd.testing.assert_frame_equal(frame, before)


def test_provider_and_employer_bars_draw_hostile_names_literally() -> None:
    names = list(HOSTILE)
    n = len(names)
    providers = pd.DataFrame(
        {"partner": names, "training_starts": [10] * n, "training_completed": [6] * n,
         "completion_rate": [0.6] * n, "work_after_training": [3] * n, "work_rate": [0.3] * n,
         "median_days_to_work": [float("nan")] * n}
    )
    employers = pd.DataFrame(
        {"partner": names, "job_starts": [8] * n, "job_sustained": [4] * n, "sustained_rate": [0.5] * n}
    )
    for frame, fig in ((providers, training_providers_chart(providers)), (employers, employers_chart(employers))):
        # equal values: ranked by value, ties by name
        assert all(list(t.y) == [HOSTILE[name] for name in sorted(names)] for t in fig.data)
        assert_drawn_literally(fig)
        assert frame["partner"].to_list() == names  # the frame keeps the raw names


def test_bars_are_ranked_by_value_not_by_name() -> None:
    frame = pd.DataFrame({
        "delivery_partner": [p for p in ("Alpha", "Beta", "Gamma") for _ in range(2)],
        "step": [ENTERED.name, WORK.name] * 3,
        "participants": [50, 10, 200, 20, 120, 60],
        "rate_from_entry": [1.0, 0.2, 1.0, 0.1, 1.0, 0.5],
    })
    fig = step_bars(frame, by="delivery_partner", group_label="Delivery partner", title="t")
    # entered: Beta 200, Gamma 120, Alpha 50
    assert [list(t.y) for t in fig.data] == [["Beta", "Gamma", "Alpha"]] * 2
    assert list(fig.data[1].x) == [20, 60, 10]
    employers = pd.DataFrame({"partner": ["A", "B", "C"], "job_starts": [3, float("nan"), 9],
                              "job_sustained": [1, 2, 3], "sustained_rate": [0.3, 0.5, 0.3]})
    # most job starts first; a suppressed figure ([c], NaN) last
    assert list(employers_chart(employers).data[0].y) == ["C", "A", "B"]
