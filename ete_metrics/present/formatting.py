"""Display formatting shared by the dashboard and any report: UK dates, counts, percentages.

No Streamlit here: these are plain functions from values to display strings, so
the dashboard's tables and the tests that check them format numbers the same way.

House style (GOV.UK / Analysis Function):

- dates as ``16 Aug 2023`` on screen (ISO ``2023-08-16`` in files);
- counts with thousands separators, ``10,234``;
- rates (fractions 0–1) as percentages with one decimal, ``38.1%``;
- missing values as an empty string.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

# humanise (a column name in words) lives with the vocabulary, handed on here
from ete_metrics.steps import humanise as humanise


def is_missing(value: Any) -> bool:
    """Return True for None, NaN, NaT and pandas NA (False for any other scalar).

    Parameters
    ----------
    value : object
        One value (a table cell).

    Returns
    -------
    bool
    """
    if value is None:
        return True
    if isinstance(value, str | bytes):
        return False
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def uk_date(value: Any) -> str:
    """Format a date as ``16 Aug 2023``.

    Parameters
    ----------
    value : date, datetime, pandas.Timestamp, ISO str or None
        The date; a time of day is dropped.

    Returns
    -------
    str
        Day without a leading zero, abbreviated month, four-digit year; ``""`` when missing.
    """
    if is_missing(value) or value == "":
        return ""
    stamp = pd.Timestamp(value) if isinstance(value, datetime | date) else pd.Timestamp(str(value))
    if stamp is pd.NaT:
        return ""
    return f"{stamp.day} {stamp.strftime('%b %Y')}"


def count(n: Any) -> str:
    """Format a count with thousands separators: ``1234567`` -> ``"1,234,567"``.

    Parameters
    ----------
    n : int, float or None
        A count; floats are rounded to the nearest whole number.

    Returns
    -------
    str
        ``""`` when missing (None/NaN).
    """
    if is_missing(n):
        return ""
    return f"{int(round(float(n))):,}"


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """A count with its noun, singular for one: ``counted(1, "warning")`` -> ``"1 warning"``.

    Parameters
    ----------
    n : int
        The count (thousands separators as :func:`count`).
    noun : str
        The singular noun.
    plural : str, optional
        The plural, when it is not ``noun + "s"``.

    Returns
    -------
    str

    Examples
    --------
    >>> counted(1, "participant"), counted(1200, "participant")
    ('1 participant', '1,200 participants')
    """
    return f"{count(n)} {noun if n == 1 else plural or noun + 's'}"


def percent(rate: Any, *, decimals: int = 1) -> str:
    """Format a rate given as a fraction: ``0.38149`` -> ``"38.1%"``.

    Parameters
    ----------
    rate : float or None
        A fraction (0.381 means 38.1%).
    decimals : int
        Decimal places (one by house style).

    Returns
    -------
    str
        ``""`` when missing (None/NaN).
    """
    if is_missing(rate):
        return ""
    value = float(rate) * 100
    if math.isinf(value):
        return ""
    text = f"{value:,.{decimals}f}%"
    if text.startswith("-") and float(text[1:-1].replace(",", "")) == 0:
        text = text[1:]  # no "-0.0%"
    return text


def signed_count(n: Any) -> str:
    """Format a change in a count with its sign: ``+1,234`` / ``-56`` / ``0``."""
    if is_missing(n):
        return ""
    value = int(round(float(n)))
    return f"{value:+,}" if value else "0"


def signed_points(rate_change: Any) -> str:
    """Format a change in a rate (fraction) in percentage points: ``+1.2 pp``."""
    if is_missing(rate_change):
        return ""
    value = round(float(rate_change) * 100, 1)
    if value == 0:
        return "0.0 pp"
    return f"{value:+.1f} pp"


#: The longest text a fixed layout (a PDF or deck table cell, a footer) shows of one value;
#: a longer name (the import accepts 1,000 characters) is cut, the workbook keeps it whole.
LAYOUT_CHARS = 80
def fit_text(text: Any, limit: int = LAYOUT_CHARS) -> str:
    """A value as text short enough for a fixed layout.

    Parameters
    ----------
    text : Any
        The value (shown with ``str``).
    limit : int
        The most characters kept; a longer text is cut and ends in ``…``.

    Returns
    -------
    str
        The text, shortened when longer than ``limit``.
    """
    value = str(text)
    if len(value) > limit:
        value = value[: limit - 1].rstrip() + "…"
    return value


def fit_table(shown: pd.DataFrame, limit: int = LAYOUT_CHARS) -> pd.DataFrame:
    """A table of display strings with every value and heading passed through :func:`fit_text`.

    Parameters
    ----------
    shown : pandas.DataFrame
        Display strings (e.g. from ``ReportTable.display``); not changed.
    limit : int
        As for :func:`fit_text`.

    Returns
    -------
    pandas.DataFrame
        A new frame of the same shape; the column names keep their order.
    """
    out = shown.map(lambda value: fit_text(value, limit))
    out.columns = pd.Index([fit_text(c, limit) for c in shown.columns])
    return out


# The column formatters work on NumPy arrays and format each value with one f-string:
# the tables behind charts are small, and a chain of pandas operations per column cost
# more than the formatting itself. Each returns an object array of display strings.


def _finite_numbers(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """The values as float64 (non-numbers coerced to NaN) and a mask of the finite ones."""
    if isinstance(values.dtype, np.dtype) and values.dtype.kind in "iuf":  # plain NumPy numbers
        numbers = values.to_numpy(dtype="float64")
    else:
        numbers = pd.to_numeric(values, errors="coerce").astype("float64").to_numpy(
            dtype="float64", na_value=np.nan
        )
    return numbers, np.isfinite(numbers)


def _strings(text: list[str]) -> np.ndarray:
    out = np.empty(len(text), dtype=object)
    out[:] = text
    return out


def _format_counts(values: pd.Series) -> np.ndarray:
    numbers, finite = _finite_numbers(values)
    rounded = np.round(np.where(finite, numbers, 0)).astype("int64")
    return _strings([f"{n:,}" if ok else "" for n, ok in zip(rounded.tolist(), finite.tolist(), strict=True)])


def _format_rates(values: pd.Series) -> np.ndarray:
    numbers, finite = _finite_numbers(values)
    percents = np.where(finite, numbers * 100, 0.0)
    text = []
    for value, ok in zip(percents.tolist(), finite.tolist(), strict=True):
        shown = f"{value:,.1f}%" if ok else ""
        text.append("0.0%" if shown == "-0.0%" else shown)
    return _strings(text)


def _format_signed_counts(values: pd.Series) -> np.ndarray:
    numbers, finite = _finite_numbers(values)
    rounded = np.round(np.where(finite, numbers, 0)).astype("int64")
    return _strings([
        "" if not ok else f"{n:+,}" if n else "0" for n, ok in zip(rounded.tolist(), finite.tolist(), strict=True)
    ])


def _format_points(values: pd.Series) -> np.ndarray:
    numbers, finite = _finite_numbers(values)
    text = []
    for value, ok in zip(np.where(finite, numbers, 0.0).tolist(), finite.tolist(), strict=True):
        points = round(value * 100, 1)
        text.append("" if not ok else "0.0 pp" if points == 0 else f"{points:+.1f} pp")
    return _strings(text)


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _format_dates(values: pd.Series) -> np.ndarray:
    stamps = pd.to_datetime(values, errors="coerce")
    present = stamps.notna().to_numpy(dtype=bool)
    days = stamps.dt.day.fillna(1).astype("int64").tolist()
    months = stamps.dt.month.fillna(1).astype("int64").tolist()
    years = stamps.dt.year.fillna(2000).astype("int64").tolist()
    return _strings([
        f"{d} {_MONTHS[m - 1]} {y}" if ok else ""
        for d, m, y, ok in zip(days, months, years, present.tolist(), strict=True)
    ])


def _text(values: pd.Series) -> np.ndarray:
    text = values.to_numpy(dtype=object, copy=True)
    text[pd.isna(text)] = ""
    return text
