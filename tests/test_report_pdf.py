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


def _reader(audience: str) -> PdfReader:
    return PdfReader(io.BytesIO(build_pdf(content(audience), images(audience))))


def test_every_page_has_a_title_and_continued_tables_say_so() -> None:
    """Issue 26 item 8: no continuation page of a lone row under a repeated header and no title."""
    report = content("internal")
    titles = [v.title for v in report.views] + ["Definitions"]
    for number, page in enumerate(_reader("internal").pages[1:], start=2):
        text = page.extract_text()
        heading = next((t for t in titles if t in text), None)
        assert heading is not None, f"page {number} has no title: {text[:200]!r}"
        if not any(f"{t}\n" in text or text.startswith(t) for t in titles if t in text):
            assert "(continued)" in text, number


def test_tables_are_split_without_lone_rows() -> None:
    from ete_metrics.present.report.pdf import _row_chunks

    # 12 rows of 10 pt; 25 pt under the chart (two rows), 50 pt on later pages (five rows):
    # the table starts on the next page rather than leave two rows under the chart, and the
    # last page takes a row from the one before rather than hold two: 5, 4, 3.
    assert _row_chunks([10.0] * 12, 25.0, 50.0) == [(0, 0), (0, 5), (5, 9), (9, 12)]
    # room for ten under the chart, then two would be left alone: nine, then three
    assert _row_chunks([10.0] * 12, 100.0, 200.0) == [(0, 9), (9, 12)]
    # a short table fits where it is
    assert _row_chunks([10.0] * 2, 25.0, 50.0) == [(0, 2)]


def _drawn_heights(page) -> list[float]:  # type: ignore[no-untyped-def]
    """Heights (points) at which the page's images are drawn (reportlab: ``w 0 0 h x y cm /X Do``)."""
    stream = page.get_contents().get_data().decode("latin-1")
    return [float(h) for h in re.findall(r"[\d.]+ 0 0 ([\d.]+) [-\d.]+ [-\d.]+ cm\s*/\S+ Do", stream)]


def test_the_equality_chart_is_drawn_at_a_readable_size() -> None:
    """Its row per group made it a small picture (95 mm high, text about 5 pt): a page of its own."""
    title = next(v.title for v in content("internal").views if v.key == "equality")
    page = next(p for p in _reader("internal").pages if title in p.extract_text())
    mm = 72 / 25.4
    assert max(_drawn_heights(page)) >= 140 * mm
