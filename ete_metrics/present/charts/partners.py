"""Charts of the partners view: delivery partners, training providers, employers, prisons.

Builders take the tidy frames of :mod:`ete_metrics.metrics.comparison` and
:mod:`ete_metrics.metrics.partners` and return styled Plotly figures; they never compute
programme numbers.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ete_metrics.present.charts.style import (
    FUNNEL_HEIGHT,
    apply_style,
    colour,
    funnel_ranges,
    label_points,
    label_sides,
    plotly_text,
    position_marker,
    reference_line,
    step_colour,
)
from ete_metrics.steps import SUSTAINED, TRAINING, WORK, label, phrase

_POSITION_LABELS: dict[str, str] = {
    "above": "Above the 95% limits",
    "within": "Within the 95% limits",
    "below": "Below the 95% limits",
}


def funnel_plot(
    comparison: pd.DataFrame,
    limits: pd.DataFrame,
    *,
    by: str = "delivery_partner",
    step: str = WORK.name,
    group_label: str = "Delivery partner",
) -> go.Figure:
    """Spiegelhalter funnel plot: each group's rate against its size, with control limits.

    Parameters
    ----------
    comparison : pandas.DataFrame
        Output of :func:`ete_metrics.metrics.comparison.compare_groups`: ``[<by>, entered,
        participants, rate, overall_rate, lower_95, upper_95, lower_998, upper_998,
        position, ...]``.
    limits : pandas.DataFrame
        Output of :func:`ete_metrics.metrics.comparison.funnel_limits` for the same overall
        rate: ``[entered, lower_95, upper_95, lower_998, upper_998]``.
    by : str
        The grouping column of ``comparison``.
    step : str
        The step compared (title and hover text).
    group_label : str
        What a group is called, e.g. "Delivery partner".

    Returns
    -------
    plotly.graph_objects.Figure
        Four limit lines (95% dashed, 99.8% dotted), a horizontal line at the overall
        rate and one marker trace per position (above / within / below the 95%
        limits; :data:`~ete_metrics.present.charts.style.POSITION_COLOURS`, never a
        region's colour) with x = entered, y = rate (percent axis), each point named
        beside it, no name over another or over the overall line's label, a name moved
        off its point with a leader line (:func:`~ete_metrics.present.charts.style.label_points`;
        axes' ranges and height fixed for that layout).
    """
    step_label = phrase(step)
    fig = go.Figure()
    limits = limits.sort_values("entered")
    # NumPy arrays, not lists: Plotly takes them without checking each value.
    x = limits["entered"].to_numpy()
    for column, name, dash in (
        ("upper_998", "99.8% limits", "dot"),
        ("upper_95", "95% limits", "dash"),
        ("lower_95", "95% limits", "dash"),
        ("lower_998", "99.8% limits", "dot"),
    ):
        fig.add_trace(
            go.Scatter(
                x=x,
                y=limits[column].to_numpy(dtype=float),
                mode="lines",
                name=name,
                legendgroup=name,
                showlegend=column.startswith("upper"),
                line={"color": colour(4), "dash": dash, "width": 1},
                hovertemplate=f"{name}<br>%{{x:,}} entered: %{{y:.1%}}<extra></extra>",
            )
        )
    if len(comparison):
        overall = float(comparison["overall_rate"].iloc[0])
        reference_line(
            fig,
            y=overall,
            line={"color": colour(4), "width": 1.5},
            annotation_text=f"Overall {overall:.1%}",
            annotation_position="top right",
        )
    for position in ("above", "within", "below"):
        part = comparison.loc[comparison["position"] == position]
        if part.empty:
            continue
        fig.add_trace(
            go.Scatter(
                x=part["entered"].to_list(),
                y=part["rate"].to_list(),
                mode="markers",  # each point named beside it by label_points, below
                cliponaxis=False,  # a point at the plot's edge is not cut off
                name=_POSITION_LABELS[position],
                marker=position_marker(position),
                text=[plotly_text(v) for v in part[by].astype(str)],
                customdata=part[["participants"]].to_numpy(),
                hovertemplate=(
                    f"{group_label}: %{{text}}<br>Entered: %{{x:,}}<br>"
                    f"{step_label.capitalize()}: %{{customdata[0]:,}} (%{{y:.1%}})<extra></extra>"
                ),
            )
        )
    x_range, y_range = funnel_ranges(
        [limits["entered"], comparison["entered"]],
        [limits[c] for c in ("lower_998", "upper_998", "lower_95", "upper_95")] + [comparison["rate"]],
    )
    if len(comparison):
        label_points(
            fig, comparison["entered"], comparison["rate"],
            [plotly_text(v) for v in comparison[by].astype(str)],
            x_range=x_range, y_range=y_range,
            above=[side == "top center" for side in label_sides(
                comparison["rate"], comparison["lower_95"], comparison["upper_95"],
                float(comparison["overall_rate"].iloc[0]))],
            lines=[(limits["entered"], limits[c]) for c in ("lower_998", "upper_998", "lower_95", "upper_95")],
            line_labels=[(f"Overall {overall:.1%}", overall)],
            legend_names=[*_POSITION_LABELS.values(), "99.8% limits"],
        )
    return apply_style(
        fig,
        title=f"Percent {step_label} by {group_label.lower()}, against the funnel limits",
        x_title="People entered",
        y_title=f"Percent {step_label}",
        percent_axis=True,
        layout={"height": FUNNEL_HEIGHT, "xaxis": {"range": list(x_range)}, "yaxis": {"range": list(y_range)}},
    )


def step_bars(
    funnel_frame: pd.DataFrame,
    *,
    by: str,
    group_label: str,
    title: str,
) -> go.Figure:
    """Grouped bars of a funnel by group: people at each step, one colour per step.

    Parameters
    ----------
    funnel_frame : pandas.DataFrame
        A funnel (:func:`ete_metrics.metrics.funnel.funnel` with ``by=[by]``, e.g.
        :func:`ete_metrics.metrics.partners.delivery_partners` or
        :func:`ete_metrics.metrics.partners.prisons`): ``[<by>, step, participants,
        rate_from_entry, ...]``.
    by : str
        The grouping column.
    group_label : str
        Axis title for the groups.
    title : str
        Chart title.

    Returns
    -------
    plotly.graph_objects.Figure
        One horizontal ``Bar`` trace per step in the frame's step order: y = group,
        x = participants (horizontal so long names stay readable).
    """
    fig = go.Figure()
    step_names = funnel_frame["step"].astype(str).to_numpy()  # once, not once per step
    steps = list(dict.fromkeys(step_names))
    if steps:  # groups ranked by the first step's people (most first), not by name
        first = funnel_frame.loc[step_names == steps[0]]
        order = ranked(first[by], first["participants"])
        funnel_frame = funnel_frame.iloc[
            np.argsort(funnel_frame[by].astype(str).map(order).to_numpy(), kind="stable")
        ]
        step_names = funnel_frame["step"].astype(str).to_numpy()
    for i, step in enumerate(steps):
        part = funnel_frame.loc[step_names == step]
        fig.add_trace(
            go.Bar(
                y=[plotly_text(v) for v in part[by].astype(str)],
                x=part["participants"].to_list(),
                orientation="h",
                name=label(step),
                marker_color=step_colour(step, i),
                customdata=part[["rate_from_entry"]].to_numpy(),
                hovertemplate=(
                    f"{group_label}: %{{y}}<br>{label(step)}: "
                    "%{x:,} (%{customdata[0]:.1%} of entered)<extra></extra>"
                ),
            )
        )
    groups = funnel_frame[by].nunique() if len(funnel_frame) else 0
    return apply_style(
        fig, title=title, x_title="People", y_title=group_label, legend_title="Step",
        layout=_bars_layout(groups, len(steps)),
    )


def training_providers_chart(providers: pd.DataFrame) -> go.Figure:
    """Bars per training provider: training starts, completions and work after training.

    Parameters
    ----------
    providers : pandas.DataFrame
        Output of :func:`ete_metrics.metrics.partners.training_providers`.

    Returns
    -------
    plotly.graph_objects.Figure
        Three horizontal ``Bar`` traces (``training_starts``,
        ``training_completed``, ``work_after_training``): y = provider, x = people.
    """
    series = (  # each in its step's colour; completions hatched in training's
        ("training_starts", "Training starts", None, TRAINING.name),
        ("training_completed", "Completed training", "completion_rate", TRAINING.name),
        ("work_after_training", "Into work after training", "work_rate", WORK.name),
    )
    return _count_bars(
        providers, series, title="Training providers: starts, completions and onward into work",
        x_title="Training provider",
    )


def employers_chart(employers: pd.DataFrame) -> go.Figure:
    """Bars per employer: job starts and sustained jobs.

    Parameters
    ----------
    employers : pandas.DataFrame
        Output of :func:`ete_metrics.metrics.partners.employers`.

    Returns
    -------
    plotly.graph_objects.Figure
        Two horizontal ``Bar`` traces (``job_starts``, ``job_sustained``):
        y = employer, x = people.
    """
    series = (
        ("job_starts", "Job starts", None, WORK.name),
        ("job_sustained", "Sustained jobs", "sustained_rate", SUSTAINED.name),
    )
    return _count_bars(employers, series, title="Employers: job starts and sustained jobs",
                       x_title="Employer")


def _count_bars(
    frame: pd.DataFrame,
    series: tuple[tuple[str, str, str | None, str], ...],
    *,
    title: str,
    x_title: str,
) -> go.Figure:
    fig = go.Figure()
    # ranked by the first series (most first), not by name
    order = ranked(frame["partner"], frame[series[0][0]])
    frame = frame.iloc[np.argsort(frame["partner"].astype(str).map(order).to_numpy(), kind="stable")]
    names = [plotly_text(v) for v in frame["partner"].astype(str)]
    drawn: set[str] = set()
    for column, series_name, rate, step in series:
        if rate is None:
            template = f"%{{y}}<br>{series_name}: %{{x:,}}<extra></extra>"
            custom = None
        else:
            template = f"%{{y}}<br>{series_name}: %{{x:,}} (%{{customdata[0]:.1%}})<extra></extra>"
            custom = frame[[rate]].to_numpy()
        fig.add_trace(
            go.Bar(
                y=names,
                x=frame[column].to_list(),
                orientation="h",
                name=series_name,
                marker_color=step_colour(step),
                # a second series of one step's colour is hatched (completed training)
                marker_pattern_shape="/" if step in drawn else "",
                customdata=custom,
                hovertemplate=template,
            )
        )
        drawn.add(step)
    return apply_style(
        fig, title=title, x_title="People", y_title=x_title, legend_title="",
        layout=_bars_layout(len(names), len(series)),
    )


def ranked(groups: pd.Series, values: pd.Series) -> dict[str, int]:
    """Each group's rank by value, largest first; missing or suppressed values last, ties by name.

    Examples
    --------
    >>> ranked(pd.Series(["B", "A", "C", "D"]), pd.Series([5, 5, float("nan"), 9]))
    {'D': 0, 'A': 1, 'B': 2, 'C': 3}
    """
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype="float64")
    names = groups.astype(str).to_numpy()
    keyed = sorted(zip(names, numbers, strict=True),
                   key=lambda pair: (np.isnan(pair[1]), -np.nan_to_num(pair[1]), pair[0]))
    return {name: i for i, (name, _) in enumerate(dict.fromkeys(keyed))}


def _bars_layout(groups: int, bars_per_group: int) -> dict[str, Any]:
    """Grouped horizontal bars: the first group at the top, room for each bar's label."""
    return {
        "barmode": "group",
        "height": _bar_height(groups, bars_per_group),
        "yaxis": {"autorange": "reversed", "type": "category"},
    }


def _bar_height(groups: int, bars_per_group: int) -> int:
    """Chart height in pixels giving each horizontal bar room for its label."""
    return int(min(max(360, 140 + groups * (8 * bars_per_group + 10)), 2400))
