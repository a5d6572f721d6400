"""The one table formatter: every table people read, on screen, in a deck, a PDF or a workbook.

:func:`display_table` turns a view's frame (numbers, text, dates, ``"[c]"`` where a
figure is withheld) into display strings in house style, with the headings and
category values in words (:mod:`ete_metrics.views`, :mod:`ete_metrics.steps`). The
dashboard, the reports and the command line all call it, so a figure reads the
same wherever it is shown.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from ete_metrics.present.formatting import (
    _format_counts,
    _format_dates,
    _format_points,
    _format_rates,
    _format_signed_counts,
    _text,
    percent,
)
from ete_metrics.protect.disclosure import SUPPRESSED
from ete_metrics.steps import WORK, label
from ete_metrics.views import View, heading

#: Ratios (observed / expected), shown with two decimals wherever they appear ("1.09").
RATIO_COLUMNS: tuple[str, ...] = ("ratio", "ratio_low", "ratio_high")

#: Columns whose values are codes of the vocabulary, shown in words ("work" -> "Into work").
WORD_COLUMNS: tuple[str, ...] = ("step", "measure", "rag", "position", "characteristic", "outcome")


#: The formatter of each role of a view's columns (:meth:`ete_metrics.views.View.formats`).
_FORMATTERS: dict[str, Any] = {
    "count": _format_counts, "percent": _format_rates, "date": _format_dates, "points": _format_points,
}


def _format_ratios(values: pd.Series) -> np.ndarray:
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    out = np.empty(len(numbers), dtype=object)
    out[:] = ["" if not np.isfinite(v) else f"{v:,.2f}" for v in numbers.tolist()]
    return out


def _words(values: pd.Series, own: Mapping[str, str] | None = None) -> np.ndarray:
    words = own or {}
    out = np.empty(len(values), dtype=object)
    out[:] = [
        v if isinstance(v, str) and v == SUPPRESSED else words.get(v) or label(v)
        for v in values.tolist()
    ]
    return out


def _word_columns(columns: Iterable[Any], view: View | None) -> dict[Any, Mapping[str, str]]:
    """The columns of codes shown in words, with the view's own words for them."""
    own = view.words if view is not None else {}
    return {c: own.get(c, {}) for c in columns if c in WORD_COLUMNS or c in own}


def _is_flag(values: pd.Series) -> bool:
    """True for a yes/no column with ``"[c]"`` where withheld (stakeholders): shown in words,
    since such a column is neither a flag nor text. A column of plain flags keeps its dtype."""
    if not pd.api.types.is_object_dtype(values):
        return False
    listed = values.tolist()
    withheld = [isinstance(v, str) and v == SUPPRESSED for v in listed]
    seen = [v for v, w in zip(listed, withheld, strict=True) if not w and not pd.isna(v)]
    return any(withheld) and bool(seen) and all(isinstance(v, bool | np.bool_) for v in seen)


def _flag_words(values: pd.Series) -> np.ndarray:
    """A yes/no column in words: ``Yes``, ``No``, ``[c]`` kept, missing empty."""
    out = np.empty(len(values), dtype=object)
    out[:] = [
        v if isinstance(v, str) else "" if pd.isna(v) else "Yes" if v else "No" for v in values.tolist()
    ]
    return out


def display_table(
    frame: pd.DataFrame,
    view: View | None = None,
    *,
    counts: Iterable[str] = (),
    rates: Iterable[str] = (),
    dates: Iterable[str] = (),
    points: Iterable[str] = (),
    labels: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Return a new frame of display strings with headings and categories in words.

    Counts get thousands separators (a column named ``change`` is signed: ``+456``),
    ratios of observed to expected (:data:`RATIO_COLUMNS`) two decimals (``1.09``),
    rates (fractions) are percentages with one decimal, dates are UK dates
    (``16 Aug 2023``), differences of rates are percentage points (``+1.2 pp``);
    codes of the vocabulary in :data:`WORD_COLUMNS` become words ("Into work",
    "Amber", "Gender"); a yes/no column with withheld values reads "Yes", "No" and
    ``"[c]"``; ``"[c]"`` stays ``"[c]"``; missing values are empty.

    Parameters
    ----------
    frame : pandas.DataFrame
        A view as shown to its audience (true or protected figures). Not modified.
    view : View, optional
        Its view (:mod:`ete_metrics.views`): the columns' roles and headings.
    counts, rates, dates, points : iterable of str
        More columns of each role (for frames that are not a registered view).
    labels : mapping of str to str, optional
        Headings of this table that win over the view's (``participants`` shown as
        "In work").

    Returns
    -------
    pandas.DataFrame
        Same rows (index reset); every column renamed by
        :func:`ete_metrics.views.heading`. Columns with no role keep their dtype
        (numbers, flags); text columns are ``object``.

    Raises
    ------
    KeyError
        When a column named in ``counts``/``rates``/``dates``/``points`` is not in
        ``frame`` (a programming error, not a user one); a view's roles apply only to
        the columns present.
    """
    source = frame.reset_index(drop=True)
    columns: dict[Any, Any] = {column: source[column] for column in source.columns}
    roles: dict[str, Any] = {}
    if view is not None:
        roles.update({c: _FORMATTERS[role] for c, role in view.formats(columns).items()})
    given: tuple[tuple[Iterable[str], Any], ...] = (
        (counts, _format_counts), (rates, _format_rates), (dates, _format_dates), (points, _format_points),
    )
    for wanted, formatter in given:
        for column in wanted:
            if column not in columns:
                raise KeyError(f"display_table: no column {column!r} in {list(source.columns)}")
            roles[column] = formatter
    if "change" in roles and roles["change"] is _format_counts:
        roles["change"] = _format_signed_counts
    for column in RATIO_COLUMNS:
        if column in columns:
            roles.setdefault(column, _format_ratios)
    coded = _word_columns(columns, view)
    for column, values in columns.items():
        role = roles.get(column)
        if role is not None:
            columns[column] = role(values)
        elif column in coded:
            columns[column] = _words(values, coded[column])
        elif _is_flag(values):
            columns[column] = _flag_words(values)
        elif pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values):
            columns[column] = _text(values)
        else:
            continue
        if role is not None and (
            pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values)
        ):
            hidden = np.fromiter(
                (isinstance(v, str) and v.strip() == SUPPRESSED for v in values.to_numpy(dtype=object)),
                dtype=bool, count=len(values),
            )
            if hidden.any():
                columns[column][hidden] = SUPPRESSED
    # The text columns in one go as ``object`` (no inference of a string dtype), then the
    # others (numbers, flags, categories...) put back in their places with their dtypes.
    text = {column: values for column, values in columns.items() if isinstance(values, np.ndarray)}
    out = pd.DataFrame(text, index=source.index, columns=list(text), dtype=object)
    for position, (column, values) in enumerate(columns.items()):
        if not isinstance(values, np.ndarray):
            out.insert(position, column, values)
    own = {**(view.headings if view is not None else {}), **(labels or {})}
    out.columns = [heading(str(c), own) for c in out.columns]
    return out


def file_table(
    frame: pd.DataFrame, view: View | None = None, *, labels: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """The table as a downloaded file holds it: the screen's words, machine-readable values.

    Headings and codes of the vocabulary are the words on screen (as
    :func:`display_table`); numbers stay numbers, rates fractions and dates dates
    (written as ISO dates), so the file can be read by software.

    Parameters
    ----------
    frame : pandas.DataFrame
        A view as shown to its audience. Not modified.
    view : View, optional
        Its view, for its own headings and words.
    labels : mapping of str to str, optional
        Headings of this table that win over the view's (as :func:`display_table`).

    Returns
    -------
    pandas.DataFrame
        A new frame, index reset.
    """
    out = frame.reset_index(drop=True)
    words = {column: _words(out[column], own) for column, own in _word_columns(out.columns, view).items()}
    if words:
        out = out.assign(**words)
    own = {**(view.headings if view is not None else {}), **(labels or {})}
    out.columns = [heading(str(c), own) for c in out.columns]
    return out


def rag_grid(rag: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The RAG table as people read it: regions down, measures across, each cell a rate and its rating.

    Parameters
    ----------
    rag : pandas.DataFrame
        :func:`ete_metrics.metrics.review.rag_table` as shown (``"[c]"`` where withheld).

    Returns
    -------
    (pandas.DataFrame, pandas.DataFrame)
        The text (``"97.3% Amber"``; a column per measure headed in words, then
        "Projected at contract end (work)": the work measure's projected percent of its
        contract target) and, cell for cell, the rating code (``"green"``, ``"amber"``,
        ``"red"`` or ``""``) for colouring. Regions in the table's order, index ``Region``.
    """
    regions = list(dict.fromkeys(rag["region"].astype(str)))
    measures = list(dict.fromkeys(rag["measure"].astype(str)))
    text = pd.DataFrame(index=pd.Index(regions, name=heading("region")))
    codes = pd.DataFrame(index=text.index)
    cells = rag.set_index([rag["region"].astype(str), rag["measure"].astype(str)])
    for measure in measures:
        words, colours = [], []
        for region in regions:
            if (region, measure) not in cells.index:
                words.append("")
                colours.append("")
                continue
            rate: Any = cells.at[(region, measure), "percent_achieved"]
            code: Any = cells.at[(region, measure), "rag"]
            shown_rate = rate if isinstance(rate, str) else percent(rate)
            name = code if isinstance(code, str) and code == SUPPRESSED else label(code)
            words.append(f"{shown_rate} {name}".strip())
            colours.append(str(code) if code in ("green", "amber", "red") else "")
        text[label(measure)] = words
        codes[label(measure)] = colours
    if WORK.name in measures:
        column = "Projected at contract end (work)"
        values = []
        for region in regions:
            projected: Any = (cells.at[(region, WORK.name), "projected_percent"]
                              if (region, WORK.name) in cells.index else None)
            values.append(projected if isinstance(projected, str) else percent(projected))
        text[column] = values
        codes[column] = ""
    return text, codes
