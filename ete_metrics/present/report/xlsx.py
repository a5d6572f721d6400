"""The report workbook: a cover, contents, notes, then one titled table per sheet.

Laid out by :func:`ete_metrics.present.workbook.write_workbook` (the Government
Statistical Service's guidance for releasing statistics in spreadsheets). Each sheet
holds one table of :meth:`ReportContent.tables` as files hold it
(:func:`ete_metrics.present.tables.file_table`: words for the vocabulary's codes,
headings in words, numbers as numbers, rates as fractions formatted as percentages,
dates as ISO ``yyyy-mm-dd``), ``"[c]"`` where a figure is suppressed and ``"[x]"``
where it does not exist, each explained on the Notes sheet. The tables are the
content's (protected for stakeholders by :mod:`ete_metrics.protect`); nothing here
changes a figure. Read a workbook back with :func:`ete_metrics.present.workbook.read_tables`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

import pandas as pd

from ete_metrics.present.formatting import humanise
from ete_metrics.present.report.content import ReportContent, ReportTable
from ete_metrics.present.tables import file_table
from ete_metrics.present.workbook import NOT_AVAILABLE, SheetTable, sheet_title, write_workbook
from ete_metrics.protect.audience import AUDIENCE_LABELS
from ete_metrics.protect.disclosure import SUPPRESSED

__all__ = ["SHEETS", "build_xlsx", "iso_text", "sheet_name"]

#: The sheet of each report table, in words (a table not listed: its key in words).
SHEETS: Mapping[str, str] = {
    "headline": "Headline figures",
    "targets": "Contract targets to date",
    "funnel": "People at each step",
    "regions": "Regions compared",
    "regions_adjusted": "Regions adjusted for case mix",
    "cohorts": "Cohorts in work",
    "cohort_curves": "Cohort curves",
    "partners": "Delivery partners",
    "equality": "Equality",
    "targets_vs_actual_work": "Work against target",
    "targets_vs_actual": "Targets by quarter",
    "definitions": "Definitions",
}

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_UK_DATE = re.compile(r"\b(\d{1,2}) (" + "|".join(_MONTHS) + r") (\d{4})\b")


def sheet_name(key: str) -> str:
    """The sheet of a report table, in words: ``"targets_vs_actual_work"`` -> ``"Work against target"``."""
    return sheet_title(SHEETS.get(key) or humanise(key))


def iso_text(text: str) -> str:
    """Text with its UK dates as ISO dates (files hold ISO dates): ``"as at 16 Aug 2023"`` -> ``"as at 2023-08-16"``."""
    return _UK_DATE.sub(
        lambda m: f"{m.group(3)}-{_MONTHS.index(m.group(2)) + 1:02d}-{int(m.group(1)):02d}", str(text))


def _iso(value: date | None) -> str:
    return value.isoformat() if value is not None else ""


def _sheet(table: ReportTable, lines: list[str]) -> SheetTable:
    frame = file_table(table.data, table.view, labels=table.labels)
    frame.columns = [iso_text(str(c)) for c in frame.columns]
    formats = {iso_text(table.heading(str(c))): role for c, role in table.formats().items()}
    for column in table.data.columns:  # a date column the view does not name is still a date
        if pd.api.types.is_datetime64_any_dtype(table.data[column].dtype):
            formats.setdefault(iso_text(table.heading(str(column))), "date")
    return SheetTable(sheet=sheet_name(table.key), title=iso_text(table.title), frame=frame,
                      name=table.key, formats=formats, lines=lines)


def _notes(content: ReportContent) -> list[str]:
    notes = []
    if content.stakeholder:
        suppressed = dict(content.definitions).get(SUPPRESSED, "Suppressed to protect the people in it.")
        notes += [f"{SUPPRESSED}: {suppressed}", f"Disclosure control: {content.note}"]
    notes += [
        f"{NOT_AVAILABLE}: no figure exists for that row (for example a rate from the step before "
        "for the first step, a median or quartile not reached, or a rate of a group of no one).",
        f"Figures as at {_iso(content.as_of)} (the cut-off): nothing recorded after it is counted. "
        f"Changes are since {_iso(content.previous_as_of)}, one month earlier.",
        f"Who is counted: {iso_text(_covers(content))}.",
        "The steps and terms are defined on the Definitions sheet.",
    ]
    return notes


def _covers(content: ReportContent) -> str:
    return "; ".join(f"{k}: {v}" for k, v in _filters(content))


def _filters(content: ReportContent) -> list[tuple[str, Any]]:
    items: list[tuple[str, Any]] = []
    for name, value in content.filter_items():
        if name == "Entered" and (content.date_from or content.date_to):
            start = _iso(content.date_from) or "the start"
            value = f"from {start} to {_iso(content.date_to) or _iso(content.as_of)}"
        items.append((name, value))
    return items


def build_xlsx(content: ReportContent) -> bytes:
    """Write the report's tables to an Excel workbook laid out for release.

    Sheets: ``Cover`` (the programme, the report and its audience in words, the
    cut-off, the filters, the disclosure note for stakeholders), ``Contents`` (every
    table sheet and its title), ``Notes`` (``[c]``, ``[x]``, the cut-off, who is
    counted), one sheet per table (:data:`SHEETS`), then ``Definitions``.

    Parameters
    ----------
    content : ReportContent
        From :func:`ete_metrics.present.report.content.report_content`.

    Returns
    -------
    bytes
        The ``.xlsx`` file.
    """
    report = "Stakeholder workbook" if content.stakeholder else "Internal workbook"
    covers = f"Figures as at {_iso(content.as_of)}. {iso_text(content.filters_text())}."
    tables = [_sheet(table, [covers]) for table in content.tables()]
    definitions = ReportTable(
        key="definitions", title="Definitions",
        data=pd.DataFrame(list(content.definitions), columns=["term", "definition"]),
    )
    tables.append(_sheet(definitions, ["The steps and terms of the figures, in reading order."]))
    details: list[tuple[str, Any]] = [
        ("Programme", content.programme),
        ("Report", report),
        ("Audience", AUDIENCE_LABELS.get(content.audience, humanise(content.audience))),
        ("Figures as at (cut-off)", datetime.combine(content.as_of, datetime.min.time())),
        ("Compared with", datetime.combine(content.previous_as_of, datetime.min.time())),
        *_filters(content),
    ]
    if content.note:
        details.append(("Disclosure control", content.note))
    about = [
        f"{report} of the figures as at {_iso(content.as_of)}"
        + (": counts rounded and small numbers suppressed to protect the people in them."
           if content.stakeholder else ": the true figures, for internal use, not for publication."),
    ]
    return write_workbook(f"{content.programme}: outcomes", tables, details=details, about=about,
                          notes=_notes(content))
