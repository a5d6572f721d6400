"""Charts of the cohort view: cohort curves, the cohort heat-map table and time to outcome.

Builders take the tidy frames of :mod:`ete_metrics.metrics.cohorts` and
:mod:`ete_metrics.metrics.time_to_outcome` and return styled Plotly figures; they never
compute programme numbers (the pivot of :func:`cohort_heatmap_table` only
rearranges the cumulative rates it is given).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ete_metrics.present.charts.style import (
    KEY_LINE,
    apply_style,
    colour,
    plotly_text,
    reference_line,
)
from ete_metrics.steps import TRAINING, WORK

#: Words used in titles for the outcomes.
OUTCOME_LABELS: dict[str, str] = {TRAINING.name: "training", WORK.name: "work"}


#: Line styles cycled every six cohorts (the palette has six colours).
_DASHES: tuple[str, ...] = ("solid", "dash", "dot")
#: A marker shape of its own for each of twelve cohorts: two cohorts of one colour differ in
#: their line and their markers, and none rests on colour alone (the legend shows both).
_SYMBOLS: tuple[str, ...] = ("circle", "square", "diamond", "triangle-up", "triangle-down", "x",
                             "cross", "star", "pentagon", "hexagon", "triangle-left", "triangle-right")


def _outcome_label(outcome: str) -> str:
    return OUTCOME_LABELS.get(outcome, str(outcome))


def latest_cohorts(curves: pd.DataFrame, limit: int = 8) -> list[str]:
    """Return the ``limit`` most recent cohorts of a cohort-curve frame, oldest first.

    Parameters
    ----------
    curves : pandas.DataFrame
        Output of :func:`ete_metrics.metrics.cohorts.cohort_curves` (column ``cohort``).
    limit : int
        How many cohorts to keep (the chart stays legible with about eight lines).

    Returns
    -------
    list of str
        Cohort labels sorted ascending (labels like ``2023-01`` / ``2023-Q1`` sort by time).
    """
    cohorts = sorted({str(c) for c in curves["cohort"].dropna().unique()})
    return cohorts[-limit:] if limit > 0 else cohorts


def cohort_curves_chart(
    curves: pd.DataFrame,
    *,
    outcome: str = TRAINING.name,
    cohorts: Sequence[str] | None = None,
) -> go.Figure:
    """Line chart: cumulative percent reaching the outcome by months since entry, one line per cohort.

    Parameters
    ----------
    curves : pandas.DataFrame
        Output of :func:`ete_metrics.metrics.cohorts.cohort_curves`: ``[cohort,
        months_since_entry, cohort_size, participants, cumulative_rate]``.
    outcome : {"training", "work"}
        Used in the title and hover text.
    cohorts : sequence of str, optional
        The cohorts to draw (default: all in the frame), in legend order.

    Returns
    -------
    plotly.graph_objects.Figure
        One ``Scatter`` trace per cohort (palette colours in order, dashed after
        the sixth so no two lines look alike), x = months
        since entry, y = cumulative rate (fraction, percent axis). Each line stops
        where the cohort's follow-up stops.
    """
    chosen = list(cohorts) if cohorts is not None else latest_cohorts(curves, limit=0)
    fig = go.Figure()
    label = _outcome_label(outcome)
    rows = curves.groupby(curves["cohort"].astype(str).to_numpy(), sort=False).indices  # label -> rows
    for i, name in enumerate(chosen):
        part = curves.iloc[rows.get(str(name), [])].sort_values("months_since_entry")
        if part.empty:
            continue
        fig.add_trace(
            go.Scatter(
                # NumPy arrays, not lists: Plotly takes them without checking each value
                # and sends them as typed arrays (a list costs ~15x as much to build).
                x=part["months_since_entry"].to_numpy(),
                y=part["cumulative_rate"].to_numpy(dtype=float),
                mode="lines+markers",
                name=plotly_text(name),
                # Six palette colours; lines 7-12 repeat them dashed so no two look alike.
                line={"color": colour(i), "width": 2, "dash": _DASHES[(i // 6) % len(_DASHES)]},
                marker={"color": colour(i), "size": 8, "symbol": _SYMBOLS[i % len(_SYMBOLS)]},
                customdata=part[["participants", "cohort_size"]].to_numpy(),
                hovertemplate=(
                    "Cohort %{fullData.name}<br>Month %{x} since entry<br>"
                    f"In {label}: %{{y:.1%}}<br>"
                    "%{customdata[0]:,} of %{customdata[1]:,} people<extra></extra>"
                ),
            )
        )
    return apply_style(
        fig,
        title=f"Cumulative percent of each entry cohort in {label}, by months since entry",
        x_title="Months since entry",
        y_title=f"Percent in {label}",
        percent_axis=True,
        legend_title="Entry cohort",
    )


def cohort_heatmap_table(curves: pd.DataFrame, *, cohorts: Sequence[str] | None = None) -> pd.DataFrame:
    """Pivot cohort curves into a cohort × month table of cumulative rates.

    Parameters
    ----------
    curves : pandas.DataFrame
        Output of :func:`ete_metrics.metrics.cohorts.cohort_curves`.
    cohorts : sequence of str, optional
        Keep only these cohorts (default all).

    Returns
    -------
    pandas.DataFrame
        Columns ``cohort``, ``cohort_size`` and one column per month since entry
        named ``month_0``, ``month_1``… holding the cumulative rate (fraction;
        ``NaN`` where the cohort has not been followed that long). One row per cohort.
    """
    frame = curves
    if cohorts is not None:
        frame = frame.loc[frame["cohort"].astype(str).isin([str(c) for c in cohorts])]
    if frame.empty:
        return pd.DataFrame({"cohort": pd.Series(dtype=object), "cohort_size": pd.Series(dtype="int64")})
    rates = frame.pivot(index="cohort", columns="months_since_entry", values="cumulative_rate")
    rates = rates.reindex(columns=sorted(rates.columns))
    rates.columns = [f"month_{int(m)}" for m in rates.columns]
    sizes = frame.groupby("cohort")["cohort_size"].first()
    out = rates.reset_index()
    out.insert(1, "cohort_size", sizes.reindex(out["cohort"]).to_numpy().astype("int64"))
    out["cohort"] = out["cohort"].astype(object)
    return out.sort_values("cohort").reset_index(drop=True)


def cumulative_incidence_chart(
    incidence: pd.DataFrame,
    *,
    outcome: str = TRAINING.name,
    medians: pd.DataFrame | None = None,
    by: str | None = None,
) -> go.Figure:
    """Step chart of 1 − Kaplan–Meier with its interval band, the median marked.

    Parameters
    ----------
    incidence : pandas.DataFrame
        Output of :func:`ete_metrics.metrics.cohorts.cumulative_incidence`: ``[*by,
        days_since_entry, at_risk, events, cumulative_incidence, ci_low, ci_high]``.
    outcome : {"training", "work"}
        Used in the title and hover text.
    medians : pandas.DataFrame, optional
        Output of :func:`ete_metrics.metrics.time_to_outcome.time_to_outcome` (same ``by``);
        the row for ``outcome`` gives ``median_days``, drawn as a dashed vertical line
        when it is not missing.
    by : str, optional
        A grouping column of ``incidence``: one curve per group.

    Returns
    -------
    plotly.graph_objects.Figure
        Per group: a filled band (``ci_low``..``ci_high``) and a step line of
        ``cumulative_incidence`` against ``days_since_entry`` (percent axis).
    """
    label = _outcome_label(outcome)
    fig = go.Figure()
    groups: list[tuple[str | None, pd.DataFrame]]
    if by:
        groups = [(plotly_text(k), g) for k, g in incidence.groupby(by, sort=True)]
    else:
        groups = [(None, incidence)]
    for i, (name, part) in enumerate(groups):
        part = part.sort_values("days_since_entry")
        x = part["days_since_entry"].to_numpy()  # arrays, not lists: see cohort_curves_chart
        line_name = name or f"Reached {label}"
        band_colour = colour(i)
        fig.add_trace(
            go.Scatter(
                x=np.concatenate([x, x[::-1]]),
                y=np.concatenate([part["ci_high"].to_numpy(dtype=float),
                                  part["ci_low"].to_numpy(dtype=float)[::-1]]),
                fill="toself",
                fillcolor=_transparent(band_colour),
                line={"width": 0, "shape": "hv"},
                hoverinfo="skip",
                name=f"{line_name}: 95% interval",
                showlegend=True,
            )
        )
        fig.add_trace(
            go.Scatter(
                x=x,
                y=part["cumulative_incidence"].to_numpy(dtype=float),
                mode="lines",
                line={"color": band_colour, "width": 2, "shape": "hv"},
                name=line_name,
                customdata=part[["ci_low", "ci_high", "at_risk"]].to_numpy(),
                hovertemplate=(
                    f"Day %{{x}} since entry<br>Reached {label}: %{{y:.1%}}<br>"
                    "95% interval %{customdata[0]:.1%} to %{customdata[1]:.1%}<br>"
                    "Still waiting: %{customdata[2]:,}<extra></extra>"
                ),
            )
        )
    if medians is not None and not by and len(medians):
        row = medians.loc[medians["outcome"] == outcome]
        if len(row) and pd.notna(row["median_days"].iloc[0]):
            median = float(row["median_days"].iloc[0])
            reference_line(fig, x=median, line=KEY_LINE, annotation_text=f"Median {median:,.0f} days",
                           annotation_position="top right")
    return apply_style(
        fig,
        title=f"Time from entry to {label}: cumulative percent reached (1 − Kaplan–Meier)",
        x_title="Days since entry",
        y_title=f"Percent reached {label}",
        percent_axis=True,
    )


def _transparent(hex_colour: str, alpha: float = 0.18) -> str:
    value = hex_colour.lstrip("#")
    r, g, b = (int(value[i : i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"
