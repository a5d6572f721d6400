"""The contract review pack: a PDF (reportlab, offline).

Page one is for a director and reads in a minute: the headline figures against
target with RAG, and what changed since the month before. Then a page per view:
its chart (the same PNG as the deck) and the table of its figures. Then the
definitions. Stakeholder packs carry the disclosure note on every page.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from xml.sax.saxutils import escape

import pandas as pd
from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import (
    Image,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from ete_metrics.config import PALETTE, RAG_AMBER_FROM, RAG_GREEN_FROM
from ete_metrics.present.charts.style import RAG_COLOURS, RAG_TEXT
from ete_metrics.present.formatting import LAYOUT_CHARS, fit_table, percent, uk_date
from ete_metrics.present.report.content import ReportContent, ReportTable, ReportView
from ete_metrics.protect.disclosure import SUPPRESSED
from ete_metrics.steps import label

__all__ = ["build_pdf"]

_PAGE = landscape(A4)
_MARGIN = 14 * mm
_RAG = {label(code): colors.HexColor(value) for code, value in RAG_COLOURS.items()}
#: The text on each RAG cell (near black on amber: white would be 2.78:1).
_RAG_TEXT = {label(code): colors.HexColor(value) for code, value in RAG_TEXT.items()}


def _styles() -> dict[str, ParagraphStyle]:
    base = getSampleStyleSheet()
    blue = colors.HexColor(PALETTE[0])
    return {
        "title": ParagraphStyle("t", parent=base["Title"], alignment=0, textColor=blue, fontSize=18, leading=22),
        "h1": ParagraphStyle("h1", parent=base["Heading1"], textColor=blue, fontSize=18, leading=22),
        "h2": ParagraphStyle("h2", parent=base["Heading2"], textColor=blue, fontSize=13, leading=16,
                             spaceBefore=4, spaceAfter=4),
        "body": ParagraphStyle("b", parent=base["BodyText"], fontSize=10.5, leading=14),
        "big": ParagraphStyle("big", parent=base["BodyText"], fontSize=11, leading=14.5),
        "small": ParagraphStyle("s", parent=base["BodyText"], fontSize=8.5, leading=11, textColor=colors.HexColor("#505A5F")),
        "cell": ParagraphStyle("c", parent=base["BodyText"], fontSize=8.5, leading=10.5),
        "figure": ParagraphStyle("f", parent=base["BodyText"], fontSize=8.5, leading=10.5, alignment=2),
    }


#: A value this long makes a table's columns share the page, so that it wraps.
_WRAP_FROM = 30


def _wrapping_widths(shown: pd.DataFrame) -> list[float] | None:
    """Column widths sharing the page when a value is long, else ``None`` (reportlab sizes them).

    reportlab sizes columns by their content and cannot make room for a long word
    (it fails with "negative availWidth"); with a width given, a paragraph splits
    a word too long for its column.
    """
    longest = [
        max([len(str(v)) for v in shown.iloc[:, j]] + [len(str(c))])
        for j, c in enumerate(shown.columns)
    ]
    if max(longest, default=0) < _WRAP_FROM:
        return None
    wants = [min(max(n, 8), _WRAP_FROM * 2) for n in longest]
    usable = _PAGE[0] - 2 * _MARGIN
    return [usable * w / sum(wants) for w in wants]


def _table(
    shown: pd.DataFrame,
    styles: dict[str, ParagraphStyle],
    *,
    widths: list[float] | None = None,
    figures: frozenset[str] = frozenset(),
) -> Table:
    """A table of display strings; columns headed in ``figures`` are right-aligned."""
    heading = ParagraphStyle("h", parent=styles["cell"], textColor=colors.white)
    heading_right = ParagraphStyle("hr", parent=heading, alignment=2)
    header = [
        Paragraph(f"<b>{escape(str(c))}</b>", heading_right if c in figures else heading)
        for c in shown.columns
    ]
    body: list[list[Any]] = []
    for row in shown.itertuples(index=False):
        body.append([
            Paragraph(escape(str(v)), styles["figure"] if c in figures else styles["cell"])
            for c, v in zip(shown.columns, row, strict=True)
        ])
    if widths is None:
        widths = _wrapping_widths(shown)
    table = Table([header, *body], colWidths=widths, repeatRows=1, hAlign="LEFT")
    commands: list[tuple[Any, ...]] = [
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor(PALETTE[0])),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#BFC1C3")),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#F3F2F1")]),
        ("TOPPADDING", (0, 1), (-1, -1), 1.5),
        ("BOTTOMPADDING", (0, 1), (-1, -1), 2),
    ]
    if "RAG" in shown.columns:
        j = list(shown.columns).index("RAG")
        for i, value in enumerate(shown["RAG"], start=1):
            if value in _RAG:
                commands.append(("BACKGROUND", (j, i), (j, i), _RAG[value]))
                body[i - 1][j] = Paragraph(
                    f"<b>{escape(str(value))}</b>",
                    ParagraphStyle("rag", parent=styles["cell"], textColor=_RAG_TEXT[value], alignment=1),
                )
        table = Table([header, *body], colWidths=widths, repeatRows=1, hAlign="LEFT")
    table.setStyle(TableStyle(commands))
    return table


def _rag_grid(content: ReportContent, styles: dict[str, ParagraphStyle]) -> Table | None:
    """Regions down, measures across: percent of target to date and RAG in each cell."""
    data = content.targets.data
    if data.empty or "rag" not in data.columns:
        return None
    measures = list(dict.fromkeys(data["measure"].astype(str)))
    regions = list(dict.fromkeys(data["region"].astype(str)))
    header = [Paragraph("<b>Region</b>", ParagraphStyle("h", parent=styles["cell"], textColor=colors.white))]
    header += [
        Paragraph(f"<b>{escape(label(m))}</b>",
                  ParagraphStyle("hc", parent=styles["cell"], textColor=colors.white, alignment=1))
        for m in measures
    ]
    rows: list[list[Any]] = [header]
    commands: list[tuple[Any, ...]] = [
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor(PALETTE[0])),
        ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#BFC1C3")),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]
    centred = ParagraphStyle("cc", parent=styles["cell"], alignment=1)
    for i, region in enumerate(regions, start=1):
        row: list[Any] = [Paragraph(f"<b>{escape(region)}</b>" if region == content.scope else escape(region),
                                    styles["cell"])]
        for j, measure in enumerate(measures, start=1):
            match = data.loc[(data["region"].astype(str) == region) & (data["measure"].astype(str) == measure)]
            if match.empty:
                row.append("")
                continue
            rate, rag = match["percent_achieved"].iloc[0], match["rag"].iloc[0]
            shown_rate = rate if isinstance(rate, str) else percent(rate)
            name = rag if rag == SUPPRESSED else label(rag)
            if name in _RAG:
                commands.append(("BACKGROUND", (j, i), (j, i), _RAG[name]))
                style = ParagraphStyle("w", parent=centred, textColor=_RAG_TEXT[name])
                row.append(Paragraph(f"<b>{escape(shown_rate)}</b> {escape(name)}", style))
            else:
                row.append(Paragraph(f"{escape(shown_rate)} {escape(name)}", centred))
        rows.append(row)
    table = Table(rows, colWidths=[32 * mm] + [30 * mm] * len(measures), hAlign="LEFT")
    table.setStyle(TableStyle(commands))
    return table


def _is_tall(png: bytes) -> bool:
    """A chart drawn taller than the standard 1,000 by 540 (one row per group)."""
    from PIL import Image as PILImage

    with PILImage.open(io.BytesIO(png)) as picture:
        w, h = picture.size
    return h / w > 0.6


def _image(png: bytes, max_width: float, max_height: float) -> Image:
    from PIL import Image as PILImage

    with PILImage.open(io.BytesIO(png)) as picture:
        w, h = picture.size
    ratio = min(max_width / w, max_height / h)
    return Image(io.BytesIO(png), width=w * ratio, height=h * ratio)


def _headline_targets(content: ReportContent) -> tuple[pd.DataFrame, frozenset[str]]:
    """All-regions figures against target: display strings and the figure headings."""
    table: ReportTable = content.headline_targets()
    keep = ["measure", "actual_to_date", "target_to_date", "percent_achieved", "rag",
            "contract_target", "projected_at_end", "projected_percent"]
    chosen = table.with_columns(keep, labels={"percent_achieved": "% of target to date"})
    return fit_table(chosen.display()), chosen.figure_headings()


#: Usable height of a page's frame, and an estimate of one table row (8.5 pt text).
_FRAME_HEIGHT = _PAGE[1] - _MARGIN - 16 * mm
_ROW = 5.2 * mm


def _chart_height(table: ReportTable) -> float:
    """Room for a view's chart so that the page also holds its table where it can."""
    wanted = _FRAME_HEIGHT - 30 * mm - (len(table.data) + 1.5) * _ROW
    return float(min(95 * mm, max(70 * mm, wanted)))


#: A table's rows are never left alone on a page: at least this many rows start it or end it.
_MIN_ROWS = 3
#: A chart drawn taller than a landscape page's chart band (the equality chart: a row per
#: group) gets a page of its own, at this height, so its text is read at the size of the rest.
_TALL_CHART_HEIGHT = _FRAME_HEIGHT - 32 * mm


#: The height a page's flowables may fill: the frame less its padding (6 pt top and bottom)
#: and a little slack for rounding.
_ROOM = _FRAME_HEIGHT - 12 - 3 * mm


def _height(flowable: Any, width: float) -> float:
    """The height a flowable takes on the page, with the space before and after it."""
    return float(flowable.wrap(width, _FRAME_HEIGHT)[1]) + flowable.getSpaceBefore() + flowable.getSpaceAfter()


#: A chart may be drawn this small (from 70 mm) to keep its table on its page.
_SMALLEST_CHART = 55 * mm


def _table_height(shown: pd.DataFrame, styles: dict[str, ParagraphStyle], width: float) -> float:
    """The height of a table drawn whole (a little more, for the page's rounding)."""
    return _height(_table(shown, styles), width) + 1 * mm


def _row_chunks(heights: list[float], first: float, later: float) -> list[tuple[int, int]]:
    """Rows ``[start, end)`` on each page: ``first`` room on the first page, ``later`` on the
    next (after their heading and the repeated header). A page never holds fewer than
    :data:`_MIN_ROWS` rows of a longer table: a first page with less room starts the table
    on the next page (an empty first chunk), and the last page takes rows from the one before."""
    chunks: list[tuple[int, int]] = []
    start, room = 0, first
    while start < len(heights):
        end, used = start, 0.0
        while end < len(heights) and used + heights[end] <= room:
            used += heights[end]
            end += 1
        if end == start and room == later:
            end = start + 1  # a row taller than a page: alone, as reportlab would
        if not chunks and end - start < min(_MIN_ROWS, len(heights)) and end < len(heights):
            end = start  # too little room under the chart: the table starts on the next page
        chunks.append((start, end))
        start, room = end, later
    rows = [c for c in chunks if c[1] > c[0]]
    if len(rows) >= 2:
        (a, b), (c, d) = rows[-2], rows[-1]
        short = _MIN_ROWS - (d - c)
        if short > 0 and b - a - short >= _MIN_ROWS:
            rows[-2], rows[-1] = (a, b - short), (b - short, d)
    if chunks and chunks[0][1] == chunks[0][0]:
        return [chunks[0], *rows]
    return rows


def _paged_table(
    shown: pd.DataFrame,
    styles: dict[str, ParagraphStyle],
    *,
    title: str,
    room: float,
    width: float,
    widths: list[float] | None = None,
    figures: frozenset[str] = frozenset(),
) -> list[Any]:
    """A table over as many pages as it needs, each continuation page under "<title> (continued)".

    ``room``: the height left on the page the table starts on. No page holds a lone row
    under a repeated header (:func:`_row_chunks`).
    """
    whole = _table(shown, styles, widths=widths, figures=figures)
    whole.wrap(width, _FRAME_HEIGHT)
    heights = [float(h) for h in whole._rowHeights]
    header, rows = heights[0], heights[1:]
    heading = Paragraph(escape(f"{title} (continued)"), styles["h1"])
    later = _ROOM - _height(heading, width) - 2 * mm - header
    fixed = [float(w) for w in whole._colWidths]
    out: list[Any] = []
    for number, (start, end) in enumerate(_row_chunks(rows, room - header, later)):
        if number:
            out += [PageBreak(), Paragraph(escape(f"{title} (continued)"), styles["h1"]), Spacer(1, 2 * mm)]
        if end > start:
            out.append(_table(shown.iloc[start:end], styles, widths=fixed, figures=figures))
    return out


@contextmanager
def _binary_streams() -> Iterator[None]:
    """Streams (the charts' pixels, the pages) written as compressed binary, not ASCII85 text.

    reportlab encodes each stream as ASCII85 by default, in pure Python unless its
    optional C accelerator is installed: for a pack's eight 2,000-pixel charts that took
    longer than the rest of the layout. The PDF shows the same; it is a quarter smaller.
    ``rl_config.useA85`` is reportlab's setting for it, set back afterwards.
    """
    before = rl_config.useA85
    rl_config.useA85 = 0
    try:
        yield
    finally:
        rl_config.useA85 = before


def build_pdf(content: ReportContent, images: dict[str, bytes]) -> bytes:
    """Lay out the contract review pack from report content and chart images.

    Parameters
    ----------
    content : ReportContent
        From :func:`ete_metrics.present.report.content.report_content`.
    images : dict of str to bytes
        PNG per view key.

    Returns
    -------
    bytes
        The PDF file.
    """
    styles = _styles()
    out = io.BytesIO()
    audience = "Stakeholder contract review pack" if content.stakeholder else "Contract review pack"
    doc = SimpleDocTemplate(
        out, pagesize=_PAGE, leftMargin=_MARGIN, rightMargin=_MARGIN, topMargin=_MARGIN, bottomMargin=16 * mm,
        title=f"{audience}: figures as at {uk_date(content.as_of)}", author="ETE Outcomes",
    )
    width = _PAGE[0] - 2 * _MARGIN
    story = _first_page(content, audience, styles, width)
    for view in content.views:
        story.append(PageBreak())
        story += _view_page(view, images.get(view.key), styles, width)
    story.append(PageBreak())
    story += _definitions_page(content, styles, width)
    on_page = _footer(content, audience)
    with _binary_streams():
        doc.build(story, onFirstPage=on_page, onLaterPages=on_page)
    return out.getvalue()


def _footer(content: ReportContent, audience: str) -> Callable[[Any, Any], None]:
    """What every page carries at its foot: the programme, the pack, the date and the filters,
    the stakeholder note, and the page number."""
    footer_text = f"{content.programme} · {audience} · Figures as at {uk_date(content.as_of)} · {content.filters_text(LAYOUT_CHARS)}"

    def on_page(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 7.5)
        canvas.setFillColor(colors.HexColor("#505A5F"))
        canvas.drawString(_MARGIN, 8 * mm, footer_text)
        if content.note:
            canvas.drawString(_MARGIN, 4.5 * mm, content.note)
        canvas.drawRightString(_PAGE[0] - _MARGIN, 8 * mm, f"Page {doc.page}")
        canvas.restoreState()

    return on_page


def _first_page(content: ReportContent, audience: str, styles: dict[str, ParagraphStyle],
                width: float) -> list[Any]:
    """The first page: the title, the headline figures against target, the regions' RAG beside
    what changed since the month before, and the RAG's key."""
    story: list[Any] = [
        Paragraph(escape(content.programme), styles["title"]),
        Paragraph(f"{audience} · figures as at <b>{uk_date(content.as_of)}</b> · {escape(content.filters_text(LAYOUT_CHARS))}", styles["big"]),
        Spacer(1, 4 * mm),
    ]
    if content.note:
        story += [Paragraph(escape(content.note), styles["small"]), Spacer(1, 3 * mm)]
    headline, figures = _headline_targets(content)
    story += [Paragraph("Headline figures against target", styles["h2"]),
              _table(headline, styles, figures=figures), Spacer(1, 4 * mm)]
    changed: list[Any] = [Paragraph(f"What changed since {uk_date(content.previous_as_of)}", styles["h2"])]
    changed += [Paragraph(f"• {escape(sentence)}", styles["body"]) for sentence in content.changes]
    grid = _rag_grid(content, styles)
    if grid is not None:  # side by side: the regions' RAG and what changed
        left: list[Any] = [Paragraph("Percent of target to date by region", styles["h2"]), grid]
        side = Table([[left, changed]], colWidths=[160 * mm, width - 160 * mm], hAlign="LEFT")
        side.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                                  ("LEFTPADDING", (0, 0), (0, 0), 0),
                                  ("LEFTPADDING", (1, 0), (1, 0), 6 * mm)]))
        story.append(side)
    else:
        story += changed
    story.append(Spacer(1, 3 * mm))
    story.append(Paragraph(
        f"Green: at least {RAG_GREEN_FROM:.0%} of target to date; amber: at least {RAG_AMBER_FROM:.0%}; "
        "red: below. "
        "Definitions are on the last page.", styles["small"]))
    return story


def _view_page(view: ReportView, png: bytes | None, styles: dict[str, ParagraphStyle],
               width: float) -> list[Any]:
    """A view's page(s): its title and summary, its chart (``png``; a tall chart gets a page
    of its own, a table a few rows too long a smaller chart), then its table, paged."""
    top = [Paragraph(escape(view.title), styles["h1"]), Paragraph(escape(view.summary), styles["body"]),
           Spacer(1, 2 * mm)]
    shown = fit_table(view.table.display())  # a long name is cut, then wraps
    if png is not None:
        chart = _image(png, width, _chart_height(view.table))
        if _is_tall(png):  # a page of its own, as tall as the page allows
            chart = _image(png, width, _TALL_CHART_HEIGHT)
        else:  # a table a few rows too long for the page: a smaller chart rather than a page more
            short = _ROOM - sum(_height(f, width) for f in top) - 3 * mm - _table_height(shown, styles, width)
            if _SMALLEST_CHART <= short < chart.drawHeight:
                chart = _image(png, width, short)
        top += [chart, Spacer(1, 3 * mm)]
    room = _ROOM - sum(_height(f, width) for f in top)
    return [*top, *_paged_table(shown, styles, title=view.title, room=room, width=width,
                                figures=view.table.figure_headings())]


def _definitions_page(content: ReportContent, styles: dict[str, ParagraphStyle],
                      width: float) -> list[Any]:
    """The last page(s): every definition, as a table."""
    heading = Paragraph("Definitions", styles["h1"])
    definitions = pd.DataFrame(list(content.definitions), columns=["Term", "Definition"])
    return [heading, *_paged_table(definitions, styles, title="Definitions",
                                   room=_ROOM - _height(heading, width), width=width,
                                   widths=[55 * mm, width - 60 * mm])]
