"""Workbooks laid out as the Government Statistical Service asks (openpyxl).

Every Excel file the project writes (the report workbook, each table downloaded from
the dashboard) goes through :func:`write_workbook`, following the Analysis Function's
guidance *Releasing statistics in spreadsheets* and the layout of its reference
implementation, ``gptables`` (see ``docs/architecture.md`` for why it is followed,
not used):

- a **Cover** sheet: the title, what the workbook is, and a two-column table of its
  details (audience in words, the cut-off as an ISO date, the filters);
- a **Contents** sheet: a table listing every table sheet (a link to it) and its title;
- a **Notes** sheet: a table of numbered notes (the symbols ``[c]`` and ``[x]``, the
  disclosure control, the filters);
- then **one table per sheet**: its title in cell A1 (the ``Title`` style), lines saying
  what the sheet holds and what its symbols mean, then the table, marked up as an Excel
  table (its header row is the table's headings), no merged cells and no blank rows.

Sheet names are words ("Work against target"), cells hold words for the vocabulary's
codes (the caller passes :func:`ete_metrics.present.tables.file_table`), numbers stay
numbers (rates as fractions formatted as percentages), dates are ISO ``yyyy-mm-dd``,
``[c]`` marks a suppressed figure and ``[x]`` a figure that does not exist for that row.
Every text cell passes :func:`ete_metrics.protect.safe_export.neutralise`.

:func:`read_tables` reads every table back as a DataFrame, found through the Contents
sheet (``read_tables(data)["regions"]``): the tests and anyone checking a published
workbook use it.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.table import Table, TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet

from ete_metrics.present.formatting import is_missing
from ete_metrics.protect.disclosure import SUPPRESSED
from ete_metrics.protect.safe_export import neutralise

__all__ = [
    "CONTENTS",
    "COVER",
    "NOT_AVAILABLE",
    "NOTES",
    "SheetTable",
    "read_cover",
    "read_tables",
    "sheet_title",
    "table_name",
    "write_workbook",
]

#: The sheets every workbook starts with, in order.
COVER, CONTENTS, NOTES = "Cover", "Contents", "Notes"

#: A figure that does not exist for its row (a rate of the first step, a median not
#: reached): the GSS shorthand, never a blank cell inside a table.
NOT_AVAILABLE = "[x]"

#: Number formats of a column's role (:meth:`ete_metrics.views.View.formats`).
NUMBER_FORMATS: Mapping[str, str] = {"percent": "0.0%", "count": "#,##0", "date": "yyyy-mm-dd"}

_TITLE_FONT = Font(bold=True, size=15)
_SUBTITLE_FONT = Font(bold=True, size=12)
_HEADER_FONT = Font(bold=True)
_TABLE_STYLE = TableStyleInfo(name="TableStyleLight1", showRowStripes=False)
_ONE_TABLE = "This worksheet contains one table."
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


@dataclass(frozen=True)
class SheetTable:
    """One table and the sheet it has to itself.

    Attributes
    ----------
    sheet : str
        The sheet's name in words (:func:`sheet_title` makes it valid).
    title : str
        The table's title (cell A1, and its line on the Contents sheet).
    frame : pandas.DataFrame
        Headings in words as columns; values as files hold them (words for codes,
        numbers, fractions, dates, ``"[c]"``); missing values become ``"[x]"``.
    name : str
        The Excel table's name (:func:`table_name` makes it valid): how
        :func:`read_tables` returns it.
    formats : mapping of str to str
        Heading -> role (``"count"``, ``"percent"``, ``"date"``): the cells' number format.
    lines : sequence of str
        More lines above the table (what it covers, as at when).
    """

    sheet: str
    title: str
    frame: pd.DataFrame
    name: str
    formats: Mapping[str, str] = field(default_factory=dict)
    lines: Sequence[str] = ()


def sheet_title(name: str, taken: Sequence[str] = ()) -> str:
    """A valid, unused sheet name: at most 31 characters, none of ``[]:*?/\\``.

    >>> sheet_title("Work: against target?"), sheet_title("Regions", ["Regions"])
    ('Work against target', 'Regions 2')
    """
    cleaned = " ".join(_BAD_SHEET_CHARS.sub(" ", str(name)).split()).strip("'") or "Table"
    cleaned = cleaned[:31].rstrip()
    used = {t.casefold() for t in taken}
    candidate, number = cleaned, 2
    while candidate.casefold() in used:
        suffix = f" {number}"
        candidate = cleaned[: 31 - len(suffix)].rstrip() + suffix
        number += 1
    return candidate


def table_name(name: str) -> str:
    """A valid Excel table name: letters, digits and ``_``, starting with a letter.

    >>> table_name("targets_vs_actual"), table_name("2 tables"), table_name("R1C1")
    ('targets_vs_actual', 'table_2_tables', 'table_R1C1')
    """
    cleaned = re.sub(r"\W", "_", str(name), flags=re.ASCII).strip("_") or "table"
    # a name that reads as a cell (A1, R1C1) or starts with a digit is not allowed
    if not cleaned[0].isalpha() or re.fullmatch(r"[A-Za-z]{1,3}\d+|[Rr]\d*[Cc]\d*|[RrCc]", cleaned):
        cleaned = f"table_{cleaned}"
    return cleaned[:255]


def _cell_value(value: Any) -> Any:
    """A frame's value as a cell holds it: missing -> ``[x]``, numpy -> Python, text neutralised."""
    if value is None or value is pd.NaT:
        return NOT_AVAILABLE
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, np.bool_ | bool):
        return "Yes" if value else "No"
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating | float):
        return NOT_AVAILABLE if not np.isfinite(value) else float(value)
    if isinstance(value, str):
        return NOT_AVAILABLE if not value.strip() else neutralise(value)
    return NOT_AVAILABLE if is_missing(value) else neutralise(value)


def _symbols(values: list[list[Any]]) -> list[str]:
    """The shorthand used in a table's cells, explained above it."""
    flat = {v for row in values for v in row if isinstance(v, str)}
    lines = []
    if SUPPRESSED in flat:
        lines.append(f"{SUPPRESSED} marks a figure suppressed to protect the people in it "
                     "(see the Notes sheet).")
    if NOT_AVAILABLE in flat:
        lines.append(f"{NOT_AVAILABLE} marks a figure that does not exist for that row "
                     "(see the Notes sheet).")
    return lines


def _title(sheet: Worksheet, text: str) -> None:
    sheet["A1"] = neutralise(text)
    sheet["A1"].style = "Title"
    sheet["A1"].font = _TITLE_FONT


def _width(values: Sequence[Any]) -> float:
    longest = max((len(v.isoformat()[:10]) if isinstance(v, date) else len(str(v))
                   for v in values if v is not None), default=8)
    return float(min(max(10, longest + 2), 60))


def _table(sheet: Worksheet, top: int, headings: list[str], rows: list[list[Any]], name: str,
           formats: Mapping[str, str]) -> None:
    """Write a header row and data rows from ``top`` and mark them up as an Excel table."""
    for j, text in enumerate(headings, start=1):
        cell = sheet.cell(row=top, column=j, value=neutralise(text))
        cell.font = _HEADER_FONT
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for i, row in enumerate(rows, start=top + 1):
        for j, value in enumerate(row, start=1):
            cell = sheet.cell(row=i, column=j, value=value)
            fmt = NUMBER_FORMATS.get(formats.get(headings[j - 1], ""))
            if isinstance(value, datetime | date):
                cell.number_format = NUMBER_FORMATS["date"]
            elif fmt and isinstance(value, int | float) and not isinstance(value, bool):
                cell.number_format = fmt
    for j, text in enumerate(headings, start=1):
        sheet.column_dimensions[get_column_letter(j)].width = max(
            _width([r[j - 1] for r in rows[:200]]), min(len(text) + 2, 30), 10)
    last = top + max(len(rows), 1)
    if not rows:  # an Excel table needs a row under its headings: one saying there is none
        sheet.cell(row=top + 1, column=1, value="No rows for these filters")
        for j in range(2, len(headings) + 1):
            sheet.cell(row=top + 1, column=j, value=NOT_AVAILABLE)
    ref = f"A{top}:{get_column_letter(max(len(headings), 1))}{last}"
    table = Table(displayName=name, ref=ref, tableStyleInfo=_TABLE_STYLE)
    sheet.add_table(table)
    sheet.freeze_panes = f"A{top + 1}"


def _unique_headings(columns: Iterable[Any]) -> list[str]:
    """Headings as text, made unique (an Excel table's headings must differ)."""
    out: list[str] = []
    for column in columns:
        text = str(column).strip() or "Column"
        candidate, number = text, 2
        while candidate.casefold() in {o.casefold() for o in out}:
            candidate, number = f"{text} ({number})", number + 1
        out.append(candidate)
    return out


def write_workbook(
    title: str,
    tables: Sequence[SheetTable],
    *,
    details: Sequence[tuple[str, Any]] = (),
    about: Sequence[str] = (),
    notes: Sequence[str] = (),
) -> bytes:
    """Write the workbook: Cover, Contents, Notes, then one table per sheet.

    Parameters
    ----------
    title : str
        The workbook's title (the cover's cell A1).
    tables : sequence of SheetTable
        In reading order; sheet and table names are made valid and unique.
    details : sequence of (str, value)
        The cover's table of details (``("Figures as at (cut-off)", date)``); a date is
        written as a date, shown ``yyyy-mm-dd``.
    about : sequence of str
        Lines under the cover's title saying what the workbook is.
    notes : sequence of str
        The Notes sheet's notes, numbered in order; the notes of ``[c]`` and ``[x]``
        are the caller's (they depend on the audience).

    Returns
    -------
    bytes
        The ``.xlsx`` file.
    """
    book = Workbook()
    _cover(book, title, about, details)
    placed = _placements(tables)
    _contents(book, placed)
    _notes(book, notes)
    for table, sheet_name, name in placed:
        _table_sheet(book, table, sheet_name, name)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _cover(book: Workbook, title: str, about: Sequence[str],
           details: Sequence[tuple[str, Any]]) -> None:
    """The Cover sheet (the book's first): the title, what the workbook is, how it is laid out,
    and the table of details."""
    cover = book.active
    assert cover is not None
    cover.title = COVER
    _title(cover, title)
    row = 2
    for line in about:
        cover.cell(row=row, column=1, value=neutralise(line)).alignment = Alignment(wrap_text=True)
        row += 1
    cover.cell(row=row, column=1, value="About this workbook").font = _SUBTITLE_FONT
    cover.cell(row=row + 1, column=1,
               value=f"The {CONTENTS} sheet lists the tables, one to a sheet; the {NOTES} "
               "sheet explains the symbols and the notes.")
    row += 2
    if details:
        cover.cell(row=row, column=1, value="Details").font = _SUBTITLE_FONT
        _table(cover, row + 1, ["Item", "Value"], [[neutralise(k), _cell_value(v)] for k, v in details],
               "cover_details", {})
        cover.freeze_panes = None
    cover.column_dimensions["A"].width = 30
    cover.column_dimensions["B"].width = 100


def _placements(tables: Sequence[SheetTable]) -> list[tuple[SheetTable, str, str]]:
    """Each table with its sheet's title and its table's name, valid and unique in the book
    (a name repeated, whatever its case, gets ``_2``, ``_3``...)."""
    taken = [COVER, CONTENTS, NOTES]
    names: set[str] = {"cover_details", "contents", "notes"}
    placed: list[tuple[SheetTable, str, str]] = []
    for table in tables:
        sheet = sheet_title(table.sheet, taken)
        taken.append(sheet)
        name, number = table_name(table.name), 2
        while name.casefold() in {n.casefold() for n in names}:
            name, number = f"{table_name(table.name)}_{number}", number + 1
        names.add(name)
        placed.append((table, sheet, name))
    return placed


def _contents(book: Workbook, placed: Sequence[tuple[SheetTable, str, str]]) -> None:
    """The Contents sheet: each sheet's name, a link to it, and its table's title."""
    contents = book.create_sheet(CONTENTS)
    _title(contents, "Table of contents")
    contents["A2"] = _ONE_TABLE
    _table(contents, 3, ["Sheet name", "Table title"],
           [[sheet, neutralise(table.title)] for table, sheet, _ in placed], "contents", {})
    for i, (_, sheet, _) in enumerate(placed, start=4):
        link = contents.cell(row=i, column=1)
        quoted = sheet.replace("'", "''")
        link.hyperlink = Hyperlink(ref=link.coordinate, location=f"'{quoted}'!A1", display=sheet)
        link.style = "Hyperlink"
    contents.column_dimensions["B"].width = 90


def _notes(book: Workbook, notes: Sequence[str]) -> None:
    """The Notes sheet: the notes, numbered in order, wrapped."""
    notes_sheet = book.create_sheet(NOTES)
    _title(notes_sheet, "Notes")
    notes_sheet["A2"] = _ONE_TABLE
    _table(notes_sheet, 3, ["Note number", "Note text"],
           [[f"Note {i}", neutralise(text)] for i, text in enumerate(notes, start=1)], "notes", {})
    for (cell,) in notes_sheet.iter_rows(min_row=4, min_col=2, max_col=2):
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    notes_sheet.column_dimensions["B"].width = 110


def _table_sheet(book: Workbook, table: SheetTable, sheet_name: str, name: str) -> None:
    """One table's sheet: its title, its lines and the symbols it uses, then the table."""
    sheet = book.create_sheet(sheet_name)
    _title(sheet, table.title)
    headings = _unique_headings(table.frame.columns)
    rows = [[_cell_value(v) for v in values]
            for values in table.frame.itertuples(index=False, name=None)]
    formats = dict(zip(headings, [table.formats.get(str(c), "") for c in table.frame.columns],
                       strict=True))
    lines = [_ONE_TABLE, *table.lines, *_symbols(rows)]
    for i, line in enumerate(lines, start=2):
        sheet.cell(row=i, column=1, value=neutralise(line))
    _table(sheet, len(lines) + 2, headings, rows, name, formats)


def _table_cells(sheet: Worksheet, ref: str, as_seen: bool) -> pd.DataFrame:
    rows = []
    for cells in sheet[ref]:
        row = []
        for cell in cells:
            value = cell.value
            if as_seen and isinstance(value, int | float) and not isinstance(value, bool) \
                    and "%" in str(cell.number_format):
                value = f"{value:.1%}"
            elif not as_seen and value == NOT_AVAILABLE:
                value = None
            row.append(value)
        rows.append(row)
    headings = [str(v) for v in rows[0]]
    return pd.DataFrame(rows[1:], columns=headings)


def read_tables(data: bytes, *, as_seen: bool = False) -> dict[str, pd.DataFrame]:
    """Every table of a workbook, by its table name, in the order of the Contents sheet.

    The way to read a published workbook back (tests, checks): the Contents sheet's
    table lists the table sheets; each sheet's Excel table is read by its range.

    Parameters
    ----------
    data : bytes
        An ``.xlsx`` written by :func:`write_workbook`.
    as_seen : bool, default False
        False: values as stored (numbers, fractions, datetimes, ``"[c]"``; ``"[x]"``
        read as None). True: what a reader sees of a number formatted as a percentage
        (``"38.1%"``), and ``"[x]"`` kept.

    Returns
    -------
    dict of str to pandas.DataFrame
        Table name (the report table's key, e.g. ``"regions"``) -> its rows, with the
        headings in words as columns. The Cover's and Notes' tables are not included.

    Raises
    ------
    KeyError
        When a sheet listed on the Contents sheet is missing or holds no table.
    """
    book = load_workbook(io.BytesIO(data))
    listed = _table_cells(book[CONTENTS], book[CONTENTS].tables["contents"].ref, False)
    out: dict[str, pd.DataFrame] = {}
    for sheet_name in listed["Sheet name"]:
        sheet = book[str(sheet_name)]
        if not sheet.tables:
            raise KeyError(f"The sheet {sheet_name!r} holds no table.")
        for name, ref in sheet.tables.items():
            out[name] = _table_cells(sheet, ref, as_seen)
    return out


def read_cover(data: bytes) -> dict[str, Any]:
    """The cover's details table as a mapping (item -> value; a date as a datetime)."""
    book = load_workbook(io.BytesIO(data))
    sheet = book[COVER]
    details = _table_cells(sheet, sheet.tables["cover_details"].ref, False)
    return dict(zip(details["Item"], details["Value"], strict=True))
