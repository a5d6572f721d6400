"""Equality: work by protected characteristic."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from ete_metrics import views
from ete_metrics.present.report.content.model import ReportTable, ReportView
from ete_metrics.present.report.content.published import _chart_frame
from ete_metrics.steps import WORK

if TYPE_CHECKING:  # Plotly is loaded only where a chart is drawn: a workbook has none
    import plotly.graph_objects as go


def _equality_view(shown: pd.DataFrame, charts: bool = True) -> ReportView:
    figure: go.Figure | None = None
    if charts and len(shown):
        from ete_metrics.present.charts.equality import equality_chart

        figure = equality_chart(_chart_frame(shown), step=WORK.name)
    return ReportView(
        key="equality",
        title="Equality: work by protected characteristic",
        summary="Percent of entrants who started work in each group, with 95% intervals "
        "(Wilson), against the overall rate; the gap is in percentage points.",
        table=ReportTable(
            key="equality",
            title="Work by protected characteristic",
            data=shown.reset_index(drop=True),
            view=views.EQUALITY,
            labels={"participants": "In work", "rate": "% in work"},
        ),
        figure=figure,
    )

