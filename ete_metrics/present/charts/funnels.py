"""Charts of the funnel view: the entry funnel, conversion between steps, monthly activity.

Builders take the tidy frames of :mod:`ete_metrics.metrics.funnel` and
:mod:`ete_metrics.metrics.activity` and return styled Plotly figures; they never compute
programme numbers.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from ete_metrics.present.charts.style import (
    apply_style,
    group_colour,
    plotly_text,
    step_colour,
)
from ete_metrics.steps import label


def _steps(frame: pd.DataFrame) -> list[str]:
    return list(dict.fromkeys(frame["step"].astype(str)))


def funnel_chart(
    frame: pd.DataFrame,
    *,
    by: str | None = None,
    title: str = "People at each step of the programme",
) -> go.Figure:
    """Bars of people at each funnel step, optionally one bar series per group.

    Parameters
    ----------
    frame : pandas.DataFrame
        Output of :func:`ete_metrics.metrics.funnel.funnel` or
        :func:`ete_metrics.metrics.funnel.referral_funnel`: ``[*by, step, participants,
        rate_from_entry, rate_from_previous, ...]``.
    by : str, optional
        The grouping column of ``frame`` (at most one); each group is one colour.
    title : str
        Chart title.

    Returns
    -------
    plotly.graph_objects.Figure
        One ``Bar`` trace (no ``by``) or one per group; x = step names in the
        frame's order, y = participants; hover shows the count and the rate from
        the first step.
    """
    fig = go.Figure()
    steps = _steps(frame)
    first = label(steps[0]).lower() if steps else "entered"
    groups: list[tuple[str, str, pd.DataFrame]]
    if by is None:
        groups = [("All", "All", frame)]
    else:
        groups = [(plotly_text(g), str(g), part) for g, part in frame.groupby(by, sort=False, dropna=False)]
    for i, (name, group, part) in enumerate(groups):
        fig.add_trace(
            go.Bar(
                x=[label(s) for s in part["step"].astype(str)],
                y=part["participants"].to_list(),
                name=name,
                # one series: each step in its own colour (never London's navy); by group:
                # each group's colour (a region's own)
                marker_color=([step_colour(s, n) for n, s in enumerate(part["step"].astype(str))]
                              if by is None else group_colour(by, group, i)),
                customdata=part[["rate_from_entry", "rate_from_previous"]].to_numpy(),
                hovertemplate=(
                    ("" if by is None else f"{label(by)}: %{{fullData.name}}<br>")
                    + "%{x}: %{y:,} people<br>"
                    + f"%{{customdata[0]:.1%}} of {first}<br>"
                    + "%{customdata[1]:.1%} of the previous step<extra></extra>"
                ),
                text=[f"{v:,}" for v in part["participants"]],
                textposition="outside" if by is None else "none",
            )
        )
    return apply_style(
        fig,
        title=title,
        x_title="Step",
        y_title="People",
        legend_title=label(by) if by else None,
        layout={
            "barmode": "group",
            "showlegend": by is not None,
            "xaxis": {"categoryorder": "array", "categoryarray": [label(s) for s in steps]},
            "yaxis": {"tickformat": ",d"},
        },
    )


def conversion_chart(
    frame: pd.DataFrame,
    *,
    by: str | None = None,
    title: str = "Conversion from the previous step",
) -> go.Figure:
    """Bars of each step's rate from the previous step (where people drop off).

    Parameters
    ----------
    frame : pandas.DataFrame
        A funnel frame (see :func:`funnel_chart`). The first step, which has no
        previous step, is left out.
    by : str, optional
        The grouping column; one colour per group.
    title : str
        Chart title.

    Returns
    -------
    plotly.graph_objects.Figure
        x = "Entered → Into training"-style transitions, y = ``rate_from_previous``
        (percent axis).
    """
    fig = go.Figure()
    steps = _steps(frame)
    labels = {steps[i]: f"{label(steps[i - 1])} → {label(steps[i])}" for i in range(1, len(steps))}
    shown = frame.loc[frame["step"].astype(str).isin(list(labels))]
    if by is None:
        groups = [("All", "All", shown)]
    else:
        groups = [(plotly_text(g), str(g), part) for g, part in shown.groupby(by, sort=False, dropna=False)]
    for i, (name, group, part) in enumerate(groups):
        fig.add_trace(
            go.Bar(
                x=[labels[s] for s in part["step"].astype(str)],
                y=part["rate_from_previous"].to_list(),
                name=name,
                marker_color=group_colour(by, group, i),
                customdata=part[["participants"]].to_numpy(),
                hovertemplate=(
                    ("" if by is None else f"{label(by)}: %{{fullData.name}}<br>")
                    + "%{x}: %{y:.1%}<br>%{customdata[0]:,} people reached the step<extra></extra>"
                ),
            )
        )
    return apply_style(
        fig,
        title=title,
        x_title="Step",
        y_title="Percent of the previous step",
        percent_axis=True,
        legend_title=label(by) if by else None,
        layout={
            "barmode": "group",
            "showlegend": by is not None,
            "xaxis": {"categoryorder": "array", "categoryarray": list(labels.values())},
        },
    )


def activity_chart(
    frame: pd.DataFrame,
    *,
    title: str = "People entering, and starting training and work, each month",
) -> go.Figure:
    """Lines of monthly activity: entries and first training and job starts per month.

    Parameters
    ----------
    frame : pandas.DataFrame
        Output of :func:`ete_metrics.metrics.activity.monthly_activity` without ``by``:
        ``[month, measure, participants]``.
    title : str
        Chart title.

    Returns
    -------
    plotly.graph_objects.Figure
        One line per measure (entered, training, work) in palette order;
        x = month, y = participants.
    """
    fig = go.Figure()
    measures = list(dict.fromkeys(frame["measure"].astype(str)))
    for i, measure in enumerate(measures):
        part = frame.loc[frame["measure"].astype(str) == measure].sort_values("month")
        fig.add_trace(
            go.Scatter(
                x=part["month"].to_list(),
                y=part["participants"].to_list(),
                mode="lines+markers",
                name=label(measure),
                line={"color": step_colour(measure, i), "width": 2},
                marker={"size": 5},
                hovertemplate=f"{label(measure)}<br>%{{x|%b %Y}}: %{{y:,}} people<extra></extra>",
            )
        )
    return apply_style(
        fig, title=title, x_title="Month", y_title="People", legend_title="Measure",
        layout={"xaxis": {"tickformat": "%b %Y"}, "yaxis": {"tickformat": ",d"}},
    )
