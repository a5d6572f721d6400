"""Chart of the forecast to contract end, beside the target line and the run-rate projection.

The builder takes the frames of :mod:`ete_metrics.metrics.forecast` and
:mod:`ete_metrics.metrics.targets` and returns a styled Plotly figure; it never computes
programme numbers.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ete_metrics.present.charts.style import apply_style, colour, plotly_text
from ete_metrics.steps import label


def _band(fig: go.Figure, months: np.ndarray, low: np.ndarray, high: np.ndarray, name: str, opacity: float) -> None:
    fig.add_trace(go.Scatter(x=months, y=high, mode="lines", line={"width": 0}, showlegend=False,
                             hoverinfo="skip", legendgroup=name))
    fig.add_trace(go.Scatter(
        x=months, y=low, mode="lines", line={"width": 0}, fill="tonexty", name=name, legendgroup=name,
        fillcolor=f"rgba(40, 161, 151, {opacity})", hoverinfo="skip",
    ))


def forecast_chart(
    forecast: pd.DataFrame,
    *,
    actual: pd.DataFrame,
    target: pd.DataFrame,
    run_rate: tuple[date, date, float] | None,
    measure: str,
    region: str,
    scope: str | None = None,
) -> go.Figure:
    """Cumulative actual to date, the forecast with its 80% and 95% bands, target and run rate.

    Parameters
    ----------
    forecast : pandas.DataFrame
        :func:`ete_metrics.metrics.forecast.forecast_to_end` rows (any regions and measures:
        those of ``region`` and ``measure`` are drawn), or its numeric view.
    actual : pandas.DataFrame
        ``[month, cumulative_actual]`` to date.
    target : pandas.DataFrame
        ``[month, cumulative_target]`` over the whole contract.
    run_rate : (date, date, float) or None
        The run-rate projection: a straight line from 0 at the first date to the value at
        the second (the contract's end).
    measure, region : str
        What is drawn (title).
    scope : str, optional
        The words for ``region`` in the title, when its rows are a total of fewer regions than
        the programme's (``"Wales"`` for a Wales lead's "All regions" total).

    Returns
    -------
    plotly.graph_objects.Figure
        Traces: the 95% band, the 80% band, ``Forecast``, ``Actual to date``, ``Target`` and
        ``Run-rate projection`` (when given); x = month, y = people (cumulative).
    """
    fig = go.Figure()
    part = forecast.loc[(forecast["region"].astype(str) == region) & (forecast["measure"].astype(str) == measure)]
    part = part.sort_values("month")
    months = (pd.to_datetime(part["month"]) + pd.offsets.MonthEnd(0)).to_numpy()
    values = {c: pd.to_numeric(part[c], errors="coerce").to_numpy(dtype=float)
              for c in ("forecast", "low_80", "high_80", "low_95", "high_95")}
    if len(part):
        _band(fig, months, values["low_95"], values["high_95"], "95% prediction interval", 0.18)
        _band(fig, months, values["low_80"], values["high_80"], "80% prediction interval", 0.35)
        fig.add_trace(go.Scatter(
            x=months, y=values["forecast"], mode="lines", name="Forecast",
            line={"color": colour(1), "width": 2.5},
            customdata=np.column_stack([values["low_80"], values["high_80"], values["low_95"], values["high_95"]]),
            hovertemplate="%{x|%b %Y}: forecast %{y:,.0f}<br>80%: %{customdata[0]:,.0f} to %{customdata[1]:,.0f}"
            "<br>95%: %{customdata[2]:,.0f} to %{customdata[3]:,.0f}<extra></extra>",
        ))
    ordered = actual.sort_values("month")
    fig.add_trace(go.Scatter(
        x=(pd.to_datetime(ordered["month"]) + pd.offsets.MonthEnd(0)).to_numpy(),
        y=pd.to_numeric(ordered["cumulative_actual"], errors="coerce").to_numpy(dtype=float),
        mode="lines", name="Actual to date", line={"color": colour(0), "width": 2.5},
        hovertemplate="%{x|%b %Y}: %{y:,.0f} to date<extra></extra>",
    ))
    planned = target.sort_values("month")
    fig.add_trace(go.Scatter(
        x=(pd.to_datetime(planned["month"]) + pd.offsets.MonthEnd(0)).to_numpy(),
        y=pd.to_numeric(planned["cumulative_target"], errors="coerce").to_numpy(dtype=float),
        mode="lines", name="Target", line={"color": colour(4), "width": 1.5, "dash": "dot"},
        hovertemplate="%{x|%b %Y}: target %{y:,.0f}<extra></extra>",
    ))
    if run_rate is not None and np.isfinite(run_rate[2]):
        fig.add_trace(go.Scatter(
            x=[pd.Timestamp(run_rate[0]), pd.Timestamp(run_rate[1])], y=[0.0, float(run_rate[2])],
            mode="lines", name="Run-rate projection", line={"color": colour(3), "width": 1.5, "dash": "dash"},
            hovertemplate="Run rate: %{y:,.0f} by %{x|%d %b %Y}<extra></extra>",
        ))
    return apply_style(
        fig,
        title=f"{label(measure)}, {plotly_text(scope or region)}: forecast to the contract's end",
        x_title="Month",
        y_title="People (cumulative)",
        layout={"xaxis": {"tickformat": "%b %Y"}, "yaxis": {"tickformat": ",d"}},
    )
