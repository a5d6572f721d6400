"""Stakeholder presentations and contract review packs (issue 5).

:func:`build_report` turns the programme's frames into a PowerPoint deck, a PDF
contract review pack or an Excel workbook, for an internal or a stakeholder
audience. The figures come from :func:`report_content`, computed once with the
same :mod:`ete_metrics` functions the dashboard uses; stakeholder reports pass
every table through :mod:`ete_metrics.protect.disclosure`.

Examples
--------
>>> from datetime import date
>>> from ete_metrics import generate_demo
>>> from ete_metrics.present.report import build_report
>>> demo = generate_demo(n_participants=3000)
>>> deck = build_report(demo.participants, demo.milestones, demo.targets,
...                     as_of=date(2023, 8, 16), audience="stakeholder",
...                     fmt="pptx")  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import pandas as pd
import plotly.graph_objects as go

from ete_metrics.errors import InputError
from ete_metrics.present.report.content import (
    AUDIENCES,
    ReportContent,
    ReportTable,
    ReportView,
    report_content,
)

__all__ = [
    "AUDIENCES",
    "FORMATS",
    "MEDIA_TYPES",
    "ReportContent",
    "ReportTable",
    "ReportView",
    "build_report",
    "render_report",
    "report_content",
]

#: Output formats.
FORMATS: tuple[str, ...] = ("pptx", "pdf", "xlsx")

#: MIME type of each format (for a download button).
MEDIA_TYPES: dict[str, str] = {
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


#: Chart text sizes on slides and pages (CSS pixels of a 1,000-pixel-wide image): about
#: 12 pt on a 16:9 slide, where the screen's 14 would shrink to 8 pt.
PRINT_FONT_SIZE = 18
PRINT_TITLE_SIZE = 22


def _for_print(figure: go.Figure) -> go.Figure:
    """A copy of a dashboard chart with text large enough for a slide or a printed page."""
    copy = go.Figure(figure)
    copy.update_layout(
        font={"size": PRINT_FONT_SIZE},
        title={"font": {"size": PRINT_TITLE_SIZE}},
        legend={"font": {"size": PRINT_FONT_SIZE - 2}},
    )
    if copy.layout.height:  # tall horizontal bar charts: keep their room per bar
        copy.update_layout(height=int(copy.layout.height * 1.15))
    return copy


def _chart_images(content: ReportContent) -> dict[str, bytes]:
    """PNG of each view's chart (Kaleido and the system Chromium), by view key."""
    from ete_metrics.present.report.images import render_pngs

    views = [v for v in content.views if v.figure is not None]
    pngs = render_pngs(
        [_for_print(v.figure) for v in views if v.figure is not None], width=1000, height=540
    )
    return {v.key: png for v, png in zip(views, pngs, strict=True)}


def render_report(content: ReportContent, fmt: str) -> bytes:
    """Lay out already computed report content in one format.

    Parameters
    ----------
    content : ReportContent
        From :func:`report_content`.
    fmt : {"pptx", "pdf", "xlsx"}

    Returns
    -------
    bytes
        The file.

    Raises
    ------
    InputError
        An unknown format.
    ConfigError
        Charts cannot be drawn (Kaleido or Chromium missing) for pptx or pdf.
    """
    if fmt not in FORMATS:
        raise InputError(f"Unknown report format {fmt!r}: choose pptx, pdf or xlsx.")
    if fmt == "xlsx":
        from ete_metrics.present.report.xlsx import build_xlsx

        return build_xlsx(content)
    images = _chart_images(content)
    if fmt == "pptx":
        from ete_metrics.present.report.pptx import build_pptx

        return build_pptx(content, images)
    from ete_metrics.present.report.pdf import build_pdf

    return build_pdf(content, images)


def build_report(
    participants: pd.DataFrame,
    milestones: pd.DataFrame,
    targets: pd.DataFrame,
    *,
    as_of: date | pd.Timestamp | str,
    audience: str = "internal",
    regions: Iterable[str] | None = None,
    fmt: str = "pptx",
    pathways: Iterable[str] | None = None,
    delivery_partners: Iterable[str] | None = None,
    date_from: date | pd.Timestamp | str | None = None,
    date_to: date | pd.Timestamp | str | None = None,
) -> bytes:
    """Build a deck, contract review pack or workbook.

    Parameters
    ----------
    participants, milestones, targets : pandas.DataFrame
        In the :mod:`ete_metrics.data.frames` formats. Not modified.
    as_of : date
        The data's cut-off.
    audience : {"internal", "stakeholder"}, default "internal"
        Stakeholder reports are disclosure-controlled (see :func:`report_content`)
        and carry :data:`ete_metrics.protect.disclosure.STAKEHOLDER_NOTE`.
    regions : iterable of str, optional
        Only these regions.
    fmt : {"pptx", "pdf", "xlsx"}, default "pptx"
    pathways, delivery_partners : iterable of str, optional
        Only these pathways and delivery partners.
    date_from, date_to : date-like, optional
        Only people who entered in this range (inclusive).

    Returns
    -------
    bytes
        The file's contents.

    Raises
    ------
    InputError
        An unknown format, audience, region, pathway or partner; no data to report
        on; or bad input to a metric.
    ConfigError
        Charts cannot be drawn because Kaleido or Chromium is missing (pptx, pdf).
    """
    if fmt not in FORMATS:
        raise InputError(f"Unknown report format {fmt!r}: choose pptx, pdf or xlsx.")
    content = report_content(
        participants, milestones, targets, as_of=as_of, audience=audience, regions=regions,
        pathways=pathways, delivery_partners=delivery_partners, date_from=date_from, date_to=date_to,
    )
    return render_report(content, fmt)
