"""Downloads: formula injection neutralised, the stakeholder note in every export,
and the report buttons wired to ete_metrics.present.report.build_report for the current view
(a Prepare button each, then the download)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import openpyxl
import pandas as pd
import pytest

import dashboard.render as render
from dashboard.filters import Filters
from ete_metrics.present.charts.suppressed import mark_suppressed
from ete_metrics.present.workbook import read_cover, read_tables
from ete_metrics.protect.disclosure import STAKEHOLDER_NOTE
from ete_metrics.steps import ENTERED, WORK
from ete_metrics.views import FUNNEL


def _frame() -> pd.DataFrame:
    return pd.DataFrame({"delivery_partner": ["=cmd()", "Alpha", "@SUM(A1)"],
                         "participants": [10, -5, 20]})


def test_csv_neutralises_formula_text() -> None:
    text = render.csv_bytes(_frame()).decode("utf-8")
    lines = text.splitlines()
    assert lines[0] == "delivery_partner,participants"
    assert lines[1] == "'=cmd(),10"
    assert lines[2] == "Alpha,-5"  # numbers are left alone, even negative ones
    assert lines[3] == "'@SUM(A1),20"


def test_excel_neutralises_and_carries_the_note_sheet() -> None:
    """The download is laid out as the report workbook (GSS): cover, contents, notes, the table."""
    data = render.excel_bytes(_frame(), sheet_name="partners_rounded_suppressed", note=STAKEHOLDER_NOTE)
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["Cover", "Contents", "Notes", "Partners"]
    table = book["Partners"]
    assert table["A1"].value == "Partners" and table["A2"].value == "This worksheet contains one table."
    assert [table["A3"].value, table["B3"].value] == ["Delivery partner", "People"]  # names in words
    assert table["A4"].value == "'=cmd()" and table["A4"].data_type == "s"
    assert table["B5"].value == -5
    assert table.tables["partners_rounded_suppressed"].ref == "A3:B6"
    assert read_cover(data)["Disclosure control"] == STAKEHOLDER_NOTE
    assert read_cover(data)["Audience"] == "Stakeholder (protected)"
    notes = [c.value for c in book["Notes"]["B"]]
    assert f"Disclosure control: {STAKEHOLDER_NOTE}" in notes
    assert list(read_tables(data)) == ["partners_rounded_suppressed"]
    plain = openpyxl.load_workbook(io.BytesIO(render.excel_bytes(_frame())))
    assert plain.sheetnames == ["Cover", "Contents", "Notes", "Data"]
    assert STAKEHOLDER_NOTE not in [c.value for s in plain.worksheets for r in s.iter_rows() for c in r]


def test_excel_number_formats_follow_the_view() -> None:
    frame = pd.DataFrame({"Step": ["Entered", "Into work"], "People": [1200, 300],
                          "% of entered": [1.0, 0.25]})
    data = render.excel_bytes(frame, sheet_name="funnel",
                              formats={"People": "count", "% of entered": "percent"})
    sheet = openpyxl.load_workbook(io.BytesIO(data))["Funnel"]
    assert [sheet["B4"].number_format, sheet["C5"].number_format] == ["#,##0", "0.0%"]
    assert render.file_formats(FUNNEL, ["step", "participants", "rate_from_entry"]) == {
        "People": "count", "% of entered": "percent"}


class _Recorder:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def __call__(self, label: str, **kwargs: Any) -> bool:
        self.calls.append({"label": label, **kwargs})
        return False


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> _Recorder:
    rec = _Recorder()
    monkeypatch.setattr(render.st, "download_button", rec)
    return rec


def _use(monkeypatch: pytest.MonkeyPatch, audience: str) -> Filters:
    filters = Filters(as_of=date(2023, 8, 16), regions=("London",), audience=audience)
    monkeypatch.setattr(render, "current_filters", lambda: filters)
    return filters


def test_stakeholder_downloads_named_and_noted(monkeypatch: pytest.MonkeyPatch, recorder: _Recorder) -> None:
    _use(monkeypatch, "stakeholder")
    render.downloads(_frame(), key="k", filename="partners")
    names = [c["file_name"] for c in recorder.calls]
    assert names == ["partners_rounded_suppressed.csv", "partners_rounded_suppressed.xlsx"]
    csv_data = recorder.calls[0]["data"]()  # generated on click
    assert csv_data.decode("utf-8").splitlines()[1].startswith("'=cmd()")
    assert read_cover(recorder.calls[1]["data"]())["Disclosure control"] == STAKEHOLDER_NOTE


def test_internal_downloads_unchanged_names(monkeypatch: pytest.MonkeyPatch, recorder: _Recorder) -> None:
    _use(monkeypatch, "internal")
    render.downloads(_frame(), key="k", filename="partners")
    assert [c["file_name"] for c in recorder.calls] == ["partners.csv", "partners.xlsx"]
    cover = read_cover(recorder.calls[1]["data"]())
    assert "Disclosure control" not in cover and cover["Audience"] == "Internal (all figures)"


def test_report_buttons_prepare_on_click_for_the_view(monkeypatch: pytest.MonkeyPatch,
                                                     recorder: _Recorder) -> None:
    filters = _use(monkeypatch, "stakeholder")
    built: list[dict[str, Any]] = []
    steps: list[tuple[str, float]] = []

    def fake_build(participants: Any, milestones: Any, targets: Any, **kwargs: Any) -> bytes:
        built.append(kwargs)
        kwargs["progress"]("Drawing the charts", 0.5)
        return b"report"

    import ete_metrics.present.report as report

    monkeypatch.setattr(report, "build_report", fake_build)
    import dashboard.data

    # London alone is part of the programme: its reports are set against the programme's funnel
    monkeypatch.setattr(dashboard.data, "programme_metric", lambda fn, filters, **kwargs: pd.DataFrame({"step": []}))
    clicks: set[str] = set()
    shown: list[str] = []

    def button(label: str, *, key: str, **kwargs: Any) -> bool:
        shown.append(label)
        return key in clicks

    @contextmanager
    def status(working: str, finished: str) -> Iterator[Any]:
        yield lambda step, fraction: steps.append((step, fraction))

    monkeypatch.setattr(render.st, "button", button)
    monkeypatch.setattr(render.st, "session_state", {})
    monkeypatch.setattr(render, "status_progress", status)
    empty = pd.DataFrame()

    render.report_downloads(empty, empty, empty, key="r")
    assert shown == ["Prepare the deck (PowerPoint)", "Prepare the review pack (PDF)", "Prepare the workbook (Excel)"]
    assert not built and not recorder.calls  # nothing is built, nothing offered, until a click

    clicks.add("r_prepare_pdf")
    render.report_downloads(empty, empty, empty, key="r")
    assert [c["file_name"] for c in recorder.calls] == ["ete_outcomes_2023-08-16_rounded_suppressed.pdf"]
    assert recorder.calls[0]["label"] == "Download review pack (PDF)"
    assert recorder.calls[0]["data"]() == b"report"
    assert steps == [("Drawing the charts", 0.5)]  # the build's steps reach the status box
    assert [{k: v for k, v in b.items() if k not in ("progress", "programme")} for b in built] == [
        {"as_of": filters.as_of, "audience": "stakeholder", "regions": ["London"], "fmt": "pdf",
         "pathways": None, "delivery_partners": None, "date_from": None, "date_to": None}]
    assert built[0]["programme"] is not None  # London alone: set against the programme (issue 26)

    clicks.clear()  # the next run: the pack is kept for this view, the other two still to prepare
    shown.clear()
    recorder.calls.clear()
    render.report_downloads(empty, empty, empty, key="r")
    assert len(built) == 1
    assert shown == ["Prepare the deck (PowerPoint)", "Prepare the workbook (Excel)"]
    assert [c["label"] for c in recorder.calls] == ["Download review pack (PDF)"]

    _use(monkeypatch, "internal")  # another view: the pack is prepared again
    shown.clear()
    recorder.calls.clear()
    render.report_downloads(empty, empty, empty, key="r")
    assert len(shown) == 3 and not recorder.calls


def test_tidy_hover_shows_the_marker_not_nan() -> None:
    import numpy as np
    import plotly.graph_objects as go

    figure = go.Figure(go.Bar(
        x=["A", "B"], y=[0.25, 0.5],
        customdata=np.array([[1235.0, 0.2], [np.nan, np.nan]]),
        hovertemplate="%{x}: %{customdata[0]:,} people (%{customdata[1]:.1%})<extra></extra>",
    ))
    mark_suppressed(figure)
    trace = figure.data[0]
    # Worked by hand: 1235 -> "1,235", 0.2 -> "20.0%"; the suppressed row reads [c].
    assert [list(row) for row in trace.customdata] == [["1,235", "20.0%"], ["[c]", "[c]"]]
    assert trace.hovertemplate == "%{x}: %{customdata[0]} people (%{customdata[1]})<extra></extra>"
    untouched = go.Figure(go.Bar(x=["A"], y=[1.0], customdata=[[5.0]],
                                 hovertemplate="%{customdata[0]:,}"))
    mark_suppressed(untouched)  # nothing suppressed: left as Plotly formats it
    assert untouched.data[0].hovertemplate == "%{customdata[0]:,}"


def test_tidy_hover_keeps_text_in_hover_data() -> None:
    import numpy as np
    import plotly.graph_objects as go

    # A RAG rating beside a suppressed count: only the missing count becomes [c].
    figure = go.Figure(go.Bar(
        x=["Wales", "London"], y=[0.9, 0.5],
        customdata=np.array([[12.0, "Green"], [np.nan, "Amber"]], dtype=object),
        hovertemplate="%{x}: %{customdata[0]:,} (%{customdata[1]})<extra></extra>",
    ))
    mark_suppressed(figure)
    assert [list(row) for row in figure.data[0].customdata] == [["12", "Green"], ["[c]", "Amber"]]


def test_a_tables_downloads_carry_the_screens_words_and_machine_values(
    monkeypatch: pytest.MonkeyPatch, recorder: _Recorder
) -> None:
    _use(monkeypatch, "internal")  # shown as given: a frame protected before
    frame = pd.DataFrame({
        "step": [ENTERED.name, WORK.name], "participants": [120, "[c]"],
        "rate_from_entry": [1.0, "[c]"], "ci_low": [0.97, "[c]"],
    })
    render.table_with_downloads(frame, FUNNEL, key="t", filename="funnel")
    csv_text = recorder.calls[0]["data"]().decode("utf-8").splitlines()
    # headings and step names as on screen; rates stay fractions in the file
    assert csv_text == [
        "Step,People,% of entered,Lower 95% interval",
        "Entered,120,1.0,0.97",
        "Into work,[c],[c],[c]",
    ]
