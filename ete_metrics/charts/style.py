"""House style for every Plotly chart: the Analysis Function palette and layout.

Chart builders take a tidy frame computed by the metrics modules and return a
``plotly.graph_objects.Figure``; they never compute programme numbers.
"""

from __future__ import annotations

import plotly.graph_objects as go

from ete_metrics.config import PALETTE

#: Font stack readable on screen and in decks.
FONT_FAMILY = "Arial, Helvetica, sans-serif"


def colour(i: int) -> str:
    """Return the i-th palette colour (wrapping after six)."""
    return PALETTE[i % len(PALETTE)]


def apply_style(
    fig: go.Figure,
    *,
    title: str,
    x_title: str,
    y_title: str,
    percent_axis: bool = False,
    legend_title: str | None = None,
) -> go.Figure:
    """Apply the house layout: title, labelled axes, palette, legible fonts.

    Parameters
    ----------
    fig : plotly.graph_objects.Figure
        The figure to style (modified and returned, so builders can chain).
    title, x_title, y_title : str
        Chart title and axis titles; every chart has all three.
    percent_axis : bool
        Format the y axis as a percentage (values are fractions 0–1).
    legend_title : str, optional
        Title shown above the legend.

    Returns
    -------
    plotly.graph_objects.Figure
    """
    fig.update_layout(
        title={"text": title, "x": 0.0, "xanchor": "left"},
        font={"family": FONT_FAMILY, "size": 14, "color": "#0B0C0C"},
        colorway=list(PALETTE),
        plot_bgcolor="white",
        paper_bgcolor="white",
        margin={"l": 60, "r": 20, "t": 60, "b": 60},
        legend={"title": {"text": legend_title or ""}},
        hoverlabel={"font": {"family": FONT_FAMILY, "size": 13}},
    )
    fig.update_xaxes(title_text=x_title, showline=True, linecolor="#BFC1C3", gridcolor="#F3F2F1")
    fig.update_yaxes(title_text=y_title, showline=True, linecolor="#BFC1C3", gridcolor="#F3F2F1")
    if percent_axis:
        fig.update_yaxes(tickformat=".0%", rangemode="tozero")
    return fig
