"""Charts of the regions view: rates side by side and the Spiegelhalter funnel plot.

Builders take the tidy frames of :mod:`ete_metrics.metrics.funnel` and
:mod:`ete_metrics.metrics.comparison` and return styled Plotly figures; they never
compute programme numbers.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from ete_metrics.present.charts.partners import funnel_plot
from ete_metrics.present.charts.style import (
    apply_style,
    colour,
    plotly_text,
    region_colour,
    step_colour,
)
from ete_metrics.steps import WORK, label


def rates_by_group_chart(
    frame: pd.DataFrame,
    *,
    by: str = "region",
    title: str | None = None,
) -> go.Figure:
    """Grouped bars of the rate from entry at each step, per group, with 95% intervals.

    Parameters
    ----------
    frame : pandas.DataFrame
        Output of :func:`ete_metrics.metrics.funnel.funnel` with ``by=[by]``: ``[<by>, step,
        participants, rate_from_entry, rate_from_previous, ci_low, ci_high]``.
        The first step (``entered``, or ``referred`` in a referral funnel; always
        100%) is left out.
    by : str
        The grouping column; x axis.
    title : str, optional
        Chart title (default "Percent of entrants reaching each step, by region").

    Returns
    -------
    plotly.graph_objects.Figure
        One ``Bar`` trace per step after the first, x = groups, y = ``rate_from_entry``
        with asymmetric error bars to ``ci_low`` / ``ci_high``.
    """
    fig = go.Figure()
    steps = list(dict.fromkeys(frame["step"].astype(str)))[1:]
    for i, step in enumerate(steps):
        part = frame.loc[frame["step"].astype(str) == step]
        rate = part["rate_from_entry"].astype(float)
        fig.add_trace(
            go.Bar(
                x=[plotly_text(v) for v in part[by].astype(str)],
                y=rate.to_list(),
                name=label(step),
                marker_color=step_colour(step, i + 1),
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": (part["ci_high"].astype(float) - rate).to_list(),
                    "arrayminus": (rate - part["ci_low"].astype(float)).to_list(),
                    "color": colour(4),
                    "thickness": 1,
                },
                customdata=part[["participants", "ci_low", "ci_high"]].to_numpy(),
                hovertemplate=(
                    f"{label(by)}: %{{x}}<br>{label(step)}: %{{customdata[0]:,}} people "
                    "(%{y:.1%} of entered)<br>95% interval %{customdata[1]:.1%} to "
                    "%{customdata[2]:.1%}<extra></extra>"
                ),
            )
        )
    return apply_style(
        fig,
        title=title or f"Percent of entrants reaching each step, by {label(by).lower()}",
        x_title=label(by),
        y_title="Percent of entered",
        percent_axis=True,
        legend_title="Step",
        layout={"barmode": "group"},
    )


def regions_funnel_plot(
    comparison: pd.DataFrame,
    limits: pd.DataFrame,
    *,
    step: str = WORK.name,
    by: str = "region",
) -> go.Figure:
    """Spiegelhalter funnel plot of regions (or areas): rate against size with control limits.

    Parameters
    ----------
    comparison : pandas.DataFrame
        Output of :func:`ete_metrics.metrics.comparison.compare_groups`.
    limits : pandas.DataFrame
        Output of :func:`ete_metrics.metrics.comparison.funnel_limits` for the same overall rate.
    step : str
        The step compared.
    by : str
        The grouping column (``region`` or ``area``).

    Returns
    -------
    plotly.graph_objects.Figure
        See :func:`ete_metrics.present.charts.partners.funnel_plot` (the same house funnel plot).
    """
    return funnel_plot(comparison, limits, by=by, step=step, group_label=label(by))


#: The programme's bars beside a part of it: a light grey no region, step or position takes.
PROGRAMME_COLOUR = "#BFC1C3"


def benchmark_chart(benchmark: pd.DataFrame, *, scope: str) -> go.Figure:
    """A part of the programme (a lead's region) beside the programme, step by step.

    Parameters
    ----------
    benchmark : pandas.DataFrame
        :func:`ete_metrics.metrics.comparison.programme_benchmark` (numbers; NaN where hidden).
    scope : str
        The part's name (``"Wales"``): its bars take the region's own colour.

    Returns
    -------
    plotly.graph_objects.Figure
        Two ``Bar`` traces, x = steps: the scope's rate with its 95% interval, and the
        programme's rate (every region; an aggregate).
    """
    steps = [label(s) for s in benchmark["step"].astype(str)]
    rate = benchmark["rate"].astype(float)
    fig = go.Figure()
    fig.add_trace(go.Bar(
        x=steps, y=rate.to_list(), name=plotly_text(scope), marker_color=region_colour(scope),
        error_y={"type": "data", "symmetric": False,
                 "array": (benchmark["ci_high"].astype(float) - rate).to_list(),
                 "arrayminus": (rate - benchmark["ci_low"].astype(float)).to_list(),
                 "color": colour(4), "thickness": 1},
        text=[f"{v:.1%}" if v == v else "" for v in rate], textposition="outside",
        hovertemplate="%{fullData.name}<br>%{x}: %{y:.1%} of entered<extra></extra>",
    ))
    programme = benchmark["programme_rate"].astype(float)
    fig.add_trace(go.Bar(
        x=steps, y=programme.to_list(), name="Programme (all regions)", marker_color=PROGRAMME_COLOUR,
        text=[f"{v:.1%}" if v == v else "" for v in programme], textposition="outside",
        hovertemplate="Programme (all regions)<br>%{x}: %{y:.1%} of entered<extra></extra>",
    ))
    return apply_style(
        fig,
        title=f"Percent of entrants reaching each step: {plotly_text(scope)} and the programme",
        x_title="Step",
        y_title="Percent of entered",
        percent_axis=True,
        layout={"barmode": "group"},
    )
