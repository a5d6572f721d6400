"""Stakeholder presentations and contract review packs (issue 5).

:func:`build_report` turns the programme's frames into a PowerPoint deck, a PDF
contract review pack or an Excel workbook, for an internal or a stakeholder
audience. The figures come from :func:`report_content`, computed once with the
same :mod:`ete_metrics` functions the dashboard uses; stakeholder reports pass
every table through :mod:`ete_metrics.protect.disclosure`.

Examples
--------
>>> from datetime import date
from typing import Any
>>> from ete_metrics import generate_demo
>>> from ete_metrics.present.report import build_report
>>> demo = generate_demo(n_participants=3000)
>>> deck = build_report(demo.participants, demo.milestones, demo.targets,
...                     as_of=date(2023, 8, 16), audience="stakeholder",
...                     fmt="pptx")  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

import pandas as pd

from ete_metrics.errors import InputError
from ete_metrics.present.report.content import (
    AUDIENCES,
    ReportContent,
    ReportTable,
    ReportView,
    report_content,
)
from ete_metrics.progress import Progress, share, tell

if TYPE_CHECKING:  # Plotly is loaded only for a deck or a pack: a workbook has no charts
    import plotly.graph_objects as go

    from ete_metrics.present.report.images import ChartBrowser

__all__ = [
    "AUDIENCES",
    "FORMATS",
    "MEDIA_TYPES",
    "ReportContent",
    "ReportPack",
    "ReportTable",
    "ReportView",
    "build_report",
    "build_report_pack",
    "build_reports",
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


def _for_print(figure: go.Figure) -> dict[str, Any]:
    """A dashboard chart with text large enough for a slide or a printed page, as a figure dict.

    The same as ``go.Figure(figure).update_layout(font={"size": 18}, title={"font": {"size":
    22}}, legend={"font": {"size": 16}})`` and 15% more height for a chart that sets its
    own, then ``to_dict()`` (what Kaleido draws), without validating the figure again.
    """
    spec = figure.to_dict()
    layout = spec.setdefault("layout", {})
    layout.setdefault("font", {})["size"] = PRINT_FONT_SIZE
    layout.setdefault("title", {}).setdefault("font", {})["size"] = PRINT_TITLE_SIZE
    layout.setdefault("legend", {}).setdefault("font", {})["size"] = PRINT_FONT_SIZE - 2
    # tall horizontal bar charts: keep their room per bar; a funnel plot's names are laid out
    # for its own height (charts.style.label_points)
    from ete_metrics.present.charts.style import FIXED_HEIGHT  # Plotly: only where a chart is drawn

    if layout.get("height") and not (layout.get("meta") or {}).get(FIXED_HEIGHT):
        layout["height"] = int(layout["height"] * 1.15)
    return spec


#: What a person reads while each format is laid out.
_LAYING_OUT: dict[str, str] = {
    "pptx": "Laying out the deck",
    "pdf": "Laying out the review pack",
    "xlsx": "Writing the workbook",
}


def _chart_images(
    content: ReportContent, progress: Progress | None = None, browser: ChartBrowser | None = None
) -> dict[str, bytes]:
    """PNG of each view's chart (Kaleido and the system Chromium), by view key.

    ``browser``: one already started (:func:`~ete_metrics.present.report.images.start_browser`);
    by default one is started and closed.
    """
    from ete_metrics.present.report.images import render_pngs

    views = [v for v in content.views if v.figure is not None]
    pngs = render_pngs(
        [_for_print(v.figure) for v in views if v.figure is not None], width=1000, height=540,
        progress=progress, browser=browser,
    )
    return {v.key: png for v, png in zip(views, pngs, strict=True)}


def _check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise InputError(f"Unknown report format {fmt!r}: choose pptx, pdf or xlsx.")


def render_report(
    content: ReportContent,
    fmt: str,
    *,
    images: dict[str, bytes] | None = None,
    progress: Progress | None = None,
) -> bytes:
    """Lay out already computed report content in one format.

    Parameters
    ----------
    content : ReportContent
        From :func:`report_content`.
    fmt : {"pptx", "pdf", "xlsx"}
    images : dict of str to bytes, optional
        The charts already drawn for this content (another format of the same
        content drew them); drawn here when omitted (pptx, pdf).
    progress : Progress, optional
        Told each chart drawn, then the layout (:mod:`ete_metrics.progress`).

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
    _check_format(fmt)
    if fmt == "xlsx":
        from ete_metrics.present.report.xlsx import build_xlsx

        tell(progress, _LAYING_OUT[fmt], 0.0)
        return build_xlsx(content)
    if images is None:
        images = _chart_images(content, share(progress, 0.0, 0.8))
    tell(progress, _LAYING_OUT[fmt], 0.8)
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
    progress: Progress | None = None,
    browser: ChartBrowser | None = None,
    programme: pd.DataFrame | None = None,
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
    progress : Progress, optional
        Told each step: the figures, each chart, the layout (:mod:`ete_metrics.progress`).
    browser : ChartBrowser, optional
        As for :func:`build_reports` (pptx, pdf).
    programme : pandas.DataFrame, optional
        The programme's funnel, for part of it held alone (as for :func:`report_content`).

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
    return build_reports(
        participants, milestones, targets, as_of=as_of, audience=audience, regions=regions,
        formats=(fmt,), pathways=pathways, delivery_partners=delivery_partners,
        date_from=date_from, date_to=date_to, progress=progress, browser=browser, programme=programme,
    )[fmt]


def build_reports(
    participants: pd.DataFrame,
    milestones: pd.DataFrame,
    targets: pd.DataFrame,
    *,
    formats: Sequence[str],
    progress: Progress | None = None,
    browser: ChartBrowser | None = None,
    **options: Any,
) -> dict[str, bytes]:
    """Build several formats of one report: the figures worked out and the charts drawn once.

    The files of :func:`build_report_pack` (parameters and errors as there).

    Returns
    -------
    dict of str to bytes
        Each format's file, by format.
    """
    return build_report_pack(
        participants, milestones, targets, formats=formats, progress=progress, browser=browser,
        **options,
    ).files


@dataclass(frozen=True)
class ReportPack:
    """One report in several formats, and the content they were laid out from.

    Attributes
    ----------
    content : ReportContent
        The figures and words (its ``summary``: the Overview's sentences on what changed).
    files : dict of str to bytes
        Each format's file, by format.
    """

    content: ReportContent
    files: dict[str, bytes]


def build_report_pack(
    participants: pd.DataFrame,
    milestones: pd.DataFrame,
    targets: pd.DataFrame,
    *,
    formats: Sequence[str],
    progress: Progress | None = None,
    browser: ChartBrowser | None = None,
    **options: Any,
) -> ReportPack:
    """Build several formats of one report: the figures worked out and the charts drawn once.

    Parameters
    ----------
    participants, milestones, targets : pandas.DataFrame
        As for :func:`build_report`.
    formats : sequence of str
        Each of :data:`FORMATS`, once.
    progress : Progress, optional
        Told each step: the figures, each chart, each layout (:mod:`ete_metrics.progress`).
    browser : ChartBrowser, optional
        One started earlier (:func:`~ete_metrics.present.report.images.start_browser`), e.g.
        before the data were read, for the charts; it is closed once they are drawn. By
        default one is started as the figures are worked out.
    **options
        ``as_of`` and the keyword arguments of :func:`report_content` (audience,
        regions, pathways, delivery partners, entry dates).

    Returns
    -------
    ReportPack
        The content and each format's file, by format.

    Raises
    ------
    InputError, ConfigError
        As for :func:`build_report`.
    """
    for fmt in formats:
        _check_format(fmt)
    if len(set(formats)) != len(formats) or not formats:
        raise InputError(f"Give each report format once: {', '.join(formats) or 'none given'}.")
    charted = [fmt for fmt in formats if fmt != "xlsx"]
    # shares of the whole: the figures, the charts (when a format has them), the layouts
    figures_end = 0.3 if charted else 0.7
    charts_end = 0.85 if charted else figures_end
    own = None
    if charted and browser is None:
        from ete_metrics.present.report.images import start_browser

        # Chromium starts and loads plotly.js (seconds) while the figures are worked out
        browser = own = start_browser()
    try:
        content = report_content(
            participants, milestones, targets, progress=share(progress, 0.0, figures_end),
            charts=bool(charted), **options
        )
        images = None
        if browser is not None and charted:
            images = _chart_images(content, share(progress, figures_end, charts_end), browser)
            browser.close(wait=False)  # Chromium ends while the files are laid out
        files: dict[str, bytes] = {}
        step = (1.0 - charts_end) / len(formats)
        for number, fmt in enumerate(formats):
            start = charts_end + step * number
            files[fmt] = render_report(
                content, fmt, images=images, progress=share(progress, start, start + step)
            )
    finally:
        if own is not None:
            own.close()
    tell(progress, "Done", 1.0)
    return ReportPack(content=content, files=files)
