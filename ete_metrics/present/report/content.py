"""What a report shows, computed once for every format.

:func:`report_content` calls the same :mod:`ete_metrics` functions the
dashboard uses (funnel, targets, comparison, cohorts, partners, equality) and
returns a :class:`ReportContent`: the tables (protected by
:mod:`ete_metrics.protect.disclosure` for stakeholders), the Plotly figures drawn from
those tables, the headline figures, what changed since the month before, and
the definitions. The PowerPoint, PDF and Excel writers only lay this out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ete_metrics import config, steps, views
from ete_metrics.config import RAG_AMBER_FROM, RAG_GREEN_FROM
from ete_metrics.counting.filters import filter_participants, milestones_for
from ete_metrics.counting.population import to_timestamp
from ete_metrics.errors import InputError
from ete_metrics.metrics.cohorts import cohort_curves
from ete_metrics.metrics.comparison import compare_groups, funnel_limits, programme_benchmark
from ete_metrics.metrics.equality import equality
from ete_metrics.metrics.funnel import funnel
from ete_metrics.metrics.headline import headline, month_earlier
from ete_metrics.metrics.partners import delivery_partners
from ete_metrics.metrics.review import comparison_changes, month_comparison, rag_table, scope_label
from ete_metrics.metrics.standardised import DEFAULT_ADJUST, ratio_limits, standardised_ratios
from ete_metrics.metrics.targets import target_summary, targets_vs_actual
from ete_metrics.present.formatting import (
    count,
    fit_text,
    percent,
    signed_count,
    signed_points,
    uk_date,
)
from ete_metrics.present.narrative import narrative
from ete_metrics.present.tables import display_table
from ete_metrics.progress import Progress, tell
from ete_metrics.protect import disclosure
from ete_metrics.protect.audience import (
    AUDIENCES,
    check_stakeholder_scope,
    limit_sizes,
    present_view,
)
from ete_metrics.protect.policy import POLICY
from ete_metrics.protect.publication import Part, parts_of, publish
from ete_metrics.steps import ENTERED, TRAINING, WORK, label
from ete_metrics.views import View, heading

if TYPE_CHECKING:  # Plotly is loaded only where a chart is drawn: a workbook has none
    import plotly.graph_objects as go

__all__ = [
    "HEADLINE_COLUMNS",
    "AUDIENCES",
    "PROGRAMME",
    "ReportContent",
    "ReportTable",
    "ReportView",
    "definitions",
    "heading",
    "part_of_programme",
    "programme_funnel",
    "report_content",
]

#: The programme named on every cover.
PROGRAMME = "Education, Training and Employment (ETE) programme for people on probation"

#: Months since entry summarised in the cohort table of decks and packs.
COHORT_MONTHS: tuple[int, ...] = (3, 6, 12, 18, 24)

#: Rows of the targets-against-actuals table shown on a slide or page (latest periods).
TARGET_PERIODS_SHOWN = 4

SUPPRESSED = disclosure.SUPPRESSED

#: Small numbers in words, so text never shows a bare 1-4 that could be read as a count.
_WORDS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 8: "eight"}


# --------------------------------------------------------------------------- data classes


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


# --------------------------------------------------------------------------- display

# --------------------------------------------------------------------------- protection


def _present(frame: pd.DataFrame, kind: View, audience: str) -> pd.DataFrame:
    """The view as shown: :func:`ete_metrics.protect.audience.present_view` (the dashboard's rules)."""
    return present_view(frame.reset_index(drop=True), kind, audience).reset_index(drop=True)


def part_of_programme(regions: Iterable[str]) -> bool:
    """True when ``regions`` (those a report covers) are only part of the programme.

    The pages' rule (``dashboard.filters.Filters.part_of_programme``): decided by the
    regions chosen (a region filter, or a regional lead's regions), not by the regions
    the figures happen to hold.
    """
    chosen = set(regions)
    return bool(chosen) and not set(config.regions()) <= chosen


def programme_funnel(
    participants: pd.DataFrame,
    milestones: pd.DataFrame,
    *,
    as_of: date | pd.Timestamp | str,
    pathways: Iterable[str] | None = None,
    delivery_partners: Iterable[str] | None = None,
    date_from: date | pd.Timestamp | str | None = None,
    date_to: date | pd.Timestamp | str | None = None,
) -> pd.DataFrame:
    """The programme's funnel (every region's people; an aggregate, no breakdown).

    What a report of part of the programme is set against (:func:`report_content`'s
    ``programme``): ``participants`` and ``milestones`` hold every region; the other
    filters are the report's. Only the totals per step leave this function.
    """
    if pathways or delivery_partners:
        participants = filter_participants(participants, pathways=list(pathways or ()) or None,
                                           delivery_partners=list(delivery_partners or ()) or None)
        milestones = milestones_for(participants, milestones)
    start = None if date_from is None else to_timestamp(date_from)
    end = None if date_to is None else to_timestamp(date_to)
    return funnel(participants, milestones, as_of=to_timestamp(as_of), include_sustained=True,
                  date_from=start, date_to=end)


def _pack(
    participants: pd.DataFrame,
    milestones: pd.DataFrame,
    as_of: pd.Timestamp,
    previous: pd.Timestamp,
    dates: Mapping[str, Any],
    *,
    compare_regions: bool = True,
    programme: pd.DataFrame | None = None,
) -> dict[str, Part]:
    """The pack's tables of the same people, protected together (:func:`publish`).

    The set is declared as ``"pack"`` in :data:`ete_metrics.views.PUBLICATIONS`.

    The headline now and a month earlier, the regions compared (work), the delivery
    partners' steps and the equality groups: each counts
    the people entered and in work, so a cell suppressed in one is suppressed in all,
    and the set is audited as a whole. Targets and cohort tables count other things
    (contractual measures; quarters of entry at a month since entry) and are
    protected as views.

    As on the Regions page, the regions are compared with each other (and adjusted) only
    when two or more are in view (``compare_regions``): one region alone would be compared
    with itself. With the ``programme``'s funnel (part of the programme in view), the
    pack's people are set against it (``"benchmark"``, an aggregate of every region).
    """
    partners = delivery_partners(participants, milestones, as_of=as_of, **dates)
    now = funnel(participants, milestones, as_of=as_of, include_sustained=True, **dates)
    return parts_of("pack", {
        "now": now,
        "month_earlier": funnel(participants, milestones, as_of=previous, include_sustained=True,
                                **dates),
        "comparison": compare_groups(participants, milestones, by="region", step=WORK.name,
                                     as_of=as_of, **dates) if compare_regions else None,
        "partners": partners.loc[partners["step"].isin(PARTNER_STEPS)].reset_index(drop=True),
        "equality": equality(participants, milestones, as_of=as_of, **dates),
        "benchmark": None if programme is None else programme_benchmark(now, programme),
    })


def _chart_frame(table: pd.DataFrame, counts: Sequence[str] = ("participants",)) -> pd.DataFrame:
    """Numbers a chart may draw: ``"[c]"`` becomes NaN; whole count columns stay whole."""
    numbers = disclosure.numeric_view(table)
    for column in counts:
        if column in numbers.columns and pd.api.types.is_float_dtype(numbers[column].dtype):
            values = numbers[column]
            if values.notna().all() and (values == values.round()).all():
                numbers[column] = values.astype("int64")  # labels read 700, not 700.0
    return numbers


# --------------------------------------------------------------------------- views


def _headline(
    now: pd.DataFrame, before: pd.DataFrame, as_of: pd.Timestamp, previous: pd.Timestamp
) -> tuple[ReportTable, tuple[str, ...]]:
    changes = headline(now, before)
    frame = changes.drop(columns="rate_change")
    table = ReportTable(
        key="headline",
        title=f"Headline figures as at {uk_date(as_of)}",
        data=frame,
        labels={"participants": "People", "change": f"Change since {uk_date(previous)}",
                "participants_month_earlier": f"People at {uk_date(previous)}",
                "rate_month_earlier": f"% of entered at {uk_date(previous)}"},
        view=views.HEADLINE,
    )
    sentences: list[str] = []
    for row in changes.itertuples(index=False):
        name = label(str(row.step))
        if isinstance(row.participants, str):
            sentences.append(f"{name}: {row.participants} (figure suppressed).")
            continue
        text = f"{name}: {count(row.participants)}"
        if not isinstance(row.change, str):
            text += f", {signed_count(row.change)} since {uk_date(previous)}"
        if row.step != ENTERED.name and not isinstance(row.rate_from_entry, str):
            text += f"; {percent(row.rate_from_entry)} of people entered"
            rate_change: Any = row.rate_change
            if not isinstance(rate_change, str) and pd.notna(rate_change):
                text += f" ({signed_points(rate_change)})"
        sentences.append(text + ".")
    return table, tuple(sentences)


def _targets(
    participants: pd.DataFrame,
    milestones: pd.DataFrame,
    targets: pd.DataFrame,
    as_of: pd.Timestamp,
    regions: Sequence[str] | None,
    audience: str,
) -> ReportTable:
    summary = rag_table(target_summary(participants, milestones, targets, as_of=as_of, regions=regions))
    shown = _present(summary, views.TARGET_SUMMARY, audience)  # a hidden rate hides its RAG too
    return ReportTable(
        key="targets",
        title="Against contract targets, to date",
        data=shown.reset_index(drop=True),
        view=views.TARGET_SUMMARY,
    )


def _summary(
    participants: pd.DataFrame,
    milestones: pd.DataFrame,
    targets: pd.DataFrame,
    as_of: pd.Timestamp,
    previous: pd.Timestamp,
    regions: Sequence[str] | None,
    audience: str,
    headline: ReportTable,
    target_table: ReportTable,
    scope: str,
) -> tuple[str, ...]:
    """The narrative of the Overview, from the same shown figures (headline, RAG table, month)."""
    monthly = targets_vs_actual(participants, milestones, targets, as_of=as_of, period="month", regions=regions)
    comparison = comparison_changes(_present(month_comparison(monthly, targets, as_of=as_of, regions=regions),
                                             views.MONTH_COMPARISON, audience))
    rag = target_table.data
    named = scope if scope in set(rag["region"].astype(str)) else str(rag["region"].iloc[0]) if len(rag) else scope
    return narrative(headline.data, comparison, rag, as_of=as_of.date(), previous=previous.date(),
                     scope=named, audience=audience)


def _funnel_view(headline: ReportTable, as_of: pd.Timestamp, charts: bool = True) -> ReportView:
    data = headline.data[
        ["step", "participants", "rate_from_entry", "rate_from_previous", "ci_low", "ci_high"]
    ]
    table = ReportTable(
        key="funnel",
        title="People at each step",
        data=data.reset_index(drop=True),
        view=views.FUNNEL,
    )
    figure: go.Figure | None = None
    if charts:
        from ete_metrics.present.charts.funnels import funnel_chart

        figure = funnel_chart(_chart_frame(data), title=f"People at each step, as at {uk_date(as_of)}")
    return ReportView(
        key="funnel",
        title="From entry to training and work",
        summary="People who entered the programme, and how many of them have started training, "
        "started work and sustained work; percentages are of people entered, with 95% intervals.",
        table=table,
        figure=figure,
    )


def _targets_view(targets: ReportTable, charts: bool = True) -> ReportView:
    figure: go.Figure | None = None
    if charts:
        from ete_metrics.present.charts.targets import target_progress_chart

        figure = target_progress_chart(_chart_frame(targets.data))
    return ReportView(
        key="targets",
        title="Against contract targets",
        summary="Actual to date against the target to date for each region and measure, with "
        f"RAG (green from {RAG_GREEN_FROM:.0%}, amber from {RAG_AMBER_FROM:.0%} of target) and a "
        "run-rate projection to the end of the contract.",
        table=targets,
        figure=figure,
    )


def _regions_view(shown: pd.DataFrame, scope: str = "All regions", charts: bool = True) -> ReportView:
    shown = shown.drop(columns=["outside_998"], errors="ignore")
    figure: go.Figure | None = None
    numbers = _chart_frame(shown)
    if charts and len(shown) and numbers["entered"].notna().any():
        from ete_metrics.present.charts.regions import regions_funnel_plot

        # Limits are drawn around the overall rate as published, at sizes derived from the
        # figures shown (rounded for stakeholders): the chart reveals no unrounded count.
        limits = funnel_limits(float(numbers["overall_rate"].iloc[0]), limit_sizes(numbers["entered"]))
        figure = regions_funnel_plot(numbers, limits, step=WORK.name, by="region")
        _label_points(figure)
    table = ReportTable(
        key="regions",
        title="Regions compared with control limits (work)",
        data=shown.reset_index(drop=True),
        view=views.COMPARE,
        labels={"participants": "In work", "rate": "% in work", "overall_rate": f"{scope} %"},
    )
    return ReportView(
        key="regions",
        title="Regions compared with control limits",
        summary="Each region's percent of entrants who started work against the overall rate. "
        "The limits show where 95% and 99.8% of regions of that size would fall by chance "
        "(funnel plot, Spiegelhalter 2005).",
        table=table,
        figure=figure,
    )


def _benchmark_view(shown: pd.DataFrame, scope: str, charts: bool = True) -> ReportView:
    """A part of the programme (a lead's region) against the programme, step by step, as on the
    Regions page: an aggregate of every region beside it, never another region's figures."""
    figure: go.Figure | None = None
    numbers = _chart_frame(shown)
    if charts and len(shown):
        from ete_metrics.present.charts.regions import benchmark_chart

        figure = benchmark_chart(numbers, scope=scope)
    table = ReportTable(
        key="benchmark",
        title=f"{scope} against the programme",
        data=shown.reset_index(drop=True),
        view=views.BENCHMARK,
        labels={"entered": f"{scope} entered", "participants": f"{scope} reached",
                "rate": f"{scope} rate", "programme_entered": "Programme entered",
                "programme_participants": "Programme reached", "programme_rate": "Programme rate",
                "position": "Against programme's limits"},
    )
    return ReportView(
        key="benchmark",
        title=f"{scope} against the programme",
        summary=f"{scope}'s percent of entrants reaching each step beside the programme's (every "
        "region's people with the same filters, shown as an aggregate only). The position says "
        "whether the rate is outside the 95% limits around the programme's rate for a group of "
        f"this size. {scope} is not compared with itself.",
        table=table,
        figure=figure,
    )


def _adjusted_view(shown: pd.DataFrame, charts: bool = True) -> ReportView:
    """Regions compared after adjusting for case mix (observed / expected, the default adjustment)."""
    columns = ["region", "entered", "observed", "expected", "ratio", "ratio_low", "ratio_high",
               "raw_rate", "adjusted_rate", "position"]
    figure: go.Figure | None = None
    numbers = _chart_frame(shown, counts=("observed", "expected"))
    if charts and len(shown) and numbers["expected"].notna().any():
        from ete_metrics.present.charts.standardised import ratio_funnel_plot

        figure = ratio_funnel_plot(numbers, ratio_limits(limit_sizes(numbers["expected"])), by="region", step=WORK.name)
        _label_points(figure)
    adjusted = ", ".join(a.replace("_", " ") for a in DEFAULT_ADJUST)
    table = ReportTable(
        key="regions_adjusted",
        title=f"Regions adjusted for {adjusted} (work)",
        data=shown[columns].reset_index(drop=True),
        view=views.STANDARDISED,
        labels={"observed": "In work", "expected": "Expected", "ratio": "Observed / expected",
                "ratio_low": "Ratio 95% low", "ratio_high": "Ratio 95% high",
                "raw_rate": "% in work", "adjusted_rate": "Adjusted %"},
    )
    return ReportView(
        key="regions_adjusted",
        title="Regions adjusted for who they work with",
        summary=f"Observed against expected starts in work, given each region's mix of people ({adjusted}) "
        "and the programme-wide rates of people like them (indirect standardisation; exact Poisson "
        "limits). It does not adjust for need that is not recorded.",
        table=table,
        figure=figure,
    )


def _label_points(figure: go.Figure) -> None:
    """On paper there is no hover: each group is named next to its point already, by the
    chart (:func:`ete_metrics.present.charts.style.label_points`, laid out for a pack's
    size too, clear of each other and of the overall line's label); the counts get
    thousands separators (5,000 people, as everywhere else). In place."""
    figure.update_xaxes(tickformat=",d")


def _cohorts_view(
    participants: pd.DataFrame,
    milestones: pd.DataFrame,
    as_of: pd.Timestamp,
    audience: str,
    dates: Mapping[str, Any],
    charts: bool = True,
) -> ReportView:
    curves = cohort_curves(
        participants, milestones, cohort="entry_quarter", outcome=WORK.name, as_of=as_of, **dates
    )
    shown = _present(curves, views.COHORT_CURVES, audience)
    long_table = ReportTable(
        key="cohort_curves",
        title="Cumulative percent in work by months since entry, by quarter of entry",
        data=shown.reset_index(drop=True),
        view=views.COHORT_CURVES,
    )
    rows: list[dict[str, Any]] = []
    for cohort, part in shown.groupby("cohort", sort=True, observed=True):
        by_month = dict(zip(part["months_since_entry"].astype(int), part["cumulative_rate"], strict=True))
        first = part.loc[part["months_since_entry"] == part["months_since_entry"].min()]
        row: dict[str, Any] = {
            "cohort": str(cohort),
            "cohort_size": first["cohort_size"].iloc[0] if len(first) else np.nan,
        }
        for month in COHORT_MONTHS:
            row[f"work_by_{month}_months"] = by_month.get(month, np.nan)
        rows.append(row)
    rate_columns = tuple(f"work_by_{m}_months" for m in COHORT_MONTHS)
    summary = pd.DataFrame(rows, columns=["cohort", "cohort_size", *rate_columns])
    for column in rate_columns:
        summary[column] = summary[column].astype(object)
    summary["cohort_size"] = summary["cohort_size"].astype(object)
    figure: go.Figure | None = None
    if charts and len(curves):
        from ete_metrics.present.charts.cohorts import cohort_curves_chart, latest_cohorts

        chosen = latest_cohorts(curves, limit=8)
        if chosen:
            figure = cohort_curves_chart(
                _chart_frame(shown.loc[shown["cohort"].isin(chosen)].reset_index(drop=True)),
                outcome=WORK.name,
                cohorts=chosen,
            )
    return ReportView(
        key="cohorts",
        title="Cohorts: time to work",
        summary="Cumulative percent of each quarter's entrants who had started work, by months "
        "since entry; a cohort is followed only as far as all its members have been. "
        "The chart shows the latest eight cohorts.",
        table=ReportTable(
            key="cohorts",
            title="Percent in work by months since entry",
            data=summary,
            view=views.COHORT_SUMMARY,
        ),
        figure=figure,
        more_tables=(long_table,),
    )


#: The steps of the delivery partners' table.
PARTNER_STEPS: tuple[str, ...] = (ENTERED.name, TRAINING.name, WORK.name)


def _partners_view(long: pd.DataFrame, charts: bool = True) -> ReportView:
    steps = list(PARTNER_STEPS)
    partners = list(dict.fromkeys(long["delivery_partner"].astype(str)))
    shown = pd.DataFrame({"delivery_partner": partners})
    for step in steps:
        part = long.loc[long["step"] == step]
        by_partner = dict(zip(part["delivery_partner"].astype(str), part["participants"], strict=True))
        shown[step] = pd.Series([by_partner.get(p, np.nan) for p in partners], dtype=object)
    for step in (TRAINING.name, WORK.name):
        part = long.loc[long["step"] == step]
        rates = dict(zip(part["delivery_partner"].astype(str), part["rate_from_entry"], strict=True))
        shown[f"{step}_rate"] = pd.Series([rates.get(p, np.nan) for p in partners], dtype=object)
    return ReportView(
        key="partners",
        title="Delivery partners",
        summary="People entered, in training and in work for each delivery partner; "
        "percentages are of the partner's entrants.",
        table=ReportTable(
            key="partners",
            title="Delivery partners",
            data=shown.reset_index(drop=True),
            view=views.PARTNER_STEPS,
        ),
        figure=_partners_chart(shown) if charts else None,
    )


def _partners_chart(shown: pd.DataFrame) -> go.Figure | None:
    """People at each step by delivery partner, from the partners' table as shown."""
    from ete_metrics.present.charts.partners import step_bars

    numbers = _chart_frame(shown)
    chart_long = pd.DataFrame(
        [
            {
                "delivery_partner": row["delivery_partner"],
                "step": step,
                "participants": row[step],
                "rate_from_entry": 1.0 if step == ENTERED.name else row[f"{step}_rate"],
            }
            for _, row in numbers.iterrows()
            for step in PARTNER_STEPS
        ],
        columns=["delivery_partner", "step", "participants", "rate_from_entry"],
    )
    if not len(chart_long):
        return None
    return step_bars(
        chart_long,
        by="delivery_partner",
        group_label="Delivery partner",
        title="People at each step, by delivery partner",
    )


def _equality_view(shown: pd.DataFrame, charts: bool = True) -> ReportView:
    figure: go.Figure | None = None
    if charts and len(shown):
        from ete_metrics.present.charts.equality import equality_chart

        figure = equality_chart(_chart_frame(shown), step=WORK.name)
    return ReportView(
        key="equality",
        title="Equality: work by protected characteristic",
        summary="Percent of entrants who started work in each group, with 95% intervals "
        "(Wilson), against the overall rate; the gap is in percentage points.",
        table=ReportTable(
            key="equality",
            title="Work by protected characteristic",
            data=shown.reset_index(drop=True),
            view=views.EQUALITY,
            labels={"participants": "In work", "rate": "% in work"},
        ),
        figure=figure,
    )


def _targets_vs_actual_view(
    participants: pd.DataFrame,
    milestones: pd.DataFrame,
    targets: pd.DataFrame,
    as_of: pd.Timestamp,
    regions: Sequence[str] | None,
    audience: str,
    charts: bool = True,
) -> ReportView:
    progress = targets_vs_actual(
        participants, milestones, targets, as_of=as_of, period="quarter", regions=regions
    )
    shown = _present(progress, views.TARGETS, audience)
    full = ReportTable(
        key="targets_vs_actual",
        title="Targets against actuals by region and quarter",
        data=shown.reset_index(drop=True),
        view=views.TARGETS,
        labels={"period_start": "Quarter from"},
    )
    work = shown.loc[shown["measure"] == WORK.name]
    periods = sorted(work["period_start"].dropna().unique())[-TARGET_PERIODS_SHOWN:]
    latest = work.loc[work["period_start"].isin(periods)]
    latest = latest.sort_values(["period_start", "region"], kind="stable")[
        ["region", "period_start", "cumulative_target", "cumulative_actual", "percent_achieved", "rag"]
    ]
    figure: go.Figure | None = None
    if charts and len(work):
        from ete_metrics.present.charts.targets import targets_chart

        figure = targets_chart(_chart_frame(work.reset_index(drop=True)), measure=WORK.name)
    return ReportView(
        key="targets_vs_actual",
        title="Targets against actuals: work",
        summary="Cumulative people in work against the cumulative target, quarter by quarter, "
        f"per region; the table shows the latest {_WORDS.get(TARGET_PERIODS_SHOWN, TARGET_PERIODS_SHOWN)} "
        "quarters.",
        table=ReportTable(
            key="targets_vs_actual_work",
            title="Work against target, latest quarters",
            data=latest.reset_index(drop=True),
            view=views.TARGETS,
            labels={"period_start": "Quarter from"},
        ),
        figure=figure,
        more_tables=(full,),
    )


def definitions(*, stakeholder: bool = False) -> tuple[tuple[str, str], ...]:
    """The definitions every report carries (slide, page, sheet, speaker notes).

    Parameters
    ----------
    stakeholder : bool, default False
        Add the disclosure-control terms (``[c]``, rounding) of stakeholder reports.

    Returns
    -------
    tuple of (str, str)
        Term and definition, in reading order.
    """
    protected: tuple[tuple[str, str], ...] = (
        (SUPPRESSED, "Suppressed to protect the people in it: a count below "
         f"{_WORDS.get(config.SUPPRESS_BELOW, config.SUPPRESS_BELOW)}, or a figure from which one "
         "could be worked out (from a total, or a rate of a group of fewer than "
         f"{config.MIN_GROUP_FOR_RATE} people)."),
        *POLICY,
    ) if stakeholder else ()
    return (*steps.definitions(), *protected)


# --------------------------------------------------------------------------- entry point


def _names(column: pd.Series) -> list[str]:
    """The distinct values of a column as text, missing ones left out (each read once, not per row)."""
    return [str(v) for v in column.dropna().unique()]


def _canonical(
    chosen: Iterable[str] | None, known: Iterable[str], what: str
) -> tuple[str, ...]:
    """The chosen values in their stored spelling (case-insensitive), or InputError naming the unknown."""
    if chosen is None:
        return ()
    values = [chosen] if isinstance(chosen, str) else list(chosen)
    spelling = {str(k).casefold(): str(k) for k in known}
    out: list[str] = []
    unknown: list[str] = []
    for value in values:
        match = spelling.get(str(value).strip().casefold())
        if match is None:
            unknown.append(str(value))
        elif match not in out:
            out.append(match)
    if unknown:
        options = ", ".join(sorted(spelling.values())) or "none in the data"
        raise InputError(
            f"Unknown {what} {', '.join(repr(u) for u in unknown)}: choose from {options}."
        )
    return tuple(out)


def report_content(
    participants: pd.DataFrame,
    milestones: pd.DataFrame,
    targets: pd.DataFrame,
    *,
    as_of: date | pd.Timestamp | str,
    audience: str = "internal",
    regions: Iterable[str] | None = None,
    pathways: Iterable[str] | None = None,
    delivery_partners: Iterable[str] | None = None,
    date_from: date | pd.Timestamp | str | None = None,
    date_to: date | pd.Timestamp | str | None = None,
    progress: Progress | None = None,
    charts: bool = True,
    programme: pd.DataFrame | None = None,
) -> ReportContent:
    """Compute every table and chart of a report once.

    Parameters
    ----------
    participants, milestones, targets : pandas.DataFrame
        In the :mod:`ete_metrics.data.frames` formats. Not modified.
    as_of : date
        The cut-off: figures as at this date.
    audience : {"internal", "stakeholder"}, default "internal"
        ``"stakeholder"`` passes every table through :mod:`ete_metrics.protect.disclosure`
        (counts 1-4 suppressed with secondary suppression, others rounded to 5,
        rates blanked for groups under 10) and draws charts from the protected
        numbers.
    regions, pathways, delivery_partners : iterable of str, optional
        Keep only these (participants; targets by region). Matched without regard to
        case and stored in the data's spelling.
    date_from, date_to : date-like, optional
        Only people who entered in this range (inclusive), as on the dashboard; the
        contract targets are per region and are not restricted by entry date.
    progress : Progress, optional
        Told which figures are being worked out (:mod:`ete_metrics.progress`).
    charts : bool, default True
        Draw each view's Plotly figure. ``False`` leaves every ``figure`` ``None``
        and loads no Plotly: the tables are the same (a workbook has no charts).
    programme : pandas.DataFrame, optional
        :func:`programme_funnel` of every region's people, for a report of part of the
        programme (:func:`part_of_programme`) whose ``participants`` hold only that part
        (a regional lead's). By default it is worked out from ``participants`` when they
        hold every region. As on the pages, part of the programme is set against the
        programme's aggregate, and its regions are compared with each other only when two
        or more are in view.

    Returns
    -------
    ReportContent

    Raises
    ------
    InputError
        An unknown audience, region, pathway or delivery partner; no participants
        at all, or none left by the filters; or an error from a metric function.
    """
    if audience not in AUDIENCES:
        raise InputError(f"Unknown audience {audience!r}: choose internal or stakeholder.")
    if participants.empty:
        raise InputError(
            "There are no participants to report on: import an extract first "
            "(python -m ete_metrics import ...)."
        )
    stakeholder = audience == "stakeholder"
    stamp = to_timestamp(as_of)
    previous = pd.Timestamp(month_earlier(stamp))
    chosen = _canonical(regions, set(_names(participants["region"])) | set(config.regions()), "region")
    chosen_pathways = _canonical(pathways, set(_names(participants["pathway"])) | set(config.PATHWAYS), "pathway")
    chosen_partners = _canonical(
        delivery_partners, participants["delivery_partner"].dropna().astype(str).unique(),
        "delivery partner",
    )
    start = None if date_from is None else to_timestamp(date_from)
    end = None if date_to is None else to_timestamp(date_to)
    if start is not None and end is not None and start > end:
        raise InputError("The entry-date range starts after it ends: choose a start on or before the end.")
    everyone, everyone_milestones = participants, milestones
    if chosen or chosen_pathways or chosen_partners:
        participants = filter_participants(
            participants,
            regions=chosen or None,
            pathways=chosen_pathways or None,
            delivery_partners=chosen_partners or None,
        )
        milestones = milestones_for(participants, milestones)
        if participants.empty:
            raise InputError(
                "No participants match these filters: choose other regions, pathways or partners."
            )
    if not chosen:
        # Nothing chosen: the report covers the regions in the data. A regional lead's
        # data holds their regions only, so their pack is labelled with them, not "All regions".
        held = set(_names(participants["region"]))
        if held and not set(config.regions()) <= held:
            chosen = tuple(r for r in config.regions() if r in held) + tuple(
                sorted(held - set(config.regions())))
    if stakeholder:  # the whole programme or one region (a pair's totals would be differenced)
        check_stakeholder_scope(chosen)
    region_list = list(chosen) or None
    dates = {"date_from": start, "date_to": end}
    scope = scope_label(chosen)
    if part_of_programme(chosen) and programme is None and set(_names(everyone["region"])) - set(chosen):
        programme = programme_funnel(everyone, everyone_milestones, as_of=stamp, pathways=chosen_pathways,
                                     delivery_partners=chosen_partners, date_from=start, date_to=end)
    if not part_of_programme(chosen):
        programme = None  # the whole programme in view: nothing to set it against
    compare_regions = len(_names(participants["region"])) >= 2

    tell(progress, "Working out the published figures together", 0.0)
    parts = _pack(participants, milestones, stamp, previous, dates, compare_regions=compare_regions,
                  programme=programme)
    published = dict(zip(parts, publish(list(parts.values()), audience), strict=True))
    now, before, partners, groups = (published[k] for k in ("now", "month_earlier", "partners", "equality"))
    headline, changes = _headline(now, before, stamp, previous)
    tell(progress, "Working out the targets", 0.15)
    target_table = _targets(participants, milestones, targets, stamp, region_list, audience)
    summary = _summary(participants, milestones, targets, stamp, previous, region_list, audience,
                       headline, target_table, scope)
    regional: list[tuple[str, Callable[[], ReportView]]] = []
    if "benchmark" in published:
        regional.append(("programme's figures", lambda: _benchmark_view(published["benchmark"], scope, charts)))
    if compare_regions:
        regional += [
            ("regions", lambda: _regions_view(published["comparison"].reset_index(drop=True), scope, charts)),
        ]
        if not stakeholder:  # a model of each person's records: for the programme team only
            regional.append(("adjusted rates", lambda: _adjusted_view(_present(
                standardised_ratios(participants, milestones, by="region", step=WORK.name, as_of=stamp,
                                    date_from=start, date_to=end),
                views.STANDARDISED, audience), charts)))
    later_views: tuple[tuple[str, Callable[[], ReportView]], ...] = (
        *regional,
        ("cohorts", lambda: _cohorts_view(participants, milestones, stamp, audience, dates, charts)),
        ("delivery partners", lambda: _partners_view(partners, charts)),
        ("equality figures", lambda: _equality_view(groups, charts)),
    )
    built = [_funnel_view(headline, stamp, charts), _targets_view(target_table, charts)]
    for number, (what, view_of) in enumerate(later_views):
        tell(progress, f"Working out the {what}", 0.25 + 0.65 * number / len(later_views))
        built.append(view_of())
    tell(progress, "Working out the targets against actuals", 0.9)
    built.append(
        _targets_vs_actual_view(participants, milestones, targets, stamp, region_list, audience, charts)
    )
    report_views = tuple(built)
    if stakeholder and charts:
        from ete_metrics.present.charts.suppressed import mark_suppressed

        for view in report_views:
            if view.figure is not None:
                mark_suppressed(view.figure)
    content = ReportContent(
        programme=PROGRAMME, as_of=stamp.date(), previous_as_of=previous.date(), audience=audience,
        # the filters, as chosen
        regions=chosen, pathways=chosen_pathways, delivery_partners=chosen_partners,
        date_from=None if start is None else start.date(),
        date_to=None if end is None else end.date(),
        summary=summary,
        # what the report shows
        headline=headline, changes=changes, targets=target_table, views=report_views,
        definitions=definitions(stakeholder=stakeholder),
        note=disclosure.STAKEHOLDER_NOTE if stakeholder else "",
    )
    tell(progress, "Worked out the figures", 1.0)
    return content
