"""The headline: the funnel now and a month earlier, what changed, the Overview's narrative,
and the funnel view (people at each step)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from ete_metrics import views
from ete_metrics.metrics.headline import headline
from ete_metrics.metrics.review import comparison_changes, month_comparison
from ete_metrics.metrics.targets import targets_vs_actual
from ete_metrics.present.formatting import count, percent, signed_count, signed_points, uk_date
from ete_metrics.present.narrative import narrative
from ete_metrics.present.report.content.model import ReportTable, ReportView
from ete_metrics.present.report.content.published import _chart_frame, _present
from ete_metrics.steps import ENTERED, label

if TYPE_CHECKING:  # Plotly is loaded only where a chart is drawn: a workbook has none
    import plotly.graph_objects as go


def _headline(
    now: pd.DataFrame, before: pd.DataFrame, as_of: pd.Timestamp, previous: pd.Timestamp
) -> tuple[ReportTable, tuple[str, ...]]:
    changes = headline(now, before)
    frame = changes.drop(columns="rate_change")
    table = ReportTable(
        key="headline",
        title=f"Headline figures as at {uk_date(as_of)}",
        data=frame,
        labels={"participants": "People", "change": f"Change since {uk_date(previous)}",
                "participants_month_earlier": f"People at {uk_date(previous)}",
                "rate_month_earlier": f"% of entered at {uk_date(previous)}"},
        view=views.HEADLINE,
    )
    sentences: list[str] = []
    for row in changes.itertuples(index=False):
        name = label(str(row.step))
        if isinstance(row.participants, str):
            sentences.append(f"{name}: {row.participants} (figure suppressed).")
            continue
        text = f"{name}: {count(row.participants)}"
        if not isinstance(row.change, str):
            text += f", {signed_count(row.change)} since {uk_date(previous)}"
        if row.step != ENTERED.name and not isinstance(row.rate_from_entry, str):
            text += f"; {percent(row.rate_from_entry)} of people entered"
            rate_change: Any = row.rate_change
            if not isinstance(rate_change, str) and pd.notna(rate_change):
                text += f" ({signed_points(rate_change)})"
        sentences.append(text + ".")
    return table, tuple(sentences)


def _summary(
    participants: pd.DataFrame,
    milestones: pd.DataFrame,
    targets: pd.DataFrame,
    as_of: pd.Timestamp,
    previous: pd.Timestamp,
    regions: Sequence[str] | None,
    audience: str,
    headline: ReportTable,
    target_table: ReportTable,
    scope: str,
) -> tuple[str, ...]:
    """The narrative of the Overview, from the same shown figures (headline, RAG table, month)."""
    monthly = targets_vs_actual(participants, milestones, targets, as_of=as_of, period="month", regions=regions)
    comparison = comparison_changes(_present(month_comparison(monthly, targets, as_of=as_of, regions=regions),
                                             views.MONTH_COMPARISON, audience))
    rag = target_table.data
    named = scope if scope in set(rag["region"].astype(str)) else str(rag["region"].iloc[0]) if len(rag) else scope
    return narrative(headline.data, comparison, rag, as_of=as_of.date(), previous=previous.date(),
                     scope=named, audience=audience)


def _funnel_view(headline: ReportTable, as_of: pd.Timestamp, charts: bool = True) -> ReportView:
    data = headline.data[
        ["step", "participants", "rate_from_entry", "rate_from_previous", "ci_low", "ci_high"]
    ]
    table = ReportTable(
        key="funnel",
        title="People at each step",
        data=data.reset_index(drop=True),
        view=views.FUNNEL,
    )
    figure: go.Figure | None = None
    if charts:
        from ete_metrics.present.charts.funnels import funnel_chart

        figure = funnel_chart(_chart_frame(data), title=f"People at each step, as at {uk_date(as_of)}")
    return ReportView(
        key="funnel",
        title="From entry to training and work",
        summary="People who entered the programme, and how many of them have started training, "
        "started work and sustained work; percentages are of people entered, with 95% intervals.",
        table=table,
        figure=figure,
    )

