"""Charts of the case-mix-adjusted comparison: the ratio funnel plot, raw beside adjusted.

Builders take the frames of :mod:`ete_metrics.metrics.standardised` and return styled
Plotly figures; they never compute programme numbers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ete_metrics.present.charts import style
from ete_metrics.present.charts.style import (
    FUNNEL_HEIGHT,
    apply_style,
    colour,
    funnel_ranges,
    label_points,
    plotly_text,
    reference_line,
    step_colour,
)
from ete_metrics.steps import WORK, phrase

_POSITION_LABELS: dict[str, str] = {
    "above": "More than expected (outside 95% limits)",
    "within": "Within the 95% limits",
    "below": "Fewer than expected (outside 95% limits)",
}


def ratio_funnel_plot(
    ratios: pd.DataFrame,
    limits: pd.DataFrame,
    *,
    by: str = "region",
    step: str = WORK.name,
    group_label: str = "Region",
) -> go.Figure:
    """Funnel plot of observed/expected ratios against expected counts, with Poisson limits.

    Parameters
    ----------
    ratios : pandas.DataFrame
        :func:`ete_metrics.metrics.standardised.standardised_ratios` (``[<by>, observed,
        expected, ratio, ratio_low, ratio_high, position, ...]``), or its numeric view for
        stakeholders (suppressed values as NaN: those groups are not drawn).
    limits : pandas.DataFrame
        :func:`ete_metrics.metrics.standardised.ratio_limits`: ``[expected, lower_95, ...]``.
    by : str
        The grouping column.
    step : str
        The outcome (title and hover text).
    group_label : str
        What a group is called.

    Returns
    -------
    plotly.graph_objects.Figure
        Four limit lines (95% dashed, 99.8% dotted), a line at 1 (as expected) and one
        marker trace per position with x = expected, y = ratio, each point named beside it
        (:func:`~ete_metrics.present.charts.style.label_points`).
    """
    step_label = phrase(step)
    fig = go.Figure()
    limits = limits.sort_values("expected")
    x = limits["expected"].to_numpy(dtype=float)
    for column, name, dash in (
        ("upper_998", "99.8% limits", "dot"),
        ("upper_95", "95% limits", "dash"),
        ("lower_95", "95% limits", "dash"),
        ("lower_998", "99.8% limits", "dot"),
    ):
        fig.add_trace(go.Scatter(
            x=x, y=limits[column].to_numpy(dtype=float), mode="lines", name=name, legendgroup=name,
            showlegend=column.startswith("upper"), line={"color": colour(4), "dash": dash, "width": 1},
            hovertemplate=f"{name}<br>%{{x:,.0f}} expected: %{{y:.2f}}<extra></extra>",
        ))
    reference_line(fig, y=1.0, line={"color": colour(4), "width": 1.5},
                   annotation_text="As expected (1)", annotation_position="top right")
    shown = ratios.loc[pd.to_numeric(ratios["ratio"], errors="coerce").notna()
                       & pd.to_numeric(ratios["expected"], errors="coerce").notna()]
    for position in ("above", "within", "below"):
        part = shown.loc[shown["position"] == position]
        if part.empty:
            continue
        fig.add_trace(go.Scatter(
            x=part["expected"].to_numpy(dtype=float), y=part["ratio"].to_numpy(dtype=float),
            mode="markers", name=_POSITION_LABELS[position], marker=style.position_marker(position),
            cliponaxis=False,  # a point at the plot's edge is not cut off; named by label_points
            text=[plotly_text(v) for v in part[by].astype(str)],
            customdata=np.column_stack([
                pd.to_numeric(part["observed"], errors="coerce").to_numpy(dtype=float),
                pd.to_numeric(part["ratio_low"], errors="coerce").to_numpy(dtype=float),
                pd.to_numeric(part["ratio_high"], errors="coerce").to_numpy(dtype=float),
            ]),
            hovertemplate=(
                f"{group_label}: %{{text}}<br>{step_label.capitalize()}: %{{customdata[0]:,.0f}} observed, "
                "%{x:,.0f} expected<br>Ratio %{y:.2f} (95% interval %{customdata[1]:.2f} to "
                "%{customdata[2]:.2f})<extra></extra>"
            ),
        ))
    limit_columns = ("lower_998", "upper_998", "lower_95", "upper_95")
    x_range, y_range = funnel_ranges(
        [limits["expected"], shown["expected"]], [limits[c] for c in limit_columns] + [shown["ratio"], [1.0]],
    )
    if len(shown):
        ratio = pd.to_numeric(shown["ratio"], errors="coerce")
        label_points(
            fig, pd.to_numeric(shown["expected"], errors="coerce"), ratio,
            [plotly_text(v) for v in shown[by].astype(str)], x_range=x_range, y_range=y_range,
            above=[side == "top center" for side in style.label_sides(ratio, shown["lower_95"], shown["upper_95"], 1.0)]
            if {"lower_95", "upper_95"} <= set(shown.columns) else None,
            lines=[(limits["expected"], limits[c]) for c in limit_columns],
            line_labels=[("As expected (1)", 1.0)],
            legend_names=[*_POSITION_LABELS.values(), "99.8% limits"],
        )
    return apply_style(
        fig,
        title=f"Observed / expected {step_label} by {group_label.lower()}, adjusted for case mix",
        x_title=f"Expected number {step_label}",
        y_title="Observed / expected",
        layout={"height": FUNNEL_HEIGHT, "xaxis": {"range": list(x_range)}, "yaxis": {"range": list(y_range)}},
    )


def raw_and_adjusted_chart(
    ratios: pd.DataFrame, *, by: str = "region", step: str = WORK.name, group_label: str = "Region"
) -> go.Figure:
    """Raw and case-mix-adjusted rates side by side, one pair of bars per group.

    Parameters
    ----------
    ratios : pandas.DataFrame
        :func:`ete_metrics.metrics.standardised.standardised_ratios` (``raw_rate``,
        ``adjusted_rate``, ``overall_rate``) or its numeric view (NaN bars are not drawn).
    by, step, group_label
        As in :func:`ratio_funnel_plot`.

    Returns
    -------
    plotly.graph_objects.Figure
        Two bar traces (raw, adjusted: the ratio times the overall rate) and a line at the
        overall rate; percent axis.
    """
    step_label = phrase(step)
    fig = go.Figure()
    groups = [plotly_text(v) for v in ratios[by].astype(str)]
    # raw in grey, adjusted in the step's colour: never a region's colour (London's navy)
    for column, name, shade in (("raw_rate", "Raw", colour(4)), ("adjusted_rate", "Adjusted for case mix",
                                                                 step_colour(step))):
        fig.add_trace(go.Bar(
            x=groups, y=pd.to_numeric(ratios[column], errors="coerce").to_numpy(dtype=float), name=name,
            marker={"color": shade},
            hovertemplate=f"%{{x}}<br>{name}: %{{y:.1%}}<extra></extra>",
        ))
    overall = pd.to_numeric(ratios["overall_rate"], errors="coerce").dropna()
    if len(overall):
        reference_line(fig, y=float(overall.iloc[0]), line={"color": colour(4), "width": 1.5},
                       annotation_text=f"Overall {float(overall.iloc[0]):.1%}",
                       annotation_position="top right")
    return apply_style(
        fig,
        title=f"Percent {step_label} by {group_label.lower()}: raw and adjusted for case mix",
        x_title=group_label,
        y_title=f"Percent {step_label}",
        percent_axis=True,
        layout={"barmode": "group"},
    )
