"""Tests for ete_metrics.present.workbook: the GSS spreadsheet layout, worked by hand on a tiny table."""

from __future__ import annotations

import io
from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from ete_metrics.present.workbook import (
    SheetTable,
    read_cover,
    read_tables,
    sheet_title,
    table_name,
    write_workbook,
)


def _tiny() -> bytes:
    frame = pd.DataFrame({
        "Region": ["London", "Wales", "=cmd()"],
        "People": [1200, "[c]", 15],
        "% in work": [0.25, np.nan, 0.4],
        "Quarter from": [pd.Timestamp("2024-04-01"), pd.Timestamp("2024-07-01"), pd.NaT],
        "Outside the limits": [True, False, True],
    })
    return write_workbook(
        "A tiny workbook",
        [SheetTable(sheet="People: in work?", title="People in work, 2024", frame=frame, name="tiny",
                    formats={"People": "count", "% in work": "percent", "Quarter from": "date"},
                    lines=["Figures as at 2024-08-16."])],
        details=[("Audience", "Stakeholder (protected)"), ("Figures as at (cut-off)", datetime(2024, 8, 16))],
        about=["What this is."],
        notes=["[c]: suppressed.", "[x]: no figure."],
    )


def test_the_layout_worked_by_hand() -> None:
    book = load_workbook(io.BytesIO(_tiny()))
    # sheet names: the cover, contents and notes, then the table's name cleaned of ':' and '?'
    assert book.sheetnames == ["Cover", "Contents", "Notes", "People in work"]
    sheet = book["People in work"]
    # A1 the title; A2 one table; A3 the caller's line; A4 and A5 the symbols used; A6 the headings
    assert [sheet.cell(row=r, column=1).value for r in range(1, 7)] == [
        "People in work, 2024",
        "This worksheet contains one table.",
        "Figures as at 2024-08-16.",
        "[c] marks a figure suppressed to protect the people in it (see the Notes sheet).",
        "[x] marks a figure that does not exist for that row (see the Notes sheet).",
        "Region",
    ]
    assert sheet["A1"].style == "Title"
    # three rows under the headings: A6:E9, one Excel table, headings its header row
    assert dict(sheet.tables.items()) == {"tiny": "A6:E9"}
    rows = [[c.value for c in row] for row in sheet["A7:E9"]]
    assert rows == [
        ["London", 1200, 0.25, datetime(2024, 4, 1), "Yes"],
        ["Wales", "[c]", "[x]", datetime(2024, 7, 1), "No"],
        ["'=cmd()", 15, 0.4, "[x]", "Yes"],  # formula text neutralised, a missing date [x]
    ]
    assert [sheet["B7"].number_format, sheet["C7"].number_format, sheet["D7"].number_format] == [
        "#,##0", "0.0%", "yyyy-mm-dd"]
    assert not sheet.merged_cells.ranges and sheet.freeze_panes == "A7"


def test_cover_contents_and_notes_worked_by_hand() -> None:
    data = _tiny()
    book = load_workbook(io.BytesIO(data))
    cover = book["Cover"]
    assert [cover.cell(row=r, column=1).value for r in range(1, 6)] == [
        "A tiny workbook", "What this is.", "About this workbook",
        "The Contents sheet lists the tables, one to a sheet; the Notes sheet explains the symbols "
        "and the notes.", "Details"]
    assert dict(cover.tables.items()) == {"cover_details": "A6:B8"}
    assert read_cover(data) == {"Audience": "Stakeholder (protected)",
                                "Figures as at (cut-off)": datetime(2024, 8, 16)}
    assert cover["B8"].number_format == "yyyy-mm-dd"
    contents = book["Contents"]
    assert dict(contents.tables.items()) == {"contents": "A3:B4"}
    assert [[c.value for c in row] for row in contents["A3:B4"]] == [
        ["Sheet name", "Table title"], ["People in work", "People in work, 2024"]]
    assert contents["A4"].hyperlink.location == "'People in work'!A1"
    notes = book["Notes"]
    assert [[c.value for c in row] for row in notes[notes.tables["notes"].ref]] == [
        ["Note number", "Note text"], ["Note 1", "[c]: suppressed."], ["Note 2", "[x]: no figure."]]


def test_read_tables_gives_each_table_back() -> None:
    tables = read_tables(_tiny())
    assert list(tables) == ["tiny"]
    expected = pd.DataFrame({
        "Region": ["London", "Wales", "'=cmd()"],
        "People": [1200, "[c]", 15],
        "% in work": [0.25, None, 0.4],
        "Quarter from": [datetime(2024, 4, 1), datetime(2024, 7, 1), None],
        "Outside the limits": ["Yes", "No", "Yes"],
    })
    pd.testing.assert_frame_equal(tables["tiny"].astype(object), expected.astype(object))
    seen = read_tables(_tiny(), as_seen=True)["tiny"]
    assert seen["% in work"].tolist() == ["25.0%", "[x]", "40.0%"]  # as a reader sees them


def test_an_empty_table_says_so() -> None:
    data = write_workbook("T", [SheetTable("Empty", "Nothing here", pd.DataFrame({"A": [], "B": []}), "empty")])
    sheet = load_workbook(io.BytesIO(data))["Empty"]
    assert dict(sheet.tables.items()) == {"empty": "A3:B4"}
    assert [c.value for c in sheet[4]] == ["No rows for these filters", "[x]"]


@pytest.mark.parametrize(("given", "taken", "expected"), [
    ("Regions compared", (), "Regions compared"),
    ("Work: against target?", (), "Work against target"),
    ("Regions", ("regions",), "Regions 2"),
    ("A" * 40, (), "A" * 31),
    ("A" * 40, ("A" * 31,), "A" * 29 + " 2"),
    ("[]", (), "Table"),
])
def test_sheet_title(given: str, taken: tuple[str, ...], expected: str) -> None:
    assert sheet_title(given, taken) == expected


@pytest.mark.parametrize(("given", "expected"), [
    ("targets_vs_actual", "targets_vs_actual"),
    ("funnel by region", "funnel_by_region"),
    ("2024 targets", "table_2024_targets"),
    ("A1", "table_A1"),
    ("R2C3", "table_R2C3"),
])
def test_table_name(given: str, expected: str) -> None:
    assert table_name(given) == expected


def test_dates_are_iso_and_no_blank_cells() -> None:
    book = load_workbook(io.BytesIO(_tiny()))
    for sheet in book.worksheets:
        for name, ref in sheet.tables.items():
            assert all(c.value not in (None, "") for row in sheet[ref] for c in row), name
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, datetime | date):
                    assert cell.number_format == "yyyy-mm-dd", cell.coordinate
