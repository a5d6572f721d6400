"""Tests of ete_metrics.present.charts.equality: title, axes, palette, error bars, reference line."""

from __future__ import annotations

import pandas as pd
import pytest
from chart_text_support import HOSTILE, assert_drawn_literally

from ete_metrics.config import PALETTE
from ete_metrics.present.charts.equality import equality_chart
from ete_metrics.present.charts.style import step_colour
from ete_metrics.steps import TRAINING, WORK


def _frame() -> pd.DataFrame:
    # 10 entered, 4 in work: overall 0.4. Female 3/5 = 0.6 (gap +0.2), Male 1/5 = 0.2 (gap -0.2);
    # Disability Yes 1/2 = 0.5 (gap +0.1), No 3/8 = 0.375 (gap -0.025). Intervals made up.
    return pd.DataFrame(
        {
            "characteristic": ["gender", "gender", "disability", "disability"],
            "group": ["Female", "Male", "No", "Yes"],
            "entered": [5, 5, 8, 2],
            "participants": [3, 1, 3, 1],
            "rate": [0.6, 0.2, 0.375, 0.5],
            "ci_low": [0.23, 0.04, 0.14, 0.09],
            "ci_high": [0.88, 0.62, 0.69, 0.91],
            "overall_rate": [0.4] * 4,
            "gap": [0.2, -0.2, -0.025, 0.1],
        }
    )


def test_equality_chart_points_error_bars_and_overall_line() -> None:
    fig = equality_chart(_frame(), step=WORK.name)
    assert [t.name for t in fig.data] == ["Gender", "Disability"]
    gender, disability = fig.data
    assert list(gender.x) == [0.6, 0.2]
    assert list(gender.y) == ["Gender: Female", "Gender: Male"]
    assert list(disability.y) == ["Disability: No", "Disability: Yes"]
    # Error bars reach the interval: 0.6 + 0.28 = 0.88, 0.6 - 0.37 = 0.23.
    assert list(gender.error_x.array) == pytest.approx([0.28, 0.42])
    assert list(gender.error_x.arrayminus) == pytest.approx([0.37, 0.16])
    # the work step's colour, never a region's; each characteristic its own shape (issue 26 item 11)
    assert gender.marker.color == disability.marker.color == step_colour(WORK.name)
    assert gender.marker.color not in PALETTE[:4]
    assert gender.marker.symbol != disability.marker.symbol
    lines = [s for s in fig.layout.shapes if s.type == "line"]
    assert len(lines) == 1 and lines[0].x0 == 0.4
    assert fig.layout.xaxis.title.text == "Percent in work"
    assert fig.layout.yaxis.title.text == "Group"
    assert fig.layout.xaxis.tickformat == ".0%"
    assert "in work" in fig.layout.title.text


def test_equality_chart_of_an_empty_frame_has_no_traces() -> None:
    fig = equality_chart(_frame().iloc[0:0], step=TRAINING.name)
    assert len(fig.data) == 0
    assert fig.layout.xaxis.title.text == "Percent in training"


def test_equality_chart_draws_hostile_group_names_literally() -> None:
    names = list(HOSTILE)
    n = len(names)
    frame = pd.DataFrame(
        {"characteristic": ["ethnicity"] * n, "group": names, "entered": [10] * n,
         "participants": [4] * n, "rate": [0.4] * n, "ci_low": [0.2] * n, "ci_high": [0.6] * n,
         "overall_rate": [0.4] * n, "gap": [0.0] * n}
    )
    before = frame.copy()
    fig = equality_chart(frame, step=WORK.name)
    # "Ethnicity: " has nothing to escape: each row is it followed by the escaped group.
    assert list(fig.data[0].y) == [f"Ethnicity: {HOSTILE[g]}" for g in names]
    assert fig.data[0].name == "Ethnicity"
    assert_drawn_literally(fig)
    pd.testing.assert_frame_equal(frame, before)
