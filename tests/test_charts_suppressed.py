"""ete_metrics.present.charts.suppressed.mark_suppressed: a suppressed bar or point reads [c].

The frames are protected by hand (as ``protect_view`` would show them: counts rounded to
5 or ``"[c]"``, rates blank where their count is), so every expected value is worked out
here, not copied from the code.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from apptest_support import tables_shown
from streamlit.testing.v1 import AppTest

from ete_metrics.present.charts.equality import equality_chart
from ete_metrics.present.charts.funnels import funnel_chart
from ete_metrics.present.charts.suppressed import mark_suppressed
from ete_metrics.protect.disclosure import SUPPRESSED, numeric_view
from ete_metrics.steps import ENTERED, TRAINING, WORK

C = SUPPRESSED


def _protected_funnel() -> pd.DataFrame:
    # 25 entered, training suppressed (a count of 1-4), 10 in work: 10/25 = 40.0%
    return pd.DataFrame({
        "step": [ENTERED.name, TRAINING.name, WORK.name],
        "participants": [25, C, 10],
        "rate_from_entry": [1.0, C, 0.4],
        "rate_from_previous": [np.nan, C, C],
        "ci_low": [0.87, C, 0.23], "ci_high": [1.0, C, 0.59],
    })


def test_a_suppressed_bar_is_drawn_at_zero_and_labelled_not_left_out() -> None:
    figure = mark_suppressed(funnel_chart(numeric_view(_protected_funnel())))
    bars = figure.data[0]
    assert list(bars.x) == ["Entered", "Into training", "Into work"]  # all three steps are there
    assert list(bars.y) == [25, 0, 10]
    assert list(bars.text) == ["25", C, "10"]  # 25.0 -> "25"; nan -> [c]
    assert bars.textposition == "outside"
    # hover: at the tables' precision (0.4 -> 40.0%), [c] where withheld, never NaN
    assert [list(row) for row in bars.customdata] == [["100.0%", C], [C, C], ["40.0%", C]]
    assert "customdata[0]}" in bars.hovertemplate and ":.1%" not in bars.hovertemplate


def test_a_suppressed_group_in_a_dot_plot_is_named_with_the_marker() -> None:
    protected = pd.DataFrame({
        "characteristic": ["gender", "gender"], "group": ["Female", "Male"],
        "entered": [C, 120], "participants": [C, 45], "rate": [C, 0.375],
        "ci_low": [C, 0.29], "ci_high": [C, 0.46], "overall_rate": [0.36, 0.36], "gap": [C, 0.015],
    })
    figure = mark_suppressed(equality_chart(numeric_view(protected), step=WORK.name))
    marks = [(a.y, a.text) for a in figure.layout.annotations if a.text == C]
    assert marks == [("Gender: Female", C)]
    hover = [list(row) for row in figure.data[0].customdata]
    assert hover[0] == [C, C, C, C, C]
    assert hover[1] == ["45", "120", "29.0%", "46.0%", "+1.5%"]  # 0.015 -> +1.5%


def test_nothing_suppressed_leaves_a_gap_a_gap() -> None:
    numbers = numeric_view(_protected_funnel().replace({C: np.nan}))
    figure = mark_suppressed(funnel_chart(numbers), suppressed=False)
    bars = figure.data[0]
    assert bars.y[1] is None or np.isnan(bars.y[1])
    assert list(bars.text) == ["25", C, "10"]  # only the label of a missing value is tidied
    assert not figure.layout.annotations


def _stakeholder_chart_app() -> None:
    import numpy as np
    import pandas as pd
    import streamlit as st

    from dashboard.filters import FILTERS_KEY, Filters
    from dashboard.render import chart_with_table
    from ete_metrics.present.charts.funnels import funnel_chart
    from ete_metrics.views import FUNNEL

    st.session_state[FILTERS_KEY] = Filters(as_of=pd.Timestamp("2024-05-31").date(), audience="stakeholder")
    raw = pd.DataFrame({
        "step": [ENTERED.name, TRAINING.name, WORK.name], "participants": [23, 3, 12],
        "rate_from_entry": [1.0, 3 / 23, 12 / 23], "rate_from_previous": [np.nan, 3 / 23, 12 / 3],
        "ci_low": [0.86, 0.05, 0.33], "ci_high": [1.0, 0.32, 0.71],
    })
    chart_with_table(funnel_chart, raw, FUNNEL, key="funnel", filename="funnel")


def test_the_dashboard_marks_a_suppressed_bar_for_stakeholders() -> None:
    import json

    at = AppTest.from_function(_stakeholder_chart_app, default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    bars = json.loads(at.get("plotly_chart")[0].proto.spec)["data"][0]
    # 23 -> 25, 3 suppressed (drawn at zero, labelled [c]), 12 -> 10
    assert bars["text"] == ["25", C, "10"]
    y = bars["y"]
    if isinstance(y, dict):  # plotly's typed array
        import base64

        y = np.frombuffer(base64.b64decode(y["bdata"]), dtype=y["dtype"]).tolist()
    assert list(y) == [25, 0, 10]
    assert tables_shown(at)[0].value["People"].tolist() == ["25", C, "10"]
