"""Contract targets: to date with RAG, and against actuals quarter by quarter."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import pandas as pd

from ete_metrics import views
from ete_metrics.config import RAG_AMBER_FROM, RAG_GREEN_FROM
from ete_metrics.metrics.review import rag_table
from ete_metrics.metrics.targets import target_summary, targets_vs_actual
from ete_metrics.present.report.content.definitions import _WORDS
from ete_metrics.present.report.content.model import ReportTable, ReportView
from ete_metrics.present.report.content.published import _chart_frame, _present
from ete_metrics.steps import WORK

if TYPE_CHECKING:  # Plotly is loaded only where a chart is drawn: a workbook has none
    import plotly.graph_objects as go

#: Rows of the targets-against-actuals table shown on a slide or page (latest periods).
TARGET_PERIODS_SHOWN = 4


def _targets(
    participants: pd.DataFrame,
    milestones: pd.DataFrame,
    targets: pd.DataFrame,
    as_of: pd.Timestamp,
    regions: Sequence[str] | None,
    audience: str,
) -> ReportTable:
    summary = rag_table(target_summary(participants, milestones, targets, as_of=as_of, regions=regions))
    shown = _present(summary, views.TARGET_SUMMARY, audience)  # a hidden rate hides its RAG too
    return ReportTable(
        key="targets",
        title="Against contract targets, to date",
        data=shown.reset_index(drop=True),
        view=views.TARGET_SUMMARY,
    )


def _targets_view(targets: ReportTable, charts: bool = True) -> ReportView:
    figure: go.Figure | None = None
    if charts:
        from ete_metrics.present.charts.targets import target_progress_chart

        figure = target_progress_chart(_chart_frame(targets.data))
    return ReportView(
        key="targets",
        title="Against contract targets",
        summary="Actual to date against the target to date for each region and measure, with "
        f"RAG (green from {RAG_GREEN_FROM:.0%}, amber from {RAG_AMBER_FROM:.0%} of target) and a "
        "run-rate projection to the end of the contract.",
        table=targets,
        figure=figure,
    )


def _targets_vs_actual_view(
    participants: pd.DataFrame,
    milestones: pd.DataFrame,
    targets: pd.DataFrame,
    as_of: pd.Timestamp,
    regions: Sequence[str] | None,
    audience: str,
    charts: bool = True,
) -> ReportView:
    progress = targets_vs_actual(
        participants, milestones, targets, as_of=as_of, period="quarter", regions=regions
    )
    shown = _present(progress, views.TARGETS, audience)
    full = ReportTable(
        key="targets_vs_actual",
        title="Targets against actuals by region and quarter",
        data=shown.reset_index(drop=True),
        view=views.TARGETS,
        labels={"period_start": "Quarter from"},
    )
    work = shown.loc[shown["measure"] == WORK.name]
    periods = sorted(work["period_start"].dropna().unique())[-TARGET_PERIODS_SHOWN:]
    latest = work.loc[work["period_start"].isin(periods)]
    latest = latest.sort_values(["period_start", "region"], kind="stable")[
        ["region", "period_start", "cumulative_target", "cumulative_actual", "percent_achieved", "rag"]
    ]
    figure: go.Figure | None = None
    if charts and len(work):
        from ete_metrics.present.charts.targets import targets_chart

        figure = targets_chart(_chart_frame(work.reset_index(drop=True)), measure=WORK.name)
    return ReportView(
        key="targets_vs_actual",
        title="Targets against actuals: work",
        summary="Cumulative people in work against the cumulative target, quarter by quarter, "
        f"per region; the table shows the latest {_WORDS.get(TARGET_PERIODS_SHOWN, TARGET_PERIODS_SHOWN)} "
        "quarters.",
        table=ReportTable(
            key="targets_vs_actual_work",
            title="Work against target, latest quarters",
            data=latest.reset_index(drop=True),
            view=views.TARGETS,
            labels={"period_start": "Quarter from"},
        ),
        figure=figure,
        more_tables=(full,),
    )

