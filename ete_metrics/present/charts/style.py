"""House style for every Plotly chart: the Analysis Function palette and layout.

Chart builders take a tidy frame computed by the metrics modules and return a
``plotly.graph_objects.Figure``; they never compute programme numbers.
"""

from __future__ import annotations

import copy
import html
from collections.abc import Sequence
from typing import Any

import numpy as np
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


#: A funnel plot's control limits as drawn, outermost first: (column, legend name, dash).
FUNNEL_LIMITS: tuple[tuple[str, str, str], ...] = (
    ("upper_998", "99.8% limits", "dot"),
    ("upper_95", "95% limits", "dash"),
    ("lower_95", "95% limits", "dash"),
    ("lower_998", "99.8% limits", "dot"),
)


def limit_lines(fig: go.Figure, x: Any, limits: pd.DataFrame, *, hover: str) -> None:
    """Draw a funnel plot's four control limits (:data:`FUNNEL_LIMITS`: 95% dashed, 99.8%
    dotted, one legend entry a pair) at ``x`` (a NumPy array: Plotly takes it without checking
    each value). ``hover`` follows the limit's name, e.g. ``"%{x:,} entered: %{y:.1%}"``. In place."""
    for column, name, dash in FUNNEL_LIMITS:
        fig.add_trace(
            go.Scatter(
                x=x,
                y=limits[column].to_numpy(dtype=float),
                mode="lines",
                name=name,
                legendgroup=name,
                showlegend=column.startswith("upper"),
                line={"color": colour(4), "dash": dash, "width": 1},
                hovertemplate=f"{name}<br>{hover}<extra></extra>",
            )
        )


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


# --- Names beside the points of a funnel plot, laid out so none covers another -----------------

#: Font size (px) of a point's name on a funnel plot: fixed, so a pack's larger text
#: (:func:`ete_metrics.present.report._for_print`) leaves the names' layout as it is.
POINT_LABEL_SIZE = 13
#: Height (px) of a funnel plot (the pages; a pack draws it 15% taller).
FUNNEL_HEIGHT = 520
#: Width (px) of a chart on a page at 1440 px (the main column, beside the sidebar), and of a
#: chart in a pack (:func:`ete_metrics.present.report._chart_images`).
PAGE_CHART_WIDTH = 960
PRINT_CHART_WIDTH = 1000
#: Layout key of a chart whose names are laid out for its own height (:func:`label_points`):
#: a pack draws it as tall as the page does (:func:`ete_metrics.present.report._for_print`).
FIXED_HEIGHT = "ete_fixed_height"
#: The plot area (width, height in px) the names are laid out in when no legend is known:
#: no wider than a funnel plot's on the page at 1440 px or in a pack (:func:`label_area`),
#: exactly as high (the figure's height less its top and bottom margins, 60 px each). The
#: names are placed by vertical pixel offsets from their points, so on a wider plot area the
#: points only move further apart, and nothing moves up or down.
LABEL_AREA = (520, FUNNEL_HEIGHT - 120)
#: Half a marker's width with its white rim, and the room between a name and what it avoids.
_MARKER_RADIUS = 7.0
_GAP = 2.0
#: Leader lines (from a name moved away from its point) in a quiet grey.
LEADER_COLOUR = "#8E9091"


def label_area(legend_names: Sequence[str]) -> tuple[float, float]:
    """The plot area (px) of a funnel plot with this legend, the smaller of the page's
    (:data:`PAGE_CHART_WIDTH`, legend in 14 px) and a pack's (:data:`PRINT_CHART_WIDTH`,
    legend in 16 px); its height is the plot's (:data:`LABEL_AREA`)."""
    longest = max((len(name) for name in legend_names), default=0)
    page = PAGE_CHART_WIDTH - 80 - (0.6 * 14 * longest + 50)
    printed = PRINT_CHART_WIDTH - 80 - (0.6 * 16 * longest + 50)
    return (max(min(page, printed), LABEL_AREA[0]), LABEL_AREA[1])


def text_width(text: str, size: float) -> float:
    """An upper estimate of a text's width in px in Arial at ``size`` px (0.6 em a character)."""
    return 0.6 * size * len(html.unescape(text))


def text_height(size: float) -> float:
    """A line of text's height in px at ``size`` px."""
    return 1.3 * size


def _overlaps(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _clash(box: tuple[float, float, float, float], x: float,
           other: tuple[float, float, float, float], other_x: float) -> bool:
    """True when a name's ``box`` (its point at ``x``) overlaps ``other`` (a name, a marker or
    a line's label, belonging at ``other_x``), or sits beside it on the far side from its
    point: on a wider plot the points move apart while the names keep their pixel offsets,
    so two texts side by side must be in their points' order to stay apart."""
    if _overlaps(box, other):
        return True
    side_by_side = box[1] < other[3] and other[1] < box[3]
    reversed_ = (box[0] + box[2] < other[0] + other[2]) != (x < other_x)
    return side_by_side and x != other_x and reversed_


def _through(start: tuple[float, float], end: tuple[float, float],
             box: tuple[float, float, float, float]) -> bool:
    """True when the segment from ``start`` to ``end`` (a leader line) passes through ``box``."""
    for t in np.linspace(0.0, 1.0, 24)[1:-1]:
        x, y = start[0] + t * (end[0] - start[0]), start[1] + t * (end[1] - start[1])
        if box[0] < x < box[2] and box[1] < y < box[3]:
            return True
    return False


def _crossings(box: tuple[float, float, float, float], lines: list[tuple[Any, Any]]) -> int:
    """How many of the lines (x, y pixel arrays, x increasing) pass through the box."""
    count = 0
    xs = np.linspace(box[0], box[2], 48)
    for line_x, line_y in lines:
        inside = (xs >= line_x[0]) & (xs <= line_x[-1])
        if not inside.any():
            continue
        ys = np.interp(xs[inside], line_x, line_y)
        if ((ys >= box[1]) & (ys <= box[3])).any() or (ys.min() < box[1] and ys.max() > box[3]):
            count += 1
    return count


def place_labels(
    anchors: list[tuple[float, float]],
    widths: list[float],
    *,
    height: float,
    area: tuple[float, float] = LABEL_AREA,
    above: list[bool] | None = None,
    obstacles: Sequence[tuple[float, float, float, float]] = (),
    lines: Sequence[tuple[Any, Any]] = (),
    rows: int = 10,
) -> list[tuple[float, float]]:
    """Where to write each point's name so no two names, no name and marker and no name
    and ``obstacles`` overlap, and as few names as can be cross a line.

    A greedy layout in pixel space (x right, y down, the plot area from (0, 0) to
    ``area``): each name, the most crowded first, takes the nearest free place above or
    below its point (its preferred side first), stepping a line further out each time; a
    name moved off its point gets a leader line (:func:`label_points`).

    Parameters
    ----------
    anchors : list of (x, y)
        The points, in px within ``area``.
    widths : list of float
        Each name's width in px (:func:`text_width`).
    height : float
        A name's height in px (:func:`text_height`).
    area : (width, height)
        The plot area in px.
    above : list of bool, optional
        Each name's preferred side (True: above its point); by default above.
    obstacles : list of (x0, y0, x1, y1)
        Boxes no name may cover (the lines' own labels).
    lines : list of (x array, y array)
        Lines a name should not sit on (the limits, the overall rate), in px.
    rows : int
        How many lines out, on each side, a name may be moved.

    Returns
    -------
    list of (dx, dy)
        Each name's centre relative to its point, in px.

    Examples
    --------
    >>> place_labels([(100, 100), (110, 100)], [80, 80], height=16)
    [(0.0, -17.0), (0.0, 17.0)]
    """
    n = len(anchors)
    prefer = list(above) if above is not None else [True] * n
    markers = [(x - _MARKER_RADIUS, y - _MARKER_RADIUS, x + _MARKER_RADIUS, y + _MARKER_RADIUS)
               for x, y in anchors]
    near = _MARKER_RADIUS + _GAP + height / 2
    placed: list[tuple[tuple[float, float, float, float], float]] = []  # each name's box, its point's x
    in_the_way = [*((m, (m[0] + m[2]) / 2) for m in markers), *((o, float(area[0])) for o in obstacles)]
    out: list[tuple[float, float]] = [(0.0, 0.0)] * n
    for i in sorted(range(n), key=lambda i: (-_crowding(anchors, widths, height, i), anchors[i][0], anchors[i][1])):
        x, y = anchors[i]
        dx, dy = _best_place(anchors[i], widths[i], height, prefer[i], area=area, near=near, rows=rows,
                             taken=[*placed, *in_the_way], named=[p for p, _ in placed],
                             obstacles=obstacles, lines=lines)
        out[i] = (dx, dy)
        placed.append((_name_box(x + dx, y + dy, widths[i], height), x))
    return out


def _crowding(anchors: list[tuple[float, float]], widths: list[float], height: float, i: int) -> int:
    """How many other points' names could clash with point ``i``'s (the most crowded is placed first)."""
    x, y = anchors[i]
    return sum(abs(x - ox) < (widths[i] + widths[j]) / 2 and abs(y - oy) < 3 * height
               for j, (ox, oy) in enumerate(anchors) if j != i)


def _name_box(x: float, y: float, width: float, height: float) -> tuple[float, float, float, float]:
    """The box of a name centred on (x, y), with half a gap either side."""
    half = width / 2
    return (x - half - _GAP / 2, y - height / 2, x + half + _GAP / 2, y + height / 2)


def _best_place(
    point: tuple[float, float],
    width: float,
    height: float,
    up_first: bool,
    *,
    area: tuple[float, float],
    near: float,
    rows: int,
    taken: Sequence[tuple[tuple[float, float, float, float], float]],
    named: Sequence[tuple[float, float, float, float]],
    obstacles: Sequence[tuple[float, float, float, float]],
    lines: Sequence[tuple[Any, Any]],
) -> tuple[float, float]:
    """The cheapest place for one name (:func:`place_labels`), relative to its point.

    Tried: centred on the point or reaching right or left from it (kept within the plot's
    width), each a line further out up to ``rows``, on the preferred side first. The cost
    counts, in order of weight, clashes with ``taken`` boxes (names placed, markers,
    obstacles) and the plot's edges, lines crossed, a leader line through a ``named`` box or
    an obstacle (hard to follow), then the distance and the side.
    """
    x, y = point
    width_area, height_area = area
    half = width / 2
    best: tuple[float, float, float] | None = None
    for shift in (0.0, half - _MARKER_RADIUS, _MARKER_RADIUS - half):
        dx = min(max(x + shift - half, 0.0), max(width_area - width, 0.0)) + half - x
        for row in range(rows + 1):
            for up in (up_first, not up_first):
                dy = -(near + row * (height + _GAP)) if up else near + row * (height + _GAP)
                box = _name_box(x + dx, y + dy, width, height)
                hard = (
                    sum(_clash(box, x, other, other_x) for other, other_x in taken)
                    + (box[1] < 0) + (box[3] > height_area)
                )
                through = sum(_through((x, y), (x + dx, y + dy), other) for other in (*named, *obstacles))
                cost = (hard * 1e6 + _crossings(box, list(lines)) * 1e3 + through * 300 + abs(dy)
                        + abs(dx) / 4 + (0 if up == up_first else 1))
                if best is None or cost < best[0]:
                    best = (cost, dx, dy)
    assert best is not None
    return float(best[1]), float(best[2])


def label_points(
    fig: go.Figure,
    x: Any,
    y: Any,
    names: list[str],
    *,
    x_range: tuple[float, float],
    y_range: tuple[float, float],
    above: list[bool] | None = None,
    lines: Sequence[tuple[Any, Any]] = (),
    line_labels: Sequence[tuple[str, float]] = (),
    legend_names: Sequence[str] = (),
) -> go.Figure:
    """Name each point of a funnel plot beside it, no name over another or over a line's label.

    The names are laid out (:func:`place_labels`) in the plot area :data:`LABEL_AREA`
    with the axes' ranges fixed at ``x_range`` and ``y_range`` (the builder sets them),
    and drawn as annotations at their points, offset in px; a name moved off its point
    has a grey leader line to it. Each name is in :data:`POINT_LABEL_SIZE` px on a
    white ground.

    Parameters
    ----------
    fig : plotly.graph_objects.Figure
        Modified and returned.
    x, y : array-like of float
        The points, in data units (NaN: not named).
    names : list of str
        Each point's name as drawn (:func:`plotly_text`).
    x_range, y_range : (float, float)
        The axes' ranges.
    above : list of bool, optional
        Each name's preferred side (:func:`label_sides`).
    lines : list of (x array, y array)
        The limit lines, in data units: names keep off them where they can.
    line_labels : list of (text, y)
        The labels of horizontal lines, written at the right of the plot just above ``y``
        (as :func:`reference_line` writes them): no name covers one.
    legend_names : list of str
        The legend's entries (its width narrows the plot area: :func:`label_area`).
    """
    width_area, height_area = label_area(legend_names) if legend_names else LABEL_AREA

    def px(values: Any) -> Any:
        return (np.asarray(values, dtype=float) - x_range[0]) / (x_range[1] - x_range[0]) * width_area

    def py(values: Any) -> Any:
        return (1 - (np.asarray(values, dtype=float) - y_range[0]) / (y_range[1] - y_range[0])) * height_area

    xs, ys = (pd.to_numeric(pd.Series(list(v), dtype=object), errors="coerce").to_numpy(dtype=float) for v in (x, y))
    shown = [i for i in range(len(names)) if np.isfinite(xs[i]) and np.isfinite(ys[i])]
    size = float(POINT_LABEL_SIZE)
    line_size = 14.0 * 1.3  # the house font, or a pack's (18 px), at most
    obstacles: list[tuple[float, float, float, float]] = []
    for text, at in line_labels:  # right-aligned, just above the line (a pack's larger text too)
        w, h = text_width(text, line_size), text_height(line_size)
        obstacles.append((float(width_area) - w, float(py(at)) - h, float(width_area), float(py(at))))
    drawn_lines = [(px(lx), py(ly)) for lx, ly in lines]
    drawn_lines += [(np.array([0.0, width_area]), np.array([float(py(at))] * 2)) for _, at in line_labels]
    offsets = place_labels(
        [(float(px(xs[i])), float(py(ys[i]))) for i in shown], [text_width(names[i], size) for i in shown],
        height=text_height(size), above=None if above is None else [above[i] for i in shown],
        area=(width_area, height_area), obstacles=obstacles, lines=drawn_lines,
    )
    near = _MARKER_RADIUS + _GAP + text_height(size) / 2
    fig.layout.annotations = [*_current(fig, "annotations"), *(
        {"x": xs[i], "y": ys[i], "xref": "x", "yref": "y", "text": names[i], "showarrow": True,
         "ax": dx, "ay": dy, "axref": "pixel", "ayref": "pixel", "arrowhead": 0, "arrowwidth": 1,
         # a leader line only to a name moved off its point
         "arrowcolor": LEADER_COLOUR if abs(dy) > near + 1 or abs(dx) > 1 else "rgba(0,0,0,0)",
         "standoff": _MARKER_RADIUS, "font": {"size": POINT_LABEL_SIZE, "color": DARK_TEXT},
         "bgcolor": "rgba(255,255,255,0.85)", "borderpad": 0, "captureevents": False}
        for i, (dx, dy) in zip(shown, offsets, strict=True)
    )]
    fig.layout.meta = {**(fig.layout.meta or {}), FIXED_HEIGHT: True}
    return fig


def funnel_ranges(xs: list[Any], ys: list[Any]) -> tuple[tuple[float, float], tuple[float, float]]:
    """The axes' ranges of a funnel plot: x from 0 to the largest size; y from 0 (or the
    lowest value) to the highest, with a tenth more above for the names."""
    def numbers(v: Any) -> Any:
        return pd.to_numeric(pd.Series(list(v), dtype=object), errors="coerce").to_numpy(dtype=float)

    sizes = [v[np.isfinite(v)] for v in map(numbers, xs)]
    x_top = max([float(v.max()) for v in sizes if v.size] + [1.0])
    values = [numbers(v) for v in ys if len(v)]
    finite = np.concatenate([v[np.isfinite(v)] for v in values]) if values else np.array([])
    low = min(0.0, float(finite.min())) if finite.size else 0.0
    high = float(finite.max()) if finite.size else 1.0
    high = high if high > low else low + 1.0
    return (0.0, x_top * 1.02), (low, high + (high - low) * 0.1)
