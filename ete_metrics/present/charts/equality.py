"""Chart of the equality view: outcome rates by protected characteristic.

The builder takes the tidy frame of :func:`ete_metrics.metrics.equality.equality` and
returns a styled Plotly figure; it never computes programme numbers.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from ete_metrics.present.charts.style import (
    KEY_LINE,
    apply_style,
    plotly_text,
    reference_line,
    step_colour,
)
from ete_metrics.present.formatting import humanise
from ete_metrics.steps import WORK, phrase

#: Marker shape of each characteristic, in order (gender, age band, ethnicity, disability...).
_SYMBOLS: tuple[str, ...] = ("circle", "square", "diamond", "triangle-up", "triangle-down", "star")


def equality_chart(frame: pd.DataFrame, *, step: str = WORK.name) -> go.Figure:
    """Dot-and-whisker chart of rates by group, with the overall rate as a reference line.

    Parameters
    ----------
    frame : pandas.DataFrame
        Output of :func:`ete_metrics.metrics.equality.equality`: ``[characteristic, group,
        entered, participants, rate, ci_low, ci_high, overall_rate, gap]``.
    step : str
        The outcome measured (title and hover text).

    Returns
    -------
    plotly.graph_objects.Figure
        One ``Scatter`` trace per characteristic (palette colour i), x = rate with
        asymmetric error bars to ``ci_low``/``ci_high``, y = "Characteristic: group";
        a dashed vertical line at the overall rate.
    """
    step_phrase = phrase(step)
    fig = go.Figure()
    characteristics = list(dict.fromkeys(frame["characteristic"].astype(str)))
    for i, characteristic in enumerate(characteristics):
        part = frame.loc[frame["characteristic"].astype(str) == characteristic]
        name = humanise(characteristic)
        rate = part["rate"].astype(float)
        fig.add_trace(
            go.Scatter(
                x=rate.to_list(),
                y=[plotly_text(f"{name}: {g}") for g in part["group"].astype(str)],
                mode="markers",
                name=plotly_text(name),
                # every point in the step's colour (the rate of that step), each characteristic
                # its own marker shape: a region's colour is never reused for a group
                marker={"color": step_colour(step), "size": 10, "symbol": _SYMBOLS[i % len(_SYMBOLS)]},
                error_x={
                    "type": "data",
                    "symmetric": False,
                    "array": (part["ci_high"].astype(float) - rate).to_list(),
                    "arrayminus": (rate - part["ci_low"].astype(float)).to_list(),
                    "color": step_colour(step),
                    "thickness": 1.5,
                },
                customdata=part[["participants", "entered", "ci_low", "ci_high", "gap"]].to_numpy(),
                hovertemplate=(
                    "%{y}<br>"
                    f"{step_phrase.capitalize()}: %{{customdata[0]:,}} of %{{customdata[1]:,}} (%{{x:.1%}})<br>"
                    "95% interval %{customdata[2]:.1%} to %{customdata[3]:.1%}<br>"
                    "Gap to overall: %{customdata[4]:+.1%}<extra></extra>"
                ),
            )
        )
    if len(frame):
        overall = float(frame["overall_rate"].iloc[0])
        reference_line(fig, x=overall, line=KEY_LINE, annotation_text=f"Overall {overall:.1%}",
                       annotation_position="top")
    return apply_style(
        fig,
        title=f"Percent {step_phrase} by gender, age, ethnicity and disability (95% intervals)",
        x_title=f"Percent {step_phrase}",
        y_title="Group",
        legend_title="Characteristic",
        layout={
            "xaxis": {"tickformat": ".0%", "rangemode": "tozero"},
            "yaxis": {"autorange": "reversed", "type": "category"},
            "height": max(420, 28 * len(frame) + 160),
        },
    )
