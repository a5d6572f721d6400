"""The regions: compared with control limits, adjusted for case mix, and a part of the
programme against the programme."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from ete_metrics import views
from ete_metrics.metrics.comparison import funnel_limits
from ete_metrics.metrics.standardised import DEFAULT_ADJUST, ratio_limits
from ete_metrics.present.report.content.model import ReportTable, ReportView
from ete_metrics.present.report.content.published import _chart_frame
from ete_metrics.protect.audience import limit_sizes
from ete_metrics.steps import WORK

if TYPE_CHECKING:  # Plotly is loaded only where a chart is drawn: a workbook has none
    import plotly.graph_objects as go


def _regions_view(shown: pd.DataFrame, scope: str = "All regions", charts: bool = True) -> ReportView:
    shown = shown.drop(columns=["outside_998"], errors="ignore")
    figure: go.Figure | None = None
    numbers = _chart_frame(shown)
    if charts and len(shown) and numbers["entered"].notna().any():
        from ete_metrics.present.charts.regions import regions_funnel_plot

        # Limits are drawn around the overall rate as published, at sizes derived from the
        # figures shown (rounded for stakeholders): the chart reveals no unrounded count.
        limits = funnel_limits(float(numbers["overall_rate"].iloc[0]), limit_sizes(numbers["entered"]))
        figure = regions_funnel_plot(numbers, limits, step=WORK.name, by="region")
        _label_points(figure)
    table = ReportTable(
        key="regions",
        title="Regions compared with control limits (work)",
        data=shown.reset_index(drop=True),
        view=views.COMPARE,
        labels={"participants": "In work", "rate": "% in work", "overall_rate": f"{scope} %"},
    )
    return ReportView(
        key="regions",
        title="Regions compared with control limits",
        summary="Each region's percent of entrants who started work against the overall rate. "
        "The limits show where 95% and 99.8% of regions of that size would fall by chance "
        "(funnel plot, Spiegelhalter 2005).",
        table=table,
        figure=figure,
    )


def _benchmark_view(shown: pd.DataFrame, scope: str, charts: bool = True) -> ReportView:
    """A part of the programme (a lead's region) against the programme, step by step, as on the
    Regions page: an aggregate of every region beside it, never another region's figures."""
    figure: go.Figure | None = None
    numbers = _chart_frame(shown)
    if charts and len(shown):
        from ete_metrics.present.charts.regions import benchmark_chart

        figure = benchmark_chart(numbers, scope=scope)
    table = ReportTable(
        key="benchmark",
        title=f"{scope} against the programme",
        data=shown.reset_index(drop=True),
        view=views.BENCHMARK,
        labels={"entered": f"{scope} entered", "participants": f"{scope} reached",
                "rate": f"{scope} rate", "programme_entered": "Programme entered",
                "programme_participants": "Programme reached", "programme_rate": "Programme rate",
                "position": "Against programme's limits"},
    )
    return ReportView(
        key="benchmark",
        title=f"{scope} against the programme",
        summary=f"{scope}'s percent of entrants reaching each step beside the programme's (every "
        "region's people with the same filters, shown as an aggregate only). The position says "
        "whether the rate is outside the 95% limits around the programme's rate for a group of "
        f"this size. {scope} is not compared with itself.",
        table=table,
        figure=figure,
    )


def _adjusted_view(shown: pd.DataFrame, charts: bool = True) -> ReportView:
    """Regions compared after adjusting for case mix (observed / expected, the default adjustment)."""
    columns = ["region", "entered", "observed", "expected", "ratio", "ratio_low", "ratio_high",
               "raw_rate", "adjusted_rate", "position"]
    figure: go.Figure | None = None
    numbers = _chart_frame(shown, counts=("observed", "expected"))
    if charts and len(shown) and numbers["expected"].notna().any():
        from ete_metrics.present.charts.standardised import ratio_funnel_plot

        figure = ratio_funnel_plot(numbers, ratio_limits(limit_sizes(numbers["expected"])), by="region", step=WORK.name)
        _label_points(figure)
    adjusted = ", ".join(a.replace("_", " ") for a in DEFAULT_ADJUST)
    table = ReportTable(
        key="regions_adjusted",
        title=f"Regions adjusted for {adjusted} (work)",
        data=shown[columns].reset_index(drop=True),
        view=views.STANDARDISED,
        labels={"observed": "In work", "expected": "Expected", "ratio": "Observed / expected",
                "ratio_low": "Ratio 95% low", "ratio_high": "Ratio 95% high",
                "raw_rate": "% in work", "adjusted_rate": "Adjusted %"},
    )
    return ReportView(
        key="regions_adjusted",
        title="Regions adjusted for who they work with",
        summary=f"Observed against expected starts in work, given each region's mix of people ({adjusted}) "
        "and the programme-wide rates of people like them (indirect standardisation; exact Poisson "
        "limits). It does not adjust for need that is not recorded.",
        table=table,
        figure=figure,
    )


def _label_points(figure: go.Figure) -> None:
    """On paper there is no hover: each group is named next to its point already, by the
    chart (:func:`ete_metrics.present.charts.style.label_points`, laid out for a pack's
    size too, clear of each other and of the overall line's label); the counts get
    thousands separators (5,000 people, as everywhere else). In place."""
    figure.update_xaxes(tickformat=",d")

