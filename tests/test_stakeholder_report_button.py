"""The Overview's report buttons (AppTest): prepared on click, for the sidebar's filters and audience.

The deck, review pack and workbook are offered on the Overview page. Rendering the page
builds none of them (a Prepare button each); clicking one builds that file in the page's
run under a status box with the step it is on, for the filters in the URL/sidebar and the
audience — here a stakeholder view of Wales and the custody pathway — and puts its
download button in the Prepare button's place. The test downloads, opens and checks them.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from apptest_support import *  # noqa: F403
from apptest_support import new_app, open_page, prepare_reports
from pptx import Presentation
from pypdf import PdfReader
from streamlit.runtime.media_file_manager import MediaFileManager
from test_stakeholder_scan import downloads, report_problems

import ete_metrics.present.report as report_module
from ete_metrics.present.workbook import read_cover, read_tables
from ete_metrics.protect.disclosure import STAKEHOLDER_NOTE


def test_report_buttons_prepare_on_click_for_the_view(demo_db_url: str, media: list[MediaFileManager],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[dict[str, Any]] = []
    real = report_module.build_report

    def counting(*args: Any, **kwargs: Any) -> bytes:
        calls.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(report_module, "build_report", counting)
    at = open_page(
        new_app({"audience": "stakeholder", "region": "Wales", "pathway": "custody"}),
        "app_pages/1_overview.py",
    )
    assert not [b for b in at.download_button if b.key and b.key.startswith("overview_report_")]
    prepare = [b for b in at.button if b.key and b.key.startswith("overview_report_prepare_")]
    assert [b.label for b in prepare] == [
        "Prepare the deck (PowerPoint)", "Prepare the review pack (PDF)", "Prepare the workbook (Excel)"]
    assert calls == []  # rendering the page built nothing

    at.button(key="overview_report_prepare_xlsx").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert len(calls) == 1 and calls[0]["fmt"] == "xlsx" and callable(calls[0]["progress"])
    assert [s.label for s in at.status] == ["The workbook is ready to download"]
    assert [b.label for b in at.download_button if b.key == "overview_report_xlsx"] == ["Download workbook (Excel)"]
    assert [b.key for b in at.button if b.key and b.key.startswith("overview_report_prepare_")] == [
        "overview_report_prepare_pptx", "overview_report_prepare_pdf"]

    prepare_reports(at)  # the workbook is kept: clicking on builds the deck and the pack once each
    assert sorted(c["fmt"] for c in calls) == ["pdf", "pptx", "xlsx"]
    buttons = [b for b in at.download_button if b.key and b.key.startswith("overview_report_")]
    assert [b.label for b in buttons] == [
        "Download deck (PowerPoint)", "Download review pack (PDF)", "Download workbook (Excel)"]
    files = {name: data for name, data in downloads(at, media) if name.startswith("ete_outcomes_")}
    assert len(calls) == 3  # downloading builds nothing more
    assert {c["audience"] for c in calls} == {"stakeholder"}
    assert all(c["regions"] == ["Wales"] and c["pathways"] == ["custody"] for c in calls)
    stems = {name.rsplit(".", 1)[0] for name in files}
    assert len(stems) == 1 and stems.pop().endswith("_rounded_suppressed")

    deck = files[next(n for n in files if n.endswith(".pptx"))]
    subtitle = Presentation(io.BytesIO(deck)).slides[0].placeholders[1].text_frame.text
    assert "Stakeholder presentation" in subtitle
    assert "Regions: Wales" in subtitle and "Pathways: custody" in subtitle
    assert STAKEHOLDER_NOTE in subtitle

    pack = files[next(n for n in files if n.endswith(".pdf"))]
    first = " ".join(PdfReader(io.BytesIO(pack)).pages[0].extract_text().split())
    assert "Stakeholder contract review pack" in first and "Regions: Wales" in first

    workbook = files[next(n for n in files if n.endswith(".xlsx"))]
    cover = read_cover(workbook)
    assert cover["Audience"] == "Stakeholder (protected)"
    assert cover["Regions"] == "Wales" and cover["Pathways"] == "custody"
    assert cover["Disclosure control"] == STAKEHOLDER_NOTE
    # Wales alone is set against the programme, not compared with itself (issue 26 item 1): no
    # regions comparison table; the benchmark's rows are the steps, with the programme beside them
    assert not {"regions", "regions_adjusted"} & set(read_tables(workbook))

    for name, data in files.items():
        assert report_problems(name, data) == [], name


def test_a_wales_leads_workbook_sets_wales_against_the_programme(demo_db_url: str, media: list[MediaFileManager],
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 26 item 1: a lead's reports from the Overview set Wales against the programme's
    aggregate (every region's people), as the pages do, not against itself."""
    from dashboard.auth import PREVIEW_KEY

    calls: list[dict[str, Any]] = []
    real = report_module.build_report

    def counting(*args: Any, **kwargs: Any) -> bytes:
        calls.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(report_module, "build_report", counting)
    at = new_app()
    at.run()
    at.selectbox(key=PREVIEW_KEY).select("A regional lead (Wales)")
    at.run()
    at = open_page(at, "app_pages/1_overview.py")
    at.button(key="overview_report_prepare_xlsx").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert len(calls) == 1 and calls[0]["programme"] is not None
    files = {name: data for name, data in downloads(at, media) if name.endswith(".xlsx")}
    tables = read_tables(next(iter(files.values())))
    assert "benchmark" in tables and "regions" not in tables
    programme = calls[0]["programme"].set_index("step")["participants"]
    first = tables["benchmark"].iloc[0]
    assert first["Programme entered"] == programme["entered"]
