"""Chart builders of the adjusted comparison: what each figure draws from a small frame."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ete_metrics.config import PALETTE
from ete_metrics.metrics.standardised import ratio_limits
from ete_metrics.present.charts.standardised import ratio_funnel_plot, raw_and_adjusted_chart
from ete_metrics.present.charts.style import step_colour
from ete_metrics.steps import WORK


def _ratios() -> pd.DataFrame:
    # A: 12 observed of 10 expected (above); B: 5 of 7 (within); C suppressed (NaN: not drawn)
    return pd.DataFrame({
        "region": ["A", "B", "C"], "observed": [12, 5, np.nan], "expected": [10.0, 7.0, np.nan],
        "ratio": [1.2, 5 / 7, np.nan], "ratio_low": [0.62, 0.23, np.nan], "ratio_high": [2.1, 1.67, np.nan],
        "position": ["above", "within", "[c]"], "raw_rate": [0.4, 0.2, np.nan],
        "adjusted_rate": [0.36, 0.21, np.nan], "overall_rate": [0.3, 0.3, 0.3],
    })


def test_ratio_funnel_plot_draws_limits_and_groups() -> None:
    fig = ratio_funnel_plot(_ratios(), ratio_limits([5, 10, 20]), by="region", step=WORK.name)
    lines = [t for t in fig.data if t.mode == "lines"]
    markers = [t for t in fig.data if t.mode == "markers"]
    assert len(lines) == 4
    # one trace per position; the suppressed group is not drawn
    assert sorted(len(t.x) for t in markers) == [1, 1]
    assert {tuple(t.text) for t in markers} == {("A",), ("B",)}
    assert sorted(a.text for a in fig.layout.annotations if a.xref == "x") == ["A", "B"]  # named
    # the line at 1 (as expected)
    assert any(shape.y0 == 1.0 for shape in fig.layout.shapes)


def test_raw_and_adjusted_side_by_side() -> None:
    fig = raw_and_adjusted_chart(_ratios(), by="region", step=WORK.name)
    assert [t.name for t in fig.data] == ["Raw", "Adjusted for case mix"]
    assert list(fig.data[0].y[:2]) == [0.4, 0.2] and list(fig.data[1].y[:2]) == [0.36, 0.21]
    assert fig.layout.barmode == "group"
    # raw grey, adjusted in the step's colour: never a region's (issue 26 item 11)
    assert fig.data[1].marker.color == step_colour(WORK.name)
    assert not {t.marker.color for t in fig.data} & set(PALETTE[:4])
