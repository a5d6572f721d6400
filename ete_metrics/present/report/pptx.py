"""The stakeholder presentation: a PowerPoint deck (python-pptx).

Slides: a title slide (programme, the data's cut-off), headline figures with
what changed since last month, then for each view a chart slide (a sharp PNG
drawn by Kaleido, the palette as on screen) followed by its figures in native,
editable PowerPoint tables, and a definitions slide. Every slide's speaker
notes carry the definitions; stakeholder decks carry the disclosure note on
every slide.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import pandas as pd
from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.text import PP_ALIGN
from pptx.oxml.ns import qn
from pptx.presentation import Presentation as PresentationType
from pptx.slide import Slide
from pptx.util import Emu, Inches, Pt

from ete_metrics.config import PALETTE
from ete_metrics.present.formatting import LAYOUT_CHARS, fit_table, uk_date
from ete_metrics.present.report.content import (
    HEADLINE_COLUMNS,
    ReportContent,
    ReportTable,
    ReportView,
)

__all__ = ["ROWS_PER_SLIDE", "build_pptx", "figures_title", "table_chunks"]

#: Body rows of a native table on one slide; longer tables continue on the next.
ROWS_PER_SLIDE = 16

_WIDTH = Inches(13.333)
_HEIGHT = Inches(7.5)
_MARGIN = Inches(0.5)
_TEXT = RGBColor(0x0B, 0x0C, 0x0C)
_GREY = RGBColor(0x50, 0x5A, 0x5F)


def _rgb(hex_colour: str) -> RGBColor:
    return RGBColor.from_string(hex_colour.lstrip("#").upper())


#: The built-in table style "No Style, Table Grid": thin black grid lines, no fills.
_PLAIN_GRID = "{5940675A-B579-460E-94D1-54222C63F5DA}"

_RAG_FILL = {"Green": "#00703C", "Amber": "#F47738", "Red": "#D4351C"}


def _title_only(prs: PresentationType, title: str) -> Slide:
    slide = prs.slides.add_slide(prs.slide_layouts[5])
    shape = slide.shapes.title
    assert shape is not None
    shape.left, shape.top, shape.width, shape.height = _MARGIN, Inches(0.3), _WIDTH - 2 * _MARGIN, Inches(0.9)
    shape.text = title
    paragraph = shape.text_frame.paragraphs[0]
    paragraph.alignment = PP_ALIGN.LEFT
    for run in paragraph.runs:
        run.font.size = Pt(28 if len(title) <= 48 else 22)  # long titles stay on one line
        run.font.bold = True
        run.font.color.rgb = _rgb(PALETTE[0])
    return slide


def _text_box(
    slide: Slide,
    left: int,
    top: int,
    width: int,
    height: int,
    lines: Sequence[str],
    *,
    size: int = 14,
    colour: RGBColor = _TEXT,
    bold_first: bool = False,
) -> None:
    box = slide.shapes.add_textbox(Emu(left), Emu(top), Emu(width), Emu(height))
    frame = box.text_frame
    frame.word_wrap = True
    for i, line in enumerate(lines):
        paragraph = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        paragraph.text = line
        paragraph.space_after = Pt(6)
        for run in paragraph.runs:
            run.font.size = Pt(size)
            run.font.color.rgb = colour
            run.font.bold = bold_first and i == 0


def _footer(slide: Slide, content: ReportContent) -> None:
    parts = [f"Figures as at {uk_date(content.as_of)}", content.filters_text(LAYOUT_CHARS)]
    if content.note:
        parts.append(content.note)
    _text_box(
        slide, _MARGIN, _HEIGHT - Inches(0.7), _WIDTH - 2 * _MARGIN, Inches(0.6),
        [" · ".join(parts)], size=10, colour=_GREY,
    )


def _notes(slide: Slide, content: ReportContent, summary: str = "") -> None:
    lines = [summary] if summary else []
    if content.note:
        lines.append(content.note)
    lines.append("Definitions:")
    lines.extend(f"{term}: {text}" for term, text in content.definitions)
    notes = slide.notes_slide.notes_text_frame
    assert notes is not None
    notes.text = "\n".join(lines)


def _column_widths(shown: pd.DataFrame, width: int) -> list[int]:
    """Column widths in EMU, by the longest text in each column (headings wrap)."""
    wants = []
    for j, heading in enumerate(shown.columns):
        words = max((len(w) for w in str(heading).split()), default=0)
        longest = max([len(str(v)) + 1 for v in shown.iloc[:, j]]
                      + [min(len(str(heading)), 14), int(words * 1.2) + 3, 8])
        wants.append(min(longest, 34))
    total = sum(wants)
    widths = [int(width * w / total) for w in wants]
    widths[-1] += width - sum(widths)
    return widths


def _lines(text: str, width: int, font_pt: float) -> int:
    """About how many lines ``text`` takes in a cell ``width`` EMU wide."""
    usable_inches = max(width / 914400 - 0.2, 0.3)
    per_line = max(int(usable_inches * 72 / (font_pt * 0.55)), 1)
    return max(1, -(-len(text) // per_line))


def _row_heights(shown: pd.DataFrame, widths: Sequence[int], font_pt: float) -> list[int]:
    """Each body row's height in EMU, allowing for wrapped text."""
    line = Pt(font_pt * 1.2)
    heights = []
    for row in shown.itertuples(index=False):
        lines = max(_lines(str(v), w, font_pt) for v, w in zip(row, widths, strict=True))
        heights.append(int(Inches(0.1) + lines * line))
    return heights


def _font_pt(shown: pd.DataFrame) -> float:
    return 12.0 if shown.shape[1] <= 6 else 10.5


def _table(
    slide: Slide,
    shown: pd.DataFrame,
    top: int,
    width: int,
    left: int = _MARGIN,
    *,
    figures: frozenset[str] = frozenset(),
    widths: list[int] | None = None,
) -> None:
    """A native, editable table; ``figures`` are the headings of right-aligned columns."""
    rows, cols = shown.shape[0] + 1, shown.shape[1]
    font_pt = _font_pt(shown)
    widths = widths or _column_widths(shown, width)
    heights = _row_heights(shown, widths, font_pt)
    header_lines = max(_lines(str(h), w, font_pt) for h, w in zip(shown.columns, widths, strict=True))
    header_height = int(Inches(0.1) + header_lines * Pt(font_pt * 1.2))
    graphic = slide.shapes.add_table(
        rows, cols, Emu(left), Emu(top), Emu(width), Emu(header_height + sum(heights))
    )
    table = graphic.table
    # A plain grid (the built-in "No Style, Table Grid"): only the heading row, the
    # shaded rows and RAG cells need a fill, which keeps big decks quick to write.
    for style in graphic._element.iter(qn("a:tableStyleId")):
        style.text = _PLAIN_GRID
    table.first_row = table.horz_banding = False
    for j, w in enumerate(widths):
        table.columns[j].width = Emu(w)
    font_size = Pt(font_pt)
    white = RGBColor(0xFF, 0xFF, 0xFF)
    shade = RGBColor(0xF3, 0xF2, 0xF1)
    for j, heading in enumerate(shown.columns):
        cell = table.cell(0, j)
        cell.text = str(heading)
        cell.fill.solid()
        cell.fill.fore_color.rgb = _rgb(PALETTE[0])
        for paragraph in cell.text_frame.paragraphs:
            if heading in figures:
                paragraph.alignment = PP_ALIGN.RIGHT
            for run in paragraph.runs:
                run.font.size = font_size
                run.font.bold = True
                run.font.color.rgb = RGBColor(0xFF, 0xFF, 0xFF)
    right = [c in figures for c in shown.columns]
    for i, row in enumerate(shown.itertuples(index=False), start=1):
        for j, value in enumerate(row):
            cell = table.cell(i, j)
            cell.text = str(value)
            rag = _RAG_FILL.get(str(value)) if shown.columns[j] == "RAG" else None
            if rag or i % 2 == 0:
                cell.fill.solid()
                cell.fill.fore_color.rgb = _rgb(rag) if rag else shade
            paragraph = cell.text_frame.paragraphs[0]
            if right[j]:
                paragraph.alignment = PP_ALIGN.RIGHT  # figures line up
            for run in paragraph.runs:
                run.font.size = font_size
                if rag:
                    run.font.color.rgb = white
                    run.font.bold = True
        table.rows[i].height = Emu(heights[i - 1])
    table.rows[0].height = Emu(header_height)


#: Room for a table on a slide: below the title, above the footer.
_TABLE_TOP = Inches(1.3)
_TABLE_ROOM = _HEIGHT - _TABLE_TOP - Inches(0.85)


def table_chunks(
    shown: pd.DataFrame, width: int = _WIDTH - 2 * _MARGIN, *, widths: list[int] | None = None
) -> list[pd.DataFrame]:
    """Split a table into slides of about equal length that each fit above the footer.

    Parameters
    ----------
    shown : pandas.DataFrame
        Display strings (:meth:`ReportTable.display`).
    width : int
        Table width in EMU.
    widths : list of int, optional
        Column widths in EMU (default: by the longest text in each column).

    Returns
    -------
    list of pandas.DataFrame
        At least one chunk (an empty table gives one empty chunk); at most
        :data:`ROWS_PER_SLIDE` rows each.
    """
    if shown.empty:
        return [shown]
    font_pt = _font_pt(shown)
    heights = _row_heights(shown, widths or _column_widths(shown, width), font_pt)
    room = _TABLE_ROOM - Inches(0.6)  # the heading row
    slides = 1
    while True:
        size, extra = divmod(len(shown), slides)  # sizes differ by at most one row
        bounds = [k * size + min(k, extra) for k in range(slides + 1)]
        parts = list(zip(bounds[:-1], bounds[1:], strict=True))
        size += bool(extra)
        if size <= ROWS_PER_SLIDE and all(sum(heights[a:b]) <= room for a, b in parts):
            return [shown.iloc[a:b] for a, b in parts]
        if size == 1:
            return [shown.iloc[a:b] for a, b in parts]
        slides += 1


def _table_slides(
    prs: PresentationType, content: ReportContent, table: ReportTable, title: str, summary: str
) -> None:
    shown = fit_table(table.display())  # a long name is cut (the workbook has it whole)
    figures = table.figure_headings()
    for k, chunk in enumerate(table_chunks(shown)):
        slide = _title_only(prs, figures_title(title, continued=k > 0))
        _table(slide, chunk, _TABLE_TOP, _WIDTH - 2 * _MARGIN, figures=figures)
        _footer(slide, content)
        _notes(slide, content, summary)


def figures_title(title: str, *, continued: bool = False) -> str:
    """The title of the slides holding a view's figures: ``"Delivery partners (figures)"``.

    Parameters
    ----------
    title : str
        The view's title.
    continued : bool
        For the second and later slides: ``"Delivery partners (figures, continued)"``.

    Returns
    -------
    str
    """
    return f"{title} (figures, continued)" if continued else f"{title} (figures)"


def _picture(slide: Slide, png: bytes, top: int, max_width: int, max_height: int) -> None:
    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        w, h = image.size
    ratio = min(max_width / w, max_height / h)
    width, height = int(w * ratio), int(h * ratio)
    left = int((_WIDTH - width) / 2)
    slide.shapes.add_picture(io.BytesIO(png), Emu(left), Emu(top), Emu(width), Emu(height))


def build_pptx(content: ReportContent, images: dict[str, bytes]) -> bytes:
    """Lay out a deck from report content and chart images.

    Parameters
    ----------
    content : ReportContent
        From :func:`ete_metrics.present.report.content.report_content`.
    images : dict of str to bytes
        PNG per view key (views without a chart have no entry).

    Returns
    -------
    bytes
        The ``.pptx`` file.
    """
    prs = Presentation()
    prs.slide_width, prs.slide_height = _WIDTH, _HEIGHT
    _title_slide(prs, content)
    _headline_slide(prs, content)
    for view in content.views:
        png = images.get(view.key)
        if png is not None:
            _chart_slide(prs, content, view, png)
        _table_slides(prs, content, view.table, view.title, view.summary)
    _definition_slides(prs, content)
    out = io.BytesIO()
    prs.save(out)
    return out.getvalue()


def _title_slide(prs: PresentationType, content: ReportContent) -> None:
    """The title slide: the programme, the audience, the date and the filters, the stakeholder
    note, and what changed in words (the same text as at the top of the Overview)."""
    slide = prs.slides.add_slide(prs.slide_layouts[0])
    title, subtitle = slide.shapes.title, slide.placeholders[1]
    assert title is not None
    # with the summary the title and subtitle move up to leave it the lower half
    top = Inches(0.5) if content.summary else Inches(2.0)
    title.left, title.top, title.width, title.height = _MARGIN, top, _WIDTH - 2 * _MARGIN, Inches(1.6)
    subtitle.left, subtitle.top, subtitle.width, subtitle.height = (
        _MARGIN, top + Inches(1.7), _WIDTH - 2 * _MARGIN, Inches(1.5),
    )
    title.text = content.programme
    for run in title.text_frame.paragraphs[0].runs:
        run.font.size = Pt(36)
        run.font.bold = True
        run.font.color.rgb = _rgb(PALETTE[0])
    audience = "Stakeholder presentation" if content.stakeholder else "Internal presentation"
    subtitle.text_frame.text = f"{audience} · Figures as at {uk_date(content.as_of)}"
    extra = subtitle.text_frame.add_paragraph()
    extra.text = content.filters_text(LAYOUT_CHARS)
    if content.note:
        note = subtitle.text_frame.add_paragraph()
        note.text = content.note
        for run in note.runs:
            run.font.size = Pt(14)
    if content.summary:
        _text_box(slide, _MARGIN, Inches(3.8), _WIDTH - 2 * _MARGIN, Inches(3.4),
                  ["What changed", *content.summary], size=13, bold_first=True)
    _notes(slide, content, f"Data cut-off {uk_date(content.as_of)}.")


def _headline_slide(prs: PresentationType, content: ReportContent) -> None:
    """The headline figures, and below them what changed since a month earlier."""
    slide = _title_only(prs, "Headline figures")
    table = content.headline
    headline = table.with_columns(list(HEADLINE_COLUMNS))
    _table(slide, headline.display(), _TABLE_TOP, _WIDTH - 2 * _MARGIN,
           figures=headline.figure_headings())
    shown = headline.display()
    below = _TABLE_TOP + Inches(0.6) + sum(_row_heights(shown, _column_widths(shown, _WIDTH - 2 * _MARGIN),
                                                         _font_pt(shown))) + Inches(0.3)
    _text_box(
        slide, _MARGIN, below, _WIDTH - 2 * _MARGIN, Inches(0.5),
        [f"What changed since {uk_date(content.previous_as_of)}"], size=18, bold_first=True,
    )
    _text_box(slide, _MARGIN, below + Inches(0.5), _WIDTH - 2 * _MARGIN, Inches(2.2),
              list(content.changes), size=14)
    _footer(slide, content)
    _notes(slide, content, "Headline figures, including sustained work, and the change on a month earlier.")


def _chart_slide(prs: PresentationType, content: ReportContent, view: ReportView, png: bytes) -> None:
    """A view's chart, with its summary under it and in the speaker notes."""
    slide = _title_only(prs, view.title)
    _picture(slide, png, Inches(1.2), _WIDTH - 2 * _MARGIN, Inches(4.9))
    _text_box(
        slide, _MARGIN, Inches(6.15), _WIDTH - 2 * _MARGIN, Inches(0.6),
        [view.summary], size=12, colour=_GREY,
    )
    _footer(slide, content)
    _notes(slide, content, view.summary)


def _definition_slides(prs: PresentationType, content: ReportContent) -> None:
    """The definitions, as a table continued over as many slides as it takes."""
    definitions = pd.DataFrame(list(content.definitions), columns=["Term", "Definition"])
    width = _WIDTH - 2 * _MARGIN
    widths = [int(Inches(2.6)), int(width - Inches(2.6))]
    for k, chunk in enumerate(table_chunks(definitions, width, widths=widths)):
        slide = _title_only(prs, "Definitions" if k == 0 else "Definitions (continued)")
        _table(slide, chunk, _TABLE_TOP, width, widths=widths)
        _footer(slide, content)
        _notes(slide, content, "Definitions used in this deck.")
