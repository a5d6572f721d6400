"""The shapes a report is made of: a table, a view (a slide or page), the whole content.

The writers (:mod:`~ete_metrics.present.report.pptx`, :mod:`~ete_metrics.present.report.pdf`,
:mod:`~ete_metrics.present.report.xlsx`) read only these; the sibling modules fill them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import TYPE_CHECKING, Any

import pandas as pd

from ete_metrics.metrics.review import scope_label
from ete_metrics.present.formatting import fit_text, uk_date
from ete_metrics.present.tables import display_table
from ete_metrics.views import View, heading

if TYPE_CHECKING:  # Plotly is loaded only where a chart is drawn: a workbook has none
    import plotly.graph_objects as go


#: The headline table's columns on the deck's "Headline figures" slide and the presentation's.
HEADLINE_COLUMNS: tuple[str, ...] = (
    "step", "participants", "change", "rate_from_entry", "ci_low", "ci_high",
)


@dataclass(frozen=True)
class ReportTable:
    """One table of a report.

    Attributes
    ----------
    key : str
        Short unique name (the workbook's sheet name, at most 31 characters).
    title : str
        Heading.
    data : pandas.DataFrame
        The values: numbers, text, dates, and ``"[c]"`` where a figure is
        suppressed (stakeholder reports). Files get these values.
    view : View or None
        Its view (:mod:`ete_metrics.views`): how each column is shown (counts
        ``10,234``, percentages ``38.1%``, dates, ``+1.2 pp``); None for a table of text.
    labels : mapping of str to str
        Headings for columns whose name says too little here (``participants`` of
        the regions table is "In work"); others get :func:`heading`.
    """

    key: str
    title: str
    data: pd.DataFrame
    view: View | None = None
    labels: Mapping[str, str] = field(default_factory=dict)

    def display(self) -> pd.DataFrame:
        """Display strings with readable headings (:func:`ete_metrics.present.tables.display_table`)."""
        return display_table(self.data, self.view, labels=self.labels)

    def heading(self, column: str) -> str:
        """The heading of ``column`` in every format (slide, page, sheet)."""
        own = {**(self.view.headings if self.view is not None else {}), **self.labels}
        return heading(column, own)

    def formats(self) -> dict[str, str]:
        """How each column holding figures is shown (:meth:`ete_metrics.views.View.formats`)."""
        return {} if self.view is None else self.view.formats(self.data.columns)

    def figure_headings(self) -> frozenset[str]:
        """Headings of the columns holding figures (right-aligned in tables)."""
        return frozenset(self.heading(c) for c in self.formats())

    def with_columns(self, columns: Sequence[str], **changes: Any) -> ReportTable:
        """The same table with only ``columns`` (those present, in this order)."""
        data = self.data[[c for c in columns if c in self.data.columns]].reset_index(drop=True)
        return replace(self, data=data, **changes)


@dataclass(frozen=True)
class ReportView:
    """A page of a pack or a slide of a deck: a chart and the table of its numbers.

    Attributes
    ----------
    key : str
        Short name (``"funnel"``, ``"regions"``...).
    title : str
        Slide or page title.
    summary : str
        One or two sentences saying what the view shows.
    table : ReportTable
        The figures behind the chart, as shown next to it.
    figure : plotly.graph_objects.Figure or None
        The chart, drawn from ``table`` (protected numbers for stakeholders).
    more_tables : tuple of ReportTable
        Longer tables behind the view, for the workbook.
    """

    key: str
    title: str
    summary: str
    table: ReportTable
    figure: go.Figure | None
    more_tables: tuple[ReportTable, ...] = ()


@dataclass(frozen=True)
class ReportContent:
    """Everything a deck, pack or workbook shows, computed once.

    Attributes
    ----------
    programme : str
        The programme's name.
    as_of : date
        The data's cut-off (figures as at).
    previous_as_of : date
        One month before ``as_of`` (for "what changed").
    audience : {"internal", "stakeholder"}
    regions : tuple of str
        The regions filter; empty for all regions.
    headline : ReportTable
        The funnel including sustained work, now and a month earlier.
    changes : tuple of str
        Sentences on what changed since ``previous_as_of``.
    targets : ReportTable
        Contract targets to date with RAG, per region and for all regions.
    views : tuple of ReportView
        Funnel, targets, then for part of the programme (a lead's region) that part against
        the programme and, with two regions or more, the regions compared and adjusted for case
        mix; cohorts, partners, equality, targets against actuals.
    definitions : tuple of (str, str)
        Term and definition.
    note : str
        :data:`ete_metrics.protect.disclosure.STAKEHOLDER_NOTE` for stakeholders, else ``""``.
    pathways, delivery_partners : tuple of str
        The pathway and delivery-partner filters; empty for everyone.
    date_from, date_to : date or None
        The entry-date range (inclusive); ``None`` when open.
    summary : tuple of str
        What changed, in words (:func:`ete_metrics.present.narrative.narrative`): the
        same sentences as at the top of the Overview, from the figures shown.
    """

    programme: str
    as_of: date
    previous_as_of: date
    audience: str
    regions: tuple[str, ...]
    headline: ReportTable
    changes: tuple[str, ...]
    targets: ReportTable
    views: tuple[ReportView, ...]
    definitions: tuple[tuple[str, str], ...]
    note: str = ""
    pathways: tuple[str, ...] = ()
    delivery_partners: tuple[str, ...] = ()
    date_from: date | None = None
    date_to: date | None = None
    summary: tuple[str, ...] = ()

    @property
    def stakeholder(self) -> bool:
        """True for a stakeholder (disclosure-controlled) report."""
        return self.audience == "stakeholder"

    @property
    def scope(self) -> str:
        """The regions the report covers, in words: ``"All regions"``, ``"Wales"``, ``"London and Wales"``."""
        return scope_label(self.regions)

    def filter_items(self) -> list[tuple[str, str]]:
        """Each filter and its value in words (the workbook's cover), everyone when unset."""
        if self.date_from or self.date_to:
            start = uk_date(self.date_from) if self.date_from else "the start"
            end = uk_date(self.date_to) if self.date_to else uk_date(self.as_of)
            entered = f"from {start} to {end}"
        else:
            entered = "Any date"
        return [
            ("Regions", ", ".join(self.regions) if self.regions else "All regions"),
            ("Pathways", ", ".join(self.pathways) if self.pathways else "All pathways"),
            ("Delivery partners",
             ", ".join(self.delivery_partners) if self.delivery_partners else "All delivery partners"),
            ("Entered", entered),
        ]

    def filters_text(self, limit: int | None = None) -> str:
        """The filters in words, e.g. ``"All regions"`` or ``"Regions: London, Wales · Pathways: custody"``.

        With a ``limit``, each name is cut to that many characters
        (:func:`ete_metrics.present.formatting.fit_text`), for fixed layouts.
        """

        def names(values: Sequence[str]) -> str:
            return ", ".join(values if limit is None else [fit_text(v, limit) for v in values])

        parts = ["All regions" if not self.regions else "Regions: " + names(self.regions)]
        if self.pathways:
            parts.append("Pathways: " + names(self.pathways))
        if self.delivery_partners:
            parts.append("Delivery partners: " + names(self.delivery_partners))
        if self.date_from or self.date_to:
            parts.append("Entered " + self.filter_items()[3][1])
        return " · ".join(parts)

    def headline_targets(self) -> ReportTable:
        """The all-regions rows of the targets table (the director's first page)."""
        data = self.targets.data
        overall = data.loc[data["region"] == self.scope]
        if overall.empty:
            overall = data
        return ReportTable(
            key="headline_targets",
            title="Against contract targets",
            data=overall.drop(columns=["region"]).reset_index(drop=True),
            view=self.targets.view,
        )

    def tables(self) -> list[ReportTable]:
        """Every distinct table, in report order (the workbook's sheets)."""
        seen: set[str] = set()
        out: list[ReportTable] = []
        for table in (
            self.headline,
            self.targets,
            *(t for v in self.views for t in (v.table, *v.more_tables)),
        ):
            if table.key not in seen:
                seen.add(table.key)
                out.append(table)
        return out
