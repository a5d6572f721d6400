"""Rendering helpers: chart + table + downloads, tiles, empty states, user errors.

Every chart on every page goes through :func:`chart_with_table`, so the numbers
behind a chart are always in a table right under it, downloadable as CSV (ISO
dates, raw numbers) and Excel.

**Audiences.** This module is where the stakeholder view is enforced. Pages pass
each table with its *view* (a :class:`ete_metrics.views.View`, e.g. ``views.FUNNEL``:
its columns' roles, headings and protection) and a chart *builder* (a function of the
frame) rather than a ready figure. In the stakeholder audience
:func:`shown` protects the frame once (:func:`ete_metrics.protect.audience.protect_view`),
the table shows the protected figures (``[c]`` for suppressed ones), the chart is
built from ``numeric_view`` of the protected frame (never the raw one), its suppressed
figures marked ``[c]`` (:func:`ete_metrics.present.charts.suppressed.mark_suppressed`), and
the downloads carry the protected frame. A view for internal use only
(``View.internal_only``) is not shown to stakeholders at all (fail safe).

**Downloads.** Every CSV and Excel file passes through
:func:`ete_metrics.protect.safe_export.neutralise_frame` (no spreadsheet formula
injection). The Excel workbook is laid out as the report workbook is (a cover,
contents, notes, the table on its own sheet: :mod:`ete_metrics.present.workbook`).
In the stakeholder audience the files say the figures are protected: the workbook's
cover and notes carry :data:`~ete_metrics.protect.disclosure.STAKEHOLDER_NOTE`; the CSV stays a plain,
machine-readable table (no comment lines) and its *file name* ends with
``_rounded_suppressed``, with the note shown next to the buttons.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import logging
import pickle
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeAlias

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard.audit import audited_exports
from dashboard.escape import markdown_literal
from dashboard.filters import current_filters
from dashboard.progress import status_progress
from ete_metrics.errors import ConfigError, EteError
from ete_metrics.present.charts.style import RAG_COLOURS, RAG_TEXT
from ete_metrics.present.charts.suppressed import mark_suppressed
from ete_metrics.present.formatting import count, humanise
from ete_metrics.present.tables import display_table, file_table, rag_grid
from ete_metrics.present.workbook import NOT_AVAILABLE, SheetTable, write_workbook
from ete_metrics.progress import Progress
from ete_metrics.protect.audience import AUDIENCE_LABELS, INTERNAL, STAKEHOLDER, present_view
from ete_metrics.protect.disclosure import STAKEHOLDER_NOTE, SUPPRESSED, numeric_view
from ete_metrics.protect.publication import Part, parts_of, publish
from ete_metrics.protect.safe_export import neutralise_frame
from ete_metrics.views import View, heading

LOGGER = logging.getLogger(__name__)

#: Plotly toolbar settings: no logo, image export named after the chart.
PLOTLY_CONFIG: dict[str, Any] = {"displaylogo": False}

#: Suffix of stakeholder download file names (the CSV carries no note lines).
STAKEHOLDER_SUFFIX = "_rounded_suppressed"

#: A chart: a ready figure (internal use only) or a function drawing it from a frame.
ChartSource: TypeAlias = go.Figure | Callable[[pd.DataFrame], go.Figure]


def stakeholder_mode() -> bool:
    """True when the sidebar's audience is *stakeholder* (protected figures only)."""
    return bool(current_filters().stakeholder)


@dataclass(frozen=True)
class Shown:
    """A view as it may be shown to the current audience.

    Attributes
    ----------
    table : pandas.DataFrame
        For tables and downloads: the raw frame (internal) or the protected one,
        whose counts are rounded ``int`` or ``"[c]"`` (stakeholder).
    numbers : pandas.DataFrame
        For charts and tiles: the raw frame, or ``numeric_view`` of the protected
        one (``"[c]"`` -> NaN).
    protected : bool
        True in the stakeholder audience.
    view : View
        Its view: the columns' roles and headings.
    """

    table: pd.DataFrame
    numbers: pd.DataFrame
    protected: bool
    view: View

    def select(self, pick: Callable[[pd.DataFrame], pd.DataFrame]) -> Shown:
        """Apply the same row/column selection to the table and the numbers."""
        table = pick(self.table).reset_index(drop=True)
        if self.numbers is self.table:  # internal audience: one frame, picked once
            return Shown(table, table, self.protected, self.view)
        return Shown(table, pick(self.numbers).reset_index(drop=True), self.protected, self.view)


def shown(frame: pd.DataFrame, view: View) -> Shown:
    """Return ``frame`` as the current audience may see it (the one place protection happens).

    Parameters
    ----------
    frame : pandas.DataFrame
        A metric's output (true counts). Not modified.
    view : View
        Its view (:mod:`ete_metrics.views`).

    Returns
    -------
    Shown

    Raises
    ------
    ete_metrics.errors.InputError
        In the stakeholder audience, a view for internal use only.
    """
    filters = current_filters()
    if not filters.stakeholder:
        return Shown(frame, frame, False, view)

    def protect() -> tuple[pd.DataFrame, pd.DataFrame]:
        protected = present_view(frame, view, filters.audience)
        return protected, numeric_view(protected)

    key = _content_key(frame, view.name, filters.audience)
    table, numbers = protect() if key is None else _protected(key, protect)
    return Shown(table.copy(), numbers.copy(), True, view)


def shown_together(parts: Sequence[Part]) -> list[Shown]:
    """The frames one page publishes together, as the current audience may see them.

    For stakeholders the set is protected as one publication
    (:func:`ete_metrics.protect.publication.publish`): a cell suppressed in one table is
    suppressed wherever the page shows the same people (a region in the funnel by region,
    the comparison and its drill-down; now and a month earlier), and the set is audited
    as a whole. Pass the results to :func:`chart_with_table` in place of the frames.

    Parameters
    ----------
    parts : sequence of Part
        The page's frames (true counts) with their views and ties.

    Returns
    -------
    list of Shown
        In the order of ``parts``.
    """
    filters = current_filters()
    if not filters.stakeholder:
        return [Shown(part.frame, part.frame, False, part.spec) for part in parts]
    keys = [_content_key(part.frame, part.spec.name, filters.audience) for part in parts]
    ties = tuple((part.moment, tuple(part.within.items()), tuple(part.measures.items())) for part in parts)

    def protect() -> list[tuple[pd.DataFrame, pd.DataFrame]]:
        return [(table, numeric_view(table)) for table in publish(parts, filters.audience)]

    together = protect() if any(k is None for k in keys) else _published((tuple(keys), ties), protect)
    return [Shown(table.copy(), numbers.copy(), True, part.spec)
            for (table, numbers), part in zip(together, parts, strict=True)]


def shown_publication(
    publication: str,
    frames: Mapping[str, pd.DataFrame | None],
    *,
    step: str | None = None,
    within: Mapping[str, str] | None = None,
) -> dict[str, Shown]:
    """A declared publication set (:data:`ete_metrics.views.PUBLICATIONS`), shown together.

    The page names its tables as the set does (None for one not shown this time); see
    :func:`ete_metrics.protect.publication.parts_of` and :func:`shown_together`.

    Returns
    -------
    dict of str to Shown
        By table name, for the tables given; for stakeholders, not the tables of a view for
        internal use only (the page shows its note in their place).
    """
    parts = parts_of(publication, frames, step=step, within=within)
    if stakeholder_mode():
        parts = {name: part for name, part in parts.items() if not part.spec.internal_only}
    return dict(zip(parts, shown_together(list(parts.values())), strict=True))


#: Protected views kept (the least recently used go first), shared by every session.
#: Protection is a pure function of the figures, the view and the audience, and the caches
#: are keyed on exactly those (the digest of the frame's contents, the view's name, the
#: audience; for a publication set, those of each table and their ties), so they are never
#: stale: other figures are another key. ``_protect`` is not hashed: the key stands for it.
_PROTECTED_CACHE_SIZE = 256


@st.cache_resource(show_spinner=False, max_entries=_PROTECTED_CACHE_SIZE)
def _protected(
    key: tuple[Any, ...], _protect: Callable[[], tuple[pd.DataFrame, pd.DataFrame]]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    return _protect()


@st.cache_resource(show_spinner=False, max_entries=_PROTECTED_CACHE_SIZE)
def _published(
    key: tuple[Any, ...], _protect: Callable[[], list[tuple[pd.DataFrame, pd.DataFrame]]]
) -> list[tuple[pd.DataFrame, pd.DataFrame]]:
    return _protect()


def _content_key(frame: pd.DataFrame, kind: str, audience: str) -> tuple[Any, ...] | None:
    """(digest of the frame's exact contents, kind, audience); None when it cannot be read.

    Column by column: its name, its dtype and its values (the raw bytes of a NumPy
    column, else the pickle of its values, which keeps each value's type), then the
    index. Equal digests mean equal frames; equal frames laid out differently in
    memory at worst miss.
    """
    digest = hashlib.blake2b(digest_size=32)

    def add(chunk: bytes) -> None:
        digest.update(len(chunk).to_bytes(8, "little"))
        digest.update(chunk)

    try:
        for name, values in frame.items():
            add(pickle.dumps(name, protocol=pickle.HIGHEST_PROTOCOL))
            add(str(values.dtype).encode())
            if isinstance(values.dtype, pd.CategoricalDtype):  # its categories and their order
                add(pickle.dumps(values.dtype, protocol=pickle.HIGHEST_PROTOCOL))
            if isinstance(values.dtype, np.dtype) and values.dtype.kind in "biufcmM":
                add(np.ascontiguousarray(values.to_numpy()).tobytes())
            else:
                add(pickle.dumps(values.to_numpy(dtype=object).tolist(), protocol=pickle.HIGHEST_PROTOCOL))
        add(pickle.dumps(frame.index, protocol=pickle.HIGHEST_PROTOCOL))
    except Exception:  # noqa: BLE001 - not cached, protected as usual
        return None
    return (digest.digest(), kind, audience)


def shown_count(value: Any) -> str:
    """Format a count that may be suppressed: ``"[c]"`` stays ``"[c]"``, else ``10,235``."""
    if isinstance(value, str) and value.strip() == SUPPRESSED:
        return SUPPRESSED
    return count(value)


def stakeholder_note(notices: list[str] | None = None) -> None:
    """Show the stakeholder note (figures rounded, small numbers suppressed), or add it to ``notices``."""
    if notices is None:
        st.info(STAKEHOLDER_NOTE, icon=":material/shield:")
    else:
        notices.append(STAKEHOLDER_NOTE)


def show_notices(notices: Sequence[str]) -> None:
    """The page's standing notices (sign-in off, a preview, the stakeholder rules) in one compact box.

    Each is a line of the one box, not a banner of its own: three stacked banners took
    460 px before a page's title.
    """
    if not notices:
        return
    text = notices[0] if len(notices) == 1 else "\n".join(f"- {notice}" for notice in notices)
    if STAKEHOLDER_NOTE in notices:  # the protected figures' note, where it has always been: an info box
        st.info(text, icon=":material/shield:")
    else:
        st.warning(text, icon=":material/info:")


def csv_bytes(table: pd.DataFrame) -> bytes:
    """Return the table as UTF-8 CSV: raw column names and numbers, ISO dates.

    Text cells that a spreadsheet would run as a formula are neutralised
    (:func:`ete_metrics.protect.safe_export.neutralise_frame`).

    Parameters
    ----------
    table : pandas.DataFrame
        The tidy frame behind a chart.

    Returns
    -------
    bytes
    """
    safe = neutralise_frame(table)
    return safe.to_csv(index=False, date_format="%Y-%m-%d").encode("utf-8")


#: A column name as in code (``occurred_at``), not yet a heading in words.
_CODE_NAME = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")


def excel_bytes(
    table: pd.DataFrame,
    *,
    sheet_name: str = "data",
    note: str | None = None,
    formats: Mapping[str, str] | None = None,
) -> bytes:
    """Return the table as an Excel workbook laid out for release (openpyxl).

    The same layout as the report workbook (:func:`ete_metrics.present.workbook.write_workbook`,
    the GSS guidance): a cover, a contents sheet, a notes sheet and the table on its own
    sheet, named and titled in words; raw numbers, ISO dates, ``[c]`` where suppressed
    and ``[x]`` where no figure exists. Text cells are neutralised
    (:func:`ete_metrics.protect.safe_export.neutralise`).

    Parameters
    ----------
    table : pandas.DataFrame
        As files hold it (:func:`ete_metrics.present.tables.file_table`: headings and codes in words).
    sheet_name : str
        The download's file name (``"funnel_by_region"``): the table's sheet and title in
        words ("Funnel by region") and its Excel table name.
    note : str, optional
        The stakeholder note: given, the cover and the notes say the figures are protected.
    formats : mapping of str to str, optional
        Heading -> role (``"count"``, ``"percent"``, ``"date"``): the cells' number formats.

    Returns
    -------
    bytes
    """
    name = sheet_name or "data"
    title = humanise(name.removesuffix(STAKEHOLDER_SUFFIX))
    # a column still named as in code (a frame that is not a view, e.g. the audit trail) in words
    table = table.rename(columns=lambda c: heading(c) if isinstance(c, str) and _CODE_NAME.fullmatch(c) else c)
    stakeholder = note is not None
    notes = [f"{NOT_AVAILABLE}: no figure exists for that row (for example a rate from the step "
             "before for the first step, or a median not reached)."]
    if stakeholder:
        notes = [f"{SUPPRESSED}: a figure suppressed to protect the people in it.",
                 f"Disclosure control: {note}", *notes]
    details: list[tuple[str, Any]] = [
        ("Table", title),
        ("Audience", AUDIENCE_LABELS[STAKEHOLDER if stakeholder else INTERNAL]),
    ]
    if note:
        details.append(("Disclosure control", note))
    return write_workbook(
        f"{title}: ETE outcomes",
        [SheetTable(sheet=title, title=title, frame=table, name=name, formats=dict(formats or {}))],
        details=details,
        about=[f"The table {title!r} as shown on the dashboard, downloaded."],
        notes=notes,
    )


def downloads(
    table: pd.DataFrame, *, key: str, filename: str, formats: Mapping[str, str] | None = None
) -> None:
    """Render CSV and Excel download buttons for ``table`` (generated on click).

    Parameters
    ----------
    table : pandas.DataFrame
        Raw numbers, as computed by :mod:`ete_metrics`.
    key : str
        Unique widget key prefix on the page.
    filename : str
        File name without extension, e.g. ``"funnel_by_region"``.
    formats : mapping of str to str, optional
        The workbook's number formats by heading (:func:`file_formats`).
    """
    note = STAKEHOLDER_NOTE if stakeholder_mode() else None
    if note:
        filename = f"{filename}{STAKEHOLDER_SUFFIX}"
    files = audited_exports({
        f"{filename}.csv": functools.partial(csv_bytes, table),
        f"{filename}.xlsx": functools.partial(excel_bytes, table, sheet_name=filename, note=note,
                                              formats=formats),
    }, current_filters())
    for column, (extension, (label, mime)) in zip(
        st.columns([1, 1, 4]), TABLE_FORMATS.items(), strict=False
    ):
        with column:
            _download_button(label, files, f"{filename}.{extension}", mime, key=f"{key}_{extension}")


def _download_button(
    label: str, files: Mapping[str, Callable[[], bytes]], file_name: str, mime: str, *, key: str
) -> None:
    """One download button for ``files[file_name]`` (built when clicked, no rerun)."""
    st.download_button(
        label,
        data=files[file_name],
        file_name=file_name,
        mime=mime,
        key=key,
        on_click="ignore",
        icon=":material/download:",
    )


#: The width a table has on a page at 1440 px with the sidebar open, in pixels (less a margin).
TABLE_ROOM_PX = 900
#: What a character of a table's text takes, and a cell's padding, in pixels (an estimate
#: on the safe side of Streamlit's grid at its 14 px font).
_CHARACTER_PX = 8
_CELL_PADDING_PX = 24
#: Tables with more rows stay in the scrolling grid (a long list is not laid out whole).
WHOLE_TABLE_ROWS = 60
#: Tables wider than this cannot be wrapped to fit (the cohorts' heatmap, a column for each
#: month since entry): they stay in the grid, which scrolls sideways and takes keyboard focus
#: (a static table would scroll without it, failing WCAG 2.1.1: axe's scrollable-region-focusable).
WRAP_AT_MOST_PX = 2 * TABLE_ROOM_PX


def table_width_px(table: pd.DataFrame) -> int:
    """An estimate of the width ``table`` takes in Streamlit's grid, every heading and cell whole."""
    width = 0
    for column in table.columns:
        cells = table[column].astype(str).str.len()
        longest = max([len(str(column)), *(int(n) for n in cells.fillna(0))])
        width += longest * _CHARACTER_PX + _CELL_PADDING_PX
    return width


def show_table(table: pd.DataFrame, *, every_row: bool = False) -> None:
    """Show a table of display strings so that every column can be read at 1440 px.

    A table that fits is Streamlit's grid (at most ten rows and a scroll bar, or with
    ``every_row`` all its rows). A table wider than the room (:data:`TABLE_ROOM_PX`) and
    not long is a static table instead: its headings and cells wrap, so no column is
    cut off behind a horizontal scroll bar, and every row shows; one too wide to wrap
    (:data:`WRAP_AT_MOST_PX`) stays in the grid, which scrolls. A static table's cells
    are Markdown, so each is escaped (:func:`markdown_literal`): a partner's name or a
    file's value shows as itself.

    Parameters
    ----------
    table : pandas.DataFrame
        Display strings (:func:`ete_metrics.present.tables.display_table`).
    every_row : bool
        Show every row, with no inner scroll bar (a meeting's screen).
    """
    width = table_width_px(table)
    if TABLE_ROOM_PX < width <= WRAP_AT_MOST_PX and len(table) <= WHOLE_TABLE_ROWS:
        st.table(_literal_table(table), hide_index=True)
    else:
        st.dataframe(table, hide_index=True, width="stretch", height="content" if every_row else "auto")


def _literal_table(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with every heading and text cell as Markdown showing exactly its text."""
    return pd.DataFrame(
        {
            markdown_literal(column): [markdown_literal(v) if isinstance(v, str) else v for v in table[column]]
            for column in table.columns
        }
    )


def table_with_downloads(
    frame: pd.DataFrame | Shown,
    view: View | None = None,
    *,
    key: str,
    filename: str,
    columns: Sequence[str] | None = None,
    select: Callable[[pd.DataFrame], pd.DataFrame] | None = None,
    max_rows: int | None = None,
    labels: Mapping[str, Callable[[Any], Any]] | None = None,
    undefined: Mapping[str, str] | None = None,
) -> None:
    """Render a formatted table with CSV and Excel downloads (no chart).

    Parameters
    ----------
    frame : pandas.DataFrame or Shown
        Raw figures (protected here for stakeholders), or a :class:`Shown` from
        :func:`shown`. The downloads carry these, the screen shows formatted strings.
    view : View
        The frame's view (:mod:`ete_metrics.views`): its columns are formatted by their
        roles (counts ``10,234``, percentages ``38.1%``, UK dates, ``+1.2 pp``) and
        headed in words. Needed with a raw frame; a :class:`Shown` carries its own.
        A view for internal use only is not shown to stakeholders (fail safe).
    key, filename : str
        Widget key prefix and download file name (without extension).
    columns : sequence of str, optional
        Show (and download) only these columns, in this order.
    select : callable, optional
        Rows/columns to show, applied *after* protection (e.g. all steps but the first).
    max_rows : int, optional
        Show at most this many rows on screen (a note says so); the downloads have all.
        For long participant lists, which would take seconds to format and send.
    labels : mapping of str to callable, optional
        On screen only, show ``labels[column](value)`` for the values of these columns
        (e.g. ``"age_band"`` as "Age band"); the downloads keep the values.
    undefined : mapping of str to str, optional
        Why each of these columns can be undefined (``"median_days"``: "not reached: 38.0%
        by 12 months"): when one is blank in every row, the screen leaves it out and says
        so under the table, heading and reason, so no column is blank throughout. The
        downloads keep it.
    """
    seen = _view(frame, view)
    if seen is None:
        st.caption("This table is not available in the stakeholder view.")
        return
    table = seen.table if select is None else select(seen.table).reset_index(drop=True)
    if columns is not None:
        table = table.loc[:, [c for c in columns if c in table.columns]]
    on_screen = table
    if max_rows is not None and len(table) > max_rows:
        on_screen = table.iloc[:max_rows]
        st.caption(
            f"Showing the first {count(max_rows)} of {count(len(table))} rows; "
            "the downloads below have all of them."
        )
    if labels:
        on_screen = on_screen.assign(
            **{column: on_screen[column].map(label) for column, label in labels.items() if column in on_screen}
        )
    said = []
    for column, why in (undefined or {}).items():
        if column in on_screen.columns and len(on_screen) and on_screen[column].isna().all():
            on_screen = on_screen.drop(columns=column)
            said.append(f"**{seen.view.heading(column)}** is not defined for any row: {why}")
    show_table(display_table(on_screen, seen.view))
    for sentence in said:
        st.caption(sentence)
    downloads(file_table(table, seen.view), key=key, filename=filename,
              formats=file_formats(seen.view, table.columns))


def file_formats(view: View | None, columns: Iterable[Any]) -> dict[str, str]:
    """Heading -> role of the columns of ``view`` holding figures (a workbook's number formats)."""
    if view is None:
        return {}
    return {view.heading(column): role for column, role in view.formats(map(str, columns)).items()}


def rag_cell_style(code: object) -> str:
    """The CSS of a RAG table cell rated ``code``: its colour, and text that reads on it
    (:data:`~ete_metrics.present.charts.style.RAG_TEXT`, 4.5:1 at least); none for a cell not rated."""
    if code not in RAG_COLOURS:
        return ""
    return f"background-color: {RAG_COLOURS[code]}; color: {RAG_TEXT[code]}; font-weight: bold"


def rag_table_with_downloads(seen: Shown, *, key: str, filename: str) -> None:
    """The director's RAG table: regions x measures, each cell coloured Green / Amber / Red.

    The cells carry the percent of target to date and the rating in words (colour is
    never the only cue), coloured as in the review pack
    (:data:`ete_metrics.present.charts.style.RAG_COLOURS`), then the work projection at
    the contract's end; the downloads carry the tidy table.

    Parameters
    ----------
    seen : Shown
        :func:`ete_metrics.metrics.review.rag_table` as the audience may see it.
    key, filename : str
        Widget key prefix and download file name.
    """
    text, codes = rag_grid(seen.table)

    def colour(column: pd.Series) -> list[str]:
        return [rag_cell_style(c) for c in codes[column.name]]

    st.dataframe(text.style.apply(colour), width="stretch")
    downloads(file_table(seen.table, seen.view), key=key, filename=filename,
              formats=file_formats(seen.view, seen.table.columns))


def _view(frame: pd.DataFrame | Shown, view: View | None) -> Shown | None:
    """The frame as the audience may see it; None when it cannot be shown to stakeholders."""
    if isinstance(frame, Shown):
        return frame
    if view is None:
        raise TypeError("A table is shown with its view (ete_metrics.views), e.g. views.FUNNEL.")
    if view.internal_only and stakeholder_mode():
        return None
    return shown(frame, view)


def chart_with_table(
    fig: ChartSource,
    table: pd.DataFrame | Shown,
    view: View | None = None,
    *,
    key: str,
    filename: str,
    columns: Sequence[str] | None = None,
    select: Callable[[pd.DataFrame], pd.DataFrame] | None = None,
    labels: Mapping[str, Callable[[Any], Any]] | None = None,
    empty: str | None = None,
    undefined: Mapping[str, str] | None = None,
) -> None:
    """Render a Plotly chart with the numbers behind it right under it.

    Parameters
    ----------
    fig : plotly Figure or callable
        A function drawing the chart (:mod:`ete_metrics.present.charts`) from a frame: it is
        called with the numbers the audience may see (for stakeholders,
        ``numeric_view`` of the protected frame, after ``select``). A ready Figure is
        shown only to the internal audience.
    table : pandas.DataFrame or Shown
        The tidy frame the chart is built from (raw numbers), or a :class:`Shown`.
    view : View
        The table's view (:mod:`ete_metrics.views`), as in :func:`table_with_downloads`.
    key : str
        Unique key prefix for the chart and the download buttons.
    filename : str
        Download file name without extension.
    columns : sequence of str, optional
        Show (and download) only these columns, in this order.
    select : callable, optional
        Rows/columns shown in the table (and downloads), applied after protection; the
        chart is drawn from the whole view.
    labels : mapping of str to callable, optional
        Readable values on screen only, as in :func:`table_with_downloads`.
    empty : str, optional
        When the table has no rows, this note (:func:`empty_state`) instead of the chart.
    undefined : mapping of str to str, optional
        Why a column can be undefined, as in :func:`table_with_downloads`.
    """
    if empty is not None and len(table.table if isinstance(table, Shown) else table) == 0:
        empty_state(empty)
        return
    seen = _view(table, view)
    if seen is None:
        st.caption("This chart is not available in the stakeholder view.")
        return
    if callable(fig) and not isinstance(fig, go.Figure):
        figure = fig(seen.numbers)
        if seen.protected:  # a gap is marked [c] only where the table shows one
            mark_suppressed(figure, suppressed=bool(seen.table.isin([SUPPRESSED]).any().any()))
    elif seen.protected:
        st.caption("This chart is not available in the stakeholder view.")
        figure = None
    else:
        figure = fig
    if figure is not None:
        st.plotly_chart(figure, key=f"{key}_chart", config=PLOTLY_CONFIG)
    table_with_downloads(
        seen if select is None else seen.select(select), key=key, filename=filename,
        columns=columns, labels=labels, undefined=undefined,
    )


#: MIME type of an Excel workbook.
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

#: The formats a table is downloaded in: extension -> (button label, MIME type).
TABLE_FORMATS: dict[str, tuple[str, str]] = {
    "csv": ("Download CSV", "text/csv"),
    "xlsx": ("Download Excel", XLSX_MIME),
}

#: The report formats offered: format -> (button label, extension, MIME type).
REPORT_FORMATS: dict[str, tuple[str, str, str]] = {
    "pptx": (
        "Download deck (PowerPoint)",
        "pptx",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ),
    "pdf": ("Download review pack (PDF)", "pdf", "application/pdf"),
    "xlsx": ("Download workbook (Excel)", "xlsx", XLSX_MIME),
}


#: What each report is called in its Prepare button and progress box.
REPORT_NAMES: dict[str, str] = {
    "pptx": "deck (PowerPoint)",
    "pdf": "review pack (PDF)",
    "xlsx": "workbook (Excel)",
}
#: Report formats whose charts are drawn by Chromium (through Kaleido).
IMAGE_FORMATS: frozenset[str] = frozenset({"pptx", "pdf"})


def charts_unavailable() -> str | None:
    """Why report charts cannot be drawn here (no Chromium or Kaleido), with how to fix it; None when they can.

    Cheap (a look along the PATH, no import of Kaleido), so every page run may ask.
    """
    from ete_metrics.present.report.images import browser_path

    if importlib.util.find_spec("kaleido") is None:
        return "Charts in the deck and the review pack need Kaleido: `pip install kaleido`."
    try:
        browser_path()
    except ConfigError as exc:
        return str(exc)
    return None


def _build_report(
    participants: pd.DataFrame,
    milestones: pd.DataFrame,
    targets: pd.DataFrame,
    *,
    as_of: Any,
    audience: str,
    regions: tuple[str, ...],
    fmt: str,
    pathways: tuple[str, ...] = (),
    delivery_partners: tuple[str, ...] = (),
    date_from: Any = None,
    date_to: Any = None,
    progress: Progress | None = None,
    programme: pd.DataFrame | None = None,
) -> bytes:
    """Build one report (when its Prepare button is clicked), telling ``progress`` each step.

    ``programme``: the programme's funnel when only part of it is in view (as on the pages).
    """
    from ete_metrics.present.report import build_report

    return build_report(
        participants, milestones, targets, as_of=as_of, audience=audience,
        regions=list(regions) or None, fmt=fmt, pathways=list(pathways) or None,
        delivery_partners=list(delivery_partners) or None, date_from=date_from, date_to=date_to,
        progress=progress, programme=programme,
    )


def report_downloads(
    participants: pd.DataFrame,
    milestones: pd.DataFrame,
    targets: pd.DataFrame,
    *,
    key: str = "report",
) -> None:
    """Render a Prepare button for the deck, the review pack and the workbook of the current view.

    A click builds that file in the page's run, under a status box saying the step it is
    on (figures, each chart, the layout), then puts a download button in the Prepare
    button's place. The file is kept in the session for the view it was built for (the
    sidebar's filters and audience, and the data's size): change the view and the
    Prepare buttons come back. Each download is recorded in the audit trail when it
    is downloaded (:func:`dashboard.audit.audited_exports`).

    Parameters
    ----------
    participants, milestones, targets : pandas.DataFrame
        The data left by the sidebar's region, pathway and partner filters.
    key : str
        Widget key prefix: ``{key}_prepare_{fmt}`` the Prepare buttons, ``{key}_{fmt}``
        the download buttons.
    """
    filters = current_filters()
    stem = f"ete_outcomes_{filters.as_of.isoformat()}"
    if filters.stakeholder:
        stem += STAKEHOLDER_SUFFIX
    view = (repr(filters), len(participants), len(milestones), len(targets))
    kept = st.session_state.get(f"{key}_prepared")
    prepared: dict[str, bytes] = kept[1] if isinstance(kept, tuple) and kept[0] == view else {}
    st.session_state[f"{key}_prepared"] = (view, prepared)

    def offer(fmt: str) -> None:
        label, extension, mime = REPORT_FORMATS[fmt]
        name = f"{stem}.{extension}"
        data = prepared[fmt]
        _download_button(label, audited_exports({name: lambda: data}, filters), name, mime, key=f"{key}_{fmt}")

    slots: dict[str, Any] = {}
    clicked: str | None = None
    missing = charts_unavailable()
    for column, fmt in zip(st.columns(len(REPORT_FORMATS)), REPORT_FORMATS, strict=True):
        with column:
            slots[fmt] = st.empty()
            with slots[fmt].container():
                unavailable = bool(missing) and fmt in IMAGE_FORMATS
                if fmt in prepared and not unavailable:
                    offer(fmt)
                elif st.button(f"Prepare the {REPORT_NAMES[fmt]}", key=f"{key}_prepare_{fmt}",
                               icon=":material/description:", disabled=unavailable,
                               help=missing if unavailable else None):
                    clicked = fmt
                if unavailable:
                    # the deck and the pack draw their charts with Chromium: say how to get it
                    st.caption(str(missing))
    if clicked is None:
        return
    noun = REPORT_NAMES[clicked].split(" (")[0]
    programme = None
    if filters.part_of_programme:  # a lead's regions, or a region filter: set against the programme
        from dashboard.data import programme_metric
        from ete_metrics.metrics.funnel import funnel

        programme = programme_metric(funnel, filters, as_of=filters.as_of, include_sustained=True,
                                     **filters.date_range())
    with status_progress(f"Preparing the {noun}", f"The {noun} is ready to download") as progress:
        prepared[clicked] = _build_report(
            participants, milestones, targets, as_of=filters.as_of, audience=filters.audience,
            regions=filters.regions, fmt=clicked, pathways=filters.pathways,
            delivery_partners=filters.delivery_partners, date_from=filters.date_from,
            date_to=filters.date_to, progress=progress, programme=programme,
        )
    with slots[clicked].container():
        offer(clicked)


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
        and optionally ``delta``, ``help``, ``delta_color``, ``delta_arrow``, ``delta_description``.
        Values and deltas
        should already be formatted strings (:mod:`ete_metrics.present.formatting`).
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
                    delta_description=spec.get("delta_description"),
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
        # The message may quote a file name or a cell value: shown as literal text.
        st.error(markdown_literal(exc), icon=":material/error:")
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
