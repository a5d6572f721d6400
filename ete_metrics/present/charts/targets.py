"""Charts of contract targets: cumulative actual against cumulative target.

Builders take the tidy frames of :mod:`ete_metrics.metrics.targets` and return styled
Plotly figures; they never compute programme numbers.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from ete_metrics.present.charts.style import (
    apply_style,
    colour,
    plotly_text,
    reference_line,
    region_colour,
    step_colour,
)
from ete_metrics.steps import label


def targets_chart(
    frame: pd.DataFrame,
    *,
    measure: str,
    title: str | None = None,
) -> go.Figure:
    """Lines of cumulative actual (solid) and cumulative target (dotted) per region.

    Parameters
    ----------
    frame : pandas.DataFrame
        Output of :func:`ete_metrics.metrics.targets.targets_vs_actual`: ``[region,
        period_start, measure, target, actual, cumulative_target,
        cumulative_actual, percent_achieved, rag]``.
    measure : str
        Which measure to draw (``referred``, ``entered``, ``training``, ``work``).
    title : str, optional
        Chart title (default "<Measure>: cumulative actual against target, by region").

    Returns
    -------
    plotly.graph_objects.Figure
        Two ``Scatter`` traces per region in palette order: ``<region> actual``
        (solid) and ``<region> target`` (dotted), x = period_start.
    """
    traces: list[go.Scatter] = []
    part = frame.loc[frame["measure"].astype(str) == measure]
    measure_label = label(measure)
    for i, (region, rows) in enumerate(part.groupby("region", sort=False)):
        rows = rows.sort_values("period_start")
        shown = plotly_text(region)  # drawn in the legend and hover text, literally
        # (column, name suffix, line style, hover data, hover template): actual, then target
        lines = (
            (
                "cumulative_actual",
                "actual",
                {"width": 2.5},
                rows[["cumulative_target", "percent_achieved"]].to_numpy(),
                f"%{{fullData.name}}<br>%{{x|%b %Y}}: %{{y:,}} {measure_label.lower()} to date<br>"
                "Target to date %{customdata[0]:,} (%{customdata[1]:.1%} achieved)<extra></extra>",
            ),
            (
                "cumulative_target",
                "target",
                {"width": 1.5, "dash": "dot"},
                None,
                "%{fullData.name}<br>%{x|%b %Y}: %{y:,} to date<extra></extra>",
            ),
        )
        for column, suffix, style, customdata, hover in lines:
            traces.append(
                go.Scatter(
                    x=rows["period_start"].to_list(),
                    y=rows[column].to_list(),
                    mode="lines",
                    name=f"{shown} {suffix}",
                    legendgroup=shown,
                    line={"color": region_colour(region, i), **style},
                    customdata=customdata,
                    hovertemplate=hover,
                )
            )
    # one Figure from all the traces: add_trace re-validates the figure's data on every call
    return apply_style(
        go.Figure(data=traces),
        title=title or f"{measure_label}: cumulative actual against target, by region",
        x_title="Period",
        y_title="People (cumulative)",
        legend_title="Region",
        layout={"xaxis": {"tickformat": "%b %Y"}, "yaxis": {"tickformat": ",d"}},
    )


def target_progress_chart(summary: pd.DataFrame, *, title: str | None = None) -> go.Figure:
    """Bars of percent of target achieved to date, per region and measure.

    Parameters
    ----------
    summary : pandas.DataFrame
        Output of :func:`ete_metrics.metrics.targets.target_summary`: ``[region, measure,
        actual_to_date, target_to_date, percent_achieved, rag, ...]``.
    title : str, optional
        Chart title.

    Returns
    -------
    plotly.graph_objects.Figure
        One ``Bar`` trace per measure, x = region, y = ``percent_achieved``
        (percent axis) and a reference line at 100%.
    """
    fig = go.Figure()
    measures = list(dict.fromkeys(summary["measure"].astype(str)))
    for i, measure in enumerate(measures):
        part = summary.loc[summary["measure"].astype(str) == measure]
        fig.add_trace(
            go.Bar(
                x=[plotly_text(v) for v in part["region"].astype(str)],
                y=part["percent_achieved"].astype(float).to_list(),
                name=label(measure),
                marker_color=step_colour(measure, i),  # a measure is a step: its colour, not a region's
                customdata=pd.DataFrame(
                    {
                        "actual": part["actual_to_date"].to_numpy(),
                        "target": part["target_to_date"].to_numpy(),
                        "rag": [label(r) for r in part["rag"]],
                    }
                ).to_numpy(),
                hovertemplate=(
                    f"%{{x}} · {label(measure)}<br>%{{customdata[0]:,}} of %{{customdata[1]:,}} "
                    "to date: %{y:.1%} (%{customdata[2]})<extra></extra>"
                ),
            )
        )
    reference_line(fig, y=1.0, line={"color": colour(4), "width": 1, "dash": "dash"})
    return apply_style(
        fig,
        title=title or "Percent of target achieved to date",
        x_title="Region",
        y_title="Percent of target",
        percent_axis=True,
        legend_title="Measure",
        layout={"barmode": "group"},
    )
