"""Cohorts: time to work by quarter of entry."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ete_metrics import views
from ete_metrics.metrics.cohorts import cohort_curves
from ete_metrics.present.report.content.model import ReportTable, ReportView
from ete_metrics.present.report.content.published import _chart_frame, _present
from ete_metrics.steps import WORK

if TYPE_CHECKING:  # Plotly is loaded only where a chart is drawn: a workbook has none
    import plotly.graph_objects as go

#: Months since entry summarised in the cohort table of decks and packs.
COHORT_MONTHS: tuple[int, ...] = (3, 6, 12, 18, 24)


def _cohorts_view(
    participants: pd.DataFrame,
    milestones: pd.DataFrame,
    as_of: pd.Timestamp,
    audience: str,
    dates: Mapping[str, Any],
    charts: bool = True,
) -> ReportView:
    curves = cohort_curves(
        participants, milestones, cohort="entry_quarter", outcome=WORK.name, as_of=as_of, **dates
    )
    shown = _present(curves, views.COHORT_CURVES, audience)
    long_table = ReportTable(
        key="cohort_curves",
        title="Cumulative percent in work by months since entry, by quarter of entry",
        data=shown.reset_index(drop=True),
        view=views.COHORT_CURVES,
    )
    rows: list[dict[str, Any]] = []
    for cohort, part in shown.groupby("cohort", sort=True, observed=True):
        by_month = dict(zip(part["months_since_entry"].astype(int), part["cumulative_rate"], strict=True))
        first = part.loc[part["months_since_entry"] == part["months_since_entry"].min()]
        row: dict[str, Any] = {
            "cohort": str(cohort),
            "cohort_size": first["cohort_size"].iloc[0] if len(first) else np.nan,
        }
        for month in COHORT_MONTHS:
            row[f"work_by_{month}_months"] = by_month.get(month, np.nan)
        rows.append(row)
    rate_columns = tuple(f"work_by_{m}_months" for m in COHORT_MONTHS)
    summary = pd.DataFrame(rows, columns=["cohort", "cohort_size", *rate_columns])
    for column in rate_columns:
        summary[column] = summary[column].astype(object)
    summary["cohort_size"] = summary["cohort_size"].astype(object)
    figure: go.Figure | None = None
    if charts and len(curves):
        from ete_metrics.present.charts.cohorts import cohort_curves_chart, latest_cohorts

        chosen = latest_cohorts(curves, limit=8)
        if chosen:
            figure = cohort_curves_chart(
                _chart_frame(shown.loc[shown["cohort"].isin(chosen)].reset_index(drop=True)),
                outcome=WORK.name,
                cohorts=chosen,
            )
    return ReportView(
        key="cohorts",
        title="Cohorts: time to work",
        summary="Cumulative percent of each quarter's entrants who had started work, by months "
        "since entry; a cohort is followed only as far as all its members have been. "
        "The chart shows the latest eight cohorts.",
        table=ReportTable(
            key="cohorts",
            title="Percent in work by months since entry",
            data=summary,
            view=views.COHORT_SUMMARY,
        ),
        figure=figure,
        more_tables=(long_table,),
    )

