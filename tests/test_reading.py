"""ete_metrics.data.reading: files to raw tables with the file line of each row."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import openpyxl

from ete_metrics.data.reading import errors_at, normalise_column, read_table


def test_column_names_are_matched_ignoring_case_spaces_and_hyphens() -> None:
    assert normalise_column("\ufeff Entry Date ") == "entry_date"
    assert normalise_column("ENTRY-DATE") == "entry_date"


def test_a_csv_row_keeps_its_file_line_past_blank_lines_and_quoted_line_breaks(
    tmp_path: Path,
) -> None:
    # Line 1 blank, the header on line 2; "b" on line 3; line 4 blank; "c" starts on
    # line 5 and its quoted value runs to line 6; "d" on line 7.
    path = tmp_path / "x.csv"
    path.write_bytes(b'\nName,Other-Col\nb,1\n\nc,"two\nlines"\nd,3\n')
    table, problems = read_table(path, "participants", ["name"])
    assert problems == []
    assert table is not None
    assert list(table.frame.columns) == ["name", "other_col"]
    assert table.frame["name"].tolist() == ["b", "c", "d"]
    assert table.lines.tolist() == [3, 5, 7]
    assert table.frame.attrs["original_columns"] == ["Name", "Other-Col"]
    assert table.info.rows == 3


def test_a_workbook_row_is_named_by_its_sheet_row(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append([])  # row 1 blank: the header is row 2
    sheet.append(["participant_id", "region"])
    sheet.append(["P1", "Wales"])
    sheet.append([])
    sheet.append(["P2", "London"])
    book.save(tmp_path / "x.xlsx")
    table, problems = read_table(tmp_path / "x.xlsx", "participants")
    assert problems == [] and table is not None
    assert table.frame["participant_id"].tolist() == ["P1", "P2"]
    assert table.lines.tolist() == [3, 5]


def test_an_empty_file_is_a_problem_naming_it(tmp_path: Path) -> None:
    (tmp_path / "empty.csv").write_bytes(b"\xef\xbb\xbf \n")
    table, problems = read_table(tmp_path / "empty.csv", "milestones")
    assert table is None
    assert [(p.file, p.line, p.check) for p in problems] == [("empty.csv", None, "empty_file")]


def test_errors_past_the_limit_are_counted_in_one_more_problem(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("a\n" + "".join(f"v{i}\n" for i in range(5)), encoding="utf-8")
    table, _ = read_table(path, "targets")
    assert table is not None
    mask = np.array([True, False, True, True, True])  # lines 2, 4, 5 and 6
    found = errors_at(table, mask, "a", "bad", lambda i: f"row {i}", limit=2)
    assert [(p.line, p.message) for p in found[:2]] == [(2, "row 0"), (4, "row 2")]
    assert found[2].line == 5
    assert found[2].message == (
        "this row and 1 more up to line 6 have the same problem (bad); only the first 2 rows "
        "with it are listed one by one"
    )
