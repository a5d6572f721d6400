"""Tests for the Excel workbook of ete_metrics.present.report (GSS spreadsheet layout, issue 26 item 7)."""

from __future__ import annotations

import io
import re
from datetime import datetime
from functools import lru_cache
from typing import Any

import pytest
from openpyxl import load_workbook

from ete_metrics import steps
from ete_metrics.present.report import build_report
from ete_metrics.present.report.xlsx import build_xlsx, iso_text, sheet_name
from ete_metrics.present.workbook import read_cover, read_tables
from ete_metrics.protect.audience import AUDIENCES
from ete_metrics.protect.disclosure import STAKEHOLDER_NOTE, SUPPRESSED
from tests.report_support import AS_OF, SNAKE_CASE, code_cells, content, demo, vocabulary_codes

UK_DATE = re.compile(r"\b\d{1,2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4}\b")

#: The sheets, worked out by hand from the report's tables (issue 26: words, not keys).
SHEETS = [
    "Cover", "Contents", "Notes",
    "Headline figures", "Contract targets to date", "People at each step", "Regions compared",
    "Regions adjusted for case mix", "Cohorts in work", "Cohort curves", "Delivery partners",
    "Equality", "Work against target", "Targets by quarter", "Definitions",
]
#: The case-mix adjusted comparison is a model of each person's records: the programme team's only.
SHEETS_FOR = {"internal": SHEETS, "stakeholder": [s for s in SHEETS if s != "Regions adjusted for case mix"]}


@lru_cache(maxsize=2)
def _data(audience: str) -> bytes:
    return build_xlsx(content(audience))


def _book(audience: str) -> Any:
    return load_workbook(io.BytesIO(_data(audience)))


def _cells(book: Any) -> list[tuple[str, Any]]:
    return [(sheet.title, cell) for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]


@pytest.mark.parametrize("audience", AUDIENCES)
def test_sheets_are_named_in_words(audience: str) -> None:
    book = _book(audience)
    assert book.sheetnames == SHEETS_FOR[audience]
    assert not [name for name in book.sheetnames if "_" in name or SNAKE_CASE.fullmatch(name)]
    assert sheet_name("targets_vs_actual_work") == "Work against target"
    assert sheet_name("a_new_table") == "A new table"  # a table not named yet: its key in words


def test_cover_in_words_with_iso_dates() -> None:
    data = _data("stakeholder")
    cover = read_cover(data)
    assert cover["Audience"] == "Stakeholder (protected)"
    assert cover["Report"] == "Stakeholder workbook"
    assert cover["Figures as at (cut-off)"] == datetime(2023, 8, 16)
    assert cover["Compared with"] == datetime(2023, 7, 16)
    assert cover["Regions"] == "All regions"
    assert cover["Disclosure control"] == STAKEHOLDER_NOTE
    sheet = _book("stakeholder")["Cover"]
    assert sheet["A1"].style == "Title" and sheet["A1"].font.b
    cut_off = next(c for c in sheet["B"] if c.value == datetime(2023, 8, 16))
    assert cut_off.number_format == "yyyy-mm-dd"
    assert read_cover(_data("internal"))["Audience"] == "Internal (all figures)"


@pytest.mark.parametrize("audience", AUDIENCES)
def test_contents_lists_every_table_sheet(audience: str) -> None:
    book = _book(audience)
    contents = book["Contents"]
    assert contents["A1"].value == "Table of contents" and contents["A1"].style == "Title"
    assert list(contents.tables) == ["contents"]
    rows = list(contents[contents.tables["contents"].ref])
    assert [c.value for c in rows[0]] == ["Sheet name", "Table title"]
    listed = [(row[0].value, row[1].value) for row in rows[1:]]
    with_tables = [s.title for s in book.worksheets if s.tables and s.title not in ("Cover", "Contents", "Notes")]
    assert [name for name, _ in listed] == with_tables == SHEETS_FOR[audience][3:]
    for (name, title), row in zip(listed, rows[1:], strict=True):
        assert row[0].hyperlink.location == f"'{name}'!A1"  # a link inside the workbook
        sheet = book[name]
        assert sheet["A1"].value == title and sheet["A1"].style == "Title"  # one titled table
        assert sheet["A2"].value == "This worksheet contains one table."
        assert len(sheet.tables) == 1
    titles = dict(listed)
    assert titles["Headline figures"] == "Headline figures as at 2023-08-16"
    assert titles["Work against target"] == "Work against target, latest quarters"


def test_notes_explain_the_symbols() -> None:
    book = _book("stakeholder")
    sheet = book["Notes"]
    rows = [[c.value for c in row] for row in sheet[sheet.tables["notes"].ref]]
    assert rows[0] == ["Note number", "Note text"]
    assert [r[0] for r in rows[1:]] == [f"Note {i}" for i in range(1, len(rows))]
    texts = [r[1] for r in rows[1:]]
    assert texts[0].startswith("[c]: Suppressed to protect the people in it")
    assert texts[1] == f"Disclosure control: {STAKEHOLDER_NOTE}"
    assert any(t.startswith("[x]: no figure exists for that row") for t in texts)
    assert any("2023-08-16" in t for t in texts)
    internal = _book("internal")["Notes"]
    assert not any(str(c.value).startswith("[c]") for row in internal.iter_rows() for c in row)
    # a sheet whose table holds [c] says what it means above the table
    equality = book[sheet_name("equality")]
    assert any(SUPPRESSED in row[0] and "Notes" in row[0]
               for row in equality.iter_rows(min_row=2, max_row=4, values_only=True) if row[0])


@pytest.mark.parametrize("audience", AUDIENCES)
def test_no_codes_in_cells(audience: str) -> None:
    """Every text cell of every sheet is checked against the vocabulary's codes."""
    assert code_cells(_data(audience)) == []
    assert {"entered", "green", "within", "gender", "stakeholder"} <= vocabulary_codes()  # the examples


def test_codes_read_as_words() -> None:
    tables = read_tables(_data("internal"))
    funnel = [steps.label(s) for s in steps.funnel_steps(sustained=True)]
    assert tables["headline"]["Step"].tolist() == funnel
    assert set(tables["targets"]["RAG"]) <= {"Green", "Amber", "Red"}
    assert set(tables["regions"]["Against the 95% limits"]) <= {"Above", "Within", "Below"}
    assert "Gender" in set(tables["equality"]["Characteristic"])
    entered, training, work = (steps.label(s) for s in steps.funnel_steps()[:3])
    assert list(tables["partners"].columns) == [
        "Delivery partner", entered, training, work, f"% {training.lower()}", f"% {work.lower()}"]


@pytest.mark.parametrize("audience", AUDIENCES)
def test_tables_have_no_blank_cells_merged_cells_or_uk_dates(audience: str) -> None:
    book = _book(audience)
    for sheet in book.worksheets:
        assert not sheet.merged_cells.ranges, sheet.title
        for name, ref in sheet.tables.items():
            rows = [[c.value for c in row] for row in sheet[ref]]
            assert all(v is not None and v != "" for row in rows for v in row), (sheet.title, name)
    for sheet, cell in _cells(book):
        assert not (isinstance(cell.value, str) and UK_DATE.search(cell.value)), (sheet, cell.value)
        if isinstance(cell.value, datetime):
            assert cell.number_format == "yyyy-mm-dd", (sheet, cell.coordinate)


def test_cells_equal_library_tables() -> None:
    tables = read_tables(_data("internal"))
    report = content("internal")
    for table in report.tables():
        rows = tables[table.key]
        assert len(rows) == len(table.data), table.key
        for column in [c for c, role in table.formats().items() if role == "count"]:
            expected = [None if v != v else v for v in table.data[column].tolist()]
            got = [None if v != v else v for v in rows[iso_text(table.heading(column))].tolist()]
            # Floats (the run-rate projection) survive the file to 15 significant digits.
            assert got == pytest.approx(expected, rel=1e-12), (table.key, column)


def test_stakeholder_workbook_note_and_markers() -> None:
    data = _data("stakeholder")
    tables = read_tables(data)
    assert (tables["equality"] == SUPPRESSED).any().any()
    for table in content("stakeholder").tables():
        rows = tables[table.key]
        assert table.view is not None
        for column in [c for c in table.view.counts if c in table.data.columns]:
            values = rows[iso_text(table.heading(column))].tolist()
            small = [v for v in values if isinstance(v, (int, float)) and 1 <= v <= 4]
            assert small == [], (table.key, column)


def test_formula_injection_neutralised() -> None:
    participants, milestones, targets = demo()
    renamed = participants.copy()
    names = sorted(renamed["delivery_partner"].dropna().unique())
    mapping = {names[0]: '=HYPERLINK("http://evil.example","click")', names[1]: "+44 20 7946 0000"}
    renamed["delivery_partner"] = renamed["delivery_partner"].replace(mapping)
    data = build_report(renamed, milestones, targets, as_of=AS_OF, fmt="xlsx")
    partners = read_tables(data)["partners"]["Delivery partner"].tolist()
    assert '\'=HYPERLINK("http://evil.example","click")' in partners
    assert "'+44 20 7946 0000" in partners
    assert not any(isinstance(p, str) and p[:1] in "=+-@" for p in partners)
