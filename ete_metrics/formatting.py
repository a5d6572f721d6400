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
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

#: Words kept in upper case when column names are humanised.
_ACRONYMS = {"id": "ID", "ci": "CI", "rag": "RAG", "fy": "FY"}


def _is_missing(value: Any) -> bool:
    """Return True for None, NaN, NaT and pandas NA (False for any other scalar)."""
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
    if _is_missing(value) or value == "":
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
    if _is_missing(n):
        return ""
    return f"{int(round(float(n))):,}"


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
    if _is_missing(rate):
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
    if _is_missing(n):
        return ""
    value = int(round(float(n)))
    return f"{value:+,}" if value else "0"


def signed_points(rate_change: Any) -> str:
    """Format a change in a rate (fraction) in percentage points: ``+1.2 pp``."""
    if _is_missing(rate_change):
        return ""
    value = round(float(rate_change) * 100, 1)
    if value == 0:
        return "0.0 pp"
    return f"{value:+.1f} pp"


def humanise(name: str) -> str:
    """Turn a column name into a heading: ``"rate_from_entry"`` -> ``"Rate from entry"``.

    Parameters
    ----------
    name : str
        A snake_case column name.

    Returns
    -------
    str
        Words separated by spaces, first letter capitalised, known acronyms
        (ID, CI, RAG, FY) in capitals.
    """
    words = [w for w in str(name).replace("_", " ").split(" ") if w]
    if not words:
        return str(name)
    out = [_ACRONYMS.get(w.lower(), w) for w in words]
    first = out[0]
    if first == words[0]:
        out[0] = first[:1].upper() + first[1:]
    return " ".join(out)


def _format_counts(values: pd.Series) -> pd.Series:
    numbers = pd.to_numeric(values, errors="coerce").astype("float64")
    missing = numbers.isna() | ~_isfinite(numbers)
    text = numbers.where(~missing, 0).round().astype("int64").map("{:,}".format).astype(object)
    return text.where(~missing, "")


def _format_rates(values: pd.Series) -> pd.Series:
    numbers = pd.to_numeric(values, errors="coerce").astype("float64") * 100
    missing = numbers.isna() | ~_isfinite(numbers)
    text = numbers.where(~missing, 0).map("{:,.1f}%".format).astype(object)
    text = text.where(text != "-0.0%", "0.0%")
    return text.where(~missing, "")


_MONTHS = np.array(["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"])


def _format_dates(values: pd.Series) -> pd.Series:
    stamps = pd.to_datetime(values, errors="coerce")
    missing = stamps.isna()
    day = stamps.dt.day.fillna(1).astype("int64").astype(str)
    month = pd.Series(_MONTHS[stamps.dt.month.fillna(1).astype("int64").to_numpy() - 1], index=values.index)
    year = stamps.dt.year.fillna(2000).astype("int64").astype(str)
    text = (day + " " + month + " " + year).astype(object)
    return text.where(~missing, "")


def _isfinite(values: pd.Series) -> pd.Series:
    """Element-wise ``isfinite`` of a float Series that treats NaN as not finite."""
    return pd.Series(np.isfinite(values.to_numpy(dtype="float64", na_value=np.nan)), index=values.index)


def _text(values: pd.Series) -> pd.Series:
    return values.astype(object).where(values.notna(), "")


def format_table(
    frame: pd.DataFrame,
    *,
    counts: Iterable[str] = (),
    rates: Iterable[str] = (),
    dates: Iterable[str] = (),
) -> pd.DataFrame:
    """Return a new frame of display strings with humanised column names.

    Parameters
    ----------
    frame : pandas.DataFrame
        A tidy frame from a metric function (not modified).
    counts, rates, dates : iterable of str
        Columns to format with :func:`count`, :func:`percent` and :func:`uk_date`.
        Other columns are kept as they are (missing text shown as ``""``).

    Returns
    -------
    pandas.DataFrame
        Same rows (index reset) with every column renamed by :func:`humanise`.

    Raises
    ------
    KeyError
        When a named column is not in ``frame`` (a programming error, not a user one).
    """
    out = frame.copy().reset_index(drop=True)
    formatted: set[str] = set()
    for columns, formatter in ((counts, _format_counts), (rates, _format_rates), (dates, _format_dates)):
        for column in columns:
            if column not in out.columns:
                raise KeyError(f"format_table: no column {column!r} in {list(out.columns)}")
            out[column] = formatter(out[column])
            formatted.add(column)
    for column in out.columns:
        if column in formatted:
            continue
        if pd.api.types.is_object_dtype(out[column]) or pd.api.types.is_string_dtype(out[column]):
            out[column] = _text(out[column])
    out.columns = [humanise(c) for c in out.columns]
    return out
