"""Rendering helpers: chart + table + downloads, tiles, empty states, user errors.

Every chart on every page goes through :func:`chart_with_table`, so the numbers
behind a chart are always in a table right under it, downloadable as CSV (ISO
dates, raw numbers) and Excel.
"""

from __future__ import annotations

import functools
import io
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from ete_metrics.errors import EteError
from ete_metrics.formatting import format_table

LOGGER = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])

#: Plotly toolbar settings: no logo, image export named after the chart.
PLOTLY_CONFIG: dict[str, Any] = {"displaylogo": False}


def csv_bytes(table: pd.DataFrame) -> bytes:
    """Return the table as UTF-8 CSV: raw column names and numbers, ISO dates.

    Parameters
    ----------
    table : pandas.DataFrame
        The tidy frame behind a chart.

    Returns
    -------
    bytes
    """
    return table.to_csv(index=False, date_format="%Y-%m-%d").encode("utf-8")


def excel_bytes(table: pd.DataFrame, *, sheet_name: str = "data") -> bytes:
    """Return the table as an Excel workbook (.xlsx, openpyxl): raw numbers, real dates.

    Parameters
    ----------
    table : pandas.DataFrame
    sheet_name : str
        Truncated to Excel's 31 characters.

    Returns
    -------
    bytes
    """
    buffer = io.BytesIO()
    out = table.copy()
    for column in out.columns:
        if isinstance(out[column].dtype, pd.CategoricalDtype):
            out[column] = out[column].astype(object)
    with pd.ExcelWriter(
        buffer, engine="openpyxl", date_format="YYYY-MM-DD", datetime_format="YYYY-MM-DD"
    ) as writer:
        out.to_excel(writer, index=False, sheet_name=(sheet_name or "data")[:31])
    return buffer.getvalue()


def downloads(table: pd.DataFrame, *, key: str, filename: str) -> None:
    """Render CSV and Excel download buttons for ``table`` (generated on click).

    Parameters
    ----------
    table : pandas.DataFrame
        Raw numbers, as computed by :mod:`ete_metrics`.
    key : str
        Unique widget key prefix on the page.
    filename : str
        File name without extension, e.g. ``"funnel_by_region"``.
    """
    left, right, _ = st.columns([1, 1, 4])
    with left:
        st.download_button(
            "Download CSV",
            data=functools.partial(csv_bytes, table),
            file_name=f"{filename}.csv",
            mime="text/csv",
            key=f"{key}_csv",
            on_click="ignore",
            icon=":material/download:",
        )
    with right:
        st.download_button(
            "Download Excel",
            data=functools.partial(excel_bytes, table, sheet_name=filename),
            file_name=f"{filename}.xlsx",
            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            key=f"{key}_xlsx",
            on_click="ignore",
            icon=":material/download:",
        )


def table_with_downloads(
    frame: pd.DataFrame,
    *,
    key: str,
    filename: str,
    counts: Iterable[str] = (),
    rates: Iterable[str] = (),
    dates: Iterable[str] = (),
    columns: Sequence[str] | None = None,
) -> None:
    """Render a formatted table with CSV and Excel downloads (no chart).

    Parameters
    ----------
    frame : pandas.DataFrame
        Raw figures; the downloads carry these, the screen shows formatted strings.
    key, filename : str
        Widget key prefix and download file name (without extension).
    counts, rates, dates : iterable of str
        Columns formatted as counts (``10,234``), percentages (``38.1%``) and UK dates.
    columns : sequence of str, optional
        Show (and download) only these columns, in this order.
    """
    if columns is not None:
        frame = frame.loc[:, list(columns)]
    counts, rates, dates = (
        [c for c in group if c in frame.columns] for group in (counts, rates, dates)
    )
    st.dataframe(
        format_table(frame, counts=counts, rates=rates, dates=dates),
        hide_index=True,
        width="stretch",
    )
    downloads(frame, key=key, filename=filename)


def chart_with_table(
    fig: go.Figure,
    table: pd.DataFrame,
    *,
    key: str,
    filename: str,
    counts: Iterable[str] = (),
    rates: Iterable[str] = (),
    dates: Iterable[str] = (),
    columns: Sequence[str] | None = None,
) -> None:
    """Render a Plotly chart with the numbers behind it right under it.

    Parameters
    ----------
    fig : plotly.graph_objects.Figure
        A chart from :mod:`ete_metrics.charts` (already styled).
    table : pandas.DataFrame
        The tidy frame the chart was built from (raw numbers).
    key : str
        Unique key prefix for the chart and the download buttons.
    filename : str
        Download file name without extension.
    counts, rates, dates : iterable of str
        Columns shown as counts, percentages (one decimal) and UK dates.
    columns : sequence of str, optional
        Show (and download) only these columns, in this order.
    """
    st.plotly_chart(fig, key=f"{key}_chart", config=PLOTLY_CONFIG)
    table_with_downloads(
        table, key=key, filename=filename, counts=counts, rates=rates, dates=dates,
        columns=columns,
    )


def empty_state(message: str) -> None:
    """Show a friendly note when the filters leave nothing to show.

    Parameters
    ----------
    message : str
        What is empty and what to change, e.g. "No one entered in this date range: widen the dates."
    """
    st.info(message, icon=":material/info:")


def tiles(items: Sequence[Any], *, columns: int | None = None) -> None:
    """Render headline figures as ``st.metric`` tiles in a row.

    Parameters
    ----------
    items : sequence
        Each a tuple ``(label, value)``, ``(label, value, delta)`` or
        ``(label, value, delta, help)``, or a dict with keys ``label``, ``value``
        and optionally ``delta``, ``help``, ``delta_color``, ``delta_arrow``. Values and deltas
        should already be formatted strings (:mod:`ete_metrics.formatting`).
    columns : int, optional
        Tiles per row (default: all in one row, at most 4 per row).
    """
    specs: list[dict[str, Any]] = []
    for item in items:
        if isinstance(item, dict):
            specs.append(dict(item))
            continue
        label, value, *rest = item
        spec: dict[str, Any] = {"label": label, "value": value}
        if len(rest) > 0:
            spec["delta"] = rest[0]
        if len(rest) > 1:
            spec["help"] = rest[1]
        specs.append(spec)
    if not specs:
        return
    per_row = columns or min(len(specs), 4)
    for start in range(0, len(specs), per_row):
        row = specs[start : start + per_row]
        for column, spec in zip(st.columns(per_row), row, strict=False):
            with column:
                st.metric(
                    spec["label"],
                    spec["value"],
                    delta=spec.get("delta") or None,
                    delta_color=spec.get("delta_color", "normal"),
                    help=spec.get("help"),
                    border=True,
                    delta_arrow=spec.get("delta_arrow", "auto"),
                )


@contextmanager
def user_errors(*, stop: bool = True) -> Iterator[None]:
    """Show problems the user can fix as ``st.error`` instead of a traceback.

    Catches :class:`ete_metrics.errors.EteError` (its message says what to fix).
    Any other exception is logged with its traceback for the maintainers and the
    user sees a short apology, never the traceback.

    Parameters
    ----------
    stop : bool
        Stop the page after showing the error (default); ``False`` carries on.

    Examples
    --------
    >>> with user_errors():  # doctest: +SKIP
    ...     result = funnel(participants, milestones, as_of=f.as_of)
    """
    try:
        yield
    except EteError as exc:
        st.error(str(exc), icon=":material/error:")
        if stop:
            st.stop()
    except Exception as exc:  # noqa: BLE001 - the user must never see a traceback
        LOGGER.exception("Unexpected error in the dashboard")
        st.error(
            "Something went wrong while preparing these figures "
            f"({type(exc).__name__}). Please try again or tell the data team.",
            icon=":material/error:",
        )
        if stop:
            st.stop()


def guard(fn: F) -> F:
    """Decorate a function so :class:`EteError` shows as ``st.error`` (see :func:`user_errors`)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with user_errors():
            return fn(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
