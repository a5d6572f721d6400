"""Suppressed figures in a chart: marked ``[c]``, never a silent gap or a zero.

A chart for stakeholders is drawn from the protected figures, where a suppressed
count or rate is missing (NaN, from ``"[c]"``). Left as it is, a suppressed bar would
simply not be there (read as zero), a bar label would read ``nan`` and the hover text
``NaN``. :func:`mark_suppressed` is the one place that marks them, for the dashboard
and for the reports alike.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ete_metrics.protect.disclosure import SUPPRESSED

__all__ = ["HOVER_FORMATS", "mark_suppressed"]

_HOVER_CUSTOM = re.compile(r"%\{customdata\[(\d+)\](?::([^}]*))?\}")

#: The d3 number formats the charts' hover text uses, in Python: the precision of the
#: tables (counts whole, percentages with one decimal, ratios with two).
HOVER_FORMATS: dict[str, Callable[[float], str]] = {
    "": lambda v: f"{v:,.0f}" if float(v).is_integer() else f"{v:g}",
    ",": lambda v: f"{v:,.0f}" if float(v).is_integer() else f"{v:,}",
    ",.0f": lambda v: f"{v:,.0f}",
    ".1%": lambda v: f"{v:.1%}",
    "+.1%": lambda v: f"{v:+.1%}",
    ".0%": lambda v: f"{v:.0%}",
    ".2f": lambda v: f"{v:.2f}",
}


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


def _tidy_text(figure: go.Figure) -> None:
    """Labels drawn from protected numbers: ``55.0`` -> ``55``, ``nan`` -> ``[c]``."""
    for trace in figure.data:
        text = getattr(trace, "text", None)
        if text is None or isinstance(text, str):
            continue
        tidy = []
        for label in text:
            value = str(label).replace(",", "")
            if value.lower() == "nan":
                tidy.append(SUPPRESSED)
            elif value.endswith(".0") and value[:-2].isdigit():
                tidy.append(f"{int(value[:-2]):,}")
            else:
                tidy.append(label)
        trace.text = tidy


def _mark_bars(trace: Any) -> None:
    """A bar whose value is missing: drawn with zero length and labelled ``[c]``."""
    axis = "x" if trace.orientation == "h" else "y"
    values = getattr(trace, axis)
    if values is None:
        return
    values = list(values)
    missing = [_missing(v) for v in values]
    if not any(missing):
        return
    text = list(trace.text) if trace.text is not None and not isinstance(trace.text, str) else None
    text = text or [""] * len(values)
    trace.text = [SUPPRESSED if gone else t for t, gone in zip(text, missing, strict=True)]
    trace.update({axis: [0 if gone else v for v, gone in zip(values, missing, strict=True)]})
    trace.textposition = "outside"


def _mark_dots(figure: go.Figure, trace: Any) -> None:
    """A dot plot of named groups (equality): a suppressed group's row reads ``[c]``."""
    for x, y in zip(trace.x, trace.y, strict=True):
        if isinstance(y, str) and _missing(x):
            figure.add_annotation(x=0, xref="x domain", xanchor="left", y=y, yref="y",
                                  text=SUPPRESSED, showarrow=False)


def _mark_hover(trace: Any) -> None:
    """Hover text: a suppressed figure reads ``[c]``, not ``NaN``.

    The charts' hover templates format ``customdata`` columns (``%{customdata[0]:,}``);
    a suppressed value is NaN there. Where a trace has one, its referenced columns are
    formatted here (:data:`HOVER_FORMATS`, ``[c]`` for NaN) and the template shows
    the text as it is.
    """
    template = getattr(trace, "hovertemplate", None)
    custom = getattr(trace, "customdata", None)
    if not isinstance(template, str) or custom is None:
        return
    fields = {int(m.group(1)): m.group(2) or "" for m in _HOVER_CUSTOM.finditer(template)}
    if not fields or any(spec not in HOVER_FORMATS for spec in fields.values()):
        return
    values = pd.DataFrame(list(custom))
    # Only a missing value is suppressed; text (a RAG rating, a name) is shown as it is.
    if not any(values[i].isna().any() for i in fields if i in values.columns):
        return
    numbers = values.apply(pd.to_numeric, errors="coerce")
    text = values.astype(object)
    for i, spec in fields.items():
        if i in values.columns:
            text[i] = [
                SUPPRESSED if pd.isna(v) else v if pd.isna(n) else HOVER_FORMATS[spec](float(n))
                for v, n in zip(values[i], numbers[i], strict=True)
            ]
    trace.customdata = text.to_numpy(dtype=object)
    trace.hovertemplate = _HOVER_CUSTOM.sub(lambda m: f"%{{customdata[{m.group(1)}]}}", template)


def mark_suppressed(figure: go.Figure, *, suppressed: bool = True) -> go.Figure:
    """Mark the suppressed figures of a chart drawn from protected numbers (in place).

    - bar and point labels: ``nan`` reads ``[c]``, a whole number loses its ``.0``;
    - where ``suppressed``: a bar whose value is missing is drawn with zero length and
      labelled ``[c]`` (not left out, so it is not read as zero); in a dot plot of
      named groups the group's row reads ``[c]``; hover text shows ``[c]`` for a missing
      figure and the others at the tables' precision (:data:`HOVER_FORMATS`).

    Parameters
    ----------
    figure : plotly.graph_objects.Figure
        Drawn from protected numbers (``numeric_view`` of a protected view).
    suppressed : bool, default True
        Whether the figures shown hold a suppressed one at all; when not, a missing
        value is just missing and is left as a gap.

    Returns
    -------
    plotly.graph_objects.Figure
        ``figure`` itself.
    """
    _tidy_text(figure)
    if not suppressed:
        return figure
    for trace in figure.data:
        if trace.type == "bar":
            _mark_bars(trace)
        elif trace.type == "scatter" and trace.x is not None and trace.y is not None:
            _mark_dots(figure, trace)
        _mark_hover(trace)
    return figure
