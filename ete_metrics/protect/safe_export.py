"""Neutralise spreadsheet formula injection in exported text.

A text cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return can be run as a formula by Excel, LibreOffice or Google Sheets when a
CSV or workbook is opened (OWASP, *CSV Injection*). A partner or employer name
typed as ``=HYPERLINK("http://evil", "click")`` would otherwise become a live
link in a contract review pack. Every CSV and Excel export therefore passes its
frames through :func:`neutralise_frame`, which prefixes such text with a single
quote ``'`` so spreadsheets show it as text. Numbers, dates and missing values
are left alone, so ``-5`` stored as a number is still a number.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["DANGEROUS_PREFIXES", "neutralise", "neutralise_frame"]

#: First characters that make a spreadsheet treat text as a formula (OWASP).
DANGEROUS_PREFIXES: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """Return ``value`` made safe for a spreadsheet cell.

    Parameters
    ----------
    value : object
        A cell value.

    Returns
    -------
    object
        For a ``str`` beginning with one of :data:`DANGEROUS_PREFIXES`, the
        same text with a single quote ``'`` in front; any other value unchanged.

    Examples
    --------
    >>> neutralise("=1+1")
    "'=1+1"
    >>> neutralise("Capital Pathways Trust")
    'Capital Pathways Trust'
    >>> neutralise(-5)
    -5
    """
    if isinstance(value, str) and value.startswith(DANGEROUS_PREFIXES):
        return "'" + value
    return value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of ``frame`` whose text cells cannot run as formulas.

    Method: OWASP *CSV Injection* guidance — text beginning with ``=``, ``+``,
    ``-``, ``@``, tab or carriage return is prefixed with ``'``. Column names
    (which become the header row) are treated the same way. Only text
    (``object`` / string columns) is changed; numeric, boolean and date columns
    are returned as they are.

    Parameters
    ----------
    frame : pandas.DataFrame
        The frame to export. Not modified.

    Returns
    -------
    pandas.DataFrame
        A new frame with the same index, columns (neutralised if text) and dtypes
        apart from changed text columns, which become ``object``.
    """
    out = frame.copy()
    for j in range(out.shape[1]):
        series = out.iloc[:, j]
        if not (pd.api.types.is_object_dtype(series.dtype) or pd.api.types.is_string_dtype(series.dtype)):
            continue
        values = series.to_numpy(dtype=object)
        if not any(isinstance(v, str) and v.startswith(DANGEROUS_PREFIXES) for v in values):
            continue
        out.isetitem(j, np.asarray([neutralise(v) for v in values], dtype=object))
    out.columns = pd.Index([neutralise(c) for c in out.columns])
    return out
