"""House style for every Plotly chart: the Analysis Function palette and layout.

Chart builders take a tidy frame computed by the metrics modules and return a
``plotly.graph_objects.Figure``; they never compute programme numbers.
"""

from __future__ import annotations

import copy
import html
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from ete_metrics import config
from ete_metrics.config import PALETTE

#: Font stack readable on screen and in decks.
FONT_FAMILY = "Arial, Helvetica, sans-serif"


def plotly_text(value: object) -> str:
    """Text from the data (a partner, region or group name) as Plotly must be given it to draw it literally.

    Plotly draws a subset of HTML in every text it shows (titles, tick labels,
    legend entries, hover text, annotations, bar labels): ``<b>``, ``<i>``,
    ``<br>``, ``<sup>``, ``<span style=...>`` and ``<a href="https://...">`` links.
    A delivery partner imported as ``<b>Acme</b>`` would be drawn bold, and
    ``<a href="https://x.example">y</a>`` as a live link. Here ``&``, ``<`` and ``>``
    become ``&amp;``, ``&lt;`` and ``&gt;``: Plotly decodes these entities back
    to the characters when it draws text, so the chart shows exactly what was
    imported (``<b>Acme</b>``, ``Smith & Sons``) and no markup. Quotes are left
    as they are: Plotly does not decode ``&quot;`` (it would be drawn as typed).
    Checked in Chromium by ``tests/test_charts_escape_browser.py``.

    Use it on what is drawn only (axis categories, ``text``, trace ``name``,
    titles), never on the tidy frames behind a chart, whose tables and downloads
    keep the raw names. Distinct names stay distinct, and order is kept when it is
    applied to every value of a column, so categories and colours still line up.
    Text from the data must never be put into a ``hovertemplate`` itself (Plotly
    would also fill in any ``%{...}`` in it): a template refers to it, as
    ``%{x}``, ``%{y}``, ``%{text}`` or ``%{fullData.name}``.

    Parameters
    ----------
    value : object
        A label; anything else is converted with ``str`` first.

    Returns
    -------
    str
        The label with ``&``, ``<`` and ``>`` escaped.

    Examples
    --------
    >>> plotly_text("<b>Acme</b> & Sons")
    '&lt;b&gt;Acme&lt;/b&gt; &amp; Sons'
    """
    return html.escape(str(value), quote=False)


def colour(i: int) -> str:
    """Return the i-th palette colour (wrapping after six)."""
    return PALETTE[i % len(PALETTE)]


#: Colours of a point's position against funnel-plot limits, never a region's colour
#: (the regions take the palette's first colours, :func:`region_colour`): light purple
#: above, mid grey within, near black below; the markers' shapes differ too.
POSITION_COLOURS: dict[str, str] = {"above": "#A285D1", "within": "#8E9091", "below": "#0B0C0C"}
#: Background of a RAG rating, on screen and in the review pack (GOV.UK green, orange, red).
RAG_COLOURS: dict[str, str] = {"green": "#00703C", "amber": "#F47738", "red": "#D4351C"}
#: Text colours on a coloured background: near black (the page's text) or white,
#: whichever contrasts more with it (:func:`text_on`).
DARK_TEXT = "#0B0C0C"
LIGHT_TEXT = "#FFFFFF"
#: Quieter text (a chart's tick labels): GOV.UK's secondary text colour, 7.0:1 on white.
SECONDARY_TEXT = "#505A5F"
#: WCAG 2.2 AA (1.4.3): normal text needs a contrast ratio of at least 4.5:1.
TEXT_CONTRAST = 4.5


def _linear(channel: int) -> float:
    value = channel / 255
    return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4


def luminance(colour: str) -> float:
    """WCAG's relative luminance of a ``#RRGGBB`` colour (0 black, 1 white).

    Examples
    --------
    >>> luminance("#FFFFFF"), luminance("#000000")
    (1.0, 0.0)
    """
    code = colour.lstrip("#")
    if len(code) != 6:
        raise ValueError(f"not a #RRGGBB colour: {colour!r}")
    red, green, blue = (_linear(int(code[i:i + 2], 16)) for i in (0, 2, 4))
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast(foreground: str, background: str) -> float:
    """WCAG's contrast ratio of two ``#RRGGBB`` colours, from 1 (the same) to 21 (black on white).

    Examples
    --------
    >>> round(contrast("#000000", "#FFFFFF"), 1)
    21.0
    """
    lighter, darker = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def text_on(background: str) -> str:
    """The colour of text on ``background``: :data:`DARK_TEXT` or :data:`LIGHT_TEXT`, whichever contrasts more.

    Examples
    --------
    >>> text_on("#F47738"), text_on("#00703C")
    ('#0B0C0C', '#FFFFFF')
    """
    return DARK_TEXT if contrast(DARK_TEXT, background) >= contrast(LIGHT_TEXT, background) else LIGHT_TEXT


#: The text on each RAG background, on screen and in the review pack (white on amber
#: would be 2.78:1; near black is 7.0:1).
RAG_TEXT: dict[str, str] = {code: text_on(background) for code, background in RAG_COLOURS.items()}
#: Every chart's hover label: near-black text on white, whatever the colour of the point
#: or line hovered (Plotly's default draws it on the trace's colour, 3.2:1 on Wales's orange).
HOVER_LABEL: dict[str, Any] = {"bgcolor": LIGHT_TEXT, "bordercolor": DARK_TEXT,
                               "font": {"family": FONT_FAMILY, "size": 13, "color": DARK_TEXT}}
#: Marker shape by position (so the position never rests on colour alone).
POSITION_SYMBOLS: dict[str, str] = {"above": "triangle-up", "within": "circle", "below": "triangle-down"}
#: Colours for regions beyond the palette's first four (an ``ETE_REGIONS`` override).
MORE_REGION_COLOURS: tuple[str, ...] = ("#3D3D3D", "#6B8E23", "#B58B00", "#5B7FA6")


def region_colour(region: object, i: int = 0) -> str:
    """The one colour of a region on every chart, from the vocabulary's order.

    The configured regions (:func:`ete_metrics.config.regions`) take the palette's
    colours in order (London dark blue, North West turquoise, West Midlands dark pink,
    Wales orange with the default four), whatever the order of a chart's traces or which
    regions it shows. A fifth and later configured region, and a name outside the
    vocabulary (the ``i``-th group of the chart), take :data:`MORE_REGION_COLOURS`: never
    a configured region's colour nor a position's.

    Examples
    --------
    >>> region_colour("Wales"), region_colour("London")
    ('#F46A25', '#12436D')
    """
    names = config.regions()
    text = str(region)
    if text in names and names.index(text) < 4:
        return PALETTE[names.index(text)]
    extra = names.index(text) - 4 if text in names else len(names) + i
    return MORE_REGION_COLOURS[extra % len(MORE_REGION_COLOURS)]


#: Colours of the funnel's steps: one purple, lighter to darker along the funnel (referred,
#: entered, training, work, sustained work), so a step is never drawn in a region's colour
#: (the palette's first four) nor a position's; each at least 3:1 against white.
STEP_COLOURS: tuple[str, ...] = ("#9580CB", "#7A5FB8", "#5F429E", "#472C84", "#311A5E")


def step_colour(step: object, i: int = 0) -> str:
    """The one colour of a funnel step on every chart, from the vocabulary's order (:mod:`ete_metrics.steps`).

    A name that is not a step (a chart's ``i``-th series of step-like measures) takes
    the ``i``-th of :data:`STEP_COLOURS`.

    Examples
    --------
    >>> step_colour("work") == STEP_COLOURS[3]
    True
    """
    from ete_metrics import steps

    names = [s.name for s in steps.STEPS]
    index = names.index(str(step)) if str(step) in names else i
    return STEP_COLOURS[index % len(STEP_COLOURS)]


def group_colour(by: str | None, group: object, i: int) -> str:
    """The colour of the ``i``-th group of a chart: a region's own colour, else the palette's i-th."""
    return region_colour(group, i) if by == "region" else colour(i)


def position_marker(position: str) -> dict[str, Any]:
    """The marker of a point above, within or below the limits: its colour and shape."""
    return {"color": POSITION_COLOURS[position], "symbol": POSITION_SYMBOLS[position], "size": 11,
            "line": {"color": "white", "width": 1}}


def label_sides(values: Any, lower: Any, upper: Any, centre: float) -> list[str]:
    """Where to write each funnel-plot point's name so it crosses no line (a reasonable effort).

    A point outside the limits is labelled on the far side from them (above a point above
    the upper limit, below one under the lower limit); a point within is labelled on the
    side with more room before the next line (the limit on one side, the centre line on
    the other), so the text sits in the widest clear band.

    Parameters
    ----------
    values, lower, upper : array-like of float
        Each point's value and the 95% limits at its size (NaN: labelled above).
    centre : float
        The centre line (the overall rate; 1 for ratios).

    Returns
    -------
    list of str
        Plotly text positions, ``"top center"`` or ``"bottom center"``.

    Examples
    --------
    >>> label_sides([0.5, 0.1, 0.31, 0.29], [0.2] * 4, [0.4] * 4, 0.3)
    ['top center', 'bottom center', 'top center', 'bottom center']
    """
    out = []
    columns = (pd.to_numeric(pd.Series(list(c), dtype=object), errors="coerce") for c in (values, lower, upper))
    for v, lo, hi in zip(*columns, strict=True):
        if v != v or lo != lo or hi != hi or v > hi:
            out.append("top center")
        elif v < lo:
            out.append("bottom center")
        elif v >= centre:
            out.append("top center" if hi - v >= v - centre else "bottom center")
        else:
            out.append("bottom center" if v - lo >= centre - v else "top center")
    return out


def _merged(current: Any, update: Any) -> Any:
    """``update`` merged into ``current`` key by key, as Plotly's ``update`` merges dicts."""
    if not (isinstance(current, dict) and isinstance(update, dict)):
        return update
    out = dict(current)
    for key, value in update.items():
        out[key] = _merged(out.get(key), value)
    return out


def _current(fig: go.Figure, key: str) -> Any:
    """The layout property ``key`` as plain JSON values (only that property is copied,
    not the whole layout with its template, which costs a few milliseconds)."""
    value = fig.layout[key]
    if isinstance(value, tuple):  # an array of objects (shapes, annotations)
        return [v.to_plotly_json() if hasattr(v, "to_plotly_json") else v for v in value]
    return value.to_plotly_json() if hasattr(value, "to_plotly_json") else value


def relayout(fig: go.Figure, layout: dict[str, Any]) -> go.Figure:
    """Update the layout as ``fig.update_layout(layout)`` does (nested dicts merged), quicker.

    Plotly's ``update_layout``/``update_xaxes`` walk every dotted path they touch
    (a few milliseconds a call); this sets each top-level property once, merged
    with what the figure has. ``{"xaxis": {...}}`` is ``update_xaxes(...)`` for a
    figure with one x axis (every chart here).

    Parameters
    ----------
    fig : plotly.graph_objects.Figure
        Modified and returned.
    layout : dict
        Layout properties, nested as in ``fig.layout.to_plotly_json()``.

    Returns
    -------
    plotly.graph_objects.Figure
    """
    fig.plotly_relayout({key: _merged(_current(fig, key), value) for key, value in layout.items()})
    return fig


#: Annotation placement of :func:`reference_line` (as Plotly's ``add_hline``/``add_vline``).
_LINE_LABELS: dict[tuple[str, str], dict[str, Any]] = {
    ("h", "top right"): {"x": 1, "xanchor": "right", "xref": "x domain", "yanchor": "bottom", "yref": "y"},
    ("v", "top right"): {"xanchor": "left", "xref": "x", "y": 1, "yanchor": "top", "yref": "y domain"},
    ("v", "top"): {"xanchor": "center", "xref": "x", "y": 1, "yanchor": "bottom", "yref": "y domain"},
}


#: The line marking a key figure across a chart (the overall rate, the median): dashed, muted.
KEY_LINE: dict[str, Any] = {"color": colour(4), "dash": "dash", "width": 1.5}


def reference_line(
    fig: go.Figure,
    *,
    x: float | None = None,
    y: float | None = None,
    line: dict[str, Any],
    annotation_text: str | None = None,
    annotation_position: str = "top right",
) -> go.Figure:
    """A line across the plot at ``y`` (horizontal) or ``x`` (vertical), optionally labelled.

    The same shape and annotation as ``fig.add_hline``/``fig.add_vline`` (for the
    positions "top right", and "top" on a vertical line), without their cost.

    Parameters
    ----------
    fig : plotly.graph_objects.Figure
        Modified and returned.
    x, y : float
        Where the line is: give exactly one.
    line : dict
        The line's style (``color``, ``width``, ``dash``).
    annotation_text : str, optional
        The label.
    annotation_position : str
        Where the label goes.

    Returns
    -------
    plotly.graph_objects.Figure
    """
    kind = "h" if y is not None else "v"
    if (x is None) == (y is None) or (annotation_text is not None and (kind, annotation_position) not in _LINE_LABELS):
        if y is not None and x is None:
            return fig.add_hline(y=y, line=line, annotation_text=annotation_text, annotation_position=annotation_position)
        return fig.add_vline(x=x, line=line, annotation_text=annotation_text, annotation_position=annotation_position)
    if kind == "h":
        shape = {"line": line, "type": "line", "x0": 0, "x1": 1, "xref": "x domain", "y0": y, "y1": y, "yref": "y"}
    else:
        shape = {"line": line, "type": "line", "x0": x, "x1": x, "xref": "x", "y0": 0, "y1": 1, "yref": "y domain"}
    fig.layout.shapes = [*_current(fig, "shapes"), shape]
    if annotation_text is not None:
        label = {"showarrow": False, "text": annotation_text, **_LINE_LABELS[(kind, annotation_position)]}
        label.update({"y": y} if kind == "h" else {"x": x})
        fig.layout.annotations = [*_current(fig, "annotations"), label]
    return fig


def apply_style(
    fig: go.Figure,
    *,
    title: str,
    x_title: str,
    y_title: str,
    percent_axis: bool = False,
    legend_title: str | None = None,
    layout: dict[str, Any] | None = None,
) -> go.Figure:
    """Apply the house layout: title, labelled axes, palette, legible fonts.

    Parameters
    ----------
    fig : plotly.graph_objects.Figure
        The figure to style (modified and returned, so builders can chain).
    title, x_title, y_title : str
        Chart title and axis titles; every chart has all three. Plain text, drawn
        as given (:func:`plotly_text`): a title may name a filter value such as a region.
    percent_axis : bool
        Format the y axis as a percentage (values are fractions 0–1).
    legend_title : str, optional
        Title shown above the legend (plain text, as the titles).
    layout : dict, optional
        The chart's own layout (bar mode, tick formats, height...), nested as in
        ``fig.layout.to_plotly_json()`` and merged over the house style key by key
        (its values win): set in the same single update as the style.

    Returns
    -------
    plotly.graph_objects.Figure
    """
    # Every text's colour set here: Streamlit's chart theme would draw the axis titles in
    # its light grey (#808495, 3.7:1 on white), below WCAG's 4.5:1.
    axis = {"showline": True, "linecolor": "#BFC1C3", "gridcolor": "#F3F2F1",
            "tickfont": {"color": SECONDARY_TEXT}}
    style: dict[str, Any] = {
        "title": {"text": plotly_text(title), "x": 0.0, "xanchor": "left", "font": {"color": DARK_TEXT}},
        "font": {"family": FONT_FAMILY, "size": 14, "color": DARK_TEXT},
        "colorway": list(PALETTE),
        "plot_bgcolor": "white",
        "paper_bgcolor": "white",
        "margin": {"l": 60, "r": 20, "t": 60, "b": 60},
        "legend": {"title": {"text": plotly_text(legend_title or ""), "font": {"color": DARK_TEXT}},
                   "font": {"color": DARK_TEXT}},
        "hoverlabel": copy.deepcopy(HOVER_LABEL),
        "xaxis": {"title": {"text": plotly_text(x_title), "font": {"color": DARK_TEXT}}, **copy.deepcopy(axis)},
        "yaxis": {"title": {"text": plotly_text(y_title), "font": {"color": DARK_TEXT}}, **copy.deepcopy(axis)},
    }
    if percent_axis:
        style["yaxis"].update(tickformat=".0%", rangemode="tozero")
    if layout:
        style = _merged(style, layout)
    # One relayout of whole top-level properties, each merged with what the builder set:
    # the same figure as ``update_layout``/``update_xaxes`` would give, about ten times
    # quicker (Plotly's update machinery walks every dotted path it touches).
    return relayout(fig, style)
