"""Tests for the Excel workbook of ete_metrics.present.report."""

from __future__ import annotations

import io
from datetime import datetime

import pytest
from openpyxl import load_workbook

from ete_metrics.present.report import build_report
from ete_metrics.present.report.xlsx import build_xlsx, sheet_name
from ete_metrics.protect.disclosure import STAKEHOLDER_NOTE
from tests.report_support import AS_OF, content, demo


def _book(audience: str):  # type: ignore[no-untyped-def]
    return load_workbook(io.BytesIO(build_xlsx(content(audience))))


def test_sheets_cover_and_definitions() -> None:
    book = _book("internal")
    report = content("internal")
    assert book.sheetnames == ["Cover", *[sheet_name(t.key) for t in report.tables()], "Definitions"]
    cover = {row[0]: row[1] for row in book["Cover"].iter_rows(values_only=True) if row[0]}
    assert cover["Figures as at (cut-off)"] == datetime(2023, 8, 16)
    assert cover["Regions"] == "All regions"
    cut_off = next(c for c in book["Cover"]["B"] if c.value == datetime(2023, 8, 16))
    assert cut_off.number_format == "yyyy-mm-dd"  # ISO dates in files
    terms = [row[0] for row in book["Definitions"].iter_rows(min_row=2, values_only=True)]
    assert terms == [term for term, _ in report.definitions]


def test_cells_equal_library_tables() -> None:
    book = _book("internal")
    report = content("internal")
    for table in report.tables():
        sheet = book[sheet_name(table.key)]
        rows = list(sheet.iter_rows(min_row=2, values_only=True))
        assert len(rows) == len(table.data), table.key
        for column in [c for c, role in table.formats().items() if role == "count"]:
            j = list(table.data.columns).index(column)
            expected = [None if v != v else v for v in table.data[column].tolist()]
            # Floats (the run-rate projection) survive the file to 15 significant digits.
            assert [r[j] for r in rows] == pytest.approx(expected, rel=1e-12), (table.key, column)


def test_stakeholder_workbook_note_and_markers() -> None:
    book = _book("stakeholder")
    cover_values = [c for row in book["Cover"].iter_rows(values_only=True) for c in row]
    assert STAKEHOLDER_NOTE in cover_values
    equality = list(book["equality"].iter_rows(values_only=True))
    assert any("[c]" in row for row in equality[1:])
    for table in content("stakeholder").tables():
        rows = list(book[sheet_name(table.key)].iter_rows(min_row=2, values_only=True))
        assert table.view is not None
        for column in [c for c in table.view.counts if c in table.data.columns]:
            j = list(table.data.columns).index(column)
            small = [r[j] for r in rows if isinstance(r[j], (int, float)) and 1 <= r[j] <= 4]
            assert small == [], (table.key, column)


def test_formula_injection_neutralised() -> None:
    participants, milestones, targets = demo()
    renamed = participants.copy()
    names = sorted(renamed["delivery_partner"].dropna().unique())
    mapping = {names[0]: '=HYPERLINK("http://evil.example","click")', names[1]: "+44 20 7946 0000"}
    renamed["delivery_partner"] = renamed["delivery_partner"].replace(mapping)
    data = build_report(renamed, milestones, targets, as_of=AS_OF, fmt="xlsx")
    partners = [r[0] for r in load_workbook(io.BytesIO(data))["partners"].iter_rows(min_row=2, values_only=True)]
    assert '\'=HYPERLINK("http://evil.example","click")' in partners
    assert "'+44 20 7946 0000" in partners
    assert not any(isinstance(p, str) and p[:1] in "=+-@" for p in partners)
