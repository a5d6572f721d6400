"""Tests for the PDF contract review pack of ete_metrics.present.report (read with pypdf)."""

from __future__ import annotations

import io
import re

from pypdf import PdfReader

from ete_metrics.present.formatting import count
from ete_metrics.present.report.pdf import build_pdf
from tests.report_support import content, images, small_counts


def _pages(audience: str) -> list[str]:
    data = build_pdf(content(audience), images(audience))
    assert data.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(data))
    return [page.extract_text() for page in reader.pages]


def test_first_page_headline_against_target_and_changes() -> None:
    pages = _pages("internal")
    first = pages[0]
    report = content("internal")
    assert "16 Aug 2023" in first
    assert "Headline figures against target" in first
    assert "What changed since 16 Jul 2023" in first
    overall = report.headline_targets().display()
    for row in overall.itertuples(index=False):
        assert row[1] in first  # actual to date, e.g. "698"
        assert row[4] in first  # RAG: Green / Amber / Red
    entered = int(report.headline.data["participants"].iloc[0])
    assert f"Entered: {count(entered)}" in first.replace("\n", " ")


def test_page_per_view_then_definitions() -> None:
    pages = _pages("internal")
    text = "\n".join(pages)
    for view in content("internal").views:
        assert view.title in text
    assert "Definitions" in pages[-1]
    assert len(pages) >= 1 + len(content("internal").views) + 1


def test_stakeholder_pack_note_and_no_small_counts() -> None:
    pages = _pages("stakeholder")
    for page in pages:
        flat = page.replace("\n", " ")
        assert "Figures are rounded to the nearest 5" in flat
    body = " ".join(p.replace("\n", " ") for p in pages)
    # The note may be split across lines by the extractor: drop its known phrases too.
    body = body.replace("counts below 5", "").replace("fewer than 10", "")
    # Page numbers and the cohort table's headings ("Work by 3 months") are not counts.
    body = re.sub(r"Page \d+|Work by \d+ months", "", body)
    assert small_counts(body) == [], body[:2000]
