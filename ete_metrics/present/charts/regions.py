"""Charts of the regions view: rates side by side and the Spiegelhalter funnel plot.

Builders take the tidy frames of :mod:`ete_metrics.metrics.funnel` and
:mod:`ete_metrics.metrics.comparison` and return styled Plotly figures; they never
compute programme numbers.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from ete_metrics.present.charts.partners import funnel_plot
from ete_metrics.present.charts.style import apply_style, colour, plotly_text
from ete_metrics.steps import label


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
                marker_color=colour(i + 1),
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
    step: str = "work",
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
