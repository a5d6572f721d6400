"""What a report shows, computed once for every format.

:func:`report_content` calls the same :mod:`ete_metrics` functions the
dashboard uses (funnel, targets, comparison, cohorts, partners, equality) and
returns a :class:`ReportContent`: the tables (protected by
:mod:`ete_metrics.protect.disclosure` for stakeholders), the Plotly figures drawn from
those tables, the headline figures, what changed since the month before, and
the definitions. The PowerPoint, PDF and Excel writers only lay this out.

Where things are (each module builds one part of the pack; names with a leading
underscore are this package's own):

- :mod:`.model` — the shapes: :class:`ReportTable`, :class:`ReportView`, :class:`ReportContent`.
- :mod:`.filters` — the filters checked and resolved, the people they keep, the programme's
  funnel a part of the programme is set against (:func:`resolve_filters`).
- :mod:`.published` — where every table is protected: the pack together, the others alone;
  the numbers a chart may draw.
- :mod:`.headline` — headline figures, what changed, the Overview's narrative, the funnel view.
- :mod:`.targets` — contract targets to date (RAG) and against actuals by quarter.
- :mod:`.regions` — regions compared, adjusted for case mix, part of the programme against it.
- :mod:`.cohorts`, :mod:`.partners`, :mod:`.equality` — one view each.
- :mod:`.definitions` — the programme's name and the definitions every report carries.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date

import pandas as pd

from ete_metrics import views
from ete_metrics.metrics.standardised import standardised_ratios
from ete_metrics.present.report.content.cohorts import _cohorts_view
from ete_metrics.present.report.content.definitions import PROGRAMME, definitions
from ete_metrics.present.report.content.equality import _equality_view
from ete_metrics.present.report.content.filters import (
    ReportFilters,
    part_of_programme,
    programme_funnel,
    resolve_filters,
)
from ete_metrics.present.report.content.headline import _funnel_view, _headline, _summary
from ete_metrics.present.report.content.model import (
    HEADLINE_COLUMNS,
    ReportContent,
    ReportTable,
    ReportView,
)
from ete_metrics.present.report.content.partners import _partners_view
from ete_metrics.present.report.content.published import _present, _published
from ete_metrics.present.report.content.regions import (
    _adjusted_view,
    _benchmark_view,
    _regions_view,
)
from ete_metrics.present.report.content.targets import (
    _targets,
    _targets_view,
    _targets_vs_actual_view,
)
from ete_metrics.progress import Progress, tell
from ete_metrics.protect import disclosure
from ete_metrics.protect.audience import AUDIENCES
from ete_metrics.steps import WORK
from ete_metrics.views import heading

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

#: A view not yet worked out: what it is (for the progress message) and how to work it out.
_Later = tuple[str, Callable[[], ReportView]]


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
        rates blanked for groups under 10) and draws charts from the protected numbers.
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
        programme whose ``participants`` hold only that part (a regional lead's); by
        default worked out from ``participants`` (:func:`.filters.resolve_filters`).

    Returns
    -------
    ReportContent

    Raises
    ------
    InputError
        An unknown audience, region, pathway or delivery partner; no participants
        at all, or none left by the filters; or an error from a metric function.
    """
    chosen = resolve_filters(participants, milestones, as_of=as_of, audience=audience, regions=regions,
                             pathways=pathways, delivery_partners=delivery_partners,
                             date_from=date_from, date_to=date_to, programme=programme)
    participants, milestones, stamp, previous = (chosen.participants, chosen.milestones, chosen.as_of,
                                                 chosen.previous)
    region_list, scope, stakeholder = chosen.region_list, chosen.scope, audience == "stakeholder"
    tell(progress, "Working out the published figures together", 0.0)
    published = _published(participants, milestones, stamp, previous, chosen.dates, audience,
                           compare_regions=chosen.compare_regions, programme=chosen.programme)
    headline, changes = _headline(published["now"], published["month_earlier"], stamp, previous)
    tell(progress, "Working out the targets", 0.15)
    target_table = _targets(participants, milestones, targets, stamp, region_list, audience)
    summary = _summary(participants, milestones, targets, stamp, previous, region_list, audience,
                       headline, target_table, scope)
    report_views = _views(chosen, published, headline, target_table, targets, audience, charts, progress)
    content = ReportContent(
        programme=PROGRAMME, as_of=stamp.date(), previous_as_of=previous.date(), audience=audience,
        **chosen.as_chosen(),  # the filters, as chosen
        # what the report shows
        summary=summary, headline=headline, changes=changes, targets=target_table, views=report_views,
        definitions=definitions(stakeholder=stakeholder),
        note=disclosure.STAKEHOLDER_NOTE if stakeholder else "",
    )
    tell(progress, "Worked out the figures", 1.0)
    return content


def _views(
    chosen: ReportFilters,
    published: Mapping[str, pd.DataFrame],
    headline: ReportTable,
    target_table: ReportTable,
    targets: pd.DataFrame,
    audience: str,
    charts: bool,
    progress: Progress | None,
) -> tuple[ReportView, ...]:
    """Every view in report order (:attr:`ReportContent.views`), each worked out in turn.

    The funnel and the targets, then the regional views (:func:`_regional_views`), cohorts,
    delivery partners, equality and the targets against actuals. A stakeholder's charts
    mark the suppressed figures.
    """
    participants, milestones, stamp, dates = chosen.participants, chosen.milestones, chosen.as_of, chosen.dates
    partners, groups = published["partners"], published["equality"]
    later_views: tuple[_Later, ...] = (
        *_regional_views(chosen, published, audience, charts),
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
        _targets_vs_actual_view(participants, milestones, targets, stamp, chosen.region_list, audience, charts)
    )
    report_views = tuple(built)
    if audience == "stakeholder" and charts:
        from ete_metrics.present.charts.suppressed import mark_suppressed

        for view in report_views:
            if view.figure is not None:
                mark_suppressed(view.figure)
    return report_views


def _regional_views(
    chosen: ReportFilters, published: Mapping[str, pd.DataFrame], audience: str, charts: bool
) -> list[_Later]:
    """The views of the regions, as on the Regions page.

    Part of the programme against the programme (when the pack has its ``"benchmark"``);
    with two regions or more in view, the regions compared and, for the programme team only
    (a model of each person's records), adjusted for case mix.
    """
    participants, milestones, stamp, scope = chosen.participants, chosen.milestones, chosen.as_of, chosen.scope
    start, end = chosen.date_from, chosen.date_to
    regional: list[_Later] = []
    if "benchmark" in published:
        regional.append(("programme's figures", lambda: _benchmark_view(published["benchmark"], scope, charts)))
    if chosen.compare_regions:
        regional += [
            ("regions", lambda: _regions_view(published["comparison"].reset_index(drop=True), scope, charts)),
        ]
        if audience != "stakeholder":  # a model of each person's records: for the programme team only
            regional.append(("adjusted rates", lambda: _adjusted_view(_present(
                standardised_ratios(participants, milestones, by="region", step=WORK.name, as_of=stamp,
                                    date_from=start, date_to=end),
                views.STANDARDISED, audience), charts)))
    return regional
