"""Every report file builds with the longest names the import accepts (issue 12, item 3).

A delivery partner name may be 1,000 characters (``config.MAX_CELL_CHARS``), with no
space in it. The PDF and the deck have fixed layouts: they show the name cut to
``LAYOUT_CHARS`` characters (ending in "…"); the workbook keeps it whole.
"""

from __future__ import annotations

import io
from datetime import date
from functools import lru_cache

import openpyxl
from pptx import Presentation
from pypdf import PdfReader

from ete_metrics import config
from ete_metrics.present.formatting import LAYOUT_CHARS, fit_text
from ete_metrics.present.report import ReportContent, report_content
from ete_metrics.present.report.pdf import build_pdf
from ete_metrics.present.report.pptx import build_pptx
from ete_metrics.present.report.xlsx import build_xlsx
from tests.report_support import demo

#: The longest value the import accepts, as one word: "Partner" then Xs to 1,000 characters.
LONG = ("Partner" + "X" * config.MAX_CELL_CHARS)[: config.MAX_CELL_CHARS]


@lru_cache(maxsize=2)
def long_content(filtered: bool) -> ReportContent:
    participants, milestones, targets = demo()
    participants = participants.copy()
    participants.loc[participants.index[:500], "delivery_partner"] = LONG
    return report_content(
        participants, milestones, targets, as_of=date(2023, 8, 16), audience="internal",
        delivery_partners=[LONG] if filtered else None,
    )


def test_fit_text_cuts_at_the_limit() -> None:
    # 10 letters, limit 6: the first 5 and an ellipsis.
    assert fit_text("abcdefghij", 6) == "abcde…"
    assert fit_text("short", 6) == "short"


def test_pdf_builds_with_a_1000_character_partner_name() -> None:
    # Before the fix: ValueError "... flowable given negative availWidth".
    for filtered in (False, True):
        data = build_pdf(long_content(filtered), {})
        text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
        text = text.replace("\n", "")  # the name wraps over lines
        assert LONG[: LAYOUT_CHARS - 1] + "…" in text
        assert LONG[:LAYOUT_CHARS] not in text


def test_deck_cuts_a_1000_character_partner_name() -> None:
    data = build_pptx(long_content(False), {})
    deck = Presentation(io.BytesIO(data))
    cells = [
        cell.text
        for slide in deck.slides
        for shape in slide.shapes
        if shape.has_table
        for row in shape.table.rows
        for cell in row.cells
    ]
    assert LONG[: LAYOUT_CHARS - 1] + "…" in cells
    assert not any(LONG[:LAYOUT_CHARS] in c for c in cells)


def test_workbook_keeps_the_whole_name() -> None:
    book = openpyxl.load_workbook(io.BytesIO(build_xlsx(long_content(False))))
    values = {
        str(cell)
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for cell in row
    }
    assert LONG in values
