"""The workbook: every table on its own sheet, definitions and a cover (openpyxl).

Values are written as values (numbers as numbers, rates as fractions formatted
as percentages, dates as ISO ``yyyy-mm-dd``), ``"[c]"`` where a figure is
suppressed, and every text cell passes through
:func:`ete_metrics.protect.safe_export.neutralise_frame` so nothing runs as a formula.
"""

from __future__ import annotations

import io
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from ete_metrics.config import PALETTE
from ete_metrics.present.formatting import is_missing
from ete_metrics.present.report.content import ReportContent, ReportTable
from ete_metrics.protect.safe_export import neutralise, neutralise_frame

__all__ = ["build_xlsx", "sheet_name"]

_HEADER_FILL = PatternFill("solid", fgColor=PALETTE[0].lstrip("#"))
_HEADER_FONT = Font(bold=True, color="FFFFFF")


def sheet_name(key: str) -> str:
    """A valid sheet name for a table key: at most 31 characters, no ``[]:*?/\\``."""
    cleaned = "".join("_" if ch in '[]:*?/\\' else ch for ch in key)
    return cleaned[:31]


def _cell_value(value: Any) -> Any:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return None if is_missing(value) else value


def _write_table(sheet: Worksheet, table: ReportTable) -> None:
    frame = neutralise_frame(table.data)
    columns = list(frame.columns)
    sheet.append([neutralise(table.heading(str(c))) for c in table.data.columns])
    for cell in sheet[1]:
        cell.fill = _HEADER_FILL
        cell.font = _HEADER_FONT
    for row in frame.itertuples(index=False):
        sheet.append([_cell_value(v) for v in row])
    formats = table.formats()
    for j, column in enumerate(columns, start=1):
        letter = get_column_letter(j)
        if formats.get(column) == "percent":
            fmt = "0.0%"
        elif formats.get(column) == "count":
            fmt = "#,##0"
        elif formats.get(column) == "date" or pd.api.types.is_datetime64_any_dtype(frame[column].dtype):
            fmt = "yyyy-mm-dd"
        else:
            fmt = None
        if fmt:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=j, max_col=j):
                if isinstance(cell.value, (int, float, datetime, date)) and not isinstance(cell.value, bool):
                    cell.number_format = fmt
        width = max([len(table.heading(str(column)))] + [len(str(v)) for v in frame[column].head(200)])
        sheet.column_dimensions[letter].width = min(max(10, width + 2), 60)
    sheet.freeze_panes = "A2"


def build_xlsx(content: ReportContent) -> bytes:
    """Write the report's tables to an Excel workbook.

    Sheets: ``Cover`` (programme, audience, cut-off and filters, the disclosure
    note for stakeholders, a list of the sheets), one sheet per table, then
    ``Definitions``.

    Parameters
    ----------
    content : ReportContent
        From :func:`ete_metrics.present.report.content.report_content`.

    Returns
    -------
    bytes
        The ``.xlsx`` file.
    """
    book = Workbook()
    cover = book.active
    assert cover is not None
    cover.title = "Cover"
    tables = content.tables()
    rows: list[tuple[str, Any]] = [
        ("Programme", content.programme),
        ("Report", "Stakeholder workbook" if content.stakeholder else "Internal workbook"),
        ("Audience", content.audience),
        ("Figures as at (cut-off)", content.as_of),
        ("Compared with", content.previous_as_of),
        *content.filter_items(),
    ]
    if content.note:
        rows.append(("Disclosure control", content.note))
    cover.append(["Item", "Value"])
    for label, value in rows:
        cover.append([label, neutralise(value)])
    cover.append([])
    cover.append(["Sheet", "Contents"])
    for table in tables:
        cover.append([sheet_name(table.key), neutralise(table.title)])
    for row in cover.iter_rows():
        for cell in row:
            if isinstance(cell.value, date):
                cell.number_format = "yyyy-mm-dd"
            if cell.value in ("Item", "Sheet") and cell.column == 1:
                for header in row:
                    header.fill = _HEADER_FILL
                    header.font = _HEADER_FONT
    cover.column_dimensions["A"].width = 26
    cover.column_dimensions["B"].width = 100

    for table in tables:
        _write_table(book.create_sheet(sheet_name(table.key)), table)

    definitions = book.create_sheet("Definitions")
    _write_table(
        definitions,
        ReportTable(
            key="Definitions",
            title="Definitions",
            data=pd.DataFrame(list(content.definitions), columns=["term", "definition"]),
        ),
    )
    definitions.column_dimensions["B"].width = 100
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
