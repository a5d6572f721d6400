"""Every stakeholder output, scanned for a count from 1 to 4 and for participant ids.

The stakeholder audience must never show a count of 1 to 4, anywhere. This module opens
every output a stakeholder can get and looks at all of it:

- every page of the dashboard (AppTest, ``?audience=stakeholder``): each table, each
  tile (value, change and help text), each text, and each chart — every number the
  figure's JSON holds for its traces, its bar labels, and its hover text *as Plotly
  would show it* (the hover templates evaluated point by point);
- every CSV and Excel download on every page, built as a click would build it (the
  deferred download callables are run) and read back;
- the deck, review pack and workbook of the Overview's report buttons (test below and
  ``test_stakeholder_report_button``);
- every metric command of the CLI with ``--audience stakeholder`` (CSV and JSON) and
  ``python -m ete_metrics report`` in each format.

A count is a value in a column of counts or a hover field formatted as a count
(``%{...:,}``): it must be ``[c]``, 0, or a multiple of 5 (rounded). The scanner is
shown to fail on the internal audience, so it is not passing for want of small numbers.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import re
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pytest
from apptest_support import *  # noqa: F403
from apptest_support import PAGES, PRESENTATION, each_screen, new_app, open_page, tables_shown
from openpyxl import load_workbook
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest

from dashboard.escape import unescape_markdown
from ete_metrics.cli import main
from ete_metrics.present.workbook import read_tables
from ete_metrics.protect.audience import VIEWS
from ete_metrics.protect.disclosure import STAKEHOLDER_NOTE, SUPPRESSED, find_disclosive_counts
from ete_metrics.views import heading

PARTICIPANT_ID = re.compile(r"\bP\d{7}\b")

#: Columns (raw names in files, headings on screen) of small whole numbers that are not
#: counts of people: positions in time, durations, ids; and every rate-like column of
#: every view (a rate of 1.0 is 100%, not one person).
NOT_COUNTS: frozenset[str] = frozenset(
    {"months_since_entry", "days_since_entry", "id", "median_days", "q1_days", "q3_days",
     "median_days_to_work", "position", "outside_998", "overall_rate", "import_id"}
    | {rate for spec in VIEWS.values() for rate in (*spec.rates, *spec.derived)}
    | {heading(c) for c in ("months_since_entry", "days_since_entry", "median_days", "q1_days",
                            "q3_days", "median_days_to_work", "position", "outside_998",
                            "overall_rate")}
    | {heading(rate) for spec in VIEWS.values() for rate in (*spec.rates, *spec.derived)}
    | {spec.heading(rate) for spec in VIEWS.values() for rate in (*spec.rates, *spec.derived)}
    | {"Months since entry", "Days since entry", "Id", "ID", "Median days", "Q1 days", "Q3 days",
       "Median days to work",
       # observed / expected ratios in reports (1.0 is "as expected", not a count of one)
       "Observed / expected", "Ratio 95% low", "Ratio 95% high"}
)

#: Text that says a count of people: "3 people", "1 participant".
SMALL_COUNT_TEXT = re.compile(
    r"(?<![\d.,])[1-4] (?:people|person|referrals?|milestones?|participants?|warnings?|entrants?)\b"
)


# --------------------------------------------------------------------------- helpers


def _decode(value: Any) -> Any:
    """Plotly's typed arrays ``{"dtype", "bdata", "shape"}`` as (nested) lists."""
    if isinstance(value, dict) and "bdata" in value:
        array = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
        if "shape" in value:
            array = array.reshape([int(n) for n in str(value["shape"]).split(",")])
        return array.tolist()
    return value


def _point(values: Any, i: int) -> Any:
    values = _decode(values)
    if isinstance(values, (list, tuple)):
        return values[i] if i < len(values) else None
    return values  # a scalar applies to every point


_FIELD = re.compile(r"%\{([a-z]+)(?:\[(\d+)\])?(?:([:|])([^}]*))?\}")


def _is_count_text(value: str) -> bool:
    return value.strip() == SUPPRESSED or bool(re.fullmatch(r"\d{1,3}(,\d{3})*|\d+", value.strip()))


def _count_problem(value: Any, where: str) -> str | None:
    """A shown count must be [c], missing, 0 or a multiple of 5."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, str):
        text = value.strip()
        if text in (SUPPRESSED, "", "NaN", "nan"):
            return None
        try:
            number = float(text.replace(",", ""))
        except ValueError:
            return f"{where}: {value!r} is not a count"
    else:
        number = float(value)
    if number.is_integer() and (1 <= number <= 4 or number % 5):
        return f"{where}: count {value!r}"
    return None


def hover_problems(trace: dict[str, Any], name: str) -> list[str]:
    """Evaluate the trace's hover template for each point and check what it would show."""
    template = trace.get("hovertemplate")
    if not isinstance(template, str):
        return []
    lengths = [len(_decode(trace.get(k)) or []) for k in ("x", "y") if trace.get(k) is not None]
    problems = []
    for i in range(max(lengths, default=0)):
        shown = template
        for match in _FIELD.finditer(template):
            field, index, separator, spec = match.groups()
            value = _point(trace.get(field), i)
            if index is not None and isinstance(value, (list, tuple)):
                value = value[int(index)]
            counted = (separator == ":" and spec in (",", ",.0f")) or (
                separator is None and field == "customdata" and isinstance(value, str)
                and _is_count_text(value)
            )
            if counted:
                problem = _count_problem(value, f"{name} hover point {i}")
                if problem:
                    problems.append(problem)
            shown = shown.replace(match.group(0), str(value))
        if PARTICIPANT_ID.search(shown):
            problems.append(f"{name} hover: participant id")
    return problems


def chart_problems(figure: dict[str, Any]) -> list[str]:
    """Every number a chart shows: traces' values, bar labels, hover text, annotations."""
    problems: list[str] = []
    for k, trace in enumerate(figure.get("data", [])):
        name = f"trace {k} ({trace.get('name')})"
        counts_axis = "x" if trace.get("orientation") == "h" else "y"
        if trace.get("type", "scatter") == "bar":  # bar lengths are counts unless on a % axis
            axis = figure.get("layout", {}).get(f"{counts_axis}axis", {})
            if "%" not in str(axis.get("tickformat", "")):
                for value in _decode(trace.get(counts_axis)) or []:
                    problem = _count_problem(value, f"{name} bar")
                    if problem:
                        problems.append(problem)
        text = _decode(trace.get("text"))
        if isinstance(text, list) and trace.get("type") == "bar":
            for value in text:
                if isinstance(value, str) and _is_count_text(value):
                    problem = _count_problem(value, f"{name} label")
                    if problem:
                        problems.append(problem)
        problems.extend(hover_problems(trace, name))
        if PARTICIPANT_ID.search(json.dumps(trace, default=str)):
            problems.append(f"{name}: participant id")
    for annotation in figure.get("layout", {}).get("annotations", []) or []:
        if SMALL_COUNT_TEXT.search(str(annotation.get("text", ""))):
            problems.append(f"annotation {annotation.get('text')!r}")
    return problems


#: The tables of a workbook's layout (its cover's details, contents and notes), not figures.
LAYOUT_TABLES: tuple[str, ...] = ("cover_details", "contents", "notes")


def frame_problems(frame: pd.DataFrame, where: str) -> list[str]:
    """A count of 1 to 4 in any count column, or a participant id anywhere."""
    ignore = [c for c in frame.columns if c in NOT_COUNTS]
    problems = [f"{where} {c.column}={c.value!r}"
                for c in find_disclosive_counts(frame, ignore_columns=ignore)]
    if frame.astype(str).apply(lambda col: col.str.contains(PARTICIPANT_ID)).any().any():
        problems.append(f"{where}: participant id")
    if "participant_id" in frame.columns:
        problems.append(f"{where}: participant_id column")
    return problems


def workbook_problems(data: bytes, where: str) -> list[str]:
    """Every table of a workbook as a reader sees it, and every cell for a participant id.

    The tables are read back through the Contents sheet
    (:func:`ete_metrics.present.workbook.read_tables`, a number formatted as a percentage
    read as the percentage shown: a rate, not a count); a table on a sheet the Contents
    do not list is a problem itself, so no published table escapes the scan.
    """
    problems = []
    book = load_workbook(io.BytesIO(data))
    for sheet in book.worksheets:
        problems.extend(f"{where}/{sheet.title}: participant id" for r in sheet.iter_rows(values_only=True)
                        if PARTICIPANT_ID.search(" ".join(map(str, r))))
    tables = read_tables(data, as_seen=True)
    every = {name for sheet in book.worksheets for name in sheet.tables} - set(LAYOUT_TABLES)
    problems.extend(f"{where}: table {name} not listed on the Contents sheet" for name in every - set(tables))
    for name, frame in tables.items():
        problems.extend(frame_problems(frame, f"{where}/{name}"))
    return problems


def downloads(at: AppTest, managers: list[MediaFileManager]) -> Iterator[tuple[str, bytes]]:
    """Build every download button's file as a click would; yields (file name, bytes)."""
    manager = managers[-1]
    for button in at.download_button:
        file_id = button.proto.deferred_file_id
        assert file_id, f"{button.label}: not generated on click"
        url = manager.execute_deferred(file_id)
        stored = manager.read_file(url.rsplit("/", 1)[-1].split(".")[0])
        assert stored is not None
        yield str(stored.filename), bytes(stored.content)


def download_problems(name: str, data: bytes) -> list[str]:
    if name.endswith(".csv"):
        frame = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False)
        problems = frame_problems(frame, name)
        problems += [f"{name}: formula text {v!r}" for row in csv.reader(io.StringIO(data.decode()))
                     for v in row if v[:1] in ("=", "+", "@", "\t", "\r")]
        return problems
    if name.endswith(".xlsx"):
        from report_support import code_cells

        problems = workbook_problems(data, name)
        problems += [f"{name}/{sheet}!{cell}: code {text!r}" for sheet, cell, text in code_cells(data)]
        book = load_workbook(io.BytesIO(data), read_only=True)
        if STAKEHOLDER_NOTE not in [c for s in book.worksheets for r in s.iter_rows(values_only=True)
                                    for c in r]:
            problems.append(f"{name}: no stakeholder note")
        return problems
    return []


def page_problems(at: AppTest, managers: list[MediaFileManager]) -> list[str]:
    problems: list[str] = []
    for element in tables_shown(at):
        problems += frame_problems(element.value, "table")
    for tile in at.metric:
        for part in (tile.value, tile.delta, tile.proto.help):
            text = str(part or "")
            if re.fullmatch(r"[+-]?[1-4]", text.strip()) or SMALL_COUNT_TEXT.search(text):
                problems.append(f"tile {tile.label}: {text!r}")
            if PARTICIPANT_ID.search(text):
                problems.append(f"tile {tile.label}: participant id")
        for number in re.findall(r"(?<![\d.,%])\d[\d,]*(?![\d.%,])", str(tile.value)):
            problem = _count_problem(number, f"tile {tile.label}")
            if problem and "%" not in str(tile.value):
                problems.append(problem)
    for kind in ("markdown", "caption", "info", "warning", "success", "error", "subheader", "header"):
        for element in at.get(kind):
            text = str(element.value)
            if PARTICIPANT_ID.search(text):
                problems.append(f"{kind}: participant id in {text[:60]!r}")
            if SMALL_COUNT_TEXT.search(text):
                problems.append(f"{kind}: small count in {text[:60]!r}")
    for element in at.get("plotly_chart"):
        problems += chart_problems(json.loads(element.proto.spec))
    for name, data in downloads(at, managers):
        if "_rounded_suppressed" not in name:
            problems.append(f"{name}: not named as protected")
        problems += download_problems(name, data)
    return problems


# --------------------------------------------------------------------------- the dashboard


@pytest.mark.parametrize("page", PAGES)
def test_every_output_of_every_page_is_protected(demo_db_url: str, media: list[MediaFileManager],
                                                 page: str) -> None:
    at = open_page(new_app({"audience": "stakeholder"}), page)
    if page == "app_pages/1_overview.py":  # the report workbook is a download once prepared
        at.button(key="overview_report_prepare_xlsx").click().run()
        assert not at.exception, [e.value for e in at.exception]
    notes = [*at.info, *at.caption] if page == PRESENTATION else at.info  # the slides' footer
    assert any(STAKEHOLDER_NOTE in unescape_markdown(str(el.value)) for el in notes)
    problems = [p for screen in each_screen(at, page) for p in page_problems(screen, media)]
    assert not problems, problems[:15]
    # Nothing participant-level is offered: no follow-up list, no upload previews.
    headings = [str(h.value) for h in at.subheader] + [t.label for t in at.tabs]
    assert "Follow-up list" not in headings
    assert not at.get("file_uploader")


def test_the_scan_finds_small_counts_in_the_internal_view(demo_db_url: str,
                                                         media: list[MediaFileManager]) -> None:
    """The same scan on the internal audience fails: tables, charts, hover and downloads."""
    at = open_page(new_app(), "app_pages/6_equality.py")
    problems = page_problems(at, media)
    assert any(p.startswith("table") for p in problems)
    assert any("hover" in p for p in problems)
    assert any(".csv" in p for p in problems) and any(".xlsx" in p for p in problems)
    funnels = open_page(new_app(), "app_pages/2_funnels.py")
    assert "Follow-up list" in [t.label for t in funnels.tabs]


def test_hover_scanner_worked_by_hand() -> None:
    """The hover evaluator on a hand-built trace: 3 is a small count, 10 and [c] are not."""
    trace = {"type": "bar", "x": ["A", "B", "C"], "y": [10, 3, 15],
             "customdata": [[0.5], [0.25], [None]],
             "hovertemplate": "%{x}: %{y:,} people (%{customdata[0]:.1%})<extra></extra>"}
    assert hover_problems(trace, "t") == ["t hover point 1: count 3"]
    tidy = {"type": "bar", "x": ["A"], "y": [5], "customdata": [["[c]"]],
            "hovertemplate": "%{x}: %{customdata[0]} of them"}
    assert hover_problems(tidy, "t") == []
    raw = {"type": "bar", "x": ["A"], "y": [5], "customdata": [["2"]],
           "hovertemplate": "%{x}: %{customdata[0]} of them"}
    assert hover_problems(raw, "t") == ["t hover point 0: count '2'"]


# --------------------------------------------------------------------------- the CLI

CLI_COMMANDS: tuple[tuple[str, ...], ...] = (
    ("funnel",), ("funnel", "--by", "region"), ("funnel", "--referral"),
    ("compare", "--by", "region"), ("compare", "--by", "delivery_partner"),
    ("compare", "--by", "delivery_partner", "--adjust-for", "pathway", "time_since_entry"),
    ("targets",), ("forecast", "--as-of", "2023-08-16"), ("targets", "--summary"),
    ("cohorts",), ("time-to-outcome",),
    ("partners", "--kind", "delivery"), ("partners", "--kind", "training"),
    ("partners", "--kind", "employers"), ("partners", "--kind", "prisons"),
)


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _cli_problems(capsys: pytest.CaptureFixture[str], url: str, audience: str) -> list[str]:
    problems: list[str] = []
    for command in CLI_COMMANDS:
        for fmt in ("csv", "json"):
            code, out, err = _run(capsys, *command, "--db", url, "--format", fmt,
                                  "--audience", audience)
            if code != 0 and audience == "stakeholder":
                # a model's figures (the forecast) are for the programme team only: refused
                assert out == "" and "for internal use only" in err, (command, err)
                continue
            assert code == 0, (command, err)
            frame = (pd.read_csv(io.StringIO(out), dtype=str, keep_default_na=False) if fmt == "csv"
                     else pd.DataFrame(json.loads(out)))
            problems += frame_problems(frame, f"{' '.join(command)} --format {fmt}")
            if audience == "stakeholder":
                assert STAKEHOLDER_NOTE in err
    return problems


def test_every_cli_command_is_protected(demo_db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert _cli_problems(capsys, demo_db_url, "stakeholder") == []
    assert _cli_problems(capsys, demo_db_url, "internal")  # the scan can fail


def _text_problems(text: str, where: str) -> list[str]:
    from report_support import small_counts

    body = re.sub(r"Page \d+|Work by \d+ months", "", " ".join(text.split()))
    body = body.replace("counts below 5", "").replace("fewer than 10", "")
    return [f"{where}: {hit!r}" for hit in small_counts(body)] + (
        [f"{where}: participant id"] if PARTICIPANT_ID.search(text) else [])


def report_problems(name: str, data: bytes) -> list[str]:
    """The whole text of a deck (shapes, tables, notes) or pack, or every sheet of a workbook."""
    if name.endswith(".xlsx"):
        return workbook_problems(data, name)
    if name.endswith(".pdf"):
        from pypdf import PdfReader

        pages = [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]
        problems = [f"{name} page {i}: no note" for i, p in enumerate(pages, start=1)
                    if "Figures are rounded to the nearest 5" not in " ".join(p.split())]
        return problems + _text_problems(" ".join(pages), name)
    from pptx import Presentation

    texts: list[str] = []
    for slide in Presentation(io.BytesIO(data)).slides:
        for shape in slide.shapes:
            if shape.has_text_frame:
                texts.append(shape.text_frame.text)
            if shape.has_table:
                table = shape.table
                texts.extend(table.cell(i, j).text for i in range(len(table.rows))
                             for j in range(len(table.columns)))
        texts.append(slide.notes_slide.notes_text_frame.text)
    return _text_problems("\n".join(texts), name)


@pytest.mark.parametrize("fmt", ["pptx", "pdf", "xlsx"])
def test_cli_report_files_are_protected(demo_db_url: str, tmp_path: Any, fmt: str,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / f"report.{fmt}"
    code, _, err = _run(capsys, "report", "--format", fmt, "--out", str(out), "--audience",
                        "stakeholder", "--db", demo_db_url, "--as-of", "2023-08-16")
    assert code == 0, err
    data = out.read_bytes()
    assert report_problems(out.name, data) == []
    if fmt == "xlsx":  # the workbook's figures hold [c] (the demo has small groups)
        book = load_workbook(io.BytesIO(data), read_only=True)
        assert any(c == SUPPRESSED for s in book.worksheets for r in s.iter_rows(values_only=True)
                   for c in r)


def test_report_scan_fails_on_an_internal_workbook(demo_db_url: str, tmp_path: Any,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "internal.xlsx"
    code, _, err = _run(capsys, "report", "--format", "xlsx", "--out", str(out),
                        "--db", demo_db_url, "--as-of", "2023-08-16")
    assert code == 0, err
    assert report_problems(out.name, out.read_bytes())
